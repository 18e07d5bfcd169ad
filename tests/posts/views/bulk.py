"""Large data sets for the query-count tests, written in bulk (a few INSERTs, whatever the
size) so that the tests stay fast. The rows are shaped as the services would leave them."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from channels.models import Network, SocialAccount
from posts.models import Delivery, Event, Message, MessageText, Priority, Review
from tests.posts.factories import account

_numbers = count(1)


def mission_accounts(mission) -> list[SocialAccount]:
    """An X and a Facebook account of the mission (made once)."""
    existing = list(SocialAccount.objects.filter(mission=mission, network__in=[Network.TWITTER, Network.FACEBOOK]))
    if len(existing) >= 2:
        return existing[:2]
    return [account(mission, Network.TWITTER), account(mission, Network.FACEBOOK)]


def messages(
    *,
    size: int,
    author,
    mission,
    state: str,
    reviewer=None,
    priority: str = Priority.ROUTINE,
    delivery_state: str | None = None,
    scheduled_in: timedelta | None = None,
    accounts: list[SocialAccount] | None = None,
) -> list[Message]:
    """`size` messages in `state`, each with texts in two languages, two targets, and (when
    `delivery_state` is given) a delivery per target; in review: a submit event; changes
    requested: a review with a comment."""
    now = timezone.now()
    accounts = accounts if accounts is not None else mission_accounts(mission)
    batch = next(_numbers)
    rows = Message.objects.bulk_create(
        [
            Message(
                mission=mission if priority == Priority.ROUTINE else None,
                author=author,
                priority=priority,
                title=f"Bulk {batch}.{index} {state}",
                state=state,
                desired_at=now + timedelta(days=2, minutes=index),
                scheduled_at=(now + scheduled_in + timedelta(minutes=index)) if scheduled_in is not None else None,
            )
            for index in range(size)
        ]
    )
    MessageText.objects.bulk_create(
        [
            MessageText(message=row, language=language, body=f"Texte {row.title}")
            for row in rows
            for language in ("fr", "en")
        ]
    )
    through = Message.targets.through
    through.objects.bulk_create(
        [through(message_id=row.pk, socialaccount_id=target.pk) for row in rows for target in accounts]
    )
    if delivery_state is not None:
        Delivery.objects.bulk_create(
            [
                Delivery(
                    message=row,
                    account=target,
                    language="fr",
                    priority=priority,
                    state=delivery_state,
                    state_changed_at=now,
                    next_attempt_at=row.scheduled_at,
                    last_error="Refused" if delivery_state == Delivery.State.FAILED else "",
                )
                for row in rows
                for target in accounts
            ]
        )
    events = [Event(message=row, actor=author, verb="message.create", to_state=Message.State.DRAFT) for row in rows]
    if state != Message.State.DRAFT:
        events += [
            Event(
                message=row,
                actor=author,
                verb="message.submit",
                from_state=Message.State.DRAFT,
                to_state=Message.State.IN_REVIEW,
            )
            for row in rows
        ]
    Event.objects.bulk_create(events)
    if state == Message.State.CHANGES_REQUESTED and reviewer is not None:
        Review.objects.bulk_create(
            [
                Review(
                    message=row,
                    reviewer=reviewer,
                    decision=Review.Decision.REQUEST_CHANGES,
                    comment="Shorter, please.",
                    message_version=1,
                )
                for row in rows
            ]
        )
    return rows


def world(*, size: int, author, reviewer, crisis_author, missions) -> None:
    """Messages in every state a dashboard, the queue or the calendar lists: `size` of each."""
    State, DState = Message.State, Delivery.State
    for mission in missions:
        messages(size=size, author=author, mission=mission, state=State.DRAFT)
        messages(size=size, author=author, mission=mission, state=State.CHANGES_REQUESTED, reviewer=reviewer)
        messages(size=size, author=author, mission=mission, state=State.IN_REVIEW)
        messages(
            size=size,
            author=author,
            mission=mission,
            state=State.SCHEDULED,
            delivery_state=DState.SCHEDULED,
            scheduled_in=timedelta(hours=1),
        )
        messages(
            size=size,
            author=author,
            mission=mission,
            state=State.PUBLISHED,
            delivery_state=DState.SENT,
            scheduled_in=timedelta(hours=-5),
        )
        messages(
            size=size,
            author=author,
            mission=mission,
            state=State.FAILED,
            delivery_state=DState.FAILED,
            scheduled_in=timedelta(hours=-3),
        )
        messages(
            size=size,
            author=author,
            mission=mission,
            state=State.PARTIALLY_PUBLISHED,
            delivery_state=DState.UNKNOWN,
            scheduled_in=timedelta(hours=-2),
        )
        messages(
            size=size,
            author=author,
            mission=mission,
            state=State.SCHEDULED,
            delivery_state=DState.HELD,
            scheduled_in=timedelta(minutes=-30),
        )
    crisis_accounts = mission_accounts(missions[0])
    messages(
        size=size,
        author=crisis_author,
        mission=None,
        state=State.IN_REVIEW,
        priority=Priority.CRISIS,
        accounts=crisis_accounts,
    )
    messages(
        size=size,
        author=crisis_author,
        mission=None,
        state=State.PUBLISHING,
        priority=Priority.CRISIS,
        delivery_state=DState.SENT,
        scheduled_in=timedelta(minutes=-1),
        accounts=crisis_accounts,
    )
    SocialAccount.objects.bulk_create(
        [
            SocialAccount(
                mission=missions[0],
                network=Network.YOUTUBE,
                handle=f"expired{next(_numbers)}",
                status=SocialAccount.Status.EXPIRED,
                is_sandbox=True,
            )
            for _ in range(size)
        ]
    )
