"""The resources: the web UI's selectors and services behind JSON, with its policy."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from posts.models import Delivery, Message

PROBLEM = "application/problem+json"


def test_an_officer_drafts_edits_and_submits_a_message(world, api_as):
    api = api_as("officer_a")
    created = api.post(
        "/api/v1/messages/",
        {
            "mission": world.mission_a.pk,
            "title": "Cherry blossoms",
            "texts": [{"language": "fr", "body": "Les cerisiers sont en fleur."}],
            "target_ids": [world.account_a.pk],
        },
    )
    assert created.status_code == 201, created.content
    message = created.json()
    assert (message["state"], message["version"], message["author"]) == ("draft", 1, "officer-a")
    edited = api.patch(
        f"/api/v1/messages/{message['id']}/",
        {"version": 1, "texts": [{"language": "fr", "body": "Les cerisiers de Tokyo sont en fleur."}]},
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["version"] == 2
    assert edited.json()["texts"][0]["body"] == "Les cerisiers de Tokyo sont en fleur."
    submitted = api.post(f"/api/v1/messages/{message['id']}/submit/", {"version": 2})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "in_review"
    history = api.get(f"/api/v1/messages/{message['id']}/history/").json()["results"]
    # The officer's own steps, in order (the review desk may add its own after the submission).
    mine = [event["verb"] for event in history if event["actor"] == "officer-a"]
    assert mine == ["message.create", "message.edit", "message.submit"]


def test_a_stale_version_is_a_conflict(world, api_as):
    api = api_as("author_a")
    response = api.patch(f"/api/v1/messages/{world.message_a.pk}/", {"version": 99, "title": "New title"})
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "state.conflict"
    assert Message.objects.get(pk=world.message_a.pk).title != "New title"


def test_the_press_office_decides_and_four_eyes_hold(world, api_as):
    press = api_as("press")
    changes = press.post(f"/api/v1/messages/{world.message_a.pk}/request-changes/", {"comment": "Shorter, please."})
    assert changes.status_code == 200, changes.content
    assert changes.json()["state"] == "changes_requested"
    reviews = press.get(f"/api/v1/messages/{world.message_a.pk}/reviews/").json()["results"]
    assert [(review["decision"], review["reviewer"]) for review in reviews] == [("request_changes", "press-1")]
    # The author cannot approve their own crisis alert; a second person can.
    author = api_as("crisis2")
    refused = author.post(f"/api/v1/crisis-alerts/{world.alert.pk}/approve/", {})
    assert refused.status_code == 403
    assert refused["Content-Type"] == PROBLEM
    assert "someone else must review" in refused.json()["detail"]
    approved = api_as("crisis").post(f"/api/v1/crisis-alerts/{world.alert.pk}/approve/", {})
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "scheduled"
    assert approved.json()["approved_by"] == "crisis-1"


def test_an_officer_cannot_decide_nor_reach_another_missions_objects(world, api_as):
    officer_b = api_as("officer_b")
    assert officer_b.get(f"/api/v1/messages/{world.message_a.pk}/").status_code == 404
    assert officer_b.post(f"/api/v1/messages/{world.message_a.pk}/submit/", {}).status_code == 404
    assert officer_b.get(f"/api/v1/deliveries/{world.delivery_a.pk}/").status_code == 404
    assert officer_b.get(f"/api/v1/accounts/{world.account_a.pk}/").status_code == 404
    assert officer_b.get(f"/api/v1/missions/{world.mission_a.pk}/").status_code == 404
    listed = {message["id"] for message in officer_b.get("/api/v1/messages/").json()["results"]}
    assert listed == {world.message_b.pk}
    officer_a = api_as("officer_a")
    assert officer_a.post(f"/api/v1/messages/{world.message_a.pk}/approve/", {}).status_code == 403
    assert Message.objects.get(pk=world.message_a.pk).state == "in_review"


def test_a_service_account_sees_its_missions_and_does_only_its_scopes(world, service_api):
    reader = service_api("press_office", [world.mission_b], ["read"])
    listed = {message["id"] for message in reader.get("/api/v1/messages/").json()["results"]}
    assert listed == {world.message_b.pk}  # the press office sees all, the token only Berlin
    assert reader.get(f"/api/v1/messages/{world.message_a.pk}/").status_code == 404
    refused = reader.post(f"/api/v1/messages/{world.message_b.pk}/approve/", {})
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.forbidden"
    decider = service_api("press_office", [world.mission_b], ["read", "reviews:decide"])
    assert decider.post(f"/api/v1/messages/{world.message_b.pk}/approve/", {}).status_code == 200
    me = decider.get("/api/v1/me/").json()
    assert me["token"]["missions"] == [world.mission_b.pk]
    assert me["roles"] == ["press_office"]


def test_deliveries_are_read_retried_and_settled(world, api_as):
    press = api_as("press")
    listed = press.get("/api/v1/deliveries/", {"message": world.approved_a.pk}).json()["results"]
    assert sorted(delivery["id"] for delivery in listed) == sorted(
        world.approved_a.deliveries.values_list("pk", flat=True)
    )
    assert world.delivery_a.pk in {delivery["id"] for delivery in listed}
    Delivery.objects.filter(pk=world.delivery_a.pk).update(state=Delivery.State.FAILED)
    Message.objects.filter(pk=world.approved_a.pk).update(state=Message.State.FAILED)
    retried = press.post(f"/api/v1/deliveries/{world.delivery_a.pk}/retry/")
    assert retried.status_code == 200, retried.content
    assert retried.json()["state"] == "scheduled"
    Delivery.objects.filter(pk=world.delivery_a.pk).update(state=Delivery.State.UNKNOWN)
    settled = press.post(
        f"/api/v1/deliveries/{world.delivery_a.pk}/settle/",
        {"outcome": "sent", "external_url": "https://x.com/i/web/status/1"},
    )
    assert settled.status_code == 200, settled.content
    assert settled.json()["state"] == "sent"
    again = press.post(f"/api/v1/deliveries/{world.delivery_a.pk}/settle/", {"outcome": "sent"})
    assert again.status_code == 409
    assert again.json()["code"] == "state.conflict"


def test_a_crisis_alert_is_drafted_and_read(world, api_as):
    crisis = api_as("crisis")
    created = crisis.post(
        "/api/v1/crisis-alerts/",
        {
            "title": "Typhoon",
            "texts": {"fr": "Restez à l'abri.", "en": "Stay indoors."},
            "scope": {"countries": ["JP"]},
        },
    )
    assert created.status_code == 201, created.content
    alert = created.json()
    assert (alert["priority"], alert["state"], alert["target_ids"]) == ("crisis", "draft", [world.account_a.pk])
    assert crisis.get(f"/api/v1/crisis-alerts/{alert['id']}/").status_code == 200
    assert api_as("officer_a").get(f"/api/v1/crisis-alerts/{alert['id']}/").status_code == 404
    assert (
        api_as("press")
        .post("/api/v1/crisis-alerts/", {"title": "x", "texts": {"fr": "y"}, "scope": {"all": True}})
        .status_code
        == 403
    )


def test_conversation_items_are_read_within_the_missions(world, api_as):
    items = api_as("officer_a").get("/api/v1/conversation-items/").json()["results"]
    assert [item["text"] for item in items] == ["When does the consulate open?"]
    assert api_as("officer_b").get("/api/v1/conversation-items/").json()["results"] == []
    assert api_as("officer_b").get(f"/api/v1/conversation-items/{items[0]['id']}/").status_code == 404


def test_lists_page_by_cursor_and_filter(world, api_as, settings):
    settings.API_PAGE_SIZE = 1
    press = api_as("press")
    first = press.get("/api/v1/messages/").json()
    second = press.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["id"] > second["results"][0]["id"]
    in_review = press.get("/api/v1/messages/", {"state": "in_review", "page_size": 50}).json()["results"]
    assert {message["id"] for message in in_review} == {world.message_a.pk, world.message_b.pk}
    in_a = press.get("/api/v1/messages/", {"mission": world.mission_a.pk, "page_size": 50}).json()["results"]
    assert {message["id"] for message in in_a} == {world.message_a.pk, world.approved_a.pk}
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert press.get("/api/v1/messages/", {"since": later}).json()["results"] == []
    bad = press.get("/api/v1/messages/", {"since": "yesterday", "state": "nonsense"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"since", "state"}


def test_social_accounts_are_read_without_their_credentials(world, api_as):
    account = api_as("officer_a").get(f"/api/v1/accounts/{world.account_a.pk}/")
    assert account.status_code == 200
    assert account.json()["network"] == "twitter"
    assert not {"sealed_credentials", "credentials", "access_token"} & set(account.json())
    assert b"v1:" not in account.content  # no sealed value either
