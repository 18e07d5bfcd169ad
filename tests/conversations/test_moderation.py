"""Moderation beyond hiding (issue 15 §4): removing for good with four eyes (Facebook delete,
YouTube reject) through the sandbox; X hidden replies from the page; the rules' proposals to
hide spam or scams, which hide nothing until a person confirms."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from channels.adapters.listening import ItemKind
from channels.models import Network
from channels.services import adapter_for
from conversations.lifecycle import ModerationState
from conversations.models import Item, ModerationAction, RawEvent
from conversations.services.ingest import items_ingest
from conversations.services.moderation import moderation_apply, moderation_sweep
from conversations.services.replies import ReplyDraft, reply_clear, reply_send, reply_write
from tests.channels.adapters.helpers import TWITTER
from tests.channels.listening.conftest import say as public_says
from tests.conversations.replies_helpers import heard_conversation
from tests.conversations.test_reply_views import logged_in
from tests.conversations.test_views import say
from tests.posts.factories import account, officer, press_officer

pytestmark = pytest.mark.django_db


def public_entry(sandbox_url: str, network: str, said_id: str) -> dict:
    said = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": network}, timeout=10).json()["said"]
    return next(entry for entry in said if entry["id"] == said_id)


@pytest.mark.parametrize(
    ("network", "kind", "gone"),
    [(Network.FACEBOOK, "delete", "deleted"), (Network.YOUTUBE, "reject", "rejected")],
)
def test_removing_for_good_needs_a_second_person_and_then_goes_through_the_sandbox(
    settings, sandbox_url, tmp_path, django_capture_on_commit_callbacks, network, kind, gone
):
    settings.SANDBOX_URL = sandbox_url
    conversation, item = heard_conversation(sandbox_url, tmp_path, network, seed=4)
    proposer, colleague = officer("emb-eg-cairo"), officer("emb-eg-cairo")
    client = logged_in(proposer)
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Propose removing" in page
    assert "Cannot be undone; a second person confirms. Prefer hiding." in page

    with django_capture_on_commit_callbacks(execute=False) as proposed:
        answer = client.post(
            reverse("conversations:item_remove", args=[item.pk]), {"reason": "threats", "note": "Names a person"}
        )
    assert answer.status_code == 302
    proposal = ModerationAction.objects.get(actor=proposer)
    assert (proposal.action, proposal.state, proposal.reason) == (kind, ModerationState.PROPOSED, "threats")
    assert proposal.evidence["text"] == item.text
    assert not proposed  # nothing asked of the network yet
    assert public_entry(sandbox_url, network, item.external_id)[gone] is False
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "This cannot be undone" in page
    assert "You proposed it: someone else confirms." in page
    # A second proposal of the same item is refused while one is open.
    client.post(reverse("conversations:item_remove", args=[item.pk]), {"reason": "abuse"})
    assert ModerationAction.objects.filter(item=item, state=ModerationState.PROPOSED).count() == 1

    # The proposer can never confirm; an officer of another mission finds nothing.
    assert client.post(reverse("conversations:moderation_confirm", args=[proposal.pk])).status_code == 403
    tokyo = logged_in(officer("emb-jp-tokyo"))
    assert tokyo.post(reverse("conversations:moderation_confirm", args=[proposal.pk])).status_code == 404
    proposal.refresh_from_db()
    assert proposal.state == ModerationState.PROPOSED

    with django_capture_on_commit_callbacks(execute=False) as confirmed:
        second = logged_in(colleague).post(reverse("conversations:moderation_confirm", args=[proposal.pk]), follow=True)
    assert "Confirmed: it is being removed for good." in second.content.decode()
    assert len(confirmed) == 1
    proposal.refresh_from_db()
    assert (proposal.state, proposal.confirmed_by) == (ModerationState.PENDING, colleague)

    assert moderation_apply(action_id=proposal.pk) == ModerationState.DONE
    assert public_entry(sandbox_url, network, item.external_id)[gone] is True
    assert moderation_apply(action_id=proposal.pk) == "skipped"  # a repeated task does nothing
    assert Item.objects.get(pk=item.pk).deleted_at is not None
    assert list(
        AuditEvent.objects.filter(action__startswith="moderation.").order_by("pk").values_list("action", "actor")
    ) == [("moderation.propose", proposer.pk), ("moderation.confirm", colleague.pk)]
    assert conversation.events.filter(verb="item.removal_proposed").exists()
    assert conversation.events.filter(verb="item.removed", actor=colleague).exists()


def test_a_proposal_withdrawn_by_its_proposer_removes_nothing(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    _, item = heard_conversation(sandbox_url, tmp_path, Network.FACEBOOK, seed=5)
    client = logged_in(officer("emb-eg-cairo"))
    client.post(reverse("conversations:item_remove", args=[item.pk]), {"reason": "spam"})
    proposal = ModerationAction.objects.get(item=item, actor__isnull=False)

    answer = client.post(reverse("conversations:moderation_dismiss", args=[proposal.pk]), follow=True)

    assert "Dismissed: nothing was done to the item." in answer.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == ModerationState.DISMISSED
    again = logged_in(officer("emb-eg-cairo")).post(
        reverse("conversations:moderation_confirm", args=[proposal.pk]), follow=True
    )
    assert "This proposal was settled already." in again.content.decode()
    assert public_entry(sandbox_url, "facebook", item.external_id)["deleted"] is False


def test_removal_needs_a_reason_and_a_network_that_allows_it(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    _, item = heard_conversation(sandbox_url, tmp_path, Network.YOUTUBE, seed=6)
    client = logged_in(officer("emb-eg-cairo"))
    refused = client.post(reverse("conversations:item_remove", args=[item.pk]), {"reason": ""}, follow=True)
    assert "Choose the house rule it breaks." in refused.content.decode()
    x_item = say(account("emb-eg-cairo", Network.TWITTER), "Liar", answers_post_id="1700").items.get()
    on_x = client.post(reverse("conversations:item_remove", args=[x_item.pk]), {"reason": "abuse"}, follow=True)
    assert "X does not let us remove an item of the public for good." in on_x.content.decode()
    assert not ModerationAction.objects.filter(actor__isnull=False).exists()


def test_an_x_reply_under_our_post_is_hidden_from_the_page_and_shown_again(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    conversation, _ = heard_conversation(sandbox_url, tmp_path, Network.TWITTER, seed=8)
    item = Item.objects.filter(conversation__account=conversation.account, kind="reply").exclude(answers_post_id="")
    item = item.filter(deleted_at__isnull=True).first()
    assert item is not None
    client = logged_in(officer("emb-eg-cairo"))

    client.post(reverse("conversations:item_hide", args=[item.pk]), {"hidden": "1", "reason": "abuse"})
    hide = ModerationAction.objects.get(item=item, actor__isnull=False)
    assert moderation_apply(action_id=hide.pk) == ModerationState.DONE
    assert public_entry(sandbox_url, "twitter", item.external_id)["hidden"] is True
    assert "Show again" in client.get(item.conversation.get_absolute_url()).content.decode()

    client.post(reverse("conversations:item_hide", args=[item.pk]), {"hidden": "0"})
    show = ModerationAction.objects.filter(item=item).latest("pk")
    assert moderation_apply(action_id=show.pk) == ModerationState.DONE
    assert public_entry(sandbox_url, "twitter", item.external_id)["hidden"] is False


def test_a_rule_proposes_hiding_spam_and_a_person_confirms_it_from_the_inbox(
    django_capture_on_commit_callbacks,
):
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    with django_capture_on_commit_callbacks(execute=False) as heard:
        spam = say(tokyo_fb, "Cheap visas, click here, DM me", network="facebook", kind="comment")
    assert not heard  # nothing asked of the network by a rule
    proposal = ModerationAction.objects.get()
    assert (proposal.state, proposal.action, proposal.reason, proposal.actor) == (
        ModerationState.PROPOSED,
        "hide",
        "spam",
        None,
    )
    assert proposal.rule
    client = logged_in(officer("emb-jp-tokyo"))
    page = client.get(spam.get_absolute_url()).content.decode()
    assert "proposes hiding it" in page
    assert "Nothing is hidden until a person confirms. Disagreement is never a reason." in page
    assert "hidden</span>" not in page  # not hidden yet
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert f'id="proposal-{proposal.pk}"' in inbox
    assert "Disagreement is never a reason." in inbox

    with django_capture_on_commit_callbacks(execute=False) as confirmed:
        answer = client.post(
            reverse("conversations:moderation_confirm", args=[proposal.pk]), {"next": "inbox"}, follow=True
        )
    assert answer.redirect_chain[-1][0] == reverse("conversations:inbox")
    assert "Confirmed: it is being hidden." in answer.content.decode()
    assert len(confirmed) == 1
    proposal.refresh_from_db()
    assert proposal.state == ModerationState.PENDING
    assert proposal.confirmed_by is not None
    assert f'id="proposal-{proposal.pk}"' not in client.get(reverse("conversations:inbox")).content.decode()


def test_a_dismissed_rule_proposal_hides_nothing_and_an_ordinary_text_proposes_nothing():
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    say(tokyo_fb, "I disagree with your minister's policy", network="facebook", kind="comment")
    assert not ModerationAction.objects.exists()  # disagreement is never a reason
    spam = say(tokyo_fb, "Free money, bitcoin giveaway", network="facebook", kind="comment")
    proposal = ModerationAction.objects.get()
    client = logged_in(officer("emb-jp-tokyo"))
    assert (
        logged_in(officer("emb-de-berlin"))
        .post(reverse("conversations:moderation_dismiss", args=[proposal.pk]))
        .status_code
        == 404
    )

    client.post(reverse("conversations:moderation_dismiss", args=[proposal.pk]), {"next": "inbox"})

    proposal.refresh_from_db()
    assert proposal.state == ModerationState.DISMISSED
    page = client.get(spam.get_absolute_url()).content.decode()
    assert "proposes hiding it" not in page
    assert "hidden</span>" not in page
    assert AuditEvent.objects.filter(action="moderation.dismiss").exists()


def test_a_persons_proposal_to_remove_supersedes_a_rules_proposal_to_hide():
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    spam = say(tokyo_fb, "Cheap visas, DM me", network="facebook", kind="comment")
    rule_proposal = ModerationAction.objects.get()
    proposer = officer("emb-jp-tokyo")

    logged_in(proposer).post(reverse("conversations:item_remove", args=[spam.items.get().pk]), {"reason": "spam"})

    rule_proposal.refresh_from_db()
    assert (rule_proposal.state, rule_proposal.confirmed_by) == (ModerationState.DISMISSED, proposer)
    removal = ModerationAction.objects.get(state=ModerationState.PROPOSED)
    assert (removal.action, removal.actor) == ("delete", proposer)


def test_hiding_an_item_a_rule_proposed_to_hide_confirms_the_proposal(django_capture_on_commit_callbacks):
    """The person agreed with the rule: its proposal is carried out (one action, the
    person's reason), not recorded as dismissed."""
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    spam = say(tokyo_fb, "Cheap visas, click here, DM me", network="facebook", kind="comment")
    proposal = ModerationAction.objects.get()
    tokyo = officer("emb-jp-tokyo")

    with django_capture_on_commit_callbacks(execute=False) as asked:
        logged_in(tokyo).post(
            reverse("conversations:item_hide", args=[spam.items.get().pk]), {"hidden": "1", "reason": "abuse"}
        )

    assert len(asked) == 1  # the network is asked once
    action = ModerationAction.objects.get()
    assert action.pk == proposal.pk
    assert (action.state, action.reason, action.confirmed_by, action.rule) == (
        ModerationState.PENDING,
        "abuse",
        tokyo,
        proposal.rule,
    )
    event = spam.events.get(verb="item.hidden")
    assert (event.actor, event.details["action"], event.details["rule"]) == (tokyo, proposal.pk, proposal.rule)


def test_showing_an_item_a_rule_proposed_to_hide_dismisses_the_proposal():
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    spam = say(tokyo_fb, "Cheap visas, click here, DM me", network="facebook", kind="comment")
    proposal = ModerationAction.objects.get()
    tokyo = officer("emb-jp-tokyo")

    logged_in(tokyo).post(reverse("conversations:item_hide", args=[spam.items.get().pk]), {"hidden": "0"})

    proposal.refresh_from_db()
    assert (proposal.state, proposal.confirmed_by) == (ModerationState.DISMISSED, tokyo)
    shown = ModerationAction.objects.get(actor=tokyo)
    assert (shown.action, shown.state) == ("show", ModerationState.PENDING)


def test_x_mentions_get_no_proposal_since_x_cannot_hide_them():
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    say(cairo_x, "Cheap visas, click here", kind="mention")
    assert not ModerationAction.objects.exists()
    say(cairo_x, "Cheap visas, click here", kind="reply", answers_post_id="1700")
    assert ModerationAction.objects.get().state == ModerationState.PROPOSED


def test_an_x_refusal_for_want_of_a_mention_ends_in_a_clear_message_with_a_link_to_x(settings, sandbox_url, tmp_path):
    """Issue 15 §5: X lets an app reply only where the author mentioned or quoted the
    account; the page says so before writing, and X's 403 ends worded, with a link to X."""

    settings.SANDBOX_URL = sandbox_url
    social = account("emb-eg-cairo", Network.TWITTER, network_account_id=TWITTER.account_id)
    adapter = adapter_for(social)
    post = adapter.publish(TWITTER.credentials(), TWITTER.sample(tmp_path)).external_id
    public_says(sandbox_url, "twitter", TWITTER.account_id, seed=9, count=30)
    items_ingest(
        account=social,
        items=adapter.listen(TWITTER.credentials(), cursor="", our_posts=[post]).items,
        source=RawEvent.Source.POLL,
    )
    handle = adapter.check_credentials(TWITTER.credentials()).handle
    unsummoned = [
        item
        for item in Item.objects.filter(account=social, deleted_at__isnull=True, kind=ItemKind.REPLY)
        if item.parent_id != post and f"@{handle}" not in item.text
    ]
    if not unsummoned:
        pytest.skip("The script said nothing unsummoned for this seed.")
    item = unsummoned[0]
    client = logged_in(officer("emb-eg-cairo"))
    before = client.get(item.conversation.get_absolute_url()).content.decode()
    assert "X lets an app reply only to people who mention or quote the account" in before
    assert f'id="not-summoned-{item.pk}"' in before  # said of this very item, before writing
    assert "did not mention or quote the account: X will refuse a reply from here." in before
    mention = Item.objects.filter(account=social, kind=ItemKind.MENTION).first()
    if mention is not None:
        assert "not-summoned-" not in client.get(mention.conversation.get_absolute_url()).content.decode()
    reply = reply_write(
        actor=officer("emb-eg-cairo"),
        conversation_id=item.conversation_id,
        draft=ReplyDraft(item_id=item.pk, text="Please see our website.", idempotency_key="x-403", kind="public"),
    )
    reply_clear(actor=press_officer(), reply_id=reply.pk)

    assert reply_send(reply_id=reply.pk) == "failed"

    page = client.get(item.conversation.get_absolute_url()).content.decode()
    assert 'data-reply-error="reply.not_summoned"' in page
    assert "Answer on X itself" in page
    assert f"/status/{item.external_id}" in page


def test_a_proposal_confirmed_long_after_it_was_made_is_not_asked_twice_at_once(settings, sandbox_url, tmp_path):
    """The sweeper counts a confirmed proposal's wait from its confirmation."""
    settings.SANDBOX_URL = sandbox_url
    _, item = heard_conversation(sandbox_url, tmp_path, Network.FACEBOOK, seed=5)
    logged_in(officer("emb-eg-cairo")).post(reverse("conversations:item_remove", args=[item.pk]), {"reason": "spam"})
    proposal = ModerationAction.objects.get(item=item, actor__isnull=False)
    ModerationAction.objects.filter(pk=proposal.pk).update(created_at=timezone.now() - timedelta(days=2))
    logged_in(officer("emb-eg-cairo")).post(reverse("conversations:moderation_confirm", args=[proposal.pk]))

    assert proposal.pk not in moderation_sweep()
    later = timezone.now() + timedelta(seconds=settings.REPLY_REQUEUE_AFTER + 1)
    assert proposal.pk in moderation_sweep(now=later)
