"""The global-time pages through HTTP: an administrator creates a desk and its roster (a
roster with a gap or an overlap is refused with the exact hours, and nothing is saved);
who is on duty now; the press office plans a silence (one that would hold crisis alerts
says so and asks again); review times per desk and their targets; the calendar's own days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from globaltime.models import Desk, DutyShift, Occasion
from posts.models import PublishingPause, ReviewTarget
from tests.posts.factories import administrator, crisis_member, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return force_verified_login(Client(), user)


@pytest.fixture
def admin():
    return administrator(username="admin-1")


@pytest.fixture
def desk():
    return Desk.objects.create(
        name="Americas desk",
        time_zone="America/New_York",
        regions=["Americas"],
        weekdays=[0, 1],
        opens_at=time(8),
        closes_at=time(20),
    )


def test_an_administrator_creates_a_desk_and_the_change_is_audited(admin):
    lead = press_officer(username="claire")
    response = client_for(admin).post(
        reverse("globaltime:desk_create"),
        {
            "name": "Asia desk",
            "regions": ["Asia-Pacific"],
            "time_zone": "Asia/Tokyo",
            "opens_at": "08:00",
            "closes_at": "20:00",
            "weekdays": ["0", "1", "2", "3", "4"],
            "lead": str(lead.pk),
            "is_active": "on",
        },
    )
    desk = Desk.objects.get(name="Asia desk")
    assert response.status_code == 302
    assert response["Location"] == reverse("globaltime:desk_roster", args=[desk.pk])
    assert (desk.regions, desk.weekdays, desk.lead) == (["Asia-Pacific"], [0, 1, 2, 3, 4], lead)
    assert AuditEvent.objects.filter(action="desk.create", actor=admin).exists()


def test_a_bad_time_zone_is_a_message_beside_the_field_not_an_error(admin):
    response = client_for(admin).post(
        reverse("globaltime:desk_create"),
        {"name": "X", "time_zone": "Mars/Olympus", "opens_at": "08:00", "closes_at": "20:00", "weekdays": ["0"]},
    )
    assert response.status_code == 400
    assert "is not an IANA time zone" in response.text
    assert not Desk.objects.exists()


def test_a_roster_with_a_gap_and_an_overlap_is_refused_with_the_exact_hours(admin, desk):
    press_officer(username="ana")
    press_officer(username="ben")
    roster = "Monday 08:00-12:00 ana\nMonday 13:00-20:00 ben\nTuesday 08:00-15:00 ana\nTuesday 14:00-20:00 ben"
    response = client_for(admin).post(reverse("globaltime:desk_roster", args=[desk.pk]), {"roster": roster})
    assert response.status_code == 400
    assert "Monday 12:00–13:00: nobody is on duty." in response.text
    assert "Tuesday 14:00–15:00: on duty twice" in response.text
    assert not DutyShift.objects.exists()


def test_a_roster_line_that_names_nobody_known_says_which_line(admin, desk):
    response = client_for(admin).post(
        reverse("globaltime:desk_roster", args=[desk.pk]), {"roster": "Monday 08:00-20:00 nobody\nsometime"}
    )
    assert response.status_code == 400
    assert "Line 1: no press officer is called “nobody”." in response.text
    assert "Line 2: write" in response.text


def test_a_good_roster_is_saved_and_the_board_says_who_is_on_duty_now(admin, desk):
    ana = press_officer(username="ana", first_name="Ana", last_name="Lima")
    press_officer(username="ben")
    roster = "Monday 08:00-14:00 ana\nMonday 14:00-20:00 ben\nTuesday 08:00-20:00 ana"
    response = client_for(admin).post(reverse("globaltime:desk_roster", args=[desk.pk]), {"roster": roster})
    assert response.status_code == 302
    assert DutyShift.objects.filter(desk=desk).count() == 3
    assert AuditEvent.objects.filter(action="desk.roster").exists()
    # Monday 7 December 2026, 10:00 in New York (15:00 UTC): Ana, until 20:00 local.
    with time_machine.travel(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False):
        board = client_for(press_officer()).get(reverse("globaltime:desk_list")).text
    assert "On duty" in board
    assert ana.get_full_name() in board
    assert "until Mon 20:00 local" in board


def test_the_press_office_sets_the_review_targets_and_sees_review_times(desk):
    press = press_officer()
    client = client_for(press)
    page = client.get(reverse("posts:review_times"))
    assert page.status_code == 200
    assert "Americas desk" in page.text
    assert client.post(reverse("posts:review_times"), {"routine": "20", "crisis": "3"}).status_code == 302
    assert dict(ReviewTarget.objects.values_list("priority", "minutes")) == {"routine": 20, "crisis": 3}
    bad = client.post(reverse("posts:review_times"), {"routine": "0", "crisis": "99999"})
    assert bad.status_code == 400


def _silence_data(**overrides):
    start = (timezone.now() + timedelta(days=2)).astimezone(timezone.get_current_timezone())
    data = {
        "kind": "electoral",
        "scope": "country",
        "country": "LB",
        "starts_at": (start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Parliamentary elections",
    }
    return {**data, **overrides}


def test_the_crisis_unit_plans_a_silence(settings):
    client = client_for(crisis_member())
    response = client.post(reverse("posts:silences"), _silence_data())
    assert response.status_code == 302
    silence = PublishingPause.objects.get()
    assert (silence.kind, silence.scope, silence.value, silence.holds_crisis) == ("electoral", "country", "LB", False)
    assert "Parliamentary elections" in client.get(reverse("posts:silences")).text


def test_a_silence_that_would_hold_crisis_alerts_asks_again_before_it_is_saved():
    client = client_for(press_officer())
    first = client.post(reverse("posts:silences"), _silence_data(holds_crisis="on"))
    assert first.status_code == 400
    assert "This silence would hold crisis alerts" in first.text
    assert not PublishingPause.objects.exists()
    again = client.post(reverse("posts:silences"), _silence_data(holds_crisis="on", crisis_confirmed="True"))
    assert again.status_code == 302
    assert PublishingPause.objects.get().holds_crisis is True


def test_a_silence_ending_before_it_starts_is_refused_beside_the_field():
    data = _silence_data()
    data["ends_at"], data["starts_at"] = data["starts_at"], data["ends_at"]
    response = client_for(press_officer()).post(reverse("posts:silences"), data)
    assert response.status_code == 400
    assert "The silence must end after it starts." in response.text


def test_an_officer_adds_an_event_for_their_mission_only_and_removes_it():
    tokyo = officer("emb-jp-tokyo")
    client = client_for(tokyo)
    from tests.factories import mission

    data = {"mission": str(mission("emb-jp-tokyo").pk), "title": "Cherry blossom", "day": "2027-04-01"}
    assert (
        client.post(
            reverse("globaltime:occasion_list"), {**data, "recurring": "on", "remind_days_before": "7"}
        ).status_code
        == 302
    )
    occasion = Occasion.objects.get()
    assert (occasion.recurring, occasion.remind_days_before, occasion.created_by) == (True, 7, tokyo)
    other = client.post(reverse("globaltime:occasion_list"), {**data, "mission": str(mission("emb-de-berlin").pk)})
    assert other.status_code == 400  # not one of theirs: not a choice
    ministry = client.post(reverse("globaltime:occasion_list"), {**data, "mission": ""})
    assert ministry.status_code == 400
    assert client.post(reverse("globaltime:occasion_delete", args=[occasion.pk])).status_code == 302
    assert not Occasion.objects.exists()


def test_a_reminder_only_for_a_day_that_comes_back():
    press = press_officer()
    response = client_for(press).post(
        reverse("globaltime:occasion_list"),
        {"mission": "", "title": "Armistice", "day": "2026-11-11", "remind_days_before": "3"},
    )
    assert response.status_code == 400
    assert "Only a day that comes back every year has reminders." in response.text
