"""The calendar counts each day in SQL: a busy day shows its count by state and its first
few messages (failed ones first), with "and N more"; a day is a day where the reader asked
for the times (headquarters, or each mission's own zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from posts.models import Message
from tests.posts.factories import account, approved_message, officer

pytestmark = pytest.mark.django_db


def _day_cell(html: str, day: int) -> str:
    """The month view's cell of one day (by its date link's label)."""
    start = html.index(f">{day}</a>")
    return html[start : html.index("</td>", start)]


def test_a_busy_day_shows_its_counts_and_its_first_messages_failed_first(login, author, press, cairo):
    moment = datetime(2030, 3, 12, 7, 0, tzinfo=UTC)
    messages = [
        approved_message(
            author=author,
            approver=press,
            publish_at=moment + timedelta(minutes=10 * i),
            in_hours=None,
            title=f"Busy {i}",
        )
        for i in range(8)
    ]
    Message.objects.filter(pk=messages[-1].pk).update(state=Message.State.FAILED)  # the day's last

    html = login(press).get(reverse("posts:calendar"), {"date": "2030-03-12", "view": "month"}).text
    cell = _day_cell(html, 12)
    assert "Scheduled 7" in cell
    assert "Failed 1" in cell
    assert cell.count('class="cal-entry ') == 3
    assert messages[-1].get_absolute_url() in cell  # failed: shown although the latest
    assert messages[0].get_absolute_url() in cell
    assert messages[1].get_absolute_url() in cell
    assert messages[2].get_absolute_url() not in cell
    assert "and 5 more" in cell
    assert "8 messages" in html


def test_the_week_shows_every_message_of_a_normal_day_in_order(login, author, press, cairo):
    moment = datetime(2030, 3, 12, 7, 0, tzinfo=UTC)
    late = approved_message(author=author, approver=press, publish_at=moment + timedelta(hours=5), in_hours=None)
    early = approved_message(author=author, approver=press, publish_at=moment, in_hours=None)
    html = login(press).get(reverse("posts:calendar"), {"date": "2030-03-12"}).text
    assert html.index(early.get_absolute_url()) < html.index(late.get_absolute_url())
    assert "more:" not in html


def test_a_day_is_the_readers_day_in_mission_time(login, press, tokyo):
    """20:00 UTC on the 15th is the 15th in Paris (21:00) but the 16th in Tokyo (05:00)."""
    message = approved_message(
        author=officer(tokyo),
        approver=press,
        mission_or_code=tokyo,
        texts={"fr": "Bonjour"},
        targets=[account(tokyo)],
        publish_at=datetime(2030, 1, 15, 20, 0, tzinfo=UTC),
        in_hours=None,
    )
    client = login(press)
    url = message.get_absolute_url()
    in_paris = client.get(reverse("posts:calendar"), {"date": "2030-01-15", "view": "month"}).text
    assert url in _day_cell(in_paris, 15)
    assert url not in _day_cell(in_paris, 16)
    in_tokyo = client.get(reverse("posts:calendar"), {"date": "2030-01-15", "view": "month", "tz": "mission"}).text
    assert url in _day_cell(in_tokyo, 16)
    assert url not in _day_cell(in_tokyo, 15)
    assert ">05:00</time>" in in_tokyo
