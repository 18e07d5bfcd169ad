"""Problems as codes with parameters, worded here in the reader's language: the one home of
the wording of problems, below `posts` so that the channels' own pages (connecting an
account, its health check) and the adapters use it as the messages' pages do.

Validation (ours and the adapters'), the refusals of a connect flow or a health check, and
the reasons workers write carry a `code` and plain `params` (language codes, network keys,
numbers, file names); `word()` turns them into a sentence when a person reads it, so an
officer in Dakar reads French whatever language the server or the worker ran in.
Parameters are rendered by their name: see `RENDERERS`.

One `Wording` holds the codes of the networks and accounts (this module); posts extends it
with the codes of messages and deliveries (`posts.problems`), and a code may be worded only
once (`Wording.extended` refuses a second wording).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language_info, gettext_lazy, ngettext, ngettext_lazy
from django.utils.translation import gettext as _

from channels.adapters.base import AdapterError
from channels.media import describe_duration, describe_size
from channels.models import SocialAccount, network_label
from embassies import names

# Accounts named in one problem before "and N more" (a crisis alert targets hundreds).
ACCOUNTS_NAMED = 3

PROBLEMS: dict[str, Promise] = {
    # --- A network's rules (channels.text, channels.media, the adapters) --------------------
    "text.too_long": ngettext_lazy(
        "The text is %(excess)s character too long for %(network)s (%(count)s of %(limit)s).",
        "The text is %(excess)s characters too long for %(network)s (%(count)s of %(limit)s).",
        "excess",
    ),
    "title.too_long": ngettext_lazy(
        "The title is %(excess)s character too long for %(network)s (%(count)s of %(limit)s).",
        "The title is %(excess)s characters too long for %(network)s (%(count)s of %(limit)s).",
        "excess",
    ),
    "description.too_long": ngettext_lazy(
        "The description is %(excess)s byte too long for %(network)s (%(count)s of %(limit)s). "
        "Accented letters count 2 bytes, most Asian scripts 3, emoji 4.",
        "The description is %(excess)s bytes too long for %(network)s (%(count)s of %(limit)s). "
        "Accented letters count 2 bytes, most Asian scripts 3, emoji 4.",
        "excess",
    ),
    "tags.too_long": ngettext_lazy(
        "Together the tags are %(excess)s character too long for %(network)s (%(count)s of %(limit)s). "
        "Commas between tags, and quotes around tags with spaces, count too.",
        "Together the tags are %(excess)s characters too long for %(network)s (%(count)s of %(limit)s). "
        "Commas between tags, and quotes around tags with spaces, count too.",
        "excess",
    ),
    "tags.too_many": gettext_lazy("%(network)s takes at most %(limit)s tags (this message has %(count)s)."),
    "tags.refused_characters": gettext_lazy("%(network)s does not accept <, > or commas in a tag."),
    "tags.double_quote": gettext_lazy("A %(network)s tag cannot contain a double quote: %(tags)s."),
    "text.refused_characters": gettext_lazy("The text contains characters %(network)s refuses: %(characters)s."),
    "text.or_media_required": gettext_lazy("%(network)s needs a text, an image or a video."),
    "title.required": gettext_lazy("%(network)s needs a title."),
    "title.angle_brackets": gettext_lazy("%(network)s does not accept < or > in a title."),
    "description.angle_brackets": gettext_lazy("%(network)s does not accept < or > in a description."),
    "media.video_required": gettext_lazy("%(network)s needs a video."),
    "media.photo_required": gettext_lazy("%(network)s needs a photo."),
    "media.images_not_taken": gettext_lazy("%(network)s does not take images: remove %(files)s."),
    "media.videos_not_taken": gettext_lazy("%(network)s does not take videos: remove %(files)s."),
    "media.too_many_images": ngettext_lazy(
        "%(network)s takes at most one image per post; this message has %(count)s.",
        "%(network)s takes at most %(limit)s images per post; this message has %(count)s.",
        "limit",
    ),
    "media.too_many_videos": ngettext_lazy(
        "%(network)s takes at most one video per post; this message has %(count)s.",
        "%(network)s takes at most %(limit)s videos per post; this message has %(count)s.",
        "limit",
    ),
    "media.images_with_video": gettext_lazy("%(network)s cannot show images and a video in the same post."),
    "media.not_image_or_video": gettext_lazy("“%(file)s” is neither an image nor a video."),
    "media.image_type": gettext_lazy("%(network)s does not take %(type)s images (“%(file)s”); it takes %(types)s."),
    "media.video_type": gettext_lazy("%(network)s does not take %(type)s videos (“%(file)s”); it takes %(types)s."),
    "media.image_too_large": gettext_lazy(
        "The image “%(file)s” is %(size)s; %(network)s takes images up to %(max_size)s."
    ),
    "media.video_too_large": gettext_lazy(
        "The video “%(file)s” is %(size)s; %(network)s takes videos up to %(max_size)s."
    ),
    "media.duration_unknown": gettext_lazy("We could not read how long the video “%(file)s” is; upload it again."),
    "media.video_too_long": gettext_lazy("The video is %(duration)s long; %(network)s takes at most %(max_duration)s."),
    "media.alt_text_missing": gettext_lazy(
        "The image “%(file)s” has no alt text: describe it for people who cannot see it."
    ),
    "media.gif_alone": gettext_lazy(
        "%(network)s takes a GIF only on its own: send the GIF alone, or the other images without it."
    ),
    "media.video_too_short": gettext_lazy(
        "The video “%(file)s” is too short for %(network)s, which takes videos from %(min_duration)s."
    ),
    "media.alt_text_too_long": ngettext_lazy(
        "The description (alt text) of “%(file)s” is %(excess)s character too long for %(network)s "
        "(%(count)s of %(limit)s).",
        "The description (alt text) of “%(file)s” is %(excess)s characters too long for %(network)s "
        "(%(count)s of %(limit)s).",
        "excess",
    ),
    # --- A network's refusal or failure, in our words (the adapters) ----------------------------
    "network.unreachable": gettext_lazy("%(network)s could not be reached (%(exception)s)."),
    "network.timeout": gettext_lazy("%(network)s did not answer in time (%(exception)s)."),
    "network.connection_failed": gettext_lazy("The connection to %(network)s failed (%(exception)s)."),
    "network.unreadable_answer": gettext_lazy("%(network)s sent an answer we could not read."),
    "network.answer_without_id": gettext_lazy("The answer of %(network)s carries no id."),
    "network.not_deleted": gettext_lazy("%(network)s did not delete %(external_id)s."),
    "network.cannot_find_without_text": gettext_lazy(
        "A post without text cannot be found again on %(network)s: check the account by hand."
    ),
    "network.too_many_posts": gettext_lazy(
        "More than %(count)s posts on this %(network)s account since then: cannot tell whether this one is among them."
    ),
    "network.video_still_processing": gettext_lazy(
        "%(network)s was still processing the video after %(seconds)s s; nothing was posted."
    ),
    "network.video_failed": gettext_lazy("%(network)s could not process the video: %(detail)s"),
    "network.sandbox_host": gettext_lazy("The sandbox does not imitate this %(network)s host."),
    "network.upload_not_opened": gettext_lazy("%(network)s did not open an upload session."),
    "network.video_not_confirmed": gettext_lazy("%(network)s did not confirm the video's publication."),
    "account.no_page_id": gettext_lazy("This %(network)s account has no Page id: an administrator must reconnect it."),
    "network.token_refused": gettext_lazy("%(network)s refused the account's access token."),
    "network.refused_call": gettext_lazy("%(network)s refused the call: %(detail)s"),
    "network.rate_limited": gettext_lazy("%(network)s rate limit reached: %(detail)s"),
    "network.failed": gettext_lazy("%(network)s failed: %(detail)s"),
    "network.answered_status": gettext_lazy("%(network)s answered HTTP %(status)s without saying why."),
    "network.answered_with": gettext_lazy("%(network)s answered HTTP %(status)s: %(detail)s"),
    "network.app_access": gettext_lazy(
        "%(network)s does not let this application make that call (its access level does not include it): %(detail)s"
    ),
    "network.app_key_refused": gettext_lazy(
        "%(network)s refused the application's key: %(detail)s (check FLICKR_API_KEY and FLICKR_API_SECRET)."
    ),
    "network.no_such_post": gettext_lazy("%(network)s has no post %(external_id)s (deleted?)."),
    "network.no_channel": gettext_lazy("No %(network)s channel."),
    "network.webhook_not_confirmed": gettext_lazy("%(network)s did not confirm the Page's webhook subscription."),
    # --- What the listening side could not read (channels.adapters.*.listen, webhooks) ------------
    "network.unreadable_push": gettext_lazy("%(network)s pushed a webhook delivery we could not read."),
    "network.unreadable_item": gettext_lazy("%(network)s sent an item (a post or a comment) we could not read."),
    "network.no_webhooks": gettext_lazy("%(network)s pushes nothing: what is said there is read by polling."),
    "account.no_channel_id": gettext_lazy(
        "This %(network)s account has no channel id: an administrator must reconnect it."
    ),
    # --- An account and its connection (channels.services, the adapters' connect flows) ---------
    "delivery.account_not_connected": gettext_lazy(
        "The account is “%(account_status)s”: an administrator must reconnect it."
    ),
    "account.unknown_network": gettext_lazy("Unknown network: %(network)s."),
    "account.other_identity": gettext_lazy("The token belongs to another %(network)s account than this one."),
    "account.no_youtube_channel": gettext_lazy("This Google account has no YouTube channel."),
    "account.no_refresh_token": gettext_lazy("This %(network)s account has no refresh token: connect it again."),
    "account.already_connected": gettext_lazy(
        "This %(network)s account is already connected for another mission: %(mission)s."
    ),
    "connect.consent_without_state": gettext_lazy(
        "The network's consent page carries no state: refusing to connect without one."
    ),
    "connect.answer_without_state": gettext_lazy("The network's answer carries no state: it was not started here."),
    "connect.too_old": gettext_lazy("The connection was started too long ago: start it again."),
    "connect.unreadable": gettext_lazy("The connection in progress could not be read back: start it again."),
    "connect.not_started_here": gettext_lazy(
        "The network's answer does not match a connection started in this session: nothing was stored. "
        "Start the connection again from the account's page."
    ),
    "connect.refused": gettext_lazy("%(network)s refused the connection: %(problem)s"),
    "connect.not_authorised": gettext_lazy("%(network)s did not authorise Diplomacy Hub: %(detail)s."),
    "connect.state_mismatch": gettext_lazy(
        "The answer from %(network)s does not match this connection attempt: start again."
    ),
    "connect.no_code": gettext_lazy("%(network)s sent no authorisation code: start again."),
    "connect.not_granted": gettext_lazy("%(network)s's answer carries no verifier: the access was not granted."),
    "connect.attempt_lost": gettext_lazy("This connection attempt lost its PKCE verifier: start again."),
    "connect.no_access_token": gettext_lazy("%(network)s's answer carries no access token: start again."),
    "connect.code_refused": gettext_lazy("%(network)s refused the authorisation code (%(detail)s): start again."),
    "connect.missing_permissions": gettext_lazy(
        "%(network)s did not grant every permission Diplomacy Hub needs (missing: %(detail)s)."
    ),
    "connect.no_page": gettext_lazy("The %(network)s user who logged in manages no Page."),
    "connect.no_such_page": gettext_lazy("The %(network)s user who logged in manages no Page with the id %(page)s."),
    "connect.page_not_allowed": gettext_lazy(
        "The %(network)s user may not publish on the Page “%(page)s” (no CREATE_CONTENT task)."
    ),
    # --- A health check's result (channels.services.account_health_check) ----------------------
    "check.connected": gettext_lazy("Connected."),
    "check.ok": gettext_lazy("OK: %(handle)s"),
    "check.not_checked": gettext_lazy("Not checked: the account is “%(account_status)s”."),
    "check.refused": gettext_lazy("Refused by the network: %(problem)s"),
    "check.failed_for_now": gettext_lazy("Could not check now: %(problem)s"),
    "check.credentials_unreadable": gettext_lazy(
        "The stored credentials do not open: check the key ring, then reconnect."
    ),
    # --- Content refused for good before any call (channels.adapters.base.require_fit) ----------
    "delivery.does_not_fit": gettext_lazy("It does not fit %(network)s: %(problems)s"),
    # --- Answering the public (the adapters' reply side) ------------------------------------
    "reply.empty": gettext_lazy("Write the reply."),
    "reply.target_gone": gettext_lazy(
        "The item was deleted on %(network)s: the reply cannot go, and nothing was sent."
    ),
    "reply.not_summoned": gettext_lazy(
        "X lets an app reply only to people who mention or quote the account. Answer on X itself: %(url)s"
    ),
    "private_reply.expired": gettext_lazy(
        "A private reply can be sent only within 7 days of the comment: answer in public, without personal data."
    ),
    "private_reply.already_sent": gettext_lazy("This comment has had its one private reply already."),
    "hide.not_own_conversation": gettext_lazy(
        "X hides only replies in conversations the account started: hide or report it on X itself."
    ),
    "network.hide_unconfirmed": gettext_lazy("%(network)s did not confirm hiding the comment."),
    "network.search_not_json": gettext_lazy("%(network)s answered a search with something other than JSON."),
    # --- Machine translation (channels.translation, channels.adapters.translation) ---------------
    "translation.off": gettext_lazy("Machine translation is not configured."),
    "translation.empty": gettext_lazy("Write the text to translate first."),
    "translation.too_long": gettext_lazy("The text is too long to translate: at most %(limit)s characters."),
    "translation.no_language": gettext_lazy(
        "The author's language is not known, so the draft cannot be translated into it."
    ),
    "translation.timeout": gettext_lazy("The translation service %(provider)s did not answer in time. Try again."),
    "translation.unreachable": gettext_lazy("The translation service %(provider)s could not be reached."),
    "translation.language_refused": gettext_lazy(
        "The translation service %(provider)s does not translate between these languages."
    ),
    "translation.key_refused": gettext_lazy(
        "The translation service %(provider)s refused our API key (TRANSLATION_API_KEY)."
    ),
    "translation.rate_limited": gettext_lazy(
        "The translation service %(provider)s asks us to slow down. Try again in a minute."
    ),
    "translation.failed": gettext_lazy(
        "The translation service %(provider)s failed (HTTP %(status)s). Try again later."
    ),
    "translation.unreadable": gettext_lazy("The translation service %(provider)s sent an answer we could not read."),
}


def display_language(code: str) -> str:
    """The language's name in the reader's language, as a heading or a label ("Arabe" in
    French); inside a sentence, `embassies.names.language_name` ("en arabe")."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        name = names.language_name(code)
        return name[:1].upper() + name[1:]


