"""Submit, approve (the outbox), request changes, reject, cancel: every transition, its
event, four eyes, the policy, and what must never happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from channels.models import Network, SocialAccount
from embassies.roles import Role
from posts.fingerprint import message_fingerprint
from posts.models import Delivery, Event, InvalidTransition, Message, Priority, Review
from posts.services.dispatch import due_deliveries
from posts.services.messages import StaleVersion, message_update
from posts.services.review import (
    ApprovalNeedsTime,
    ValidationProblems,
    message_approve,
    message_cancel,
    message_reject,
    message_request_changes,
    message_submit,
)
from posts.validation import with_content
from tests.posts.factories import (
    UserFactory,
    account,
    administrator,
    approved_message,
    crisis_member,
    draft_message,
    officer,
    press_officer,
    submitted_message,
)

pytestmark = pytest.mark.django_db


def last_event(message: Message) -> Event:
    return Event.objects.filter(message=message, delivery=None).order_by("pk").last()


def fresh(message: Message) -> Message:
    return with_content(Message.objects.all()).get(pk=message.pk)


# --- Submit ---------------------------------------------------------------------------------


def test_message_submit_moves_a_draft_to_review_with_an_event():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    submitted = message_submit(actor=author, message_id=message.pk, expected_version=1)
    assert submitted.state == Message.State.IN_REVIEW
    event = last_event(message)
    assert (event.verb, event.actor, event.from_state, event.to_state) == (
        "message.submit",
        author,
        "draft",
        "in_review",
    )
    assert any("No text in English" in warning for warning in event.details["warnings"])
    # Asking again changes nothing.
    message_submit(actor=author, message_id=message.pk)
    assert Event.objects.filter(message=message, verb="message.submit").count() == 1


def test_message_submit_lists_every_problem_and_leaves_the_draft_alone():
    author = officer("emb-eg-cairo")
    x = account("emb-eg-cairo", handle="@FranceEgypte")
    youtube = account("emb-eg-cairo", Network.YOUTUBE, handle="TV")
    message = draft_message(author=author, targets=[x, youtube], texts={"fr": "x" * 300, "ar": "ع" * 311})
    with pytest.raises(ValidationProblems) as error:
        message_submit(actor=author, message_id=message.pk)
    blocking = [problem.message for problem in error.value.blocking]
    assert "French, X @FranceEgypte: The text is 20 characters too long for X (300 of 280)." in blocking
    assert "Arabic, X @FranceEgypte: The text is 31 characters too long for X (311 of 280)." in blocking
    assert sum("YouTube needs a video" in text for text in blocking) == 2
    assert error.value.warnings  # the missing English text, as a warning
    assert isinstance(error.value, ValidationError)
    message.refresh_from_db()
    assert message.state == Message.State.DRAFT
    assert not Event.objects.filter(message=message, verb="message.submit").exists()


def test_message_submit_is_not_blocked_by_warnings():
    author = officer("emb-eg-cairo")
    expired = account("emb-eg-cairo", status=SocialAccount.Status.EXPIRED)
    message = draft_message(author=author, targets=[expired])
    assert message_submit(actor=author, message_id=message.pk).state == Message.State.IN_REVIEW


def test_message_submit_refuses_others_and_closed_states():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    for user in (officer("emb-jp-tokyo"), press_officer(), administrator()):
        with pytest.raises(PermissionDenied):
            message_submit(actor=user, message_id=message.pk)
    approved = approved_message(author=author, approver=press_officer())
    with pytest.raises(InvalidTransition, match="only a draft"):
        message_submit(actor=author, message_id=approved.pk)


# --- Approve: the outbox ---------------------------------------------------------------------------


def test_message_approve_now_writes_one_delivery_per_account_and_language(django_capture_on_commit_callbacks, kicks):
    author = officer("emb-eg-cairo")
    approver = press_officer()
    x, facebook = account("emb-eg-cairo"), account("emb-eg-cairo", Network.FACEBOOK)
    message = submitted_message(
        author=author,
        targets=[x, facebook],
        texts={
            "fr": "Bonjour",
            "ar": "مرحبا",
            ("fr", "twitter"): "Bonjour X",
        },
    )
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approved = message_approve(actor=approver, message_id=message.pk, publish_at=None, expected_version=1)
        assert kicks == []  # nothing before the commit
    after = timezone.now()

    assert approved.state == Message.State.SCHEDULED
    assert before <= approved.scheduled_at <= after
    assert approved.approved_by == approver
    assert approved.approved_fingerprint == message_fingerprint(fresh(message))
    deliveries = list(Delivery.objects.filter(message=message).order_by("account_id", "language"))
    assert sorted((d.account_id, d.language) for d in deliveries) == sorted(
        [(x.pk, "fr"), (x.pk, "ar"), (facebook.pk, "fr"), (facebook.pk, "ar")]
    )
    for delivery in deliveries:
        assert delivery.state == Delivery.State.SCHEDULED
        assert delivery.priority == Priority.ROUTINE
        assert delivery.next_attempt_at == approved.scheduled_at
        assert delivery.state_changed_at == approved.approved_at
    assert len({d.reference for d in deliveries}) == 4
    review = Review.objects.get(message=message)
    assert (review.reviewer, review.decision, review.message_version) == (approver, "approve", 1)
    event = last_event(message)
    assert (event.verb, event.actor, event.from_state, event.to_state) == (
        "message.approve",
        approver,
        "in_review",
        "scheduled",
    )
    assert event.details["deliveries"] == 4
    assert event.details["now"] is True

    for callback in callbacks:
        callback()
    assert kicks == [True]


def test_message_approve_at_a_time_schedules_without_kicking(django_capture_on_commit_callbacks, kicks):
    message = submitted_message(author=officer("emb-eg-cairo"))
    publish_at = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        approved = message_approve(actor=press_officer(), message_id=message.pk, publish_at=publish_at)
    assert approved.scheduled_at == publish_at
    times = set(Delivery.objects.filter(message=message).values_list("next_attempt_at", flat=True))
    assert times == {publish_at}
    assert kicks == []


def test_message_approve_twice_changes_nothing():
    approver = press_officer()
    message = approved_message(author=officer("emb-eg-cairo"), approver=approver)
    again = message_approve(actor=approver, message_id=message.pk, publish_at=None)
    assert again.scheduled_at == message.scheduled_at
    assert Delivery.objects.filter(message=message).count() == 2
    assert Review.objects.filter(message=message).count() == 1


def test_the_outbox_is_atomic_when_a_delivery_violates_a_constraint(django_capture_on_commit_callbacks, kicks):
    """A live delivery already there for one (account, language): the database refuses the
    approval's INSERT, and nothing of the approval remains."""
    message = submitted_message(author=officer("emb-eg-cairo"))
    stray = Delivery.objects.create(message=message, account=message.targets.get(), language="ar")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(IntegrityError):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    assert callbacks == []
    assert list(Delivery.objects.filter(message=message)) == [stray]
    message.refresh_from_db()
    assert (message.state, message.approved_by, message.approved_fingerprint) == ("in_review", None, "")
    assert not Review.objects.exists()
    assert not Event.objects.filter(verb="message.approve").exists()
    assert kicks == []


