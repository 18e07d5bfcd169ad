"""The crisis alert form (errors beside the fields, the reach shown before sending), the
sending for review, the approve-now button for someone other than the author, and the live
progress board with its counts per region — in a fixed number of queries, however many
deliveries."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from channels.models import Network, SocialAccount
from embassies.models import Mission
from posts.models import Delivery, Message, Priority
from posts.services.crisis import crisis_alert_create
from posts.services.messages import message_update
from posts.services.review import message_submit
from tests.posts.factories import account, crisis_member

pytestmark = pytest.mark.django_db
S = Delivery.State
MENA = "Middle East & North Africa"


@pytest.fixture
def mena(db):
    return [
        account("emb-eg-cairo"),
        account("emb-eg-cairo", Network.FACEBOOK),
        account("emb-lb-beirut"),
        account("emb-jo-amman", Network.FACEBOOK),
    ]


def alert_form(**changes) -> dict:
    data = {
        "title": "Unrest in the region",
        "text_fr": "Restez chez vous.",
        "text_en": "Stay at home.",
        "scope_kind": "regions",
        "regions": [MENA],
        "countries": "",
        "networks": ["twitter", "facebook"],
        "language_1": "",
        "text_1": "",
        "language_2": "",
        "text_2": "",
        "action": "submit",
    }
    data.update(changes)
    return data


def test_the_form_shows_the_reach_before_sending(crisis, as_user, mena):
    client = as_user(crisis)
    response = client.post(reverse("posts:crisis_create"), alert_form(action="check"))
    assert response.status_code == 200
    assert "It will reach <strong>4 accounts</strong> of <strong>3 missions</strong>" in response.text
    assert not Message.objects.exists()
    preview = client.get(reverse("posts:crisis_reach"), {"scope_kind": "countries", "countries": "lb, jo"})
    assert "<html" not in preview.text
    assert "<strong>2 accounts</strong> of <strong>2 missions</strong>" in preview.text
    nobody = client.get(reverse("posts:crisis_reach"), {"scope_kind": "regions", "regions": ["Europe"]})
    assert "it would reach nobody" in nobody.text


def test_form_errors_are_beside_the_fields_and_keep_what_was_typed(crisis, as_user, mena):
    response = as_user(crisis).post(
        reverse("posts:crisis_create"),
        alert_form(
            title="", text_fr="", text_en="", text_1="ابقوا في منازلكم", scope_kind="countries", countries="EG, QQ"
        ),
    )
    assert response.status_code == 400
    for field in ("title", "text_fr", "language_1", "countries"):
        assert f'id="id_{field}_error"' in response.text, field
    assert "ابقوا في منازلكم" in response.text
    assert 'value="EG, QQ"' in response.text
    assert not Message.objects.exists()


def test_a_text_too_long_for_x_is_refused_and_leaves_nothing_behind(crisis, as_user, mena):
    response = as_user(crisis).post(reverse("posts:crisis_create"), alert_form(text_fr="x" * 400))
    assert response.status_code == 400
    assert 'id="text-problems"' in response.text
    assert "too long" in response.text
    assert not Message.objects.exists()


def test_sending_for_approval_creates_the_alert_in_review_and_opens_its_board(crisis, as_user, mena):
    client = as_user(crisis)
    response = client.post(reverse("posts:crisis_create"), alert_form(language_1="ar", text_1="ابقوا في منازلكم."))
    alert = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:crisis_board", args=[alert.pk])
    assert (alert.priority, alert.state, alert.author) == (Priority.CRISIS, Message.State.IN_REVIEW, crisis)
    assert set(alert.texts.values_list("language", flat=True)) == {"fr", "en", "ar"}
    page = client.get(response["Location"]).text
    assert "You wrote this alert: another member" in page
    assert 'id="approve-now"' not in page
    assert "It will go to 4 accounts of 3 missions" in page or "will go to 4 accounts of 3 missions" in page


def test_another_member_approves_it_now_from_the_board(crisis, as_user, mena):
    alert = crisis_alert_create(
        actor=crisis, title="Alert", texts={"fr": "Restez chez vous."}, scope={"regions": [MENA]}
    )
    message_submit(actor=crisis, message_id=alert.pk)
    colleague = crisis_member(username="crisis-2")
    client = as_user(colleague)
    board = client.get(reverse("posts:crisis_board", args=[alert.pk])).text
    assert 'id="approve-now"' in board
    url = reverse("posts:crisis_approve", args=[alert.pk])
    page = client.get(url).text
    assert "Approve this crisis alert and send it now?" in page
    assert f'name="version" value="{alert.version}"' in page
    client.post(url, {"version": alert.version})  # not confirmed
    alert.refresh_from_db()
    assert alert.state == Message.State.IN_REVIEW
    response = client.post(url, {"version": alert.version, "confirmed": "yes"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.approved_by) == (Message.State.SCHEDULED, colleague)
    assert alert.deliveries.count() == 4
    assert set(alert.deliveries.values_list("priority", flat=True)) == {Priority.CRISIS}


def test_approving_a_stale_version_says_why(crisis, as_user, mena):
    alert = crisis_alert_create(
        actor=crisis, title="Alert", texts={"fr": "Restez chez vous."}, scope={"regions": [MENA]}
    )
    message_submit(actor=crisis, message_id=alert.pk)
    response = as_user(crisis_member()).post(
        reverse("posts:crisis_approve", args=[alert.pk]), {"version": alert.version + 1, "confirmed": "yes"}
    )
    assert response.status_code == 409
    assert "has changed since you opened it" in response.text


def test_the_author_cannot_approve_their_own_alert(crisis, as_user, mena):
    alert = crisis_alert_create(actor=crisis, title="Alert", texts={"fr": "Restez."}, scope={"regions": [MENA]})
    message_submit(actor=crisis, message_id=alert.pk)
    assert (
        as_user(crisis).post(reverse("posts:crisis_approve", args=[alert.pk]), {"confirmed": "yes"}).status_code == 403
    )


def test_a_colleague_who_rewrote_part_of_the_alert_cannot_approve_it_either(crisis, as_user, mena):
    """Four eyes by the policy: whoever changed the text since is a writer too, not only
    the author (the view's own check once looked at the author alone)."""
    alert = crisis_alert_create(actor=crisis, title="Alert", texts={"fr": "Restez."}, scope={"regions": [MENA]})
    colleague = crisis_member(username="crisis-2")
    message_update(
        actor=colleague, message_id=alert.pk, expected_version=alert.version, texts={"fr": "Restez chez vous."}
    )
    message_submit(actor=crisis, message_id=alert.pk)
    client = as_user(colleague)
    board = client.get(reverse("posts:crisis_board", args=[alert.pk])).text
    assert 'id="approve-now"' not in board
    assert "You wrote this alert" in board
    response = client.post(reverse("posts:crisis_approve", args=[alert.pk]), {"confirmed": "yes"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.state == Message.State.IN_REVIEW


# --- The board with about a thousand deliveries ------------------------------------------------------


def _big_alert(author, *, per_state: dict[str, int]) -> Message:
    """An alert approved to ~1,000 accounts over every mission and network, its deliveries
    made in bulk in the given states."""
    missions = list(Mission.objects.order_by("pk"))
    networks = list(Network.values)
    total = sum(per_state.values())
    pairs = list(itertools.islice(itertools.product(networks, missions), total))
    accounts = SocialAccount.objects.bulk_create(
        [
            SocialAccount(
                mission=mission,
                network=network,
                handle=f"@bulk{index}",
                network_account_id=f"bulk-{index}",
                status=SocialAccount.Status.CONNECTED,
                is_sandbox=True,
                sealed_credentials="sealed",
            )
            for index, (network, mission) in enumerate(pairs)
        ]
    )
    alert = Message.objects.create(
        author=author,
        title="Big alert",
        priority=Priority.CRISIS,
        state=Message.State.PUBLISHING,
        crisis_scope={"all": True},
    )
    alert.targets.set(accounts)
    states = [state for state, count in per_state.items() for _ in range(count)]
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=alert,
                account=item,
                language="fr",
                priority=Priority.CRISIS,
                state=state,
                last_error="Facebook refused the call: (#200) Permissions error" if state == S.FAILED else "",
                last_error_kind="permanent" if state == S.FAILED else "",
            )
            for item, state in zip(accounts, states, strict=True)
        ],
        batch_size=500,
    )
    return alert


