"""The operations pages' words: what went wrong with a delivery, whom a crisis alert
targets, which pauses are in force, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from embassies.models import Mission
from embassies.names import country_name
from posts.forms_operations import describe_pause
from posts.models import Delivery, PublishingPause
from posts.selectors.operations import pauses_active
from posts.services.crisis import describe_scope

State = Delivery.State


def pauses_in_force() -> list[PublishingPause]:
    """The pauses in force, each with `words` (what it covers, in the reader's language)."""
    pauses = pauses_active()
    for pause in pauses:
        pause.words = describe_pause(pause.scope, pause.value)
    return pauses


def pause_words(pause: PublishingPause) -> str:
    return describe_pause(pause.scope, pause.value)


def delivery_problem(delivery: Delivery) -> str:
    """What went wrong with a delivery, as a headline a person understands at 3 a.m.; the
    network's own words (`last_error`) are shown beneath it."""
    network = delivery.account.get_network_display()
    kind = delivery.last_error_kind
    detail = (delivery.last_error or "").lower()
    if delivery.state == State.HELD:
        if kind == Delivery.ErrorKind.LATE:
            return _("Held: it would have gone out too late; it waits for a press officer to release it")
        return _("Held by a pause: it waits for a press officer to release it")
    if not delivery.last_error and not kind:
        return ""
    if "duplicate" in detail:
        return _("%(network)s refused: duplicate content (it may already be on the account)") % {"network": network}
    if kind == Delivery.ErrorKind.AUTH:
        return _("Account not authorised — an administrator must reconnect it")
    if kind == Delivery.ErrorKind.RATE_LIMITED:
        return _("%(network)s's rate limit was reached: it is tried again later") % {"network": network}
    if kind == Delivery.ErrorKind.TRANSIENT:
        if delivery.state == State.FAILED:
            return _("%(network)s did not answer, again and again: the engine gave up") % {"network": network}
        return _("%(network)s did not answer: it is tried again later") % {"network": network}
    if kind == Delivery.ErrorKind.PERMANENT:
        return _("%(network)s refused it") % {"network": network}
    if kind == Delivery.ErrorKind.UNKNOWN:
        if delivery.state == State.FAILED:
            return _("Not published, as a press officer settled it")
        if delivery.state == State.UNKNOWN and delivery.next_attempt_at is None:
            return _("Nobody knows whether %(network)s published it: look at the account, then say so here") % {
                "network": network
            }
        return _("Not known yet whether %(network)s published it: the engine is asking the network") % {
            "network": network
        }
    return _("%(network)s answered with an error") % {"network": network}


def scope_in_words(scope: dict) -> str:
    """Whom a crisis alert targets, in the reader's language."""
    if scope.get("all"):
        return _("every mission")
    if scope.get("regions"):
        labels = dict(Mission.Region.choices)
        return ", ".join(str(labels.get(region, region)) for region in scope["regions"])
    if scope.get("countries"):
        return ", ".join(f"{country_name(code)} ({code})" for code in scope["countries"])
    return describe_scope(scope)


def annotate_problems(deliveries: Iterable[Delivery]) -> list[Delivery]:
    rows = list(deliveries)
    for delivery in rows:
        delivery.problem = delivery_problem(delivery)
    return rows