def test_the_outbox_is_atomic_when_a_step_after_the_deliveries_fails(monkeypatch):
    message = submitted_message(author=officer("emb-eg-cairo"))

    def explode(**kwargs):
        assert Delivery.objects.filter(message=message).count() == 2  # written, then rolled back
        raise IntegrityError("simulated failure after the deliveries")

    monkeypatch.setattr("posts.services.review.Review.objects.create", explode)
    with pytest.raises(IntegrityError):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    assert not Delivery.objects.filter(message=message).exists()
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW


def test_an_approval_rolled_back_by_its_caller_leaves_no_delivery_and_sends_nothing(
    django_capture_on_commit_callbacks, kicks, mailoutbox
):
    message = submitted_message(author=officer("emb-eg-cairo"))
    approver = press_officer()

    def approve_then_fail():
        with transaction.atomic():
            message_approve(actor=approver, message_id=message.pk, publish_at=None)
            raise RuntimeError("the caller fails after the service returned")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        approve_then_fail()
    assert callbacks == []
    assert not Delivery.objects.filter(message=message).exists()
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    assert kicks == []
    assert mailoutbox == []


# --- Approve: four eyes, policy, time, version -------------------------------------------------------------


def test_the_author_cannot_approve_even_with_the_press_office_role():
    author = UserFactory(roles=[Role.OFFICER, Role.PRESS_OFFICE], missions=["emb-eg-cairo"])
    message = submitted_message(author=author)
    with pytest.raises(PermissionDenied):
        message_approve(actor=author, message_id=message.pk, publish_at=None)
    for decide in (message_request_changes, message_reject):
        with pytest.raises(PermissionDenied):
            decide(actor=author, message_id=message.pk, comment="fine by me")
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    assert not Delivery.objects.exists()


def test_a_press_officer_who_edited_the_message_cannot_approve_it():
    author = officer("emb-eg-cairo")
    editor = UserFactory(roles=[Role.OFFICER, Role.PRESS_OFFICE], missions=["emb-eg-cairo"])
    message = submitted_message(author=author)
    message_update(actor=editor, message_id=message.pk, expected_version=1, texts={"fr": "Version du chef"})
    with pytest.raises(PermissionDenied, match="wrote part of this message"):
        message_approve(actor=editor, message_id=message.pk, publish_at=None)
    assert message_approve(actor=press_officer(), message_id=message.pk).state == Message.State.SCHEDULED