def join_words(words: list[str], *, last: str = "and") -> str:
    """ "A, B and C" (or "A, B or C"), in the reader's language."""
    words = [str(word) for word in words]
    if len(words) <= 1:
        return "".join(words)
    joined = ", ".join(words[:-1])
    if last == "or":
        return _("%(first)s or %(last)s") % {"first": joined, "last": words[-1]}
    return _("%(first)s and %(last)s") % {"first": joined, "last": words[-1]}


def accounts_words(labels: list[str], more: int = 0) -> str:
    """ "X @a, Facebook b and 3 more accounts": a few accounts by name, then a count."""
    names = list(labels)
    if more:
        names.append(ngettext("%(count)s more account", "%(count)s more accounts", more) % {"count": more})
    return join_words(names)


def accounts_param(labels: list[str]) -> dict[str, Any]:
    """The `accounts` parameter: the first few names, and how many more."""
    return {"names": labels[:ACCOUNTS_NAMED], "more": max(0, len(labels) - ACCOUNTS_NAMED)}


def _account_status_label(value: str) -> str:
    try:
        return str(SocialAccount.Status(value).label)
    except ValueError:
        return value


# How each parameter is put into words, in the reader's language; others are shown as given.
# `problem` and `problems` (a problem inside another) are worded by the Wording itself.
RENDERERS: dict[str, Callable[[Any], Any]] = {
    "heading_language": display_language,
    "language": names.language_name,
    "languages": lambda codes: join_words([names.language_name(code) for code in codes]),
    "network": network_label,
    "accounts": lambda value: accounts_words(list(value.get("names", ())), int(value.get("more", 0))),
    "files": lambda files: join_words([f"“{name}”" for name in files]),
    "types": lambda types: join_words(list(types), last="or"),
    "characters": lambda items: ", ".join(str(item) for item in items),
    "tags": lambda items: ", ".join(str(item) for item in items),
    "size": lambda value: describe_size(int(value), round_up=True),
    "max_size": lambda value: describe_size(int(value), round_up=False),
    "duration": lambda value: describe_duration(float(value), round_up=True),
    "max_duration": lambda value: describe_duration(float(value), round_up=False),
    "min_duration": lambda value: describe_duration(float(value), round_up=False),
    "account_status": _account_status_label,
}


