"""Compose and edit: who may, what the form keeps, times in the mission's zone, problems
beside their fields, autosave, the live preview, uploads and the attachment view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from live.media_samples import png_bytes
from posts.models import Attachment, Message
from posts.services.review import message_submit
from tests.posts.factories import account, approved_message, draft_message, officer

pytestmark = pytest.mark.django_db


def compose(mission, targets=(), **fields) -> dict:
    data = {"mission": mission.pk, "title": "National day", "version": "", "targets": [t.pk for t in targets]}
    data.update(fields)
    return data


# --- Who may --------------------------------------------------------------------------------


def test_message_create_asks_which_mission_when_the_officer_has_several(login, cairo, tokyo):
    user = officer(cairo, tokyo)
    response = login(user).get(reverse("posts:message_create"))
    assert response.status_code == 200
    assert "For which mission?" in response.text
    assert f"?mission={cairo.pk}" in response.text
    assert f"?mission={tokyo.pk}" in response.text


def test_message_create_opens_the_form_for_an_officer_of_one_mission(login, author, cairo):
    response = login(author).get(reverse("posts:message_create"))
    assert response.status_code == 200
    assert 'name="text_fr"' in response.text
    assert 'name="text_ar"' in response.text
    assert 'name="text_en"' in response.text


def test_message_create_for_another_mission_is_not_found(login, author, tokyo):
    response = login(author).get(reverse("posts:message_create") + f"?mission={tokyo.pk}")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["press", "crisis", "admin_user"])
def test_message_create_is_forbidden_to_roles_that_do_not_draft(request, login, role):
    response = login(request.getfixturevalue(role)).get(reverse("posts:message_create"))
    assert response.status_code == 403


def test_message_create_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("posts:message_create"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_message_edit_of_another_missions_message_is_not_found(login, author, stranger):
    message = draft_message(author=author)
    assert login(stranger).get(reverse("posts:message_edit", args=[message.pk])).status_code == 404


def test_message_edit_is_forbidden_to_the_press_office(login, author, press):
    message = draft_message(author=author)
    assert login(press).get(reverse("posts:message_edit", args=[message.pk])).status_code == 403


def test_message_edit_is_open_to_another_officer_of_the_mission(login, author, colleague):
    message = draft_message(author=author)
    assert login(colleague).get(reverse("posts:message_edit", args=[message.pk])).status_code == 200


def test_message_edit_of_a_closed_message_goes_to_its_page(login, author, press):
    message = approved_message(author=author, approver=press)
    Message.objects.filter(pk=message.pk).update(state=Message.State.PUBLISHED)
    response = login(author).get(reverse("posts:message_edit", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == message.get_absolute_url()


# --- The form ---------------------------------------------------------------------------------


def test_the_arabic_tab_is_written_right_to_left(login, author):
    response = login(author).get(reverse("posts:message_create"))
    html = response.text
    arabic = html[html.index('id="id_text_ar"') - 200 : html.index('id="id_text_ar"') + 200]
    assert 'dir="rtl"' in arabic
    assert 'lang="ar"' in arabic
    french = html[html.index('id="id_text_fr"') - 200 : html.index('id="id_text_fr"') + 200]
    assert 'dir="rtl"' not in french
    assert 'role="tablist"' not in html  # added by the script; without it every panel shows
    assert "data-tablist" in html
    assert 'aria-controls="panel-ar"' in html


def test_saving_a_new_draft_stores_the_time_typed_in_tokyo_as_the_right_instant(login, tokyo):
    user = officer(tokyo)
    target = account(tokyo)
    response = login(user).post(
        reverse("posts:message_create") + f"?mission={tokyo.pk}",
        compose(tokyo, [target], text_ja="こんにちは", text_fr="Bonjour", desired_at="2030-06-01T09:30", action="save"),
    )
    message = Message.objects.get(author=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:message_edit", args=[message.pk])
    assert message.desired_at == datetime(2030, 6, 1, 0, 30, tzinfo=UTC)  # 09:30 JST is 00:30 UTC
    assert {(t.language, t.network): t.body for t in message.texts.all()} == {
        ("fr", ""): "Bonjour",
        ("ja", ""): "こんにちは",
    }
    assert list(message.targets.all()) == [target]


def test_the_edit_form_shows_the_stored_time_in_the_missions_zone(login, tokyo):
    user = officer(tokyo)
    message = draft_message(
        author=user, mission_or_code=tokyo, texts={"fr": "Bonjour"}, desired_at=datetime(2030, 6, 1, 0, 30, tzinfo=UTC)
    )
    response = login(user).get(reverse("posts:message_edit", args=[message.pk]))
    assert 'value="2030-06-01T09:30"' in response.text
    assert "02:30 in Paris" in response.text  # Paris is UTC+2 in June


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2030-03-10T02:30", "does not exist in New York"),  # clocks go forward at 2:00
        ("2030-11-03T01:30", "happens twice in New York"),  # clocks go back at 2:00
    ],
)
def test_a_local_time_that_does_not_exist_or_happens_twice_is_refused_beside_the_field(login, typed, words):
    user = officer("cg-us-new-york")
    new_york = user.memberships.get().mission
    response = login(user).post(
        reverse("posts:message_create") + f"?mission={new_york.pk}",
        compose(new_york, title="Kept as typed", text_en="Hello", desired_at=typed, action="save"),
    )
    assert response.status_code == 400
    assert not Message.objects.filter(author=user).exists()
    html = response.text
    errors = html[html.index('id="id_desired_at_error"') :]
    assert words in errors[:500]
    assert 'value="Kept as typed"' in html
    assert ">\nHello</textarea>" in html


def test_submit_shows_every_problem_at_once_beside_its_field(login, author, cairo):
    target = account(cairo)
    response = login(author).post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        compose(cairo, [target], text_fr="é" * 300, text_ar="ب" * 290, action="submit"),
    )
    assert response.status_code == 400
    html = response.text
    french = html[html.index('id="id_text_fr_error"') :][:400]
    arabic = html[html.index('id="id_text_ar_error"') :][:400]
    assert "20 characters too long for X" in french
    assert "10 characters too long for X" in arabic
    assert 'id="error-summary"' in html
    assert "2 things to fix" in html
    message = Message.objects.get(author=author)
    assert message.state == Message.State.DRAFT  # saved, but not submitted
    assert f'name="message" id="id_message" value="{message.pk}"' in html  # the page now edits it
    assert "é" * 300 in html  # what was typed is kept


def test_submit_without_any_account_says_so_beside_the_accounts(login, author, cairo):
    response = login(author).post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        compose(cairo, text_fr="Bonjour", action="submit"),
    )
    assert response.status_code == 400
    assert "Choose at least one account" in response.text[response.text.index('id="id_targets_error"') :][:300]


def test_the_summary_of_problems_reads_in_french_with_its_no_break_space(login, author, cairo):
    client = login(author)
    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        compose(cairo, text_fr="Bonjour", action="submit"),
    )
    summary = response.text[response.text.index('id="error-summary"') :][:1500]
    assert "\u00a0: Choisissez au moins un compte" in summary
    assert "Choose at least one account" not in summary


def test_submit_of_a_valid_draft_puts_it_in_review(login, author, cairo):
    message = draft_message(author=author)
    target = message.targets.get()
    response = login(author).post(
        reverse("posts:message_edit", args=[message.pk]),
        compose(
            cairo,
            [target],
            title=message.title,
            version=message.version,
            text_fr="Bonjour",
            text_ar="مرحبا",
            action="submit",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == message.get_absolute_url()
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    # No email goes to the press office on submission: the flash does not claim one did.
    assert [str(flashed) for flashed in get_messages(response.wsgi_request)] == ["Submitted for review."]


def test_saving_from_a_stale_page_is_refused_with_a_reload_link(login, author, cairo):
    message = draft_message(author=author)
    target = message.targets.get()
    data = compose(cairo, [target], title="Changed", version=message.version - 1 or 0, text_fr="Bonjour")
    response = login(author).post(reverse("posts:message_edit", args=[message.pk]), data)
    assert response.status_code == 409
    assert "has changed since you opened this page" in response.text
    assert "Reload the current version" in response.text
    message.refresh_from_db()
    assert message.title != "Changed"


def test_submit_refused_on_the_message_page_sends_the_author_to_the_form_with_the_problems(login, author, cairo):
    message = draft_message(author=author, texts={"fr": "é" * 300})
    client = login(author)
    response = client.post(reverse("posts:message_submit", args=[message.pk]), {"version": message.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:message_edit", args=[message.pk]) + "?check=1"
    page = client.get(response["Location"])
    assert "20 characters too long for X" in page.text[page.text.index('id="id_text_fr_error"') :][:400]


# --- Autosave --------------------------------------------------------------------------------


def test_autosave_creates_the_draft_once_then_updates_it(login, author, cairo, htmx_headers):
    target = account(cairo)
    client = login(author)
    url = reverse("posts:message_autosave")
    first = client.post(url, compose(cairo, [target], title="Draft", text_fr="Bon"), headers=htmx_headers)
    assert first.status_code == 200
    message = Message.objects.get(author=author)
    assert "Saved" in first.text
    assert f'id="id_message" value="{message.pk}" hx-swap-oob="true"' in first.text
    assert first["HX-Replace-Url"] == reverse("posts:message_edit", args=[message.pk])
    second = client.post(
        url,
        compose(cairo, [target], title="Draft", text_fr="Bonjour", message=message.pk, version=message.version),
        headers=htmx_headers,
    )
    assert second.status_code == 200
    assert "Saved" in second.text
    assert Message.objects.filter(author=author).count() == 1
    message.refresh_from_db()
    assert message.texts.get(language="fr").body == "Bonjour"
    assert f'id="id_version" value="{message.version}"' in second.text


def test_autosave_without_a_title_saves_nothing_and_says_why(login, author, cairo, htmx_headers):
    response = login(author).post(
        reverse("posts:message_autosave"), compose(cairo, title="", text_fr="Bon"), headers=htmx_headers
    )
    assert "Give the message an internal title" in response.text
    assert not Message.objects.filter(author=author).exists()


def test_autosave_from_a_stale_page_saves_nothing(login, author, cairo, htmx_headers):
    message = draft_message(author=author)
    response = login(author).post(
        reverse("posts:message_autosave"),
        compose(cairo, title="Stale", text_fr="x", message=message.pk, version=message.version + 5),
        headers=htmx_headers,
    )
    assert "changed elsewhere" in response.text
    message.refresh_from_db()
    assert message.title != "Stale"


def test_autosave_is_off_once_the_message_is_in_review(login, author, cairo, htmx_headers):
    message = draft_message(author=author)
    message_submit(actor=author, message_id=message.pk)
    response = login(author).post(
        reverse("posts:message_autosave"),
        compose(cairo, title="Changed", text_fr="x", message=message.pk, version=message.version),
        headers=htmx_headers,
    )
    assert "Automatic saving is off" in response.text
    message.refresh_from_db()
    assert message.title != "Changed"


def test_autosave_of_another_missions_message_is_not_found(login, author, stranger, cairo, htmx_headers):
    message = draft_message(author=author)
    response = login(stranger).post(
        reverse("posts:message_autosave"), compose(cairo, message=message.pk, version=1), headers=htmx_headers
    )
    assert response.status_code == 404


# --- Live preview ------------------------------------------------------------------------------


def test_preview_returns_the_counter_fragment(login, author, cairo, htmx_headers):
    target = account(cairo)
    response = login(author).post(
        reverse("posts:message_preview"),
        compose(cairo, [target], text_fr="Bonjour à tous", text_ar="ب" * 290),
        headers=htmx_headers,
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html  # a fragment
    assert "X: 14/280" in html
    assert "X: 290/280" in html
    assert "10 characters too long for X" in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert "problem to fix before submitting" in html
    assert 'dir="rtl"' in html


def test_preview_uses_a_network_variant_where_one_is_written(login, author, cairo, htmx_headers):
    target = account(cairo)
    response = login(author).post(
        reverse("posts:message_preview"),
        compose(cairo, [target], text_fr="é" * 300, text_fr_twitter="Court"),
        headers=htmx_headers,
    )
    assert "X: 5/280" in response.text
    assert "too long" not in response.text


def test_preview_counters_keep_the_french_no_break_space(login, author, cairo, htmx_headers):
    target = account(cairo)
    client = login(author)
    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("posts:message_preview"), compose(cairo, [target], text_fr="Bonjour à tous"), headers=htmx_headers
    )
    assert "X\u00a0: 14/280" in response.text


def test_preview_never_shows_another_missions_accounts(login, author, cairo, tokyo, htmx_headers):
    theirs = account(tokyo)
    response = login(author).post(
        reverse("posts:message_preview"), compose(cairo, [theirs], text_fr="Bonjour"), headers=htmx_headers
    )
    assert response.status_code == 200
    assert theirs.handle not in response.text


def test_preview_for_a_mission_of_someone_else_is_not_found(login, author, tokyo, htmx_headers):
    response = login(author).post(reverse("posts:message_preview"), compose(tokyo, text_fr="x"), headers=htmx_headers)
    assert response.status_code == 404


def test_time_in_hq_converts_a_local_time(login, tokyo):
    user = officer(tokyo)
    response = login(user).get(reverse("posts:time_in_hq"), {"mission": tokyo.pk, "desired_at": "2030-01-15T09:00"})
    assert "01:00 in Paris" in response.text  # JST is UTC+9, Paris UTC+1 in January


# --- Media ----------------------------------------------------------------------------------


def test_upload_attaches_an_image_served_only_to_those_who_may_see_it(login, author, stranger, press, cairo):
    message = draft_message(author=author)
    target = message.targets.get()
    client = login(author)
    data = compose(
        cairo,
        [target],
        title=message.title,
        version=message.version,
        text_fr="Bonjour",
        action="upload",
        alt_text="The embassy garden",
    )
    data["file"] = SimpleUploadedFile("garden.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("posts:message_edit", args=[message.pk]), data)
    assert response.status_code == 302
    attachment = Attachment.objects.get(message=message)
    assert attachment.alt_text == "The embassy garden"
    url = reverse("posts:attachment_file", args=[message.pk, attachment.pk])
    page = client.get(reverse("posts:message_edit", args=[message.pk]))
    assert url in page.text
    assert "/media/" not in page.text
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert login(press).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 404


def test_upload_of_something_that_is_not_media_is_refused_beside_the_field(login, author, cairo):
    message = draft_message(author=author)
    data = compose(
        cairo, message.targets.all(), title=message.title, version=message.version, text_fr="Bonjour", action="upload"
    )
    data["file"] = SimpleUploadedFile("notes.png", b"<?php echo 1; ?>" * 10, content_type="image/png")
    response = login(author).post(reverse("posts:message_edit", args=[message.pk]), data)
    assert response.status_code == 400
    assert 'id="id_file_error"' in response.text
    assert not Attachment.objects.filter(message=message).exists()


def test_enter_in_a_field_saves_rather_than_removing_an_attachment(login, author):
    """The first submit button of the form is the one Enter presses: it must be "save"."""
    message = draft_message(author=author)
    html = login(author).get(reverse("posts:message_edit", args=[message.pk])).text
    form = html[html.index('id="compose-form"') :]
    first_button = form[form.index("<button") :][:120]
    assert 'name="action" value="save"' in first_button


def test_submit_of_an_invalid_form_still_lists_what_submit_would_find(login, author, cairo):
    target = account(cairo)
    response = login(author).post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        compose(cairo, [target], title="", text_ar="ب" * 290, desired_at="2020-01-01T10:00", action="submit"),
    )
    assert response.status_code == 400
    html = response.text
    assert "Give the message an internal title." in html[html.index('id="id_title_error"') :][:300]
    assert "10 characters too long for X" in html[html.index('id="id_text_ar_error"') :][:300]
    assert "This time has passed" in html[html.index('id="id_desired_at_error"') :][:300]
    assert not Message.objects.filter(author=author).exists()


# --- In French ------------------------------------------------------------------------------------


def test_preview_in_french_says_every_problem_in_french(login, author, cairo, htmx_headers):
    """Issue 13: an officer reading French reads compose's problems in French, the banner
    included, and no English sentence of ours."""
    x, youtube = account(cairo, handle="@FranceEgypte"), account(cairo, "youtube", handle="FranceEgypteTV")
    client = login(author)
    client.cookies["django_language"] = "fr"
    french = {**htmx_headers, "Accept-Language": "fr"}
    html = client.post(
        reverse("posts:message_preview"),
        compose(cairo, [x, youtube], text_fr="é" * 296),
        headers=french,
    ).text
    assert "Le texte dépasse de 16 caractères la limite de X (296 sur 280)." in html
    assert "YouTube demande un titre." in html
    assert "YouTube demande une vidéo." in html
    assert "Pas de texte en arabe et anglais" in html
    assert "3 problèmes à corriger avant" in html  # the status line
    assert "Bon à savoir" in html  # the banner's warnings
    for english in ("too long for", "needs a title", "No text in", "Choose at least one account", "Arabic"):
        assert english not in html, english

    empty = client.post(reverse("posts:message_preview"), compose(cairo, text_fr="Bonjour"), headers=french).text
    assert "À corriger avant publication" in empty  # the banner's heading
    assert "Choisissez au moins un compte où publier." in empty
    assert "Choose at least one account" not in empty


def test_a_refused_submit_in_french_puts_french_problems_beside_the_fields(login, author, cairo):
    x = account(cairo, handle="@FranceEgypte")
    client = login(author)
    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("posts:message_create"),
        compose(cairo, [x], text_fr="é" * 300, action="submit"),
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 400
    beside = response.text[response.text.index('id="id_text_fr_error"') :][:500]
    assert "Le texte dépasse de 20 caractères la limite de X" in beside
    assert "too long" not in response.text
