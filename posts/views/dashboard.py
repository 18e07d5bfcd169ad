"""The dashboard: what needs this user now, one set of panels per role (the reads are in
posts/selectors/dashboard.py, each panel a fixed few queries)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from diplomacy_hub import policy
from embassies.roles import Role
from posts.models import Delivery, Message
from posts.selectors import dashboard as panels
from posts.selectors.messages import missions_of
from posts.views.common import render_page

PROBLEM_GROUPS = 5  # messages per problem panel


@dataclass
class DeliveryGroup:
    """Deliveries of one message in one panel (failed, unknown or held)."""

    message: Message
    deliveries: list[Delivery]

    @property
    def accounts(self) -> list[str]:
        labels = []
        for delivery in self.deliveries:
            account = delivery.account
            label = f"{account.get_network_display()} {account.handle or account.display_name}"
            if label not in labels:
                labels.append(label)
        return labels

    @property
    def needs_decision(self) -> bool:
        return any(delivery.next_attempt_at is None for delivery in self.deliveries)


def by_message(deliveries: list[Delivery], *, groups: int = PROBLEM_GROUPS) -> list[DeliveryGroup]:
    """Deliveries grouped under their message, in the order of each message's first."""
    grouped: dict[int, DeliveryGroup] = {}
    for delivery in deliveries:
        grouped.setdefault(delivery.message_id, DeliveryGroup(delivery.message, [])).deliveries.append(delivery)
    return list(grouped.values())[:groups]


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs this user now; each role sees its own panels, each a fixed few queries."""
    user = request.user
    roles = policy.roles_of(user)
    context: dict = {"now": timezone.now()}
    if Role.OFFICER in roles:
        context["my_missions"] = missions_of(user=user)
        context["officer"] = panels.officer_panels(user=user)
    if Role.PRESS_OFFICE in roles:
        press = panels.press_panels(user=user)
        for kind in ("failed", "unknown", "held"):
            press[kind] = by_message(press[kind])
        context["press"] = press
    if Role.CRISIS_UNIT in roles:
        context["crisis"] = panels.crisis_panels(user=user)
        if Role.PRESS_OFFICE not in roles:
            context["crisis_queue"] = panels.crisis_queue_count(user=user)
    if Role.ADMINISTRATOR in roles:
        context["admin"] = panels.admin_panels(user=user)
    return render_page(request, "posts/dashboard.html", context)
