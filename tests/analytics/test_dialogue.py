"""The dialogue, measured: numbers from seeded conversations whose answers are known (time
to first answer on the service clock, share answered within the service time, backlog by
age, clearance time, volumes, answers per message published), scoped by role, a constant
number of queries, each table as CSV, the chart data and its table on the page, in five
languages; and the first answer stamped by a real reply through the sandbox."""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import dialogue
from analytics.reports import weekly_report_render
from channels.models import Network
from conversations.models import Conversation, Item, Reply
from conversations.services import triage
from conversations.services.replies import ReplyDraft, reply_send, reply_write
from posts.models import Delivery
from tests.analytics.conftest import sent
from tests.conversations.replies_helpers import heard_conversation, library_line
from tests.factories import UserFactory
from tests.posts.factories import account, administrator, crisis_member, mission, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

NOW = timezone.now()  # the pages and the report measure up to the present
_ids = itertools.count(1)


def conversation(
    target,
    *,
    started: datetime,
    answered_after: timedelta | None = None,
    clock_seconds: int | None = None,
    due_after: timedelta | None = timedelta(hours=8),
    status: str = Conversation.Status.NEW,
    category: str = "consular",
    language: str = "ar",
) -> Conversation:
    """A conversation as the desk leaves it: started, its clock, perhaps its first answer
    (stamped as replies stamp it)."""
    answered = started + answered_after if answered_after is not None else None
    number = next(_ids)
    return Conversation.objects.create(
        mission=target.mission,
        account=target,
        network=target.network,
        thread_id=f"t{number}",
        status=Conversation.Status.RESOLVED if answered and status == Conversation.Status.NEW else status,
        close_reason="spam" if status == Conversation.Status.CLOSED else "",
        category=category,
        language=language,
        created_at=started,
        last_item_at=started,
        due_at=started + due_after if due_after is not None else None,
        first_answered_at=answered,
        first_answer_seconds=clock_seconds if clock_seconds is not None else None,
    )


def reply(on: Conversation, *, author, written: datetime, level: int, cleared_after: timedelta | None, sent: bool):
    item = Item.objects.create(
        network=on.network,
        external_id=f"i{next(_ids)}",
        account=on.account,
        conversation=on,
        kind=Item.Kind.REPLY,
        author_id="a",
        text="Visa?",
        created_at_network=on.created_at,
    )
    return Reply.objects.create(
        conversation=on,
        item=item,
        mission=on.mission,
        account=on.account,
        text="Please see our website.",
        level=level,
        author=author,
        state=Reply.State.SENT if sent else Reply.State.AWAITING_CLEARANCE,
        idempotency_key=f"k{next(_ids)}",
        created_at=written,
        cleared_at=written + cleared_after if cleared_after is not None else None,
        sent_at=written + (cleared_after or timedelta(0)) if sent else None,
    )


@pytest.fixture
def seeded():
    """Cairo: four conversations this week (one answered on time after 30 working minutes,
    one answered late after 600, one still open past its due time, one closed without
    reply), three replies sent (one cleared after 20 minutes, one after 40), two messages
    published: a ratio of 1.5. Tokyo: one conversation, one answer, one message."""
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK)
    tokyo_x = account("emb-jp-tokyo", Network.TWITTER)
    writer = officer("emb-eg-cairo")
    day = NOW - timedelta(days=2)
    on_time = conversation(cairo_x, started=day, answered_after=timedelta(hours=1), clock_seconds=1800)
    late = conversation(
        cairo_fb, started=day, answered_after=timedelta(hours=20), clock_seconds=36000, language="fr", category="press"
    )
    conversation(cairo_x, started=NOW - timedelta(hours=10))  # overdue, 4 to 24 hours old
    conversation(cairo_x, started=NOW - timedelta(hours=2), status=Conversation.Status.CLOSED, due_after=None)
    conversation(cairo_x, started=NOW - timedelta(days=20), answered_after=timedelta(hours=1), clock_seconds=60)
    reply(
        on_time,
        author=writer,
        written=day + timedelta(minutes=40),
        level=1,
        cleared_after=timedelta(minutes=20),
        sent=True,
    )
    reply(
        late, author=writer, written=day + timedelta(hours=19), level=2, cleared_after=timedelta(minutes=40), sent=True
    )
    reply(on_time, author=writer, written=day + timedelta(hours=2), level=0, cleared_after=None, sent=True)
    tokyo = conversation(tokyo_x, started=day, answered_after=timedelta(minutes=5), clock_seconds=300, language="ja")
    reply(tokyo, author=officer("emb-jp-tokyo"), written=day, level=0, cleared_after=None, sent=True)
    for target in (cairo_x, cairo_x, tokyo_x):
        message = sent(target, title="Fête nationale", likes=1).deliveries.get()
        Delivery.objects.filter(pk=message.pk).update(sent_at=NOW - timedelta(days=1))
    # The same message on both Cairo accounts counts once for the mission.
    both = sent(cairo_fb, title="Visa", likes=1).deliveries.get()
    Delivery.objects.filter(pk=both.pk).update(sent_at=NOW - timedelta(days=1))
    return {"cairo": mission("emb-eg-cairo"), "tokyo": mission("emb-jp-tokyo"), "writer": writer}


