"""The pause switch: start a pause (after a confirmation step, errors beside the fields),
see it in force, resume it (after a confirmation), and release or reschedule what fell due
meanwhile — never released by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Delivery, PublishingPause
from posts.services.pause import publishing_pause

from .conftest import set_deliveries

pytestmark = pytest.mark.django_db
S = Delivery.State


def test_starting_a_pause_goes_through_a_confirmation_step(press, as_user, tokyo_message):
    client = as_user(press)
    url = reverse("posts:pause")
    response = client.post(url, {"scope": "region", "region": "Asia-Pacific", "reason": "Typhoon"})
    assert response.status_code == 200
    assert "Pause publishing?" in response.text
    assert "Region: Asia-Pacific" in response.text
    assert "4 deliveries due in the next 24 hours" in response.text  # Tokyo's, in two hours
    assert not PublishingPause.objects.exists()
    response = client.post(url, {"scope": "region", "region": "Asia-Pacific", "reason": "Typhoon", "confirmed": "yes"})
    assert response.status_code == 302
    pause = PublishingPause.objects.get()
    assert (pause.scope, pause.value, pause.reason, pause.started_by) == ("region", "Asia-Pacific", "Typhoon", press)
    page = client.get(url).text
    assert "Publishing is paused: 1 pause in force" in page
    assert "Typhoon" in page


def test_pause_form_errors_are_beside_their_fields_and_keep_what_was_typed(press, as_user):
    response = as_user(press).post(reverse("posts:pause"), {"scope": "country", "country": "zz", "reason": ""})
    assert response.status_code == 400
    assert 'id="id_country_error"' in response.text
    assert 'id="id_reason_error"' in response.text
    assert 'value="ZZ"' in response.text or 'value="zz"' in response.text
    response = as_user(press).post(reverse("posts:pause"), {"scope": "mission", "reason": "r"})
    assert 'id="id_mission_error"' in response.text
    assert not PublishingPause.objects.exists()


def test_change_something_on_the_confirmation_step_goes_back_to_the_form(press, as_user):
    response = as_user(press).post(
        reverse("posts:pause"), {"scope": "network", "network": "twitter", "reason": "Outage", "edit": "1"}
    )
    assert response.status_code == 200
    assert "Start a pause" in response.text
    assert not PublishingPause.objects.exists()


def test_resume_asks_first_then_lists_what_fell_due_without_releasing_it(press, as_user, tokyo_message):
    pause = publishing_pause(actor=press, scope="all", reason="Crisis")
    set_deliveries(tokyo_message, S.HELD, S.HELD, S.HELD, S.HELD)
    client = as_user(press)
    url = reverse("posts:pause_resume", args=[pause.pk])
    page = client.get(url).text
    assert "Resume publishing?" in page
    assert "4 deliveries fell due during the pause and are held" in page
    client.post(url)  # not confirmed
    pause.refresh_from_db()
    assert pause.ended_at is None
    response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('posts:pause')}?resumed={pause.pk}"
    pause.refresh_from_db()
    assert pause.ended_by == press
    page = client.get(response["Location"]).text
    assert "Publishing is running: nothing is paused." in page
    assert "4 deliveries held, by message" in page
    assert "Tokyo greeting" in page
    assert tokyo_message.deliveries.filter(state=S.HELD).count() == 4  # never released by itself


def test_release_from_the_pause_page_now(press, as_user, tokyo_message):
    set_deliveries(tokyo_message, S.HELD, S.HELD, S.HELD, S.HELD)
    client = as_user(press)
    url = reverse("posts:pause_release")
    response = client.post(url, {"message_ids": [tokyo_message.pk], "when": "now"})
    assert response.status_code == 200
    assert "4 deliveries go out now." in response.text
    assert tokyo_message.deliveries.filter(state=S.HELD).count() == 4
    response = client.post(url, {"message_ids": [tokyo_message.pk], "when": "now", "confirmed": "yes"})
    assert response.status_code == 302
    assert not tokyo_message.deliveries.filter(state=S.HELD).exists()


def test_release_at_a_headquarters_time(press, as_user, tokyo_message, settings):
    from zoneinfo import ZoneInfo

    set_deliveries(tokyo_message, S.HELD, S.HELD, S.HELD, S.HELD)
    when = (timezone.now() + timedelta(hours=3)).astimezone(ZoneInfo(settings.HEADQUARTERS_TIME_ZONE))
    typed = when.strftime("%Y-%m-%dT%H:%M")
    as_user(press).post(
        reverse("posts:pause_release"),
        {"message_ids": [tokyo_message.pk], "when": "at", "publish_at": typed, "confirmed": "yes"},
    )
    delivery = tokyo_message.deliveries.first()
    assert delivery.state == S.SCHEDULED
    assert delivery.next_attempt_at.astimezone(when.tzinfo).strftime("%Y-%m-%dT%H:%M") == typed


def test_release_without_a_message_ticked_says_so_beside_the_list(press, as_user, tokyo_message):
    set_deliveries(tokyo_message, S.HELD)
    response = as_user(press).post(reverse("posts:pause_release"), {"when": "now"})
    assert response.status_code == 400
    assert "Tick at least one message to release." in response.text


def test_what_a_pause_in_force_still_covers_stays_held(press, as_user, tokyo_message):
    publishing_pause(actor=press, scope="country", value="JP", reason="Earthquake")
    set_deliveries(tokyo_message, S.HELD, S.HELD, S.HELD, S.HELD)
    client = as_user(press)
    page = client.get(reverse("posts:pause")).text
    assert "4 still covered" in page
    client.post(reverse("posts:pause_release"), {"message_ids": [tokyo_message.pk], "when": "now", "confirmed": "yes"})
    assert tokyo_message.deliveries.filter(state=S.HELD).count() == 4
