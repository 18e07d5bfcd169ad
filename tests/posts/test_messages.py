"""Drafting and editing messages, attachments, comments; the fingerprint; validation and
the content each network receives; the message selectors."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from PIL import Image

from channels.models import Network, SocialAccount
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from posts.draft import draft_of
from posts.fingerprint import message_fingerprint
from posts.models import Attachment, Delivery, Event, InvalidTransition, Message
from posts.selectors import message_get, message_list
from posts.services.messages import (
    StaleVersion,
    attachment_add,
    attachment_remove,
    attachment_set_alt_text,
    comment_add,
    message_create,
    message_update,
)
from posts.services.review import message_cancel
from posts.validation import build_content, delivery_content, delivery_plan, validate_draft, with_content
from tests.posts.factories import (
    account,
    administrator,
    approved_message,
    crisis_member,
    draft_message,
    mission,
    officer,
    press_officer,
    submitted_message,
)

pytestmark = pytest.mark.django_db


def verbs(message: Message) -> list[str]:
    return list(Event.objects.filter(message=message).order_by("pk").values_list("verb", flat=True))


def reload(message: Message) -> Message:
    return with_content(Message.objects.all()).get(pk=message.pk)


# --- Create ---------------------------------------------------------------------------------


def test_message_create_writes_a_draft_with_its_texts_targets_and_event():
    author = officer("emb-eg-cairo")
    x, facebook = account("emb-eg-cairo"), account("emb-eg-cairo", Network.FACEBOOK)
    desired = timezone.now() + timedelta(days=1)
    message = message_create(
        actor=author,
        mission=mission("emb-eg-cairo"),
        title="  Reception  ",
        texts={"fr": ("Réception", "Titre"), ("fr", "twitter"): "Réception (X)", "ar": "حفل", "en": ""},
        target_ids=[x.pk, facebook.pk],
        desired_at=desired,
    )
    assert message.state == Message.State.DRAFT
    assert message.title == "Reception"
    assert message.author == author
    assert message.version == 1
    assert message.desired_at == desired
    assert sorted(message.texts.values_list("language", "network", "body", "title")) == [
        ("ar", "", "حفل", ""),
        ("fr", "", "Réception", "Titre"),
        ("fr", "twitter", "Réception (X)", ""),
    ]
    assert set(message.targets.all()) == {x, facebook}
    event = Event.objects.get(message=message)
    assert (event.verb, event.actor, event.from_state, event.to_state) == ("message.create", author, "", "draft")


def test_message_create_refuses_an_officer_of_another_mission_and_the_press_office():
    cairo = mission("emb-eg-cairo")
    for user in (officer("emb-jp-tokyo"), press_officer(), crisis_member(), administrator()):
        with pytest.raises(PermissionDenied):
            message_create(actor=user, mission=cairo, title="t", texts={"fr": "x"}, target_ids=[])
    assert not Message.objects.exists()


def test_message_create_refuses_another_missions_account_and_says_which():
    author = officer("emb-eg-cairo")
    own, foreign = account("emb-eg-cairo"), account("emb-jp-tokyo")
    with pytest.raises(ValidationError) as error:
        message_create(
            actor=author, mission=mission("emb-eg-cairo"), title="t", texts={"fr": "x"}, target_ids=[own.pk, foreign.pk]
        )
    assert f"#{foreign.pk}" in str(error.value.message_dict["target_ids"])
    assert f"#{own.pk}" not in str(error.value.message_dict["target_ids"])
    assert "Tokyo" not in str(error.value)  # another mission's account is not described
    assert not Message.objects.exists()


def test_message_create_takes_texts_only_in_the_missions_languages():
    author = officer("emb-eg-cairo")
    with pytest.raises(ValidationError, match="does not publish in Japanese"):
        message_create(
            actor=author, mission=mission("emb-eg-cairo"), title="t", texts={"ja": "こんにちは"}, target_ids=[]
        )
    with pytest.raises(ValidationError, match="not a network"):
        message_create(
            actor=author, mission=mission("emb-eg-cairo"), title="t", texts={("fr", "myspace"): "x"}, target_ids=[]
        )


def test_message_create_refuses_a_desired_time_in_the_past_and_an_empty_title():
    author = officer("emb-eg-cairo")
    with pytest.raises(ValidationError, match="passed"):
        message_create(
            actor=author,
            mission=mission("emb-eg-cairo"),
            title="t",
            texts={"fr": "x"},
            target_ids=[],
            desired_at=timezone.now() - timedelta(minutes=1),
        )
    with pytest.raises(ValidationError, match="title"):
        message_create(actor=author, mission=mission("emb-eg-cairo"), title="  ", texts={"fr": "x"}, target_ids=[])


# --- Update ---------------------------------------------------------------------------------


def test_message_update_of_a_draft_bumps_the_version_and_records_an_edit():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    updated = message_update(
        actor=author, message_id=message.pk, expected_version=1, texts={"fr": "Nouveau texte"}, title="New title"
    )
    assert updated.version == 2
    assert updated.state == Message.State.DRAFT
    assert list(updated.texts.values_list("language", "body")) == [("fr", "Nouveau texte")]
    event = Event.objects.filter(message=message).last()
    assert event.verb == "message.edit"
    assert event.details["changed"] == ["title", "texts"]
    assert (event.from_state, event.to_state) == ("draft", "draft")


def test_message_update_with_nothing_changed_writes_nothing():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    texts = {text.language: text.body for text in message.texts.all()}
    same = message_update(
        actor=author,
        message_id=message.pk,
        expected_version=1,
        texts=texts,
        target_ids=list(message.targets.values_list("pk", flat=True)),
        title=message.title,
    )
    assert same.version == 1
    assert verbs(message) == ["message.create"]


def test_message_update_keeps_a_message_in_review_in_review():
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)
    updated = message_update(actor=author, message_id=message.pk, expected_version=1, texts={"fr": "Autre"})
    assert updated.state == Message.State.IN_REVIEW
    assert updated.version == 2


def test_message_update_with_a_stale_version_is_refused_and_changes_nothing():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    message_update(actor=author, message_id=message.pk, expected_version=1, title="Second")
    with pytest.raises(StaleVersion, match="version 2"):
        message_update(actor=author, message_id=message.pk, expected_version=1, title="Third")
    assert issubclass(StaleVersion, InvalidTransition)
    message.refresh_from_db()
    assert (message.title, message.version) == ("Second", 2)


def test_message_update_after_approval_sends_it_back_to_review_and_cancels_its_deliveries():
    author = officer("emb-eg-cairo")
    message = approved_message(author=author, approver=press_officer())
    approved_fingerprint = message.approved_fingerprint
    assert Delivery.objects.filter(message=message, state=Delivery.State.SCHEDULED).count() == 2

    updated = message_update(
        actor=author, message_id=message.pk, expected_version=message.version, texts={"fr": "Texte corrigé", "ar": "نص"}
    )

    assert updated.state == Message.State.IN_REVIEW
    assert (updated.approved_by, updated.approved_at, updated.scheduled_at) == (None, None, None)
    assert updated.approved_fingerprint == ""
    assert message_fingerprint(reload(updated)) != approved_fingerprint
    assert set(Delivery.objects.filter(message=message).values_list("state", flat=True)) == {"cancelled"}
    assert verbs(message)[-4:] == ["delivery.cancel", "delivery.cancel", "message.approval_invalidated", "message.edit"]
    invalidated = Event.objects.get(message=message, verb="message.approval_invalidated")
    assert (invalidated.from_state, invalidated.to_state) == ("scheduled", "in_review")
    assert invalidated.details["previous"]["approved_fingerprint"] == approved_fingerprint
    edit = Event.objects.get(message=message, verb="message.edit")
    assert (edit.from_state, edit.to_state) == ("in_review", "in_review")  # the change has its own event


def test_message_update_of_the_internal_title_only_keeps_the_approval():
    author = officer("emb-eg-cairo")
    message = approved_message(author=author, approver=press_officer())
    updated = message_update(
        actor=author, message_id=message.pk, expected_version=message.version, title="Renamed for the archive"
    )
    assert updated.state == Message.State.SCHEDULED
    assert message_fingerprint(reload(updated)) == updated.approved_fingerprint
    assert Delivery.objects.filter(message=message, state=Delivery.State.SCHEDULED).count() == 2


def test_message_update_is_refused_once_a_delivery_is_on_its_way():
    author = officer("emb-eg-cairo")
    message = approved_message(author=author, approver=press_officer())
    Delivery.objects.filter(pk=message.deliveries.first().pk).update(state=Delivery.State.SENDING)
    with pytest.raises(InvalidTransition, match="already being published"):
        message_update(actor=author, message_id=message.pk, expected_version=message.version, texts={"fr": "x"})
    message.refresh_from_db()
    assert message.state == Message.State.SCHEDULED
    assert message.deliveries.filter(state=Delivery.State.SCHEDULED).count() == 1


@pytest.mark.parametrize("state", ["publishing", "published", "rejected", "cancelled", "retracted"])
def test_message_update_in_a_closed_state_says_why_it_cannot(state):
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    Message.objects.filter(pk=message.pk).update(state=state)
    with pytest.raises(InvalidTransition, match="can no longer be edited"):
        message_update(actor=author, message_id=message.pk, expected_version=None, title="x")


def test_message_update_by_someone_who_may_not_edit_is_refused():
    message = draft_message(author=officer("emb-eg-cairo"))
    for user in (officer("emb-jp-tokyo"), press_officer()):
        with pytest.raises(PermissionDenied):
            message_update(actor=user, message_id=message.pk, expected_version=None, title="x")


def test_message_update_refuses_targets_of_another_mission():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    foreign = account("emb-jp-tokyo")
    with pytest.raises(ValidationError, match=f"#{foreign.pk}"):
        message_update(actor=author, message_id=message.pk, expected_version=None, target_ids=[foreign.pk])
    assert foreign not in message.targets.all()


# --- Attachments --------------------------------------------------------------------------------


def _upload(data: bytes, name: str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_attachment_add_strips_metadata_and_stores_under_a_generated_name():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    attachment = attachment_add(
        actor=author,
        message_id=message.pk,
        alt_text="The embassy garden",
        uploaded_file=_upload(jpeg_bytes(with_gps=True), "../../IMG_0001 <x>.jpg"),
    )
    stored = attachment.file.read()
    attachment.file.close()
    assert attachment.kind == Attachment.Kind.IMAGE
    assert attachment.mime_type == "image/jpeg"
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.size == len(stored)
    assert attachment.original_name == "IMG_0001 <x>.jpg"
    assert "IMG_0001" not in attachment.file.name
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(0x8825)  # no GPS
    message.refresh_from_db()
    assert message.version == 2
    assert verbs(message)[-1] == "message.attachment_add"


def test_attachment_add_takes_a_video():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    attachment = attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(mp4_bytes(4.0), "a.mp4"))
    assert (attachment.kind, attachment.mime_type) == ("video", "video/mp4")
    assert attachment.duration_seconds == pytest.approx(4.0)


def test_attachment_add_refuses_what_is_not_media_and_keeps_no_file(media_root):
    import os

    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    with pytest.raises(ValidationError, match="HTML"):
        attachment_add(
            actor=author,
            message_id=message.pk,
            uploaded_file=_upload(b"<html><script>alert(1)</script></html>", "photo.jpg", "image/jpeg"),
        )
    assert not Attachment.objects.exists()
    assert not os.path.exists(os.path.join(media_root, "attachments")) or not os.listdir(
        os.path.join(media_root, "attachments")
    )


def test_attachment_changes_after_approval_send_the_message_back_to_review():
    author = officer("emb-eg-cairo")
    message = approved_message(author=author, approver=press_officer())
    attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(png_bytes(), "a.png"), alt_text="A")
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    assert not message.deliveries.exclude(state=Delivery.State.CANCELLED).exists()


def test_attachment_alt_text_and_removal_are_edits(django_capture_on_commit_callbacks):
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    attachment = attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(png_bytes(), "a.png"))
    before = message_fingerprint(reload(message))
    attachment_set_alt_text(actor=author, message_id=message.pk, attachment_id=attachment.pk, alt_text="A map")
    after = message_fingerprint(reload(message))
    assert after != before
    attachment_set_alt_text(actor=author, message_id=message.pk, attachment_id=attachment.pk, alt_text="A map")
    assert message_fingerprint(reload(message)) == after
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(actor=author, message_id=message.pk, attachment_id=attachment.pk)
    assert not storage.exists(name)
    message.refresh_from_db()
    assert message.version == 4  # add, alt text, remove
    assert verbs(message)[1:] == ["message.attachment_add", "message.attachment_alt_text", "message.attachment_remove"]


def test_attachment_of_another_message_is_not_found():
    author = officer("emb-eg-cairo")
    first, second = draft_message(author=author), draft_message(author=author)
    attachment = attachment_add(actor=author, message_id=first.pk, uploaded_file=_upload(png_bytes(), "a.png"))
    with pytest.raises(ValidationError):
        attachment_remove(actor=author, message_id=second.pk, attachment_id=attachment.pk)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


# --- Comments -------------------------------------------------------------------------------------


def test_comment_add_by_anyone_who_sees_the_message_and_no_one_else():
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)
    comment = comment_add(actor=press_officer(), message_id=message.pk, body="  Nice.  ")
    assert comment.body == "Nice."
    message.refresh_from_db()
    assert message.version == 1  # a comment is not an edit
    with pytest.raises(PermissionDenied):
        comment_add(actor=officer("emb-jp-tokyo"), message_id=message.pk, body="Hello")
    with pytest.raises(ValidationError):
        comment_add(actor=author, message_id=message.pk, body="   ")


# --- Fingerprint ----------------------------------------------------------------------------------


def test_fingerprint_covers_texts_media_targets_and_time_but_not_the_internal_title():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    base = message_fingerprint(reload(message))
    assert message_fingerprint(reload(message)) == base  # stable

    message_update(actor=author, message_id=message.pk, expected_version=None, title="Another title")
    assert message_fingerprint(reload(message)) == base

    message_update(
        actor=author,
        message_id=message.pk,
        expected_version=None,
        texts={"fr": "Réception pour la fête nationale!", "ar": "حفل استقبال بمناسبة العيد الوطني."},
    )
    changed_text = message_fingerprint(reload(message))
    assert changed_text != base

    other = account("emb-eg-cairo", Network.FACEBOOK)
    message_update(
        actor=author,
        message_id=message.pk,
        expected_version=None,
        target_ids=[*message.targets.values_list("pk", flat=True), other.pk],
    )
    changed_targets = message_fingerprint(reload(message))
    assert changed_targets != changed_text

    first = attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(png_bytes(), "1.png"))
    attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(jpeg_bytes(), "2.jpg"))
    with_media = message_fingerprint(reload(message))
    assert with_media != changed_targets
    Attachment.objects.filter(pk=first.pk).update(position=9)  # the order they are shown in
    assert message_fingerprint(reload(message)) != with_media

    loaded = reload(message)
    loaded.scheduled_at = timezone.now() + timedelta(hours=1)
    assert message_fingerprint(loaded) != message_fingerprint(reload(message))


# --- Validation and content ----------------------------------------------------------------------


def test_validate_draft_returns_every_problem_at_once_naming_language_and_account():
    author = officer("emb-eg-cairo")
    x = account("emb-eg-cairo", handle="@FranceEgypte")
    youtube = account("emb-eg-cairo", Network.YOUTUBE, handle="FranceEgypteTV")
    message = draft_message(author=author, targets=[x, youtube], texts={"fr": "Court", "ar": "ع" * 311})
    problems = validate_draft(draft_of(reload(message)))
    texts = [problem.message for problem in problems]
    assert "Arabic, X @FranceEgypte: The text is 31 characters too long for X (311 of 280)." in texts
    assert sum("YouTube needs a video." in text for text in texts) == 2  # French and Arabic
    assert sum("YouTube needs a title." in text for text in texts) == 2
    assert any("No text in English" in text for text in texts)  # a warning
    arabic_x = next(problem for problem in problems if "too long" in problem.message)
    assert (arabic_x.language, arabic_x.account_ids, arabic_x.network, arabic_x.blocking) == (
        "ar",
        (x.pk,),
        "twitter",
        True,
    )
    warning = next(problem for problem in problems if "No text in English" in problem.message)
    assert warning.blocking is False


def test_validate_draft_finds_our_own_problems():
    author = officer("emb-eg-cairo")
    disconnected = account("emb-eg-cairo", status=SocialAccount.Status.EXPIRED)
    message = draft_message(author=author, targets=[], texts={("fr", "twitter"): "Variante seule"})
    problems = {problem.message: problem for problem in validate_draft(draft_of(reload(message)))}
    assert problems["Choose at least one account to publish to."].blocking
    assert problems["Write the text in at least one language."].blocking
    assert any("has no main text in French" in text for text in problems)

    message_update(
        actor=author,
        message_id=message.pk,
        expected_version=None,
        target_ids=[disconnected.pk],
        texts={"fr": "Bonjour"},
    )
    problems = validate_draft(draft_of(reload(message)))
    not_connected = [problem for problem in problems if "Not connected" in problem.message]
    assert len(not_connected) == 1
    assert not_connected[0].blocking is False
    assert not_connected[0].account_ids == (disconnected.pk,)


def test_build_content_uses_the_network_variant_and_the_deliverys_reference():
    author = officer("emb-eg-cairo")
    x, facebook = account("emb-eg-cairo"), account("emb-eg-cairo", Network.FACEBOOK)
    message = draft_message(
        author=author,
        targets=[x, facebook],
        texts={
            "fr": ("Texte long pour Facebook", "Titre"),
            ("fr", "twitter"): "Texte court pour X",
        },
    )
    attachment_add(actor=author, message_id=message.pk, uploaded_file=_upload(png_bytes(), "a.png"), alt_text="Alt")
    loaded = draft_of(reload(message))
    assert build_content(loaded, network="twitter", language="fr").text == "Texte court pour X"
    assert (
        build_content(loaded, network="twitter", language="fr").title == "Titre"
    )  # the variant's empty title falls back
    assert build_content(loaded, network="facebook", language="fr").text == "Texte long pour Facebook"
    media = build_content(loaded, network="facebook", language="fr").media
    assert [(item.kind, item.mime_type, item.alt_text) for item in media] == [("image", "image/png", "Alt")]
    # A variant replaces the text on its network; it adds no delivery.
    assert sorted((acc.network, language) for acc, language in delivery_plan(loaded)) == [
        ("facebook", "fr"),
        ("twitter", "fr"),
    ]
    delivery = Delivery.objects.create(message=message, account=x, language="fr")
    content = delivery_content(delivery)
    assert (content.text, content.reference) == ("Texte court pour X", delivery.network_token)
    # Issue 13: what goes out in public (a Flickr machine tag) is a random token, never our
    # own reference for the delivery.
    assert delivery.network_token not in delivery.reference
    assert len(delivery.network_token) == 16
    with pytest.raises(LookupError):
        build_content(loaded, network="twitter", language="ar")


def test_the_engines_check_and_content_cost_one_query_whatever_the_targets(django_assert_num_queries):
    """Before each delivery the engine re-checks the fingerprint and builds the content from
    the delivery as it loads it: the target ids in one statement, no account, no mission."""
    author = officer("emb-eg-cairo")
    targets = [account("emb-eg-cairo", handle=f"@a{number}") for number in range(20)]
    message = draft_message(author=author, targets=targets, texts={"fr": "Bonjour", "ar": "مرحبا"})
    delivery = Delivery.objects.create(message=message, account=targets[0], language="ar")
    loaded = (
        Delivery.objects.select_related("message", "account__mission")
        .prefetch_related("message__texts", "message__attachments")
        .get(pk=delivery.pk)
    )
    with django_assert_num_queries(1):
        fingerprint = message_fingerprint(loaded.message)
        content = delivery_content(loaded)
    assert fingerprint == message_fingerprint(reload(message))
    assert content.text == "مرحبا"


def test_validate_draft_with_the_real_adapters(real_adapters):
    """Through channels/adapters/* (their SDKs' own rules): every problem at once."""
    author = officer("emb-eg-cairo")
    x = account("emb-eg-cairo", handle="@FranceEgypte")
    youtube = account("emb-eg-cairo", Network.YOUTUBE, handle="FranceEgypteTV")
    message = draft_message(author=author, targets=[x, youtube], texts={"fr": "Court", "ar": "ع" * 400})
    problems = validate_draft(draft_of(reload(message)))
    texts = [problem.message for problem in problems]
    arabic_x = [text for text in texts if text.startswith("Arabic, X @FranceEgypte:")]
    assert arabic_x, texts
    assert any(text.startswith("French, YouTube FranceEgypteTV:") for text in texts), texts
    assert any(text.startswith("Arabic, YouTube FranceEgypteTV:") for text in texts), texts
    assert not any(text.startswith("French, X") for text in texts), texts


# --- Selectors ------------------------------------------------------------------------------------


def test_message_list_is_scoped_and_costs_a_constant_number_of_queries(django_assert_max_num_queries):
    cairo_officer = officer("emb-eg-cairo")
    tokyo_officer = officer("emb-jp-tokyo")
    for _ in range(3):
        draft_message(author=cairo_officer)
    tokyo = draft_message(author=tokyo_officer, mission_or_code="emb-jp-tokyo", texts={"fr": "Bonjour"})
    press = press_officer()

    assert tokyo not in message_list(user=cairo_officer)
    assert len(message_list(user=cairo_officer)) == 3
    assert len(message_list(user=press)) == 4
    assert list(message_list(user=press, region="Asia-Pacific")) == [tokyo]
    assert len(message_list(user=press, network="twitter", state="draft")) == 4
    assert not message_list(user=press, network="youtube")
    assert len(message_list(user=press, date_from=timezone.localdate())) == 4
    assert not message_list(user=press, date_to=timezone.localdate() - timedelta(days=2))
    assert not message_list(user=officer())  # an officer of no mission

    def render(user):
        return [
            (m.title, m.mission.name, m.author.username, [t.network for t in m.targets.all()], m.deliveries_total)
            for m in message_list(user=user)
        ]

    with django_assert_max_num_queries(6):
        render(press)
    for _ in range(5):
        draft_message(author=cairo_officer)
    press = press_officer()
    with django_assert_max_num_queries(6):
        assert len(render(press)) == 9


def test_message_get_hides_what_the_user_may_not_see():
    cairo_officer = officer("emb-eg-cairo")
    message = draft_message(author=cairo_officer)
    assert message_get(user=cairo_officer, pk=message.pk) == message
    assert message_get(user=press_officer(), pk=message.pk) == message
    with pytest.raises(Http404):
        message_get(user=officer("emb-jp-tokyo"), pk=message.pk)
    with pytest.raises(Http404):
        message_get(user=cairo_officer, pk="nonsense")


def test_message_cancel_by_its_author_before_approval_is_a_withdrawal():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    message_cancel(actor=author, message_id=message.pk)
    message.refresh_from_db()
    assert message.state == Message.State.CANCELLED
