"""The weekly report: on Monday from 07:00 in each recipient's zone (an officer's mission's,
headquarters' for the press office), once a week, an HTML e-mail with a plain-text part;
a title written by a stranger arrives escaped in the HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from analytics.models import WeeklyReport
from analytics.reports import weekly_reports_send
from channels.models import Network
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
