"""The problems of messages and deliveries, worded in the reader's language: what is chosen,
the texts, and why a worker did not publish a delivery. They extend the wording of the
networks' and accounts' problems (`channels.problems`): one `Wording`, each code worded
once, and `word()` here words them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from channels import problems as network_problems
from channels.problems import accounts_param, accounts_words, display_language, join_words
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
    "delivery.no_answer": gettext_lazy(
        "No answer recorded %(seconds)s s after the call started (the worker stopped?): it may have gone out."
    ),
}


def _state_label(state: str) -> str:
    try:
        return str(Message.State(state).label)
    except ValueError:
        return state


WORDING = network_problems.WORDING.extended(MESSAGE_PROBLEMS, {"message_state": _state_label})
# Every problem code, the networks' and the messages': what the catalogue test renders.
PROBLEMS = WORDING.problems


def word(code: str, params: Mapping[str, Any] | None = None, *, default: str = "") -> str:
    """The problem `code` with `params`, in the active language (see `Wording.word`)."""
    return WORDING.word(code, params, default=default)


def word_said(said: Mapping[str, Any]) -> str:
    return WORDING.word_said(said)
