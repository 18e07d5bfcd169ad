"""The delivery monitor: each delivery's state, attempts and last error in words, the link
to what was published; live while anything can change; and its actions — retry, settle,
cancel, retract, release — each a POST from a confirmation page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Delivery, Event, Message

from .conftest import set_deliveries

pytestmark = pytest.mark.django_db
S = Delivery.State


def monitor_url(message) -> str:
    return reverse("posts:monitor", args=[message.pk])


def test_monitor_shows_each_delivery_in_words(tokyo_message, press, as_user):
    sent, failed, unknown, held = set_deliveries(tokyo_message, S.SENT, S.FAILED, S.UNKNOWN, S.HELD)
    page = as_user(press).get(monitor_url(tokyo_message)).text
    assert f'href="{sent.external_url}"' in page
    assert "See it on" in page
    assert "X refused it" in page or "Facebook refused it" in page
    assert "Your Tweet text is too long" in page  # the network's own words, beneath
    assert "Nobody knows whether" in page
    assert "Held by a pause" in page
    for word in ("Sent", "Failed", "Outcome unknown", "Held"):  # state in words, not colour alone
        assert f"</span> {word}</span>" in page
    assert reverse("posts:delivery_retry", args=[failed.pk]) in page
    assert reverse("posts:delivery_settle", args=[unknown.pk]) in page
    assert f"{reverse('posts:monitor_release', args=[tokyo_message.pk])}?deliveries={held.pk}" in page


def test_auth_failure_says_reconnect(tokyo_message, press, as_user):
    set_deliveries(
        tokyo_message, S.FAILED, last_error="X refused the call: Unauthorized", last_error_kind=Delivery.ErrorKind.AUTH
    )
    page = as_user(press).get(monitor_url(tokyo_message)).text
    assert "Account not authorised — an administrator must reconnect it" in page


def test_our_reasons_read_in_the_readers_language_the_networks_words_as_they_came(tokyo_message, press, as_user):
    """Issue 13: a reason a worker wrote is worded from its code when the page is read, so a
    French reader reads French; the network's own words are quoted as they came."""
    changed, unfit = set_deliveries(tokyo_message, S.CANCELLED, S.FAILED)[:2]
    Delivery.objects.filter(pk=changed.pk).update(
        **Delivery.error_fields("The message changed after it was approved.", code="delivery.changed_after_approval")
    )
    Delivery.objects.filter(pk=unfit.pk).update(
        **Delivery.error_fields(
            "X needs a title.",
            Delivery.ErrorKind.PERMANENT,
            code="delivery.does_not_fit",
            params={
                "network": "youtube",
                "problems": [{"code": "title.required", "params": {"network": "youtube"}, "text": "x"}],
            },
        )
    )
    client = as_user(press)
    english = client.get(monitor_url(tokyo_message)).text
    assert "The message changed after it was approved." in english
    assert "It does not fit YouTube: YouTube needs a title." in english
    client.cookies["django_language"] = "fr"
    french = client.get(monitor_url(tokyo_message), headers={"Accept-Language": "fr"}).text
    assert "Le message a changé après sa validation." in french
    assert "Il ne convient pas à YouTube\u00a0: YouTube demande un titre." in french
    assert "changed after it was approved" not in french


def test_the_message_history_words_a_workers_reason_for_the_reader(tokyo_message, press, as_user):
    (delivery,) = set_deliveries(tokyo_message, S.CANCELLED)[:1]
    Event.objects.create(
        message=tokyo_message,
        delivery=delivery,
        verb="delivery.cancelled",
        from_state=S.SENDING,
        to_state=S.CANCELLED,
        details={
            "reason": "The message changed after it was approved.",
            "reason_code": "delivery.changed_after_approval",
            "reason_params": {},
        },
    )
    client = as_user(press)
    client.cookies["django_language"] = "fr"
    page = client.get(tokyo_message.get_absolute_url(), headers={"Accept-Language": "fr"}).text
    assert "Le message a changé après sa validation." in page
    assert "changed after it was approved" not in page