PER_STATE = {S.SENT: 700, S.FAILED: 60, S.SCHEDULED: 100, S.QUEUED: 80, S.HELD: 30, S.UNKNOWN: 30}


def test_board_counts_per_region(crisis, as_user):
    alert = _big_alert(crisis, per_state=PER_STATE)
    response = as_user(crisis_member()).get(reverse("posts:crisis_board", args=[alert.pk]))
    counts = response.context["counts"]
    assert (counts.sent, counts.failed, counts.live, counts.counted) == (700, 60, 240, 1000)
    regions = response.context["regions"]
    assert sum(row.accounts for row in regions) == 1000
    assert sum(row.reached for row in regions) == 700
    assert sum(row.failed for row in regions) == 60
    assert sum(row.waiting + row.held + row.unknown for row in regions) == 240
    assert {row.region for row in regions} == set(Mission.Region.values)
    assert sum(row.missions for row in regions) == Mission.objects.count()
    assert 'id="count-reached">700<' in response.text
    assert "700 of 1000 accounts reached" in response.text
    assert 'hx-trigger="every 2s"' in response.text
    assert len(response.context["failed"]) == 20
    assert "Permissions error" in response.text


def test_board_stops_polling_when_every_delivery_is_final(crisis, as_user):
    alert = _big_alert(crisis, per_state={S.SENT: 10, S.FAILED: 2})
    Message.objects.filter(pk=alert.pk).update(state=Message.State.PARTIALLY_PUBLISHED)
    fragment = as_user(crisis).get(reverse("posts:crisis_board", args=[alert.pk]), headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.text
    assert "finished" in fragment.text


@pytest.mark.parametrize("fragment", [False, True])
def test_board_and_monitor_cost_a_constant_number_of_queries(crisis, as_user, django_assert_max_num_queries, fragment):
    alert = _big_alert(crisis, per_state=PER_STATE)
    client = as_user(crisis_member())
    headers = {"HX-Request": "true"} if fragment else {}
    for name in ("posts:crisis_board", "posts:monitor"):
        # 11: one of them the missions' names, to list by mission in the reader's language.
        with django_assert_max_num_queries(11):
            response = client.get(reverse(name, args=[alert.pk]), headers=headers)
        assert response.status_code == 200
    for name in ("posts:monitor_list", "posts:crisis_list", "posts:health"):
        with django_assert_max_num_queries(8):
            assert client.get(reverse(name), headers=headers).status_code == 200


def test_pause_page_costs_a_constant_number_of_queries(crisis, press, as_user, django_assert_max_num_queries):
    _big_alert(crisis, per_state={S.HELD: 1000})
    client = as_user(press)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("posts:pause"))
    assert "1000 deliveries held, by message" in response.text