def week() -> dialogue.Period:
    return dialogue.period_of(7, now=NOW)


def test_a_missions_week_in_numbers(seeded):
    summary = dialogue.mission_summary(mission=seeded["cairo"], period=week())
    assert (summary.conversations, summary.answered, summary.closed) == (4, 2, 1)
    # Known outcomes with a target: on time, late, overdue (the closed one had no target).
    assert summary.on_time_share == pytest.approx(33.3)
    assert summary.minutes_to_answer == pytest.approx((30 + 600) / 2)
    assert (summary.cleared, summary.clearance_minutes) == (2, pytest.approx(30.0))
    assert (summary.answers, summary.published, summary.ratio) == (3, 3, 1.0)
    assert summary.backlog == 1


def test_the_press_office_sees_every_mission_and_an_officer_only_theirs(seeded):
    everyone = dialogue.dialogue_summary(user=press_officer(), period=week())
    assert (everyone.conversations, everyone.answers, everyone.published) == (5, 4, 4)
    assert everyone.ratio == 1.0
    cairo = dialogue.dialogue(user=officer("emb-eg-cairo"), period=week())
    assert cairo["summary"].conversations == 4
    assert [row[0] for row in cairo["by_mission"].rows] == [seeded["cairo"].display_name]
    assert [row[0] for row in cairo["ratio_missions"].rows] == [seeded["cairo"].display_name]
    nobody = dialogue.dialogue_summary(user=officer("emb-de-berlin"), period=week())
    assert (nobody.conversations, nobody.answers, nobody.ratio, nobody.on_time_share) == (0, 0, None, None)


def test_the_tables_group_by_network_category_language_and_region(seeded):
    page = dialogue.dialogue(user=press_officer(), period=week())
    networks = {row[0]: row[1:] for row in page["by_network"].rows}
    assert networks["Facebook"] == [1, 1, 0, 0.0, 600.0]
    twitter = next(row for label, row in networks.items() if label != "Facebook")
    assert twitter[:3] == [4, 2, 1]  # Cairo's three and Tokyo's one on X
    languages = {row[0]: row[1] for row in page["by_language"].rows}
    assert languages == {"Arabic (ar)": 3, "French (fr)": 1, "Japanese (ja)": 1}
    categories = {row[0]: row[4] for row in page["by_category"].rows}
    assert categories["Press"] == 0.0
    assert categories["Consular, routine"] == pytest.approx(66.7)  # Cairo on time, Tokyo on time, one overdue
    regions = {row[0]: row[1:] for row in page["ratio_regions"].rows}
    assert regions == {"Asia-Pacific": [1, 1, 1.0], "Middle East & North Africa": [3, 3, 1.0]}
    backlog = {row[0]: row[1:] for row in page["backlog"].rows}
    assert backlog["4 to 24 hours"] == [1, 1]
    assert sum(row[1] for row in page["backlog"].rows) == 1
    assert page["ratio_chart"]["datasets"][0]["data"] == [1.0, 1.0]
    days = page["days"].rows
    assert len(days) in (7, 8)  # a week, and today's part-day
    assert sum(row[1] for row in days) == 5
    assert sum(row[2] for row in days) == 3
    assert page["days_chart"]["labels"][-1] == days[-1][0].isoformat()


def test_the_page_reads_in_a_fixed_number_of_queries(seeded, django_assert_num_queries):
    press = press_officer()
    dialogue.dialogue(user=press, period=week())  # the user's roles, read once per request
    with CaptureQueriesContext(connection) as few:
        dialogue.dialogue(user=press, period=week())
    for code in ("emb-de-berlin", "emb-lb-beirut", "emb-jo-amman", "emb-br-brasilia"):
        target = account(code, Network.FACEBOOK)
        for hours in (1, 30, 100):
            conversation(
                target, started=NOW - timedelta(hours=hours), answered_after=timedelta(minutes=9), clock_seconds=540
            )
    with django_assert_num_queries(len(few.captured_queries)):
        dialogue.dialogue(user=press, period=week())


