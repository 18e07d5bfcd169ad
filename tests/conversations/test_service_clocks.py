"""Service clocks, through ingestion and the beat's check, with time frozen and moved by the
test: a routine conversation's clock counts the mission's business hours (Cairo works
Sunday to Thursday, and moves its clocks on the last Friday of April), warns its mission at
three quarters and escalates to headquarters on breach; distress and crisis count around
the clock; "global time" offers an urgent conversation to headquarters when its mission is
closed, and one in a language nobody there reads. Waiting for the author pauses the clock,
a reopened conversation starts a new one, praise has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from channels.models import Network
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, RawEvent, ServiceTarget
from conversations.services import triage
from conversations.services.clocks import conversations_check_clocks
from conversations.services.desk import conversation_set_status
from conversations.services.ingest import items_ingest
from embassies.models import StaffMembership
from posts.models import Delivery, Message
from security.models import LanguagePreference
from tests.conversations.conftest import heard
from tests.posts.factories import account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db

CAIRO = ZoneInfo("Africa/Cairo")
# Thursday 30 April 2026, 15:00 in Cairo (UTC+2); summer time (UTC+3) starts at midnight.
THURSDAY_AFTERNOON = datetime(2026, 4, 30, 15, 0, tzinfo=CAIRO)
CONSULAR_AR = "كيف أجدد جواز سفري لدى السفارة؟"
DISTRESS_AR = "النجدة، ابني اعتقل ولا أحد يرد"


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


@pytest.fixture
def cairo_officer():
    user = officer("emb-eg-cairo", email="cairo@example.org")
    StaffMembership.objects.filter(user=user).update(languages=["fr", "ar"])
    return user


@pytest.fixture
def hq():
    return press_officer(email="hq@example.org")


def _say(cairo_x, text: str, *, at: datetime, thread: str = "t", **kwargs) -> Conversation:
    with time_machine.travel(at, tick=False):
        items_ingest(
            account=cairo_x,
            items=[heard(thread_id=thread, text=text, created_at=at, language="", **kwargs)],
            source=RawEvent.Source.WEBHOOK,
        )
    return Conversation.objects.get(thread_id=thread)


def _check(at: datetime, django_capture_on_commit_callbacks, mail_tasks):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        tick = conversations_check_clocks()
    mail_tasks.run()
    return tick


def test_a_consular_question_warns_the_mission_then_escalates_in_cairos_working_hours(
    cairo_x, cairo_officer, hq, django_capture_on_commit_callbacks, mail_tasks
):
    conversation = _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)
    assert (conversation.category, conversation.priority, conversation.language) == (
        Category.CONSULAR,
        Priority.NORMAL,
        "ar",
    )
    assert conversation.items.get().language == "ar"
    # 8 working hours: 2 on Thursday, none on Friday and Saturday, 6 on Sunday, which is
    # summer time by then: 15:00 in Cairo is 12:00 UTC. The warning at 6 hours: 13:00.
    assert conversation.due_at == datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    assert conversation.warn_at == datetime(2026, 5, 3, 10, 0, tzinfo=UTC)
    assert conversation.escalated_at is None  # Cairo is open, and reads Arabic

    friday = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert _check(friday, django_capture_on_commit_callbacks, mail_tasks).warned == 0

    warned = _check(datetime(2026, 5, 3, 10, 0, tzinfo=UTC), django_capture_on_commit_callbacks, mail_tasks)
    assert (warned.warned, warned.escalated) == (1, 0)
    conversation.refresh_from_db()
    assert conversation.warned_at == datetime(2026, 5, 3, 10, 0, tzinfo=UTC)
    assert [message.to for message in mail.outbox] == [["cairo@example.org"]]
    assert "Three quarters" in mail.outbox[0].body

    breach = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    escalated = _check(breach, django_capture_on_commit_callbacks, mail_tasks)
    assert escalated.escalated == 1
    conversation.refresh_from_db()
    assert conversation.escalated_at == breach
    assert conversation.priority == Priority.HIGH  # one step more urgent
    event = conversation.events.get(verb="conversation.escalated")
    assert event.details["reason"] == "breach"
    assert mail.outbox[-1].to == ["hq@example.org"]
    assert "offered to the headquarters desk" in mail.outbox[-1].body

    # Ticking again changes nothing and tells no one again.
    again = _check(breach + timedelta(minutes=5), django_capture_on_commit_callbacks, mail_tasks)
    assert (again.warned, again.escalated, again.after_hours) == (0, 0, 0)
    assert len(mail.outbox) == 2


def test_the_assignee_is_warned_rather_than_the_whole_mission(
    cairo_x, cairo_officer, django_capture_on_commit_callbacks, mail_tasks
):
    colleague = officer("emb-eg-cairo", email="colleague@example.org")
    conversation = _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=colleague)
    _check(conversation.warn_at, django_capture_on_commit_callbacks, mail_tasks)
    assert [message.to for message in mail.outbox] == [["colleague@example.org"]]


def test_distress_counts_around_the_clock_and_is_offered_to_headquarters_when_cairo_is_closed(
    cairo_x, cairo_officer, hq, django_capture_on_commit_callbacks, mail_tasks
):
    # Friday night in Cairo: the embassy is closed; headquarters is told at once.
    friday_night = datetime(2026, 5, 1, 23, 30, tzinfo=CAIRO)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _say(cairo_x, DISTRESS_AR, at=friday_night)
    mail_tasks.run()
    assert [message.to for message in mail.outbox] == [["hq@example.org"]]
    assert "Consular, distress" in mail.outbox[0].body
    assert (conversation.category, conversation.priority) == (Category.DISTRESS, Priority.URGENT)
    assert conversation.due_at == friday_night + timedelta(hours=1)
    assert conversation.warn_at == friday_night + timedelta(minutes=45)
    assert conversation.escalated_at == friday_night
    assert conversation.events.get(verb="conversation.escalated").details == {"reason": "after_hours"}


def test_an_urgent_conversation_still_open_when_the_mission_closes_is_offered_then(
    cairo_x, cairo_officer, django_capture_on_commit_callbacks, mail_tasks
):
    ServiceTarget.objects.filter(category=Category.DISTRESS).update(minutes=600)  # a long target
    conversation = _say(cairo_x, DISTRESS_AR, at=datetime(2026, 5, 3, 16, 30, tzinfo=CAIRO))  # Sunday
    assert conversation.escalated_at is None  # open, and reads Arabic
    still_open = _check(datetime(2026, 5, 3, 16, 59, tzinfo=CAIRO), django_capture_on_commit_callbacks, mail_tasks)
    assert still_open.after_hours == 0
    closed = _check(datetime(2026, 5, 3, 17, 0, tzinfo=CAIRO), django_capture_on_commit_callbacks, mail_tasks)
    assert closed.after_hours == 1
    conversation.refresh_from_db()
    assert conversation.escalated_at == datetime(2026, 5, 3, 17, 0, tzinfo=CAIRO)
    assert conversation.events.get(verb="conversation.escalated").details["reason"] == "after_hours"


def test_a_language_nobody_at_the_mission_reads_is_offered_to_headquarters(cairo_x, cairo_officer):
    conversation = _say(cairo_x, "パスポートの更新はどうすればいいですか？", at=THURSDAY_AFTERNOON)
    assert (conversation.language, conversation.category) == ("ja", Category.CONSULAR)
    assert conversation.escalated_at == THURSDAY_AFTERNOON
    assert conversation.events.get(verb="conversation.escalated").details == {"reason": "language"}
    # Once someone there reads Japanese, a new conversation in Japanese stays at the mission.
    StaffMembership.objects.filter(user=cairo_officer).update(languages=["fr", "ar", "ja"])
    triage.rules_changed()
    other = _say(cairo_x, "パスポートの更新はどうすればいいですか？", at=THURSDAY_AFTERNOON, thread="t2")
    assert other.escalated_at is None


def test_with_no_languages_said_the_missions_publishing_languages_count_as_read(cairo_x):
    officer("emb-eg-cairo")  # says no languages
    assert _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON).escalated_at is None
    assert _say(cairo_x, "Wie verlängere ich meinen Reisepass?", at=THURSDAY_AFTERNOON, thread="de").escalated_at


def test_waiting_for_the_author_pauses_the_clock(
    cairo_x, cairo_officer, django_capture_on_commit_callbacks, mail_tasks
):
    conversation = _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)
    conversation_set_status(
        actor=cairo_officer, conversation_id=conversation.pk, status=Conversation.Status.WAITING_FOR_AUTHOR
    )
    tick = _check(conversation.due_at + timedelta(hours=1), django_capture_on_commit_callbacks, mail_tasks)
    assert (tick.warned, tick.escalated) == (0, 0)


def test_a_new_item_in_a_resolved_conversation_starts_a_new_clock(cairo_x, cairo_officer):
    conversation = _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.RESOLVED, escalated_at=THURSDAY_AFTERNOON, warned_at=THURSDAY_AFTERNOON
    )
    sunday = datetime(2026, 5, 3, 10, 0, tzinfo=CAIRO)
    conversation = _say(cairo_x, "وهل القنصلية مفتوحة يوم الأحد؟", at=sunday)
    assert conversation.status == Conversation.Status.OPEN
    # 8 working hours from Sunday 10:00: 7 on Sunday, 1 on Monday morning.
    assert conversation.due_at == datetime(2026, 5, 4, 10, 0, tzinfo=CAIRO)
    assert (conversation.warned_at, conversation.escalated_at) == (None, None)


def test_a_more_urgent_item_brings_the_clock_forward(cairo_x, cairo_officer):
    first = _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)
    later = THURSDAY_AFTERNOON + timedelta(minutes=10)
    conversation = _say(cairo_x, DISTRESS_AR, at=later)
    assert (conversation.category, conversation.priority) == (Category.DISTRESS, Priority.URGENT)
    assert conversation.due_at == later + timedelta(hours=1) < first.due_at
    assert conversation.tags == ["consular", "distress"]


def test_praise_has_no_clock(cairo_x, cairo_officer):
    conversation = _say(cairo_x, "شكرا على الاستقبال الرائع!", at=THURSDAY_AFTERNOON)
    assert (conversation.category, conversation.due_at, conversation.warn_at) == (Category.PRAISE, None, None)


def test_a_reply_to_a_crisis_alert_is_crisis_with_a_half_hour_clock(cairo_x, cairo_officer):
    message = approved_message(
        approver=press_officer(), author=officer("emb-eg-cairo"), mission_or_code="emb-eg-cairo", targets=[cairo_x]
    )
    Message.objects.filter(pk=message.pk).update(priority="crisis")
    Delivery.objects.filter(message=message).update(state=Delivery.State.SENT, external_id="alert")
    conversation = _say(cairo_x, "شكرا", at=THURSDAY_AFTERNOON, answers_post_id="alert")
    assert (conversation.category, conversation.priority) == (Category.CRISIS, Priority.URGENT)
    assert conversation.due_at == THURSDAY_AFTERNOON + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        (Conversation.Status.RESOLVED, {}),
        (Conversation.Status.CLOSED, {"close_reason": "spam"}),
        (Conversation.Status.WAITING_FOR_AUTHOR, {}),
        (Conversation.Status.SNOOZED, {"snoozed_until": "later"}),
    ],
    ids=str,
)
def test_a_conversation_nobody_owes_an_answer_is_neither_warned_nor_escalated(
    status, extra, cairo_x, cairo_officer, hq, django_capture_on_commit_callbacks, mail_tasks
):
    """Distress at Thursday closing time would be warned, breached and offered to headquarters
    after hours; resolved, closed, waiting for the author or snoozed, none of it happens."""
    evening = datetime(2026, 4, 30, 16, 50, tzinfo=CAIRO)
    conversation = _say(cairo_x, DISTRESS_AR, at=evening)
    assert conversation.priority <= Priority.URGENT
    assert conversation.due_at is not None
    if extra.get("snoozed_until"):
        extra = {"snoozed_until": conversation.due_at + timedelta(days=3)}
    with time_machine.travel(evening, tick=False):
        conversation_set_status(actor=cairo_officer, conversation_id=conversation.pk, status=status, **extra)
    mail.outbox.clear()
    for moment in (conversation.warn_at, conversation.due_at + timedelta(hours=2)):
        tick = _check(moment, django_capture_on_commit_callbacks, mail_tasks)
        assert (tick.warned, tick.escalated, tick.after_hours) == (0, 0, 0)
    conversation.refresh_from_db()
    assert (conversation.warned_at, conversation.escalated_at) == (None, None)
    assert not mail.outbox


def test_the_clock_mails_are_worded_in_each_recipients_language(
    cairo_x, cairo_officer, hq, django_capture_on_commit_callbacks, mail_tasks
):
    """The Cairo officer reads the app in French: warned in French, with the mission's
    French name; headquarters, who never chose, in the site's default (English)."""
    LanguagePreference.objects.update_or_create(user=cairo_officer, defaults={"language": "fr"})
    _say(cairo_x, CONSULAR_AR, at=THURSDAY_AFTERNOON)

    _check(datetime(2026, 5, 3, 10, 0, tzinfo=UTC), django_capture_on_commit_callbacks, mail_tasks)
    warning = mail.outbox[-1]
    assert "À répondre bientôt\u00a0: une conversation avec Ambassade de France en Égypte" in warning.subject
    assert "Les trois quarts du délai" in warning.body
    assert "Three quarters" not in warning.body

    _check(datetime(2026, 5, 3, 12, 0, tzinfo=UTC), django_capture_on_commit_callbacks, mail_tasks)
    offered = mail.outbox[-1]
    assert offered.to == ["hq@example.org"]
    assert "Offered to headquarters: a conversation with Embassy of France in Egypt" in offered.subject
