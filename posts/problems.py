"""Problems as codes with parameters, worded here and only here, in the reader's language.

Validation (ours and the adapters'), and the reasons workers write on deliveries, carry a
`code` and plain `params` (language codes, network keys, numbers, file names); `word()`
turns them into a sentence when a person reads it, so an officer in Dakar reads French
whatever language the server or the worker ran in. Parameters are rendered by their name:
see `_render_param`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language_info, gettext_lazy, ngettext, ngettext_lazy
from django.utils.translation import gettext as _

from channels.media import describe_duration, describe_size
from channels.models import SocialAccount, network_label
from embassies import names
from posts.models import Message

# Accounts named in one problem before "and N more" (a crisis alert targets hundreds).
ACCOUNTS_NAMED = 3

PROBLEMS: dict[str, Promise] = {
    # --- What is chosen (posts.validation) -----------------------------------------------
    "targets.none": gettext_lazy("Choose at least one account to publish to."),
    "targets.foreign": gettext_lazy("Not accounts of %(mission)s: %(accounts)s. Remove them."),
    "targets.inactive_mission": gettext_lazy(
        "These accounts belong to a mission that is no longer active: %(accounts)s."
    ),
    "targets.not_connected": gettext_lazy(
        "Not connected, so publishing to them will fail until an administrator reconnects them: %(accounts)s."
    ),
    # --- The texts ----------------------------------------------------------------------
    "texts.none": gettext_lazy("Write the text in at least one language."),
    "texts.empty": gettext_lazy("The %(language)s text is empty."),
    "texts.variant_empty": gettext_lazy("The %(network)s variant in %(language)s is empty."),
    "texts.variant_without_main": gettext_lazy(
        "The %(network)s variant in %(language)s has no main text in %(language)s: "
        "write the main text too, or remove the variant."
    ),
    "texts.crisis_needs_fr_en": gettext_lazy(
        "A crisis alert needs a French or English text: accounts in other languages receive it in French, "
        "else in English."
    ),
    "texts.crisis_unserved": gettext_lazy(
        "No text these accounts can receive (their languages, French or English): %(accounts)s."
    ),
    "texts.language_not_published": gettext_lazy(
        "%(mission)s does not publish in %(language)s: remove the text in %(language)s."
    ),
    "texts.languages_missing": gettext_lazy(
        "No text in %(languages)s: followers who read only %(languages)s will not get this message."
    ),
    "time.desired_passed": gettext_lazy(
        "The desired time has passed: the reviewer will choose a new time or publish it at once."
    ),
    # A network's problem with one language's content, for some accounts.
    "network.problem": gettext_lazy("%(heading_language)s, %(accounts)s: %(problem)s"),
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
    # --- Why a worker did not publish a delivery (posts.services.delivery, operations) --------
    "delivery.message_state": gettext_lazy("The message is “%(message_state)s”."),
    "delivery.changed_after_approval": gettext_lazy("The message changed after it was approved."),
    "delivery.account_not_connected": gettext_lazy(
        "The account is “%(account_status)s”: an administrator must reconnect it."
    ),
    "delivery.content_unprepared": gettext_lazy("The content could not be prepared: %(detail)s"),
    "delivery.credentials_unreadable": gettext_lazy(
        "The account's credentials cannot be opened: an administrator must reconnect it."
    ),
    "delivery.not_found_on_network": gettext_lazy("Not found on the network: it did not go out."),
    "delivery.late": gettext_lazy(
        "Due at %(due_at)s UTC, more than %(minutes)s minutes ago: a press officer decides whether it still goes out."
    ),
    "delivery.settled_not_published": gettext_lazy("Not published, as settled by %(person)s."),
    "delivery.no_answer": gettext_lazy(
        "No answer recorded %(seconds)s s after the call started (the worker stopped?): it may have gone out."
    ),
    "delivery.does_not_fit": gettext_lazy("It does not fit %(network)s: %(problems)s"),
    # --- Replies to the public (conversations.services.replies, moderation) -----------------
    "reply.form_expired": gettext_lazy("The form has expired: open the conversation again and write the reply."),
    "reply.item_elsewhere": gettext_lazy("That item is not part of this conversation."),
    "reply.line_unknown": gettext_lazy("That line is not in the library."),
    "reply.empty": gettext_lazy("Write the reply."),
    "reply.kind_unknown": gettext_lazy("Choose a public or a private reply."),
    "reply.conflict": gettext_lazy(
        "Another reply to this item is already on its way or awaiting clearance: clear or return it first."
    ),
    "reply.target_gone": gettext_lazy(
        "The item was deleted on %(network)s: the reply cannot go, and nothing was sent."
    ),
    "reply.not_summoned": gettext_lazy(
        "X lets an app reply only to people who mention or quote the account. Answer on X itself: %(url)s"
    ),
    "reply.personal_data": gettext_lazy(
        "The reply seems to contain personal data (%(kinds)s): it cannot go out in public. "
        "Answer privately instead, or remove it."
    ),
    "reply.return_needs_reason": gettext_lazy("Say why the reply goes back to its writer."),
    "reply.not_now": gettext_lazy("Not possible now: the reply is “%(reply_state)s”."),
    "reply.account_refused": gettext_lazy("The network refused the account's credentials: reconnect it."),
    "private_reply.not_possible": gettext_lazy("A private reply is possible only to a Facebook comment."),
    "private_reply.expired": gettext_lazy(
        "A private reply can be sent only within 7 days of the comment: answer in public, without personal data."
    ),
    "private_reply.already_sent": gettext_lazy("This comment has had its one private reply already."),
    "hide.not_possible": gettext_lazy("%(network)s does not let us hide an item through its interface."),
    "hide.reason_required": gettext_lazy("Choose the house rule it breaks."),
    "line.placeholder_unknown": gettext_lazy("Unknown placeholders: %(names)s. Use {mission}, {city} or {author}."),
    "line.dates": gettext_lazy("A line must start before it ends."),
    # --- Why a reply needs the clearance it needs (diplomacy_hub.policy.reply_clearance) -----
    "clearance.library_line": gettext_lazy("a line from the library, in the author's language"),
    "clearance.crisis_line": gettext_lazy("a crisis line, during the alert"),
    "clearance.sensitive_category": gettext_lazy("a sensitive subject"),
    "clearance.listed_author": gettext_lazy("the author is on the journalists' or officials' lists"),
    "clearance.individual_case": gettext_lazy("it is about an individual case"),
    "clearance.free_text": gettext_lazy("free text"),
    "clearance.line_not_in_force": gettext_lazy("the line is not in force"),
    "clearance.line_other_language": gettext_lazy("the line is not in the author's language"),
    "clearance.line_edited": gettext_lazy("the line was changed by more than 15 %%"),
    "clearance.not_routine": gettext_lazy("not a routine subject"),
    "clearance.machine_translated": gettext_lazy("machine translated"),
}

# Kinds of personal data a public reply is stopped for (conversations.clearance).
PERSONAL_DATA_KINDS = {
    "passport": gettext_lazy("a passport number"),
    "phone": gettext_lazy("a phone number"),
    "email": gettext_lazy("an e-mail address"),
    "address": gettext_lazy("a street address"),
}


def word(code: str, params: Mapping[str, Any] | None = None, *, default: str = "") -> str:
    """The problem `code` with `params`, in the active language; `default` (the text kept
    for the record) when the code is not ours, else the code itself."""
    wording = PROBLEMS.get(code)
    if wording is None:
        return default or code
    # Numbers stay numbers: ngettext_lazy picks its form from the one under its key.
    rendered = {key: _render_param(key, value) for key, value in (params or {}).items()}
    try:
        return str(wording % rendered)
    except (KeyError, TypeError, ValueError):
        # Parameters that do not fit (a row written by an older release): the record's text.
        return default or code


# --- Parameters, by name --------------------------------------------------------------------


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


def _account_status_label(value: str) -> str:
    try:
        return str(SocialAccount.Status(value).label)
    except ValueError:
        return value


def _worded(problem: dict) -> str:
    return word(problem.get("code", ""), problem.get("params"), default=problem.get("text", ""))


# How each parameter is put into words, in the reader's language; others are shown as given.
_RENDERERS: dict[str, Callable[[Any], Any]] = {
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
    "problem": _worded,
    "problems": lambda items: " ".join(_worded(item) for item in items),
    "message_state": lambda state: _state_label(state),
    "account_status": _account_status_label,
    "kinds": lambda kinds: join_words([str(PERSONAL_DATA_KINDS.get(kind, kind)) for kind in kinds]),
    "names": lambda items: ", ".join(f"{{{item}}}" for item in items),
}


def _render_param(key: str, value: Any) -> Any:
    render = _RENDERERS.get(key)
    return render(value) if render is not None else value


def _state_label(state: str) -> str:
    try:
        return str(Message.State(state).label)
    except ValueError:
        return state


def accounts_param(labels: list[str]) -> dict[str, Any]:
    """The `accounts` parameter: the first few names, and how many more."""
    return {"names": labels[:ACCOUNTS_NAMED], "more": max(0, len(labels) - ACCOUNTS_NAMED)}
