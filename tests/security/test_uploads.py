"""Uploads: a wrong type behind a right extension, a polyglot, an oversize file, a
decompression bomb, a truncated video — each refused with a clear message, and nothing
stored (no Attachment row, no file under MEDIA_ROOT), through the service
(posts.services.messages.attachment_add) and the compose page's upload button.
Matrix S15-S17; ASVS 5.2.1-5.2.3, 5.3.2."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels.media import IMAGE_UPLOAD_MAX_BYTES
from channels.models import SocialAccount
from live.media_samples import mp4_bytes, png_bytes
from posts.forms import ComposeForm
from posts.models import Attachment, Message
from posts.services.messages import attachment_add, message_create
from tests.posts.factories import account, officer
from tests.security.conftest import MISSION_A
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header promises width × height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def png_with_html() -> bytes:
    png = png_bytes()
    return png[:33] + _png_chunk(b"tEXt", b"Comment\x00<html><script>alert(1)</script></html>") + png[33:]


BAD_UPLOADS = {
    # name: (file name, content, what the message says)
    "html behind .jpg": (
        "photo.jpg",
        b"<!doctype html><html><script>alert(document.cookie)</script></html>",
        "not an image or video",
    ),
    "php behind .png": ("photo.png", b"<?php system($_GET['cmd']); ?>", "not an image or video"),
    "svg (script-capable)": (
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "not an image or video",
    ),
    "polyglot png": ("photo.png", png_with_html(), "hidden web code"),
    "gif header + html": ("anim.gif", b"GIF89a<html><script>alert(1)</script></html>", "damaged or incomplete"),
    "oversize image": ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(IMAGE_UPLOAD_MAX_BYTES), "at most 20 MB"),
    "decompression bomb": ("bomb.png", png_declaring(30_000, 30_000), "too large in pixels"),
    "truncated video": ("clip.mp4", mp4_bytes(seconds=5, padding=4096)[:2500], "video file is incomplete"),
    "empty file": ("empty.jpg", b"", "empty"),
}


@pytest.fixture
def draft(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    author = officer(MISSION_A, username="uploader")
    target = account(MISSION_A)
    message = message_create(
        actor=author,
        mission=target.mission,
        title="With a photo",
        texts={"fr": "Une photo.", "ja": "写真。"},
        target_ids=[target.pk],
    )
    return message


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


def explain(message: str) -> str:
    # The messages' wording, as shown (a few keep a non-breaking space before units).
    return message.replace("\u00a0", " ")


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_the_service_refuses_a_bad_upload_and_stores_nothing(draft, case):
    name, content, says = BAD_UPLOADS[case]
    with pytest.raises(ValidationError) as refused:
        attachment_add(actor=draft.author, message_id=draft.pk, uploaded_file=SimpleUploadedFile(name, content))
    assert says in explain(" ".join(refused.value.message_dict["file"]))
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert Message.objects.get(pk=draft.pk).version == draft.version


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_the_compose_page_refuses_a_bad_upload_and_says_why(client, draft, case):
    name, content, says = BAD_UPLOADS[case]
    force_verified_login(client, draft.author)
    accounts = list(SocialAccount.objects.filter(mission=draft.mission))
    data = ComposeForm(None, mission=draft.mission, accounts=accounts, message=draft).as_data()
    data.update(action="upload", alt_text="A photo", file=SimpleUploadedFile(name, content))

    response = client.post(reverse("posts:message_edit", args=[draft.pk]), data)

    assert response.status_code in (200, 400), response.status_code
    assert says in explain(response.content.decode())
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_a_good_image_is_stored_under_a_generated_name(client, draft):
    """The control: the same path takes a real photo, under a name of ours (S17)."""
    force_verified_login(client, draft.author)
    accounts = list(SocialAccount.objects.filter(mission=draft.mission))
    data = ComposeForm(None, mission=draft.mission, accounts=accounts, message=draft).as_data()
    data.update(
        action="upload",
        alt_text="A photo",
        file=SimpleUploadedFile("../../settings.py<script>.png", png_bytes(), "image/png"),
    )
    client.post(reverse("posts:message_edit", args=[draft.pk]), data)
    attachment = Attachment.objects.get()
    stored = os.path.basename(attachment.file.name)
    assert "settings" not in stored
    assert "<" not in stored
    assert ".." not in attachment.file.name
    assert attachment.original_name == "settings.py<script>.png"  # kept as text, shown escaped
    assert stored_files() == [os.path.join(settings.MEDIA_ROOT, attachment.file.name)]


def test_attachments_are_served_as_downloads_not_pages(client, draft):
    """Served through a permission-checked view, never rendered inline as HTML (S2)."""
    attachment = attachment_add(
        actor=draft.author, message_id=draft.pk, uploaded_file=SimpleUploadedFile("a.png", png_bytes()), alt_text="x"
    )
    force_verified_login(client, draft.author)
    response = client.get(reverse("posts:attachment_file", args=[draft.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    stranger = officer("emb-de-berlin", username="stranger")
    force_verified_login(client, stranger)
    assert client.get(reverse("posts:attachment_file", args=[draft.pk, attachment.pk])).status_code == 404
