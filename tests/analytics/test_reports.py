"""The weekly report: on Monday from 07:00 in each recipient's zone (an officer's mission's,
headquarters' for the press office), once a week, an HTML e-mail with a plain-text part;
a title written by a stranger arrives escaped in the HTML."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import translation

from analytics.models import WeeklyReport
from analytics.reports import weekly_reports_send
from channels.models import Network
from security.models import LanguagePreference
from tests.analytics.conftest import sent
from tests.posts.factories import account, officer, press_officer

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)  # Cairo is UTC+2, Paris UTC+1 in December


def test_each_recipient_gets_one_report_on_monday_morning_in_their_zone(settings):
    settings.HEADQUARTERS_TIME_ZONE = "Europe/Paris"
    cairo_officer = officer("emb-eg-cairo", email="cairo@example.org")
    press = press_officer(email="press@example.org")
    sent(account("emb-eg-cairo", Network.TWITTER), title="<b>Fête</b> nationale", likes=12)

    def sent_to(hour: int, minute: int = 30) -> set[str]:
        before = len(mail.outbox)
        weekly_reports_send(now=MONDAY.replace(hour=hour, minute=minute))
        return {address for report in mail.outbox[before:] for address in report.to}

    assert sent_to(4) == set()  # 06:30 in Cairo, 05:30 in Paris
    at_cairo_seven = sent_to(5)  # 07:30 in Cairo, 06:30 in Paris
    assert cairo_officer.email in at_cairo_seven
    assert press.email not in at_cairo_seven
    assert press.email in sent_to(6)  # 07:30 in Paris
    assert sent_to(9) == set()  # once a week
    assert WeeklyReport.objects.filter(sent_at__isnull=False).count() == len(mail.outbox)

    report = next(report for report in mail.outbox if report.to == [cairo_officer.email])
    html, kind = report.alternatives[0]
    assert kind == "text/html"
    assert "&lt;b&gt;Fête&lt;/b&gt; nationale" in html
    assert "<b>Fête</b>" not in html
    assert "<b>Fête</b> nationale" in report.body  # plain text, as written
    assert "/analytics/audience/emb-eg-cairo/" in report.body


def test_no_report_on_other_days(settings):
    officer("emb-eg-cairo", email="cairo@example.org")
    assert weekly_reports_send(now=datetime(2026, 12, 8, 9, tzinfo=UTC)) == 0
    assert not mail.outbox


def test_each_report_is_written_in_its_recipients_language(settings):
    settings.HEADQUARTERS_TIME_ZONE = "Europe/Paris"
    french = officer("emb-eg-cairo", email="fr@example.org")
    arabic = officer("emb-eg-cairo", email="ar@example.org")
    LanguagePreference.objects.create(user=french, language="fr")
    LanguagePreference.objects.create(user=arabic, language="ar")
    sent(account("emb-eg-cairo", Network.TWITTER), title="Fête", likes=3)
    weekly_reports_send(now=MONDAY.replace(hour=5, minute=30))
    reports = {report.to[0]: report for report in mail.outbox}
    with translation.override("fr"):
        french_subject = translation.gettext("Your week in numbers")
        french_audience = translation.gettext("Audience")
    with translation.override("ar"):
        arabic_subject = translation.gettext("Your week in numbers")
    assert french_subject != "Your week in numbers"
    assert arabic_subject != "Your week in numbers"
    assert french_subject in reports["fr@example.org"].subject
    assert french_audience in reports["fr@example.org"].body
    assert arabic_subject in reports["ar@example.org"].subject
    assert '<html lang="ar" dir="rtl">' in reports["ar@example.org"].alternatives[0][0]


def test_the_report_comes_with_a_pdf_in_the_readers_language(settings, tmp_path):
    settings.HEADQUARTERS_TIME_ZONE = "Europe/Paris"
    for address, language in (("fr@example.org", "fr"), ("ar@example.org", "ar")):
        reader = officer("emb-eg-cairo", email=address)
        LanguagePreference.objects.create(user=reader, language=language)
    press_officer(email="press@example.org")
    sent(account("emb-eg-cairo", Network.TWITTER), title="Fête nationale", likes=12)
    weekly_reports_send(now=MONDAY.replace(hour=8))
    readers = {"fr@example.org", "ar@example.org", "press@example.org"}
    assert readers <= {report.to[0] for report in mail.outbox}
    for report in mail.outbox:
        [(name, pdf, kind)] = report.attachments
        assert (name, kind) == ("week-2026-12-07.pdf", "application/pdf")
        assert pdf.startswith(b"%PDF-")
        assert pdf.rstrip().endswith(b"%%EOF")
        assert b"DejaVuSans" in pdf  # the Unicode font, embedded: Arabic and accents drawn
    pdftotext = shutil.which("pdftotext")
    if pdftotext:  # the words themselves, where poppler is installed
        french = next(report for report in mail.outbox if report.to == ["fr@example.org"])
        path = tmp_path / "fr.pdf"
        path.write_bytes(french.attachments[0][1])
        text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603
        assert "Fête nationale" in text
        with translation.override("fr"):
            assert translation.gettext("Your week in numbers") in text