def test_the_first_answer_is_counted_in_business_hours_unless_the_target_runs_around_the_clock():
    """Cairo works Sunday to Thursday, 09:00 to 17:00: asked on Thursday at 16:00, answered
    on Sunday at 10:00, the answer took two working hours; a distress call's clock runs
    around the clock (66 hours)."""
    triage.rules_changed()
    rules = triage.rules()
    cairo = mission("emb-eg-cairo")
    thursday = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 16:00 in Cairo
    sunday = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)  # 10:00 in Cairo
    took = triage.answer_time(rules, mission_id=cairo.pk, category="consular", start=thursday, end=sunday)
    assert took == timedelta(hours=2)
    distress = triage.answer_time(rules, mission_id=cairo.pk, category="distress", start=thursday, end=sunday)
    assert distress == timedelta(hours=66)
    # Praise has no target: the desk's working time all the same.
    assert triage.answer_time(rules, mission_id=cairo.pk, category="praise", start=thursday, end=sunday) == took


def test_a_reply_sent_stamps_the_first_answer_once(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    found, item = heard_conversation(sandbox_url, tmp_path)
    line = library_line(text="Visa appointments are booked online.", language=item.language or "en")
    Conversation.objects.filter(pk=found.pk).update(
        category=line.category, created_at=timezone.now() - timedelta(hours=3)
    )
    cairo = officer("emb-eg-cairo")
    first = reply_write(
        actor=cairo,
        conversation_id=found.pk,
        draft=ReplyDraft(item_id=item.pk, text=line.text, idempotency_key="first", line_id=line.pk),
    )
    assert reply_send(reply_id=first.pk) == Reply.State.SENT
    first.refresh_from_db()
    found.refresh_from_db()
    assert found.first_answered_at == first.sent_at
    expected = triage.answer_time(
        triage.rules(),
        mission_id=found.mission_id,
        category=found.category,
        start=found.created_at,
        end=first.sent_at,
    )
    assert found.first_answer_seconds == int(expected.total_seconds())
    stamped = (found.first_answered_at, found.first_answer_seconds)
    again = reply_write(
        actor=cairo,
        conversation_id=found.pk,
        draft=ReplyDraft(item_id=item.pk, text=line.text, idempotency_key="second", line_id=line.pk),
    )
    reply_send(reply_id=again.pk)
    found.refresh_from_db()
    assert (found.first_answered_at, found.first_answer_seconds) == stamped


# --- The page ---------------------------------------------------------------------------------


def test_the_page_draws_each_chart_beside_its_table_and_exports_csv(client, seeded):
    force_verified_login(client, press_officer())
    page = client.get(reverse("analytics:dialogue"), {"days": 30})
    assert page.status_code == 200
    assert page.context["period"].days == 30
    html = page.content.decode()
    for chart in ("chart-days", "chart-backlog", "chart-networks", "chart-categories", "chart-ratio"):
        assert f'data-source="{chart}"' in html
    assert "<script>" not in html.split("</head>")[1]  # the data rides in attributes, not inline scripts
    assert 'data-dialogue="ratio"' in html
    for key in (
        "days",
        "backlog",
        "networks",
        "categories",
        "ratio_regions",
        "ratio_missions",
        "languages",
        "missions",
    ):
        assert f'id="{key}-title"' in html
        export = client.get(reverse("analytics:dialogue"), {"days": 30, "csv": key})
        assert export.status_code == 200
        assert export["Content-Type"].startswith("text/csv")
    ratio = list(
        csv.reader(io.StringIO(client.get(reverse("analytics:dialogue"), {"csv": "ratio_regions"}).content.decode()))
    )
    assert ratio[0] == ["Region", "Answers sent", "Messages published", "Answers per message published"]
    assert ["Middle East & North Africa", "3", "3", "1.0"] in ratio
    chart = next(
        json.loads(part.split('"', 1)[0].replace("&quot;", '"'))
        for part in html.split('data-values="')[1:]
        if "Still to do" in part.split('"', 1)[0].replace("&quot;", '"')
    )
    assert chart["labels"][0] == "Less than an hour"


def test_an_unknown_period_falls_back_to_a_week(client, seeded):
    force_verified_login(client, officer("emb-eg-cairo"))
    page = client.get(reverse("analytics:dialogue"), {"days": "1000000"})
    assert page.status_code == 200
    assert page.context["period"].days == 7


@pytest.mark.parametrize("role", [officer, press_officer, crisis_member, administrator], ids=lambda role: role.__name__)
def test_every_role_may_read_the_dialogue_of_its_scope(client, role):
    user = role("emb-eg-cairo") if role is officer else role()
    force_verified_login(client, user)
    assert client.get(reverse("analytics:dialogue")).status_code == 200


def test_a_user_without_a_role_may_not(client):
    force_verified_login(client, UserFactory(roles=[]))
    assert client.get(reverse("analytics:dialogue")).status_code == 403


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Dialogue with the public"),
        ("fr", "Dialogue avec le public"),
        ("es", "Diálogo con el público"),
        ("de", "Dialog mit der Öffentlichkeit"),
        ("ar", "الحوار مع الجمهور"),
    ],
)
def test_the_page_in_five_languages(client, seeded, language, title):
    force_verified_login(client, press_officer())
    client.cookies["django_language"] = language
    page = client.get(reverse("analytics:dialogue"))
    assert title in page.content.decode()