def test_duplicate_content_is_said_so(tokyo_message, press, as_user):
    set_deliveries(tokyo_message, S.UNKNOWN, last_error="X refused the call: duplicate content")
    page = as_user(press).get(monitor_url(tokyo_message)).text
    assert "refused: duplicate content" in page


def test_the_fragment_polls_while_anything_can_change_and_stops_when_all_is_final(tokyo_message, press, as_user):
    client = as_user(press)
    fragment = client.get(monitor_url(tokyo_message), headers={"HX-Request": "true"})
    assert fragment.templates[0].name == "posts/operations/_monitor_live.html"
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 2s"' in fragment.text
    set_deliveries(tokyo_message, S.SENT, S.SENT, S.SENT, S.FAILED)
    fragment = client.get(monitor_url(tokyo_message), headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.text
    assert "final" in fragment.text


def test_a_message_not_yet_approved_has_nothing_to_monitor(tokyo_officer, as_user):
    from tests.posts.factories import draft_message

    draft = draft_message(author=tokyo_officer, mission_or_code="emb-jp-tokyo", texts={"fr": "Brouillon."})
    page = as_user(tokyo_officer).get(monitor_url(draft)).text
    assert "nothing of it goes out" in page


# --- Actions: GET and unconfirmed POSTs change nothing --------------------------------------------


def test_retry_asks_first_then_retries(tokyo_message, press, as_user):
    _, failed, *_ = set_deliveries(tokyo_message, S.SENT, S.FAILED, S.SENT, S.SENT)
    client = as_user(press)
    url = reverse("posts:delivery_retry", args=[failed.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Retry this delivery?" in page.text
    assert 'name="confirmed" value="yes"' in page.text
    assert client.post(url).status_code == 200  # no confirmation: the page again
    failed.refresh_from_db()
    assert failed.state == S.FAILED
    response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302
    assert response["Location"] == monitor_url(tokyo_message)
    failed.refresh_from_db()
    assert failed.state == S.SCHEDULED
    assert Event.objects.filter(delivery=failed, verb="delivery.retry", actor=press).exists()


def test_retry_of_a_delivery_that_is_not_failed_says_why(tokyo_message, press, as_user):
    sent, *_ = set_deliveries(tokyo_message, S.SENT)
    response = as_user(press).post(reverse("posts:delivery_retry", args=[sent.pk]), {"confirmed": "yes"})
    assert response.status_code == 409
    assert "only a failed delivery can be retried" in response.text


def test_retry_every_failed_delivery(tokyo_message, press, as_user):
    set_deliveries(tokyo_message, S.FAILED, S.FAILED, S.SENT, S.SENT)
    url = reverse("posts:monitor_retry_failed", args=[tokyo_message.pk])
    client = as_user(press)
    assert "2 deliveries of “Tokyo greeting” failed" in client.get(url).text
    client.post(url, {"confirmed": "yes"})
    assert tokyo_message.deliveries.filter(state=S.FAILED).count() == 0


def test_settle_needs_an_answer_beside_the_field(tokyo_message, press, as_user):
    _, unknown, *_ = set_deliveries(tokyo_message, S.SENT, S.UNKNOWN, S.SENT, S.SENT)
    url = reverse("posts:delivery_settle", args=[unknown.pk])
    client = as_user(press)
    response = client.post(url, {"confirmed": "yes", "external_url": "not a link"})
    assert response.status_code == 400
    assert 'id="id_outcome_error"' in response.text
    assert 'id="id_external_url_error"' in response.text
    assert 'value="not a link"' in response.text  # what was typed is kept
    response = client.post(url, {"confirmed": "yes", "outcome": "sent", "external_url": "https://x.example/status/1"})
    assert response.status_code == 302
    unknown.refresh_from_db()
    assert (unknown.state, unknown.external_url) == (S.SENT, "https://x.example/status/1")


def test_settle_not_sent_makes_it_failed_and_retryable(tokyo_message, press, as_user):
    unknown, *_ = set_deliveries(tokyo_message, S.UNKNOWN, S.SENT, S.SENT, S.SENT)
    as_user(press).post(
        reverse("posts:delivery_settle", args=[unknown.pk]), {"confirmed": "yes", "outcome": "not_sent"}
    )
    unknown.refresh_from_db()
    assert unknown.state == S.FAILED


def test_cancel_with_a_reason(tokyo_message, press, as_user):
    url = reverse("posts:monitor_cancel", args=[tokyo_message.pk])
    client = as_user(press)
    page = client.get(url).text
    assert "4 deliveries that have not left yet will never go out" in page
    client.post(url, {"reason": "Wrong picture"})  # not confirmed
    tokyo_message.refresh_from_db()
    assert tokyo_message.state == Message.State.SCHEDULED
    client.post(url, {"reason": "Wrong picture", "confirmed": "yes"})
    tokyo_message.refresh_from_db()
    assert tokyo_message.state == Message.State.CANCELLED
    assert set(tokyo_message.deliveries.values_list("state", flat=True)) == {S.CANCELLED}


def test_retract_asks_the_workers_to_delete(
    tokyo_message, press, as_user, django_capture_on_commit_callbacks, monkeypatch
):
    set_deliveries(tokyo_message, S.SENT, S.SENT, S.SENT, S.SENT)
    sent_ids = []
    monkeypatch.setattr(
        "posts.services.operations.enqueue_on_commit",
        lambda name, *, calls, **kwargs: sent_ids.extend(args[0] for args, _kwargs in calls),
    )
    url = reverse("posts:monitor_retract", args=[tokyo_message.pk])
    client = as_user(press)
    page = client.get(url).text
    # Two accounts, each in French and Japanese: two accounts, four posts.
    assert "will be deleted from the 2 accounts" in page
    assert "4 posts concerned" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302
    assert len(sent_ids) == 4
    fragment = client.get(monitor_url(tokyo_message), headers={"HX-Request": "true"}).text
    assert "retraction under way" in fragment
    assert "hx-trigger" in fragment  # live until the deletions are done


def test_release_held_now_or_at_a_local_time(tokyo_message, press, as_user):
    held = set_deliveries(tokyo_message, S.HELD, S.HELD, S.HELD, S.HELD)
    url = reverse("posts:monitor_release", args=[tokyo_message.pk])
    client = as_user(press)
    page = client.get(url).text
    assert "4 deliveries of “Tokyo greeting” fell due during a pause" in page
    assert "In Tokyo time" in page
    response = client.post(url, {"confirmed": "yes", "when": "at", "publish_at": ""})
    assert response.status_code == 400
    assert 'id="id_publish_at_error"' in response.text
    tomorrow = timezone.now().astimezone(tokyo_message.mission.zone) + timedelta(days=1)
    typed = tomorrow.strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"confirmed": "yes", "when": "at", "publish_at": typed, "deliveries": f"{held[0].pk},{held[1].pk}"}
    )
    assert response.status_code == 302
    first = Delivery.objects.get(pk=held[0].pk)
    assert first.state == S.SCHEDULED
    assert first.next_attempt_at.astimezone(tokyo_message.mission.zone).strftime("%Y-%m-%dT%H:%M") == typed
    assert Delivery.objects.get(pk=held[2].pk).state == S.HELD
    client.post(url, {"confirmed": "yes", "when": "now"})
    assert not tokyo_message.deliveries.filter(state=S.HELD).exists()


def test_monitor_list_puts_messages_needing_attention_first(tokyo_message, press, as_user, tokyo_officer):
    from tests.posts.factories import account, approved_message

    calm = approved_message(
        approver=press,
        author=tokyo_officer,
        mission_or_code="emb-jp-tokyo",
        targets=[account("emb-jp-tokyo")],
        title="Calm message",
        texts={"fr": "Calme."},
    )
    set_deliveries(tokyo_message, S.FAILED, S.SENT, S.SENT, S.SENT)
    client = as_user(press)
    response = client.get(reverse("posts:monitor_list"))
    titles = [message.title for message in response.context["page"].object_list]
    assert titles.index("Tokyo greeting") < titles.index(calm.title)
    attention = client.get(reverse("posts:monitor_list"), {"show": "attention"}).context["page"].object_list
    assert [message.title for message in attention] == ["Tokyo greeting"]
    assert "1 failed" in response.text
