"""Reminders of the days that come back each year: N days before, the mission's officers are
told, with last year's message for that day to start from; once a year, never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from globaltime.models import Occasion
from posts.services.reminders import occasion_reminders_send
from tests.posts.factories import approved_message, mission, officer, press_officer

pytestmark = pytest.mark.django_db


def test_a_mission_is_reminded_n_days_before_with_last_years_message(
    django_capture_on_commit_callbacks, mail_tasks, mailoutbox
):
    author = officer("emb-eg-cairo", email="cairo@example.org")
    officer("emb-de-berlin", email="berlin@example.org")
    with time_machine.travel(datetime(2025, 7, 10, 9, 0, tzinfo=UTC), tick=False):
        approved_message(
            author=author,
            approver=press_officer(),
            title="Happy national day 2025",
            texts={"fr": "Bonne fête nationale !", "ar": "عيد وطني سعيد"},
            publish_at=datetime(2025, 7, 14, 8, 0, tzinfo=UTC),  # 11:00 in Cairo
            in_hours=None,
        )
    Occasion.objects.create(
        mission=mission("emb-eg-cairo"),
        title="National day reception",
        day=date(2024, 7, 14),
        recurring=True,
        remind_days_before=7,
        created_by=author,
    )
    with time_machine.travel(datetime(2026, 7, 6, 9, 0, tzinfo=UTC), tick=False):
        assert occasion_reminders_send() == 0  # eight days before
    with time_machine.travel(datetime(2026, 7, 7, 9, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert occasion_reminders_send() == 1
        assert occasion_reminders_send() == 0  # once a year
    assert mail_tasks.run() == 1
    (email,) = mailoutbox
    assert email.to == ["cairo@example.org"]
    assert email.subject == "[Diplomacy Hub] In 7 days: National day reception"
    assert "Happy national day 2025" in email.body
    assert "Bonne fête nationale !" in email.body
    assert Occasion.objects.get().reminded_for_year == 2026


def test_the_ministrys_commemoration_reminds_the_press_office_without_a_message_to_start_from(
    django_capture_on_commit_callbacks, mail_tasks, mailoutbox
):
    press = press_officer(email="press@example.org")
    Occasion.objects.create(
        title="Armistice", day=date(2020, 11, 11), recurring=True, remind_days_before=3, created_by=press
    )
    with (
        time_machine.travel(datetime(2026, 11, 9, 9, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert occasion_reminders_send() == 1
    mail_tasks.run()
    assert [email.to for email in mailoutbox] == [["press@example.org"]]
    assert "No message went out for that day last year." in mailoutbox[0].body