def test_only_the_press_office_approves_routine_messages():
    message = submitted_message(author=officer("emb-eg-cairo"))
    for user in (officer("emb-eg-cairo"), crisis_member(), administrator()):
        with pytest.raises(PermissionDenied, match=r"message\.approve"):
            message_approve(actor=user, message_id=message.pk, publish_at=None)


def test_message_approve_refuses_a_time_in_the_past():
    message = submitted_message(author=officer("emb-eg-cairo"))
    with pytest.raises(ApprovalNeedsTime) as error:
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=timezone.now() - timedelta(minutes=5))
    assert error.value.reason == "time_passed"
    assert "publish_at" in error.value.message_dict
    assert not Delivery.objects.exists()


def test_message_approve_after_the_desired_time_needs_a_new_time_or_now():
    author = officer("emb-eg-cairo")
    desired = timezone.now() + timedelta(minutes=10)
    message = submitted_message(author=author, desired_at=desired)
    Message.objects.filter(pk=message.pk).update(desired_at=timezone.now() - timedelta(minutes=1))
    message.refresh_from_db()
    with pytest.raises(ApprovalNeedsTime, match="desired time has passed") as error:
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=message.desired_at)
    assert error.value.reason == "desired_time_passed"
    assert isinstance(error.value, ValidationError)
    new_time = timezone.now() + timedelta(hours=1)
    approved = message_approve(actor=press_officer(), message_id=message.pk, publish_at=new_time)
    assert approved.scheduled_at == new_time


def test_message_approve_with_a_stale_version_is_refused():
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)
    message_update(actor=author, message_id=message.pk, expected_version=1, texts={"fr": "Changé"})
    with pytest.raises(StaleVersion):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None, expected_version=1)
    assert not Delivery.objects.exists()


def test_message_approve_revalidates_what_changed_in_review():
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)
    message_update(actor=author, message_id=message.pk, expected_version=1, texts={"fr": "x" * 281})
    with pytest.raises(ValidationProblems, match="too long for X"):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)


def test_an_edit_after_approval_then_a_new_approval_writes_new_deliveries():
    author, approver = officer("emb-eg-cairo"), press_officer()
    message = approved_message(author=author, approver=approver)
    first = message.approved_fingerprint
    message_update(actor=author, message_id=message.pk, expected_version=message.version, texts={"fr": "Corrigé"})
    again = message_approve(actor=approver, message_id=message.pk, publish_at=None)
    assert again.approved_fingerprint != first
    states = sorted(Delivery.objects.filter(message=message).values_list("language", "state"))
    assert states == [("ar", "cancelled"), ("fr", "cancelled"), ("fr", "scheduled")]


# --- Illegal transitions say what and why -------------------------------------------------------------------


def test_illegal_transitions_raise_invalid_transition_in_words():
    author, approver = officer("emb-eg-cairo"), press_officer()
    draft = draft_message(author=author)
    with pytest.raises(InvalidTransition, match="“Draft”; it cannot become “Scheduled”"):
        message_approve(actor=approver, message_id=draft.pk, publish_at=None)
    with pytest.raises(InvalidTransition, match="only a message in review"):
        message_reject(actor=approver, message_id=draft.pk, comment="no")
    scheduled = approved_message(author=author, approver=approver)
    with pytest.raises(InvalidTransition, match="“Scheduled”: only a message in review"):
        message_request_changes(actor=approver, message_id=scheduled.pk, comment="change it")
    Message.objects.filter(pk=scheduled.pk).update(state=Message.State.PUBLISHED)
    with pytest.raises(InvalidTransition, match="Retract it"):
        message_cancel(actor=approver, message_id=scheduled.pk)


# --- Request changes, reject ------------------------------------------------------------------------------


def test_message_request_changes_needs_a_comment_and_returns_the_message_to_its_author():
    author, reviewer = officer("emb-eg-cairo"), press_officer()
    message = submitted_message(author=author)
    with pytest.raises(ValidationError, match=r"Say what should change\."):
        message_request_changes(actor=reviewer, message_id=message.pk, comment="   ")
    changed = message_request_changes(actor=reviewer, message_id=message.pk, comment="Add the date.")
    assert changed.state == Message.State.CHANGES_REQUESTED
    review = Review.objects.get(message=message)
    assert (review.decision, review.comment) == ("request_changes", "Add the date.")
    event = last_event(message)
    assert (event.verb, event.from_state, event.to_state) == (
        "message.request_changes",
        "in_review",
        "changes_requested",
    )
    message_update(actor=author, message_id=message.pk, expected_version=None, texts={"fr": "Le 14 juillet."})
    assert message_submit(actor=author, message_id=message.pk).state == Message.State.IN_REVIEW


