"""The review desks that follow the sun: a submitted message is offered to the desk on duty
for its mission (by region, then the hour, in each desk's own zone, across a clock change);
at the press office's target it is offered to the next desk on duty and the leads are
told; a decision by any press officer stops the clock; the queue is ordered by due time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from globaltime.models import Desk
from posts.models import Message, ReviewAssignment
from posts.selectors.messages import review_queue_filtered
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_approve, message_cancel, message_submit
from posts.services.review_clock import review_clock_tick, review_targets_set
from tests.posts.factories import account, crisis_member, officer, press_officer, submitted_message

pytestmark = pytest.mark.django_db

ALL_WEEK = list(range(7))


def desk(name, zone, *, regions=(), hq=False, opens=time(8), closes=time(20), lead=None):
    return Desk.objects.create(
        name=name,
        time_zone=zone,
        regions=list(regions),
        is_headquarters=hq,
        opens_at=opens,
        closes_at=closes,
        weekdays=ALL_WEEK,
        lead=lead,
    )


@pytest.fixture
def desks():
    return {
        "paris": desk("Headquarters", "Europe/Paris", hq=True, lead=press_officer(email="hq@example.org")),
        "asia": desk("Asia desk", "Asia/Tokyo", regions=["Asia-Pacific"], lead=press_officer(email="asia@example.org")),
        "americas": desk("Americas desk", "America/New_York", regions=["Americas"]),
    }


def tokyo_message() -> Message:
    return submitted_message(
        author=officer("emb-jp-tokyo"), mission_or_code="emb-jp-tokyo", texts={"fr": "Bonjour", "ja": "こんにちは"}
    )


def open_assignment(message: Message) -> ReviewAssignment:
    return ReviewAssignment.objects.get(message=message, ended_at__isnull=True)


def test_a_tokyo_message_at_9_local_goes_to_the_asia_desk_on_duty(desks):
    with time_machine.travel(datetime(2026, 12, 7, 0, 0, tzinfo=UTC), tick=False):  # 09:00 in Tokyo, 01:00 in Paris
        message = tokyo_message()
    assignment = open_assignment(message)
    assert assignment.desk == desks["asia"]
    assert assignment.due_at == datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # routine: 30 minutes


def test_a_message_whose_region_desk_is_off_duty_goes_to_headquarters_on_duty(desks):
    with time_machine.travel(datetime(2026, 12, 7, 13, 0, tzinfo=UTC), tick=False):  # 22:00 in Tokyo, 14:00 in Paris
        message = tokyo_message()
    assert open_assignment(message).desk == desks["paris"]


def test_routing_follows_each_desks_wall_clock_across_the_spring_clock_change(desks):
    # 06:30 UTC is 07:30 in Paris before 29 March 2026 (closed) and 08:30 after (open).
    # A Cairo message (no regional desk) goes to headquarters when it is on duty, and
    # otherwise to the first desk on duty (Tokyo, 15:30).
    author = officer("emb-eg-cairo")
    with time_machine.travel(datetime(2026, 3, 27, 6, 30, tzinfo=UTC), tick=False):
        before = submitted_message(author=author)
    with time_machine.travel(datetime(2026, 3, 30, 6, 30, tzinfo=UTC), tick=False):
        after = submitted_message(author=author)
    assert open_assignment(before).desk == desks["asia"]
    assert open_assignment(after).desk == desks["paris"]


def test_at_the_target_the_message_is_offered_to_the_next_desk_on_duty_and_the_leads_are_told(
    desks, mail_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    review_targets_set(actor=press_officer(), minutes_by_priority={"routine": 10, "crisis": 5})
    start = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 16:00 Tokyo, 08:00 Paris: both on duty
    with time_machine.travel(start, tick=False):
        message = tokyo_message()
    first = open_assignment(message)
    assert (first.desk, first.due_at) == (desks["asia"], start + timedelta(minutes=10))
    assert review_clock_tick(now=start + timedelta(minutes=9)).passed_on == 0
    with django_capture_on_commit_callbacks(execute=True):
        tick = review_clock_tick(now=start + timedelta(minutes=10))
    assert (tick.passed_on, tick.told) == (1, 2)
    second = open_assignment(message)
    assert second.desk == desks["paris"]
    assert second.due_at == start + timedelta(minutes=20)
    first.refresh_from_db()
    assert (first.outcome, first.ended_at) == ("passed", start + timedelta(minutes=10))
    assert mail_tasks.run() == 2
    assert sorted(email.to[0] for email in mailoutbox) == ["asia@example.org", "hq@example.org"]
    assert "now offered to the Headquarters desk" in mailoutbox[0].body
    assert message.events.filter(verb="message.passed_on").count() == 1

    # Paris misses it too; no other desk is on duty (New York: 03:20): it stays, the lead
    # is told once, and later ticks change nothing.
    tick = review_clock_tick(now=start + timedelta(minutes=20))
    assert (tick.passed_on, tick.told) == (0, 1)
    assert review_clock_tick(now=start + timedelta(minutes=40)).told == 0
    assert open_assignment(message).desk == desks["paris"]


def test_any_press_officer_decides_and_the_decision_stops_the_clock(desks):
    start = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        message = tokyo_message()
    # A press officer of no desk at all approves it: desks change nobody's rights.
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=start + timedelta(hours=3))
    assignment = ReviewAssignment.objects.get(message=message)
    assert (assignment.outcome, assignment.ended_at) == ("decided", start + timedelta(minutes=7))
    assert review_clock_tick(now=start + timedelta(hours=1)).passed_on == 0


def test_a_crisis_alert_goes_to_headquarters_on_duty_due_at_the_crisis_target(desks):
    account("emb-lb-beirut")
    author = crisis_member()
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        alert = crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"countries": ["LB"]})
        message_submit(actor=author, message_id=alert.pk)
    assignment = open_assignment(alert)
    assert (assignment.desk, assignment.due_at) == (desks["paris"], start + timedelta(minutes=5))


def test_the_review_queue_is_ordered_by_due_time_and_shows_it(desks):
    reviewer = press_officer()
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        later = submitted_message(author=officer("emb-eg-cairo"), title="Later")
    with time_machine.travel(datetime(2026, 12, 7, 8, 50, tzinfo=UTC), tick=False):
        sooner = submitted_message(author=officer("emb-eg-cairo"), title="Sooner")
    queue = list(review_queue_filtered(user=reviewer))
    assert [m.title for m in queue] == ["Sooner", "Later"]
    assert queue[0].review_due_at == datetime(2026, 12, 7, 9, 20, tzinfo=UTC)
    assert queue[0].review_desk == "Headquarters"
    del later, sooner


def test_without_desks_submitting_works_as_before():
    message = submitted_message(author=officer("emb-eg-cairo"))
    assert message.state == Message.State.IN_REVIEW
    assert not ReviewAssignment.objects.exists()


def test_a_message_withdrawn_from_review_leaves_its_desk_at_once(desks):
    author = officer("emb-eg-cairo")
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        message = submitted_message(author=author)
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        message_cancel(actor=author, message_id=message.pk)
    assignment = ReviewAssignment.objects.get(message=message)
    assert (assignment.outcome, assignment.ended_at) == ("withdrawn", start + timedelta(minutes=3))
