"""Replies through the sandbox, nothing of ours mocked: written from a library line they go
at once (level 0) and reach the thread once; sent again, claimed again, swept: still once;
an unknown outcome is settled by looking for our reply before anything is sent again; a
deleted item ends clearly, nothing sent; X's summoned rule and Facebook's one private
reply per comment hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from channels.models import Network
from channels.services import adapter_for
from conversations.models import Conversation, ConversationEvent, Item, KnownAuthor, RawEvent, Reply
from conversations.reply_selectors import author_listed
from conversations.services.clocks import conversations_check_clocks
from conversations.services.ingest import items_ingest
from conversations.services.replies import (
    ReplyDraft,
    replies_sweep,
    reply_clear,
    reply_reconcile,
    reply_return,
    reply_send,
    reply_write,
)
from embassies.models import Mission
from tests.conversations.replies_helpers import (
    HELPERS,
    answers,
    fault,
    heard_conversation,
    library_line,
    private_replies,
)
from tests.posts.factories import officer, press_officer

pytestmark = pytest.mark.django_db

State = Reply.State
LINE = "Visa appointments are booked online at {mission}: see our website."


@pytest.fixture
def hub(settings, sandbox_url):
    settings.SANDBOX_URL = sandbox_url
    settings.NETWORK_READ_TIMEOUT = 1.0
    return sandbox_url


def _key() -> str:
    return f"k-{timezone.now().timestamp()}-{Reply.objects.count()}"


def write(actor, conversation, item, text, **draft) -> Reply:
    return reply_write(
        actor=actor,
        conversation_id=conversation.pk,
        draft=ReplyDraft(item_id=item.pk, text=text, idempotency_key=draft.pop("key", _key()), **draft),
    )


def routine(conversation: Conversation, language: str = "en") -> None:
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language=language)
    conversation.refresh_from_db()


@pytest.mark.parametrize("network", list(HELPERS), ids=str)
def test_a_library_line_goes_at_once_and_reaches_the_thread_once(
    hub, tmp_path, django_capture_on_commit_callbacks, network
):
    conversation, item = heard_conversation(hub, tmp_path, network)
    routine(conversation, item.language or "en")
    line = library_line(text=LINE, language=item.language or "en")
    cairo = officer("emb-eg-cairo")
    text = LINE.replace("{mission}", conversation.mission.name)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        reply = write(cairo, conversation, item, text, line_id=line.pk)

    assert (reply.state, reply.level, reply.level_reasons, reply.edit_ratio) == (State.QUEUED, 0, ["library_line"], 0.0)
    assert len(queued) == 1  # handed to the broker once committed
    assert reply_send(reply_id=reply.pk) == State.SENT
    # A duplicate broker message, a second worker: the claim lets nothing through twice.
    assert reply_send(reply_id=reply.pk) == "skipped"
    replies_sweep(now=timezone.now() + timedelta(hours=1))
    assert reply_send(reply_id=reply.pk) == "skipped"
    reply.refresh_from_db()
    ours = [entry for entry in answers(hub, network) if entry["text"] == text]
    assert len(ours) == 1
    assert ours[0]["id"] == reply.external_id
    assert reply.state == State.SENT
    assert reply.sent_at is not None
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    # Polling again hears our reply from the network, and the desk does not take it for the public's.
    adapter = adapter_for(conversation.account)
    heard = adapter.listen(HELPERS[network].credentials(), cursor="", our_posts=[])
    result = items_ingest(account=conversation.account, items=heard.items, source=RawEvent.Source.POLL)
    assert not Item.objects.filter(external_id=reply.external_id).exists()
    assert result.created == 0


def test_the_same_form_sent_twice_is_one_reply(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    cairo = officer("emb-eg-cairo")
    first = write(cairo, conversation, item, "Thank you for your message.", key="same-form")
    second = write(cairo, conversation, item, "Thank you for your message.", key="same-form")
    assert first.pk == second.pk
    assert Reply.objects.count() == 1


def test_free_text_waits_for_four_eyes_and_the_writer_may_not_clear_it(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    cairo, colleague = officer("emb-eg-cairo"), officer("emb-eg-cairo")
    reply = write(cairo, conversation, item, "Our consulate opens at nine.")
    assert (reply.state, reply.level, reply.level_reasons) == (State.AWAITING_CLEARANCE, 1, ["free_text"])
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.AWAITING_CLEARANCE

    with pytest.raises(PermissionDenied, match="you wrote this reply"):
        reply_clear(actor=cairo, reply_id=reply.pk)
    with pytest.raises(PermissionDenied):
        reply_clear(actor=officer("emb-jp-tokyo"), reply_id=reply.pk)
    assert reply_send(reply_id=reply.pk) == "skipped"  # not cleared: nothing goes

    reply_clear(actor=colleague, reply_id=reply.pk)
    assert reply_send(reply_id=reply.pk) == State.SENT
    reply.refresh_from_db()
    assert reply.cleared_by == colleague
    assert reply.awaited_seconds is not None
    assert len([a for a in answers(hub, "twitter") if a["text"] == "Our consulate opens at nine."]) == 1


def test_a_press_question_needs_the_press_office(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    Conversation.objects.filter(pk=conversation.pk).update(category="press")
    line = library_line(text="We do not comment on the visit.", category="press", topic="visit")
    cairo = officer("emb-eg-cairo")
    reply = write(cairo, conversation, item, "We do not comment on the visit.", line_id=line.pk)
    assert (reply.level, reply.level_reasons) == (2, ["sensitive_category"])

    with pytest.raises(PermissionDenied):
        reply_clear(actor=officer("emb-eg-cairo"), reply_id=reply.pk)  # four eyes is not enough
    press = press_officer()
    reply_return(actor=press, reply_id=reply.pk, note="Use today's line on the visit.")
    reply.refresh_from_db()
    assert reply.state == State.RETURNED
    assert not answers(hub, "twitter")


def test_a_listed_author_needs_the_press_office_as_the_known_authors_list_stands(hub, tmp_path):
    """The clearance reads the journalists' and officials' list itself (one home for the
    idea): a bare tag left on the conversation does not count, an author listed after triage
    does, for the mission the list entry names or for every mission."""
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    Conversation.objects.filter(pk=conversation.pk).update(tags=["journalist"])  # no list entry
    conversation.refresh_from_db()
    assert not author_listed(conversation, item)

    other_mission = Mission.objects.exclude(pk=conversation.mission_id).first()
    entry = KnownAuthor.objects.create(
        network=item.network,
        key=f" @{(item.author_handle or item.author_id).upper()}",
        kind="journalist",
        mission=other_mission,
    )
    assert not author_listed(conversation, item)  # listed for another mission only
    entry.mission = None
    entry.save()
    assert author_listed(conversation, item)

    Conversation.objects.filter(pk=conversation.pk).update(tags=[])
    line = library_line(text=LINE)
    text = LINE.format(mission=conversation.mission.name)
    listed = write(officer("emb-eg-cairo"), conversation, item, text, line_id=line.pk)
    assert (listed.level, listed.level_reasons) == (2, ["listed_author"])


def test_an_edited_line_is_level_0_up_to_15_percent_then_four_eyes(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    text = "Appointments for visas are booked online, on our website, every weekday morning."
    line = library_line(text=text)
    cairo = officer("emb-eg-cairo")
    small = write(cairo, conversation, item, text.replace("every weekday", "each weekday"), line_id=line.pk)
    assert small.level == 0
    assert 0 < small.edit_ratio <= 0.15
    assert reply_send(reply_id=small.pk) == State.SENT
    large = write(cairo, conversation, item, "Please call the consulate, the website is down today.", line_id=line.pk)
    assert large.level == 1
    assert "line_edited" in large.level_reasons
    assert large.edit_ratio > 0.15


def test_a_line_in_another_language_or_withdrawn_is_not_level_0(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation, "ar")
    Item.objects.filter(pk=item.pk).update(language="ar")
    french = library_line(text="Les rendez-vous se prennent en ligne.", language="fr")
    cairo = officer("emb-eg-cairo")
    reply = write(cairo, conversation, item, french.text, line_id=french.pk)
    assert reply.level == 1
    assert "line_other_language" in reply.level_reasons
    reply_return(actor=press_officer(), reply_id=reply.pk, note="In Arabic, please.")
    arabic = library_line(text="تحجز المواعيد عبر الإنترنت.", language="ar", topic="visa-ar")
    arabic.state = "withdrawn"
    arabic.save()
    withdrawn = write(cairo, conversation, item, arabic.text, line_id=arabic.pk)
    assert withdrawn.level == 1
    assert "line_not_in_force" in withdrawn.level_reasons


def test_an_unknown_outcome_is_settled_by_finding_our_reply_not_by_sending_again(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    line = library_line(text="See our website for visa appointments.")
    reply = write(officer("emb-eg-cairo"), conversation, item, line.text, line_id=line.pk)
    fault(hub, "twitter", timeout_rate=1, hang_seconds=2, count=1)  # stored, the answer lost

    assert reply_send(reply_id=reply.pk) == State.UNKNOWN
    assert reply_send(reply_id=reply.pk) == "skipped"  # unknown is never sent blindly
    assert reply_reconcile(reply_id=reply.pk) == State.SENT

    reply.refresh_from_db()
    ours = [a for a in answers(hub, "twitter") if a["text"] == line.text]
    assert len(ours) == 1
    assert reply.external_id == ours[0]["id"]
    assert ConversationEvent.objects.filter(verb="reply.found", conversation=conversation).exists()


def test_an_unknown_outcome_not_on_the_network_is_sent_again_once(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    line = library_line(text="See our website for visa appointments, please.")
    reply = write(officer("emb-eg-cairo"), conversation, item, line.text, line_id=line.pk)
    # A worker died before its call left: the sweeper finds it `sending` too long.
    Reply.objects.filter(pk=reply.pk).update(state=State.SENDING, state_changed_at=timezone.now() - timedelta(hours=1))
    swept = replies_sweep()
    assert swept.unknown == [reply.pk]
    assert reply_reconcile(reply_id=reply.pk) == State.QUEUED  # looked for, not there
    assert reply_send(reply_id=reply.pk) == State.SENT
    assert len([a for a in answers(hub, "twitter") if a["text"] == line.text]) == 1


def test_a_lost_broker_message_is_sent_by_the_sweeper(hub, tmp_path, django_capture_on_commit_callbacks):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    line = library_line(text="Our visa section answers by e-mail.")
    reply = write(officer("emb-eg-cairo"), conversation, item, line.text, line_id=line.pk)
    assert replies_sweep().sent_again == []  # just handed over: not yet
    with django_capture_on_commit_callbacks(execute=False) as queued:
        swept = replies_sweep(now=timezone.now() + timedelta(minutes=2))
    assert swept.sent_again == [reply.pk]
    assert len(queued) == 1


def test_a_reply_to_an_item_deleted_meanwhile_ends_clearly_and_nothing_is_sent(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    line = library_line(text="Please see our website.")
    reply = write(officer("emb-eg-cairo"), conversation, item, line.text, line_id=line.pk)
    requests.post(f"{hub}/_sandbox/public/delete", json={"network": "twitter", "id": item.external_id}, timeout=5)

    assert reply_send(reply_id=reply.pk) == State.FAILED
    reply.refresh_from_db()
    assert reply.error_code == "reply.target_gone"
    assert not answers(hub, "twitter")
    # Known deleted here: refused before anything is written.
    Item.objects.filter(pk=item.pk).update(deleted_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        write(officer("emb-eg-cairo"), conversation, item, "Again.")
    assert refused.value.error_list[0].code == "reply.target_gone"


def test_personal_data_is_stopped_in_public_with_a_suggestion_to_answer_privately(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    with pytest.raises(ValidationError) as refused:
        write(officer("emb-eg-cairo"), conversation, item, "Your passport AB1234567 is ready; call +20 2 2794 7150.")
    assert refused.value.error_list[0].code == "reply.personal_data"
    assert refused.value.error_list[0].params["kinds"] == ["passport", "phone"]


def test_over_long_replies_are_refused_with_the_networks_limit(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    with pytest.raises(ValidationError) as refused:
        write(officer("emb-eg-cairo"), conversation, item, "a" * 281)
    assert refused.value.error_list[0].code == "text.too_long"
    assert refused.value.error_list[0].params["limit"] == 280


def test_only_the_missions_officers_and_headquarters_write_replies(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    with pytest.raises(PermissionDenied):
        write(officer("emb-jp-tokyo"), conversation, item, "Hello.")


def test_facebook_private_reply_once_per_comment(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path, Network.FACEBOOK)
    Conversation.objects.filter(pk=conversation.pk).update(category="distress")
    press = press_officer()
    private = write(officer("emb-eg-cairo"), conversation, item, "Please write to us privately.", kind="private")
    assert private.level == 2
    reply_clear(actor=press, reply_id=private.pk)
    assert reply_send(reply_id=private.pk) == State.SENT
    with pytest.raises(ValidationError) as refused:
        write(officer("emb-eg-cairo"), conversation, item, "Again.", kind="private")
    assert refused.value.error_list[0].code == "private_reply.already_sent"
    assert [entry["text"] for entry in private_replies(hub)] == ["Please write to us privately."]


def test_a_private_reply_after_seven_days_is_refused(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path, Network.FACEBOOK)
    Item.objects.filter(pk=item.pk).update(created_at_network=timezone.now() - timedelta(days=8))
    with pytest.raises(ValidationError) as refused:
        write(officer("emb-eg-cairo"), conversation, item, "Hello.", kind="private")
    assert refused.value.error_list[0].code == "private_reply.expired"


def test_many_replies_cleared_at_once_keep_within_the_networks_limit_and_go_once(hub, tmp_path, settings):
    """120 replies at once on one X account allowed 100 posts a window: 100 go, 20 wait
    for the window (queued, due when it frees), none twice."""
    settings.PUBLISH_RATE_LIMITS = {"twitter": {"account": [100, 15 * 60]}}
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    line = library_line(text="Thank you: see our website for visas.")
    cairo = officer("emb-eg-cairo")
    replies = []
    for number in range(120):
        reply = write(cairo, conversation, item, f"Thank you: see our website for visas. ({number})", line_id=line.pk)
        replies.append(reply)
        # Put aside, so that the next one is not refused as a second reply on its way.
        Reply.objects.filter(pk=reply.pk).update(state=State.SENT)
    Reply.objects.filter(pk__in=[r.pk for r in replies]).update(state=State.QUEUED)  # cleared at once

    outcomes = [reply_send(reply_id=reply.pk) for reply in replies]
    outcomes += [reply_send(reply_id=reply.pk) for reply in replies]  # every message delivered twice

    assert outcomes[:120].count(State.SENT) == 100
    assert outcomes[:120].count("rate_limited") == 20
    sent = answers(hub, "twitter")
    assert len(sent) == 100
    assert len({entry["text"] for entry in sent}) == 100  # no duplicate
    waiting = Reply.objects.filter(state=State.QUEUED)
    assert waiting.count() == 20
    assert all(r.next_attempt_at > timezone.now() + timedelta(minutes=10) for r in waiting)


def test_a_reply_sent_resolves_the_conversation_and_stops_its_clock(hub, tmp_path):
    conversation, item = heard_conversation(hub, tmp_path)
    routine(conversation)
    past = timezone.now() - timedelta(minutes=5)
    Conversation.objects.filter(pk=conversation.pk).update(warn_at=past, due_at=past, warned_at=None, escalated_at=None)
    line = library_line(text=LINE)
    reply = write(
        officer("emb-eg-cairo"), conversation, item, LINE.format(mission=conversation.mission.name), line_id=line.pk
    )
    assert reply.level == 0
    assert reply_send(reply_id=reply.pk) == State.SENT
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED

    # Only what the clocks do from now on: outside Cairo's hours, ingestion itself may have
    # offered the conversation to headquarters ("global time"), which is not this test's.
    last_event = conversation.events.order_by("-pk").values_list("pk", flat=True).first()
    conversations_check_clocks(now=timezone.now() + timedelta(days=2))  # the others' clocks run
    conversation.refresh_from_db()
    assert (conversation.warned_at, conversation.escalated_at) == (None, None)
    later = conversation.events.filter(pk__gt=last_event)
    assert not later.filter(verb__in=["conversation.clock_warned", "conversation.escalated"]).exists()
