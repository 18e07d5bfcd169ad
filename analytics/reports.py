"""The weekly report: on Monday from 07:00 in each recipient's zone (a mission's officers:
their mission's zone; the press office: headquarters'), an HTML e-mail (with a plain-text
part, and the same as a PDF: analytics.pdf) of the week's numbers: each of an officer's
missions' audience and best messages, or the press office's comparison, in the language
the person reads the app in. Beat ticks hourly; a person gets one report a week."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from analytics import dialogue, selectors
from analytics.models import WeeklyReport
from diplomacy_hub.mail import SUBJECT_PREFIX, absolute_url, one_line
from embassies.models import Mission
from embassies.roles import Role
from security.selectors import mail_recipients

logger = logging.getLogger(__name__)

SEND_FROM_HOUR = 7  # local time, on Monday


def _zone_of(user) -> ZoneInfo:
    zone = (
        Mission.objects.filter(memberships__user=user).order_by("pk").values_list("time_zone", flat=True).first()
        if not user.groups.filter(name__in=[Role.PRESS_OFFICE]).exists()
        else None
    )
    return ZoneInfo(zone or settings.HEADQUARTERS_TIME_ZONE)


def _week_due(user, now: datetime) -> date | None:
    """The Monday (local) of this week's report when it is due now, else None."""
    local = now.astimezone(_zone_of(user))
    if local.weekday() != 0 or local.hour < SEND_FROM_HOUR:
        return None
    return local.date()


def recipients():
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.OFFICER, Role.PRESS_OFFICE])
        .exclude(email="")
    )
    return users.distinct().order_by("pk")


def weekly_reports_send(*, now: datetime | None = None) -> int:
    """Send the reports due now; returns how many left."""
    now = now or timezone.now()
    sent = 0
    for user in recipients():
        week = _week_due(user, now)
        if week is None:
            continue
        try:
            with transaction.atomic():
                report, _created = WeeklyReport.objects.get_or_create(user=user, week=week)
        except IntegrityError:  # another worker took it at the same moment
            continue
        if report.sent_at is not None:
            continue
        if weekly_report_send(user=user, week=week):
            WeeklyReport.objects.filter(pk=report.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def weekly_report_render(*, user, week: date) -> tuple[str, str, str, bytes]:
    """(subject, text, html, pdf) of one person's report, in the language active now."""
    press = user.groups.filter(name=Role.PRESS_OFFICE).exists()
    context: dict = {"user": user, "week": week, "since": week - timedelta(days=7)}
    period = dialogue.period_of(7)
    context["dialogue_link"] = absolute_url(reverse("analytics:dialogue"))
    if press:
        context["comparison"] = selectors.comparison(user=user)
        context["link"] = absolute_url(reverse("analytics:overview"))
        everywhere = dialogue.dialogue(user=user, period=period)
        context["dialogue"] = [dialogue.summary_table(everywhere["summary"]), everywhere["ratio_regions"]]
    else:
        context["missions"] = [
            {
                "mission": mission,
                "link": absolute_url(reverse("analytics:mission", args=[mission.code])),
                **selectors.mission_dashboard(mission=mission),
                "dialogue": dialogue.summary_table(dialogue.mission_summary(mission=mission, period=period)),
            }
            for mission in Mission.objects.filter(memberships__user=user).order_by("code")
        ]
    subject = one_line(SUBJECT_PREFIX + str(translation.gettext("Your week in numbers")))
    return (
        subject,
        render_to_string("emails/weekly_report.txt", context),
        render_to_string("emails/weekly_report.html", context),
        _pdf(context),
    )


def _pdf(context: dict) -> bytes:
    # start-up: fpdf2 and fontTools load in the worker that writes reports, not in every
    # web process that imports the tasks.
    from analytics.pdf import weekly_report_pdf

    return weekly_report_pdf(context)


def _language_of(user) -> str:
    """The language the person reads the app in (security.LanguagePreference), as the other
    mails are written: the site's default for one who never said."""
    recipient = mail_recipients([user])[0]
    known = {code for code, _name in settings.LANGUAGES}
    return recipient.language if recipient.language in known else settings.LANGUAGE_CODE


def weekly_report_send(*, user, week: date) -> bool:
    with translation.override(_language_of(user)):
        subject, text, html, pdf = weekly_report_render(user=user, week=week)
    mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    mail.attach_alternative(html, "text/html")
    mail.attach(f"week-{week.isoformat()}.pdf", pdf, "application/pdf")
    try:
        mail.send()
    except Exception:  # a mail server down: the next tick tries again
        logger.warning("The weekly report to user %s did not leave.", user.pk, exc_info=True)
        return False
    return True
