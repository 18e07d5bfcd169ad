"""The problems of messages and deliveries, worded in the reader's language: what is chosen,
the texts, and why a worker did not publish a delivery. They extend the wording of the
networks' and accounts' problems (`channels.problems`): one `Wording`, each code worded
once, and `word()` here words them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext_lazy

from channels import problems as network_problems
from channels.problems import accounts_param, accounts_words, display_language, join_words
from embassies import names
from posts.models import Message

__all__ = [
    "PROBLEMS",
    "WORDING",
    "accounts_param",
    "accounts_words",
    "display_language",
    "join_words",
    "word",
    "word_said",
]

MESSAGE_PROBLEMS: dict[str, Promise] = {
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
    # Told offline by posts.language: a warning, the officer may know better.
    "texts.language_mismatch": gettext_lazy(
        "This %(language)s text looks like %(detected)s: check that it is in the right language."
    ),
    "time.desired_passed": gettext_lazy(
        "The desired time has passed: the reviewer will choose a new time or publish it at once."
    ),
    # A network's problem with one language's content, for some accounts.
    "network.problem": gettext_lazy("%(heading_language)s, %(accounts)s: %(problem)s"),
    # --- Why a worker did not publish a delivery (posts.services.delivery, operations) --------
    "delivery.message_state": gettext_lazy("The message is “%(message_state)s”."),
    "delivery.changed_after_approval": gettext_lazy("The message changed after it was approved."),
    "delivery.content_unprepared": gettext_lazy("The content could not be prepared: %(detail)s"),
    "delivery.credentials_unreadable": gettext_lazy(
        "The account's credentials cannot be opened: an administrator must reconnect it."
    ),
    "delivery.not_found_on_network": gettext_lazy("Not found on the network: it did not go out."),
    "delivery.late": gettext_lazy(
        "Due at %(due_at)s UTC, more than %(minutes)s minutes ago: a press officer decides whether it still goes out."
    ),
    "delivery.settled_not_published": gettext_lazy("Not published, as settled by %(person)s."),
    "delivery.gave_up": ngettext_lazy(
        "Gave up after %(count)s attempt. Last answer: %(problem)s",
        "Gave up after %(count)s attempts. Last answer: %(problem)s",
        "count",
    ),
    "delivery.duplicate_not_ours": gettext_lazy(
        "The network refused this text as a duplicate, and no post of ours carries it: "
        "change the text and submit it again. (%(detail)s)"
    ),
    "delivery.unexpected_error": gettext_lazy("An unexpected error on our side: %(exception)s: %(detail)s"),
    "delivery.no_answer": gettext_lazy(
        "No answer recorded %(seconds)s s after the call started (the worker stopped?): it may have gone out."
    ),
    # --- Replies to the public (conversations.services.replies, moderation) -----------------
    "reply.form_expired": gettext_lazy("The form has expired: open the conversation again and write the reply."),
    "reply.item_elsewhere": gettext_lazy("That item is not part of this conversation."),
    "reply.line_unknown": gettext_lazy("That line is not in the library."),
    "reply.kind_unknown": gettext_lazy("Choose a public or a private reply."),
    "reply.conflict": gettext_lazy(
        "Another reply to this item is already on its way or awaiting clearance: clear or return it first."
    ),
    "reply.personal_data": gettext_lazy(
        "The reply seems to contain personal data (%(kinds)s): it cannot go out in public. "
        "Answer privately instead, or remove it."
    ),
    "reply.return_needs_reason": gettext_lazy("Say why the reply goes back to its writer."),
    "reply.not_now": gettext_lazy("Not possible now: the reply is “%(reply_state)s”."),
    "reply.account_refused": gettext_lazy("The network refused the account's credentials: reconnect it."),
    "private_reply.not_possible": gettext_lazy("A private reply is possible only to a Facebook comment."),
    "hide.not_possible": gettext_lazy("%(network)s does not let us hide an item through its interface."),
    "hide.reason_required": gettext_lazy("Choose the house rule it breaks."),
    "remove.not_possible": gettext_lazy("%(network)s does not let us remove an item of the public for good."),
    "moderation.already_proposed": gettext_lazy(
        "A moderation of this item is already proposed: confirm or dismiss it."
    ),
    "moderation.not_proposed": gettext_lazy("This proposal was settled already."),
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


def _state_label(state: str) -> str:
    try:
        return str(Message.State(state).label)
    except ValueError:
        return state


WORDING = network_problems.WORDING.extended(
    MESSAGE_PROBLEMS,
    {
        "message_state": _state_label,
        "detected": names.language_name,
        "kinds": lambda kinds: join_words([str(PERSONAL_DATA_KINDS.get(kind, kind)) for kind in kinds]),
        "names": lambda items: ", ".join(f"{{{item}}}" for item in items),
    },
)
# Every problem code, the networks' and the messages': what the catalogue test renders.
PROBLEMS = WORDING.problems


def word(code: str, params: Mapping[str, Any] | None = None, *, default: str = "") -> str:
    """The problem `code` with `params`, in the active language (see `Wording.word`)."""
    return WORDING.word(code, params, default=default)


def word_said(said: Mapping[str, Any]) -> str:
    return WORDING.word_said(said)
