"""The conversation desk in the API: conversations and items read within the token's
missions, replies written, cleared and returned through the conversation page's services
(their policy, clearance levels, four eyes and problems)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from conversations.models import Conversation, Reply

PROBLEM = "application/problem+json"


def _reply(api, world, key: str = "api-reply-1", text: str = "The consulate opens at nine tomorrow."):
    item = world.conversation_a.items.order_by("pk").first()
    return api.post(
        f"/api/v1/conversations/{world.conversation_a.pk}/replies/",
        {"item": item.pk, "text": text, "idempotency_key": key},
    )


def test_conversations_and_items_are_read_within_the_missions(world, api_as):
    officer_a = api_as("officer_a")
    listed = officer_a.get("/api/v1/conversations/").json()["results"]
    assert [conversation["id"] for conversation in listed] == [world.conversation_a.pk]
    assert listed[0]["mission"] == world.mission_a.pk
    detail = officer_a.get(f"/api/v1/conversations/{world.conversation_a.pk}/")
    assert detail.status_code == 200
    items = officer_a.get(f"/api/v1/conversations/{world.conversation_a.pk}/items/").json()["results"]
    assert [item["text"] for item in items] == ["When does the consulate open?"]
    officer_b = api_as("officer_b")
    assert officer_b.get("/api/v1/conversations/").json()["results"] == []
    for path in ("", "items/", "replies/"):
        response = officer_b.get(f"/api/v1/conversations/{world.conversation_a.pk}/{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"] == PROBLEM
    refused = _reply(officer_b, world)
    assert refused.status_code == 404
    assert not Reply.objects.filter(idempotency_key="api-reply-1").exists()


def test_conversations_and_items_filter_by_mission_status_category_language_and_time(world, api_as):
    Conversation.objects.filter(pk=world.conversation_a.pk).update(category="consular", language="en")
    world.conversation_a.items.update(language="en")
    press = api_as("press")

    def conversations(**params) -> list[int]:
        return [row["id"] for row in press.get("/api/v1/conversations/", params).json()["results"]]

    def items(**params) -> int:
        return len(press.get("/api/v1/conversation-items/", params).json()["results"])

    mine = [world.conversation_a.pk]
    assert conversations(mission=world.mission_a.pk) == mine
    assert conversations(mission=world.mission_b.pk) == []
    assert conversations(status="active") == conversations(status="new") == mine
    assert conversations(status="resolved") == []
    assert conversations(category="consular") == mine
    assert conversations(category="press") == []
    assert conversations(language="en") == mine
    assert conversations(language="fr") == []
    assert conversations(since=(timezone.now() - timedelta(hours=1)).isoformat()) == mine
    assert conversations(since=(timezone.now() + timedelta(hours=1)).isoformat()) == []
    assert items(status="active", category="consular", language="en", mission=world.mission_a.pk) == 1
    assert items(category="press") == items(language="fr") == items(status="closed") == 0
    bad = press.get("/api/v1/conversations/", {"status": "lost", "category": "gossip"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"status", "category"}


def test_a_reply_is_written_then_cleared_by_a_second_person_and_queued(
    world, api_as, tasks, django_capture_on_commit_callbacks
):
    written = _reply(api_as("officer_a"), world)
    assert written.status_code == 201, written.content
    reply = written.json()
    # Free text: level 1, four eyes, as on the conversation page.
    assert (reply["state"], reply["level"], reply["author"]) == ("awaiting_clearance", 1, "officer-a")
    assert Conversation.objects.get(pk=world.conversation_a.pk).status == "awaiting_clearance"
    # The same key again: the first reply, unchanged.
    again = _reply(api_as("officer_a"), world, text="Something else")
    assert again.json()["id"] == reply["id"]
    assert Reply.objects.filter(conversation=world.conversation_a).count() == 1
    # Its writer may not clear it.
    own = api_as("officer_a").post(f"/api/v1/replies/{reply['id']}/clear/", {})
    assert own.status_code == 403
    assert own["Content-Type"] == PROBLEM
    assert "someone else must clear it" in own.json()["detail"]
    # Another officer of the mission may; the reply is queued for sending after commit.
    clearer = api_as("author_a")
    with django_capture_on_commit_callbacks(execute=True):
        cleared = clearer.post(f"/api/v1/replies/{reply['id']}/clear/", {"note": "Good."})
    assert cleared.status_code == 200, cleared.content
    assert (cleared.json()["state"], cleared.json()["cleared_by"]) == ("queued", "author-a")
    assert tasks.sent == [("conversations.send_reply", [reply["id"]], {})]
    listed = api_as("press").get(f"/api/v1/conversations/{world.conversation_a.pk}/replies/").json()["results"]
    assert [row["id"] for row in listed] == [reply["id"]]
    # Cleared already: clearing again changes nothing; returning it now is a conflict, worded.
    assert api_as("press").post(f"/api/v1/replies/{reply['id']}/clear/", {}).json()["cleared_by"] == "author-a"
    late = api_as("press").post(f"/api/v1/replies/{reply['id']}/return/", {"note": "Too late?"})
    assert late.status_code == 422
    assert late.json()["code"] == "reply.not_now"
    assert "Queued" in late.json()["detail"]


def test_a_reply_is_returned_with_a_reason(world, api_as):
    reply = _reply(api_as("officer_a"), world).json()
    press = api_as("press")
    without = press.post(f"/api/v1/replies/{reply['id']}/return/", {})
    assert without.status_code == 400
    assert set(without.json()["errors"]) == {"note"}
    returned = press.post(f"/api/v1/replies/{reply['id']}/return/", {"note": "Give the address."})
    assert returned.status_code == 200, returned.content
    assert (returned.json()["state"], returned.json()["clearance_note"]) == ("returned", "Give the address.")
    assert Conversation.objects.get(pk=world.conversation_a.pk).status == "open"


def test_the_services_refusals_are_problems_with_their_codes(world, api_as):
    officer_a = api_as("officer_a")
    assert _reply(officer_a, world).status_code == 201
    # One reply pending per item: a second one is refused by the service, in words.
    second = _reply(api_as("author_a"), world, key="api-reply-2")
    assert second.status_code == 422
    assert second["Content-Type"] == PROBLEM
    assert second.json()["code"] == "reply.conflict"
    assert second.json()["detail"]
    assert second.json()["detail"] != "reply.conflict"
    elsewhere = officer_a.post(
        f"/api/v1/conversations/{world.conversation_a.pk}/replies/",
        {"item": 10**12, "text": "Hello", "idempotency_key": "api-reply-3"},
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "reply.item_elsewhere")
    no_line = officer_a.post(
        f"/api/v1/conversations/{world.conversation_a.pk}/replies/",
        {"item": 1, "line": 10**12, "idempotency_key": "api-reply-4"},
    )
    assert (no_line.status_code, no_line.json()["code"]) == (422, "reply.line_unknown")
    # An administrator handles no conversation.
    assert _reply(api_as("admin"), world, key="api-reply-5").status_code == 403


def test_a_service_account_replies_only_within_its_missions_and_scopes(world, service_api):
    elsewhere = service_api("press_office", [world.mission_b], ["read", "replies:write", "replies:clear"])
    assert elsewhere.get(f"/api/v1/conversations/{world.conversation_a.pk}/").status_code == 404
    assert elsewhere.get("/api/v1/conversations/").json()["results"] == []
    assert _reply(elsewhere, world).status_code == 404
    reader = service_api("press_office", [world.mission_a], ["read"])
    assert reader.get(f"/api/v1/conversations/{world.conversation_a.pk}/").status_code == 200
    refused = _reply(reader, world)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    writer = service_api("press_office", [world.mission_a], ["read", "replies:write"])
    reply = _reply(writer, world).json()
    assert reply["state"] == "awaiting_clearance"
    # Clearing needs its own scope, and a clearer who is not the writer.
    assert writer.post(f"/api/v1/replies/{reply['id']}/clear/", {}).status_code == 403
    assert elsewhere.post(f"/api/v1/replies/{reply['id']}/clear/", {}).status_code == 404
    clearer = service_api("press_office", [world.mission_a], ["read", "replies:clear"])
    assert clearer.get(f"/api/v1/replies/{reply['id']}/").status_code == 200