def test_message_reject_needs_a_comment_and_closes_the_message():
    author, reviewer = officer("emb-eg-cairo"), press_officer()
    message = submitted_message(author=author)
    with pytest.raises(ValidationError, match="Say why"):
        message_reject(actor=reviewer, message_id=message.pk, comment="")
    rejected = message_reject(actor=reviewer, message_id=message.pk, comment="Off message.")
    assert rejected.state == Message.State.REJECTED
    assert last_event(message).verb == "message.reject"
    with pytest.raises(InvalidTransition):
        message_submit(actor=author, message_id=message.pk)
    with pytest.raises(InvalidTransition):
        message_update(actor=author, message_id=message.pk, expected_version=None, title="again")
    with pytest.raises(InvalidTransition):
        message_approve(actor=reviewer, message_id=message.pk, publish_at=None)


# --- Cancel -----------------------------------------------------------------------------------


def test_message_cancel_cancels_every_delivery_and_nothing_is_due_any_more():
    author, approver = officer("emb-eg-cairo"), press_officer()
    message = approved_message(author=author, approver=approver, in_hours=None)  # now
    assert due_deliveries(timezone.now()).filter(message=message).count() == 2
    cancelled = message_cancel(actor=approver, message_id=message.pk, reason="Events overtook it.")
    assert cancelled.state == Message.State.CANCELLED
    assert cancelled.left_in_flight == []
    assert set(Delivery.objects.filter(message=message).values_list("state", flat=True)) == {"cancelled"}
    assert not due_deliveries(timezone.now() + timedelta(days=365)).filter(message=message).exists()
    event = last_event(message)
    assert (event.verb, event.from_state, event.to_state) == ("message.cancel", "scheduled", "cancelled")
    assert event.details["deliveries_cancelled"] == 2
    assert Event.objects.filter(message=message, verb="delivery.cancel").count() == 2
    # Idempotent, and final.
    assert message_cancel(actor=approver, message_id=message.pk).state == Message.State.CANCELLED
    with pytest.raises(InvalidTransition):
        message_approve(actor=approver, message_id=message.pk, publish_at=None)


def test_message_cancel_leaves_a_delivery_a_worker_already_claimed_and_reports_it():
    author, approver = officer("emb-eg-cairo"), press_officer()
    message = approved_message(author=author, approver=approver, in_hours=None)
    sending = message.deliveries.order_by("pk").first()
    Delivery.objects.filter(pk=sending.pk).update(state=Delivery.State.SENDING)
    result = message_cancel(actor=approver, message_id=message.pk)
    assert [delivery.pk for delivery in result.left_in_flight] == [sending.pk]
    assert result.state == Message.State.SCHEDULED  # its deliveries' outcome settles it
    assert Delivery.objects.get(pk=sending.pk).state == Delivery.State.SENDING
    assert message.deliveries.exclude(pk=sending.pk).get().state == Delivery.State.CANCELLED
    assert last_event(message).details["left_in_flight"] == [sending.pk]


def test_message_cancel_of_a_scheduled_message_is_for_the_press_office():
    author = officer("emb-eg-cairo")
    message = approved_message(author=author, approver=press_officer())
    with pytest.raises(PermissionDenied):
        message_cancel(actor=author, message_id=message.pk)
    with pytest.raises(PermissionDenied):
        message_cancel(actor=officer("emb-jp-tokyo"), message_id=draft_message(author=author).pk)


# --- The admin --------------------------------------------------------------------------------


def _admin_request(user):
    request = RequestFactory().post("/admin/posts/message/")
    request.user = user
    request._messages = type("Sink", (), {"add": lambda *args, **kwargs: None})()
    return request


def test_the_admin_approve_action_goes_through_the_service_and_its_four_eyes():
    author = UserFactory(roles=[Role.OFFICER, Role.PRESS_OFFICE], missions=["emb-eg-cairo"], is_staff=True)
    message = submitted_message(author=author)
    model_admin = admin_site._registry[Message]
    model_admin.approve_now(_admin_request(author), Message.objects.filter(pk=message.pk))
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    other = press_officer(is_staff=True)
    model_admin.approve_now(_admin_request(other), Message.objects.filter(pk=message.pk))
    message.refresh_from_db()
    assert (message.state, message.approved_by) == (Message.State.SCHEDULED, other)


def test_the_admin_never_writes_events_or_messages_directly():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    request = _admin_request(superuser)
    for model in (Message, Event, Delivery):
        model_admin = admin_site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    assert admin_site._registry[Event].get_actions(request) == {}
    assert not admin_site._registry[Event].has_view_permission(_admin_request(officer("emb-eg-cairo")))
