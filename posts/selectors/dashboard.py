"""The dashboard's panels, one function per role, each a fixed few queries whatever the
amount of data, and each scoped through the policy (an officer's panels hold their
missions' messages only)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from channels.models import SocialAccount
from diplomacy_hub import policy
from embassies.selectors import mission_name_order, missions_visible_to
from posts.lifecycle import DELIVERY_UNKNOWN_OR_HELD, MESSAGE_FINISHED, MESSAGE_IN_PROGRESS, MESSAGE_WITH_FAILURES
from posts.models import Delivery, Message, Priority, Review
from posts.selectors.messages import latest_review, review_queue, submitted_at

PANEL_SIZE = 8
PROBLEM_ROWS = 40  # deliveries read per problem panel, grouped under their messages
RECENT = timedelta(days=7)
SOON = timedelta(hours=6)


def officer_panels(*, user) -> dict:
    """The officer's own drafts, their missions' messages back with changes, in review,
    scheduled, and failed this week; with a count of each."""
    State = Message.State
    mine = (
        policy.scope(user, Message.objects.all())
        .filter(mission__in=list(policy.mission_ids_of(user)))
        .select_related("mission")
    )
    failed = Q(state__in=MESSAGE_WITH_FAILURES, updated_at__gte=timezone.now() - RECENT)
    counts = mine.aggregate(
        drafts=Count("pk", filter=Q(state=State.DRAFT, author=user)),
        changes=Count("pk", filter=Q(state=State.CHANGES_REQUESTED)),
        in_review=Count("pk", filter=Q(state=State.IN_REVIEW)),
        scheduled=Count("pk", filter=Q(state=State.SCHEDULED)),
        failed=Count("pk", filter=failed),
    )
    changes = Review.Decision.REQUEST_CHANGES
    return {
        "counts": counts,
        "drafts": list(mine.filter(state=State.DRAFT, author=user).order_by("-updated_at", "-pk")[:PANEL_SIZE]),
        "changes": list(
            mine.filter(state=State.CHANGES_REQUESTED)
            .annotate(
                review_comment=latest_review(changes, "comment"),
                reviewer_first=latest_review(changes, "reviewer__first_name"),
                reviewer_username=latest_review(changes, "reviewer__username"),
            )
            .order_by("-updated_at", "-pk")[:PANEL_SIZE]
        ),
        "in_review": list(
            mine.filter(state=State.IN_REVIEW)
            .annotate(submitted_at=submitted_at())
            .order_by("-updated_at", "-pk")[:PANEL_SIZE]
        ),
        "scheduled": list(mine.filter(state=State.SCHEDULED).order_by("scheduled_at", "pk")[:PANEL_SIZE]),
        "failed": list(
            mine.filter(failed)
            .annotate(
                failed_count=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
                total_count=Count("deliveries", filter=~Q(deliveries__state=Delivery.State.CANCELLED)),
            )
            .order_by("-updated_at", "-pk")[:PANEL_SIZE]
        ),
    }


def press_panels(*, user) -> dict:
    """What needs the press office now: the head of the review queue and its age, the
    deliveries that failed this week, those of unknown outcome and those held (each
    counted, and the first of each listed), and what goes out in the next hours.

    The counts read the deliveries through the (state, …) indexes: a year of sent
    deliveries is never scanned."""
    now = timezone.now()
    queue = review_queue(user=user).annotate(submitted_at=submitted_at())
    waiting = queue.order_by().aggregate(count=Count("pk"), oldest=Min("submitted_at"))
    DState = Delivery.State
    recent = now - RECENT
    deliveries = policy.scope(user, Delivery.objects.all(), mission_field="message__mission")
    problems = deliveries.filter(
        Q(state=DState.FAILED, state_changed_at__gte=recent) | Q(state__in=DELIVERY_UNKNOWN_OR_HELD)
    )
    delivery_counts = problems.aggregate(
        failed=Count("pk", filter=Q(state=DState.FAILED)),
        unknown=Count("pk", filter=Q(state=DState.UNKNOWN)),
        to_settle=Count("pk", filter=Q(state=DState.UNKNOWN, next_attempt_at__isnull=True)),
        held=Count("pk", filter=Q(state=DState.HELD)),
    )
    listed = deliveries.select_related("message__mission", "account")
    soon = (
        policy.scope(user, Message.objects.all())
        .filter(
            state=Message.State.SCHEDULED,
            scheduled_at__gte=now,
            scheduled_at__lte=now + SOON,
        )
        .select_related("mission")
    )
    return {
        "queue": list(queue[:5]),
        "waiting": waiting,
        "oldest_age": now - waiting["oldest"] if waiting["oldest"] else None,
        "delivery_counts": delivery_counts,
        "failed": list(
            listed.filter(state=DState.FAILED, state_changed_at__gte=recent).order_by("-state_changed_at", "-pk")[
                :PROBLEM_ROWS
            ]
        ),
        "unknown": list(listed.filter(state=DState.UNKNOWN).order_by("next_attempt_at", "pk")[:PROBLEM_ROWS]),
        "held": list(listed.filter(state=DState.HELD).order_by("next_attempt_at", "pk")[:PROBLEM_ROWS]),
        "soon_count": soon.count(),
        "soon": list(soon.order_by("scheduled_at", "pk")[:PANEL_SIZE]),
    }


def crisis_panels(*, user) -> dict:
    """The crisis alerts in progress, or finished in the last 24 hours, with their
    deliveries counted."""
    DState = Delivery.State
    alerts = (
        policy.scope(user, Message.objects.all())
        .filter(priority=Priority.CRISIS)
        .filter(
            Q(state__in=MESSAGE_IN_PROGRESS)
            | Q(
                state__in=MESSAGE_FINISHED,
                updated_at__gte=timezone.now() - timedelta(hours=24),
            )
        )
        .select_related("author")
    )
    return {
        "count": alerts.count(),
        "alerts": list(
            alerts.annotate(
                total=Count("deliveries", filter=~Q(deliveries__state=DState.CANCELLED)),
                sent=Count("deliveries", filter=Q(deliveries__state=DState.SENT)),
                failed_count=Count("deliveries", filter=Q(deliveries__state=DState.FAILED)),
            ).order_by("-created_at", "-pk")[:PANEL_SIZE]
        ),
    }


def crisis_queue_count(*, user) -> int:
    """How many alerts wait for this crisis-unit member's decision."""
    return review_queue(user=user).order_by().count()


def admin_panels(*, user) -> dict:
    """Missions and accounts counted, and the accounts to reconnect."""
    broken = [SocialAccount.Status.EXPIRED, SocialAccount.Status.REVOKED]
    accounts = policy.scope(user, SocialAccount.objects.all())
    return {
        "missions": missions_visible_to(user).aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(is_active=True)),
        ),
        "account_counts": accounts.aggregate(
            total=Count("pk"),
            broken=Count("pk", filter=Q(status__in=broken)),
            pending=Count("pk", filter=Q(status=SocialAccount.Status.PENDING)),
        ),
        "broken": list(
            accounts.filter(status__in=broken)
            .select_related("mission")
            .order_by(mission_name_order("mission"), "network", "pk")[:PANEL_SIZE]
        ),
    }