class Wording:
    """Codes worded in the reader's language, and the renderers of their parameters by name."""

    def __init__(self, problems: Mapping[str, Promise], renderers: Mapping[str, Callable[[Any], Any]]) -> None:
        self.problems: dict[str, Promise] = dict(problems)
        self.renderers: dict[str, Callable[[Any], Any]] = {
            **renderers,
            "problem": self.word_said,
            "problems": lambda items: " ".join(self.word_said(item) for item in items),
        }
        self._own_renderers = dict(renderers)

    def extended(
        self, problems: Mapping[str, Promise], renderers: Mapping[str, Callable[[Any], Any]] | None = None
    ) -> Wording:
        """This wording and more codes (and renderers); a code already worded is refused:
        each problem has one wording."""
        twice = sorted(set(problems) & set(self.problems))
        if twice:
            raise ValueError(f"Problems worded twice: {twice}")
        return Wording({**self.problems, **problems}, {**self._own_renderers, **(renderers or {})})

    def word(self, code: str, params: Mapping[str, Any] | None = None, *, default: str = "") -> str:
        """The problem `code` with `params`, in the active language; `default` (the text kept
        for the record) when the code is not one of ours, else the code itself."""
        wording = self.problems.get(code)
        if wording is None:
            return default or code
        # Numbers stay numbers: ngettext_lazy picks its form from the one under its key.
        rendered = {key: self._render(key, value) for key, value in (params or {}).items()}
        try:
            return str(wording % rendered)
        except (KeyError, TypeError, ValueError):
            # Parameters that do not fit (a row written by an older release): the record's text.
            return default or code

    def word_said(self, said: Mapping[str, Any]) -> str:
        """A problem kept as `{"code", "params", "text"}` (see `said_of`), worded."""
        if not isinstance(said, Mapping):
            return str(said)
        return self.word(said.get("code", ""), said.get("params"), default=said.get("text", ""))

    def _render(self, key: str, value: Any) -> Any:
        render = self.renderers.get(key)
        return render(value) if render is not None else value


def said_of(error: AdapterError | str) -> dict[str, Any]:
    """An adapter's error (or a sentence) kept as plain data, `{"code", "params", "text"}`:
    what a row or a problem stores so that each reader gets it worded in their language."""
    if isinstance(error, AdapterError):
        return {"code": error.code, "params": dict(error.params), "text": error.detail}
    return {"code": getattr(error, "code", ""), "params": dict(getattr(error, "params", {})), "text": str(error)}


WORDING = Wording(PROBLEMS, RENDERERS)
word = WORDING.word
word_said = WORDING.word_said


def word_error(error: AdapterError) -> str:
    """An adapter's error in the reader's language (the network's own words where it
    brought no code of ours)."""
    return word(error.code, error.params, default=error.detail)