# --- The dashboards and the weekly report --------------------------------------------------------


def test_the_dashboard_shows_the_weeks_dialogue_in_the_users_scope(client, seeded):
    force_verified_login(client, officer("emb-eg-cairo"))
    html = client.get(reverse("posts:dashboard")).content.decode()
    assert 'id="dialogue-title"' in html
    assert reverse("analytics:dialogue") in html
    stats = html.split("data-dialogue-stats", 1)[1]
    assert '<span class="stat__number">33.3 %</span>' in stats
    assert "315.0 min" in stats  # (30 + 600) / 2 working minutes
    assert "3 answers, 3 messages" in stats


def test_the_weekly_report_has_a_dialogue_section_per_mission(seeded):
    cairo_officer = officer("emb-eg-cairo", "emb-jp-tokyo", email="cairo@example.org")
    _subject, text, html, _pdf = weekly_report_render(user=cairo_officer, week=NOW.date())
    assert html.count("The dialogue with the public") == 2  # Cairo's and Tokyo's
    cairo_part = text.split(seeded["cairo"].display_name, 1)[1].split(seeded["tokyo"].display_name)[0]
    assert "- Answered within the service time (%) · 33.3" in cairo_part
    assert "- Answers per message published · 1.0" in cairo_part
    assert "- Conversations still to do · 1" in cairo_part
    assert "/analytics/dialogue/" in text
    press = press_officer(email="press@example.org")
    _subject, text, html, _pdf = weekly_report_render(user=press, week=NOW.date())
    assert "Dialogue ratio by region" in html
    assert "- Conversations started · 5" in text


def test_a_french_reader_reads_the_figures_the_french_way(client, seeded):
    force_verified_login(client, officer("emb-eg-cairo"))
    client.cookies["django_language"] = "fr"
    stats = client.get(reverse("posts:dashboard")).content.decode().split("data-dialogue-stats", 1)[1]
    assert "33,3 %" in stats
    assert "315,0 min" in stats
    assert "Dialogue avec le public, sept derniers jours" in client.get(reverse("posts:dashboard")).content.decode()


def test_the_tables_show_decimals_the_readers_way(client, seeded):
    force_verified_login(client, press_officer())
    client.cookies["django_language"] = "de"
    html = client.get(reverse("analytics:dialogue")).content.decode()
    assert "<td>66,7</td>" in html  # consular: two of three answered in time


def test_the_migration_stamps_conversations_answered_before_it(seeded):
    """Conversations answered before the first answer was stamped get it from their replies."""
    migration = importlib.import_module("conversations.migrations.0011_dialogue_measures")
    target = account("emb-eg-cairo", Network.TWITTER)
    thursday = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 16:00 in Cairo, which works Sunday to Thursday
    old = conversation(target, started=thursday)
    reply(
        old,
        author=seeded["writer"],
        written=datetime(2026, 12, 6, 8, 0, tzinfo=UTC),
        level=0,
        cleared_after=None,
        sent=True,
    )
    migration.stamp_first_answers(django_apps, None)
    old.refresh_from_db()
    assert old.first_answered_at == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    assert old.first_answer_seconds == 2 * 3600  # an hour on Thursday, an hour on Sunday
