"""What people type is shown, never run: a hostile title, text, comment, review comment,
alt text and attachment file name appear escaped on every page that shows them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from live.media_samples import png_bytes
from posts.models import Message
from posts.services.messages import attachment_add, comment_add
from posts.services.review import message_approve, message_request_changes, message_submit
from tests.posts.factories import draft_message, submitted_message

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


ESCAPED = {"script": "&lt;script&gt;alert(1)&lt;/script&gt;", "img": "&lt;img src=x onerror=alert(1)&gt;"}


def assert_escaped(html: str, shown: tuple[str, ...] = ("script", "img")) -> None:
    """Neither payload is in the page as markup, and each of `shown` is there as text (so a
    page that stops showing the field fails too)."""
    for raw in (SCRIPT, "<img src=x onerror=alert(1)>"):
        assert raw not in html
    missing = [form for form in shown if ESCAPED[form] not in html]
    assert not missing, f"not shown (escaped): {missing}"


@pytest.fixture
def hostile(author, press, colleague):
    """Two messages of the Cairo embassy full of markup: one in review, one scheduled."""
    texts = {"fr": f"{SCRIPT} {IMG}", "ar": IMG}
    in_review = draft_message(author=author, title=f"{SCRIPT}{IMG}", texts=texts)
    attachment_add(
        actor=author,
        message_id=in_review.pk,
        alt_text=f"{SCRIPT}{IMG}",
        uploaded_file=SimpleUploadedFile(f"{IMG}{SCRIPT}.png", png_bytes(), content_type="image/png"),
    )
    comment_add(actor=author, message_id=in_review.pk, body=f"{SCRIPT}{IMG}")
    message_submit(actor=author, message_id=in_review.pk)
    asked = submitted_message(author=colleague, title=f"{IMG} asked", texts=texts)
    message_request_changes(actor=press, message_id=asked.pk, comment=f"{SCRIPT}{IMG}")
    scheduled = submitted_message(author=author, title=f"{SCRIPT} scheduled", texts=texts)
    scheduled = message_approve(actor=press, message_id=scheduled.pk)
    return {"in_review": Message.objects.get(pk=in_review.pk), "asked": asked, "scheduled": scheduled}


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("author", "dashboard"),
        ("colleague", "dashboard"),
        ("press", "dashboard"),
        ("press", "queue"),
        ("press", "detail"),
        ("author", "detail"),
        ("author", "asked"),
        ("author", "edit"),
        ("press", "calendar"),
        ("author", "calendar"),
    ],
)
def test_hostile_text_is_escaped_on_every_page(request, login, hostile, who, page):
    client = login(request.getfixturevalue(who))
    urls = {
        "dashboard": reverse("posts:dashboard"),
        "queue": reverse("posts:review_queue"),
        "detail": hostile["in_review"].get_absolute_url(),
        "asked": hostile["asked"].get_absolute_url(),
        "edit": reverse("posts:message_edit", args=[hostile["in_review"].pk]),
        "calendar": reverse("posts:calendar") + f"?date={hostile['scheduled'].scheduled_at.date().isoformat()}",
    }
    response = client.get(urls[page])
    assert response.status_code == 200
    # The calendar shows the scheduled message only, whose title holds the script.
    assert_escaped(response.text, shown=("script",) if page == "calendar" else ("script", "img"))


def test_hostile_text_is_escaped_in_the_live_preview(login, author, hostile, htmx_headers):
    message = hostile["in_review"]
    data = {
        "message": message.pk,
        "title": SCRIPT,
        "text_fr": f"{SCRIPT}{IMG}",
        "text_ar": IMG,
        "targets": [target.pk for target in message.targets.all()],
        "version": message.version,
    }
    response = login(author).post(reverse("posts:message_preview"), data, headers=htmx_headers)
    assert response.status_code == 200
    assert_escaped(response.text)


def test_hostile_text_kept_in_a_form_with_errors_is_escaped(login, author, cairo):
    response = login(author).post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        {
            "mission": cairo.pk,
            "title": f"{SCRIPT}{IMG}",
            "text_fr": f"{SCRIPT}{IMG}",
            "desired_at": IMG,
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert_escaped(response.text)


def test_the_attachment_file_name_cannot_break_out_of_its_header(login, author, hostile):
    message = hostile["in_review"]
    attachment = message.attachments.get()
    response = login(author).get(reverse("posts:attachment_file", args=[message.pk, attachment.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "\n" not in disposition
    assert "\r" not in disposition
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
