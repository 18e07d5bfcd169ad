"""Mail leaves the web request: `mail_queue` renders an email in the caller's transaction
and, once that commits, hands it to the `mail.send` task (routed to the maintenance queue),
one email per person. A transaction rolled back sends nothing; a mail server that is down
is logged by the worker and never undoes what was decided.

Plain text only (templates/emails/*.txt, rendered without HTML escaping since nothing
interprets them as HTML: a title like `<script>` arrives as those very characters, and no
HTML part is sent that could run it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from diplomacy_hub.tasks import task

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Diplomacy Hub] "
SUBJECT_MAX = 150


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def one_line(text: str) -> str:
    """No line breaks or control characters in a subject (header injection)."""
    line = " ".join("".join(char if char.isprintable() else " " for char in str(text)).split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


def users_in_groups(*groups: str) -> list:
    """Active users of these role groups who have an email address, each once."""
    users = (
        get_user_model()
        .objects.filter(groups__name__in=groups, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    return list(users)


def mail_queue(*, subject: str, template: str, context: dict, recipients: Iterable[str]) -> int:
    """Render `emails/<template>` now and send it to each address once the transaction
    commits (at once outside one). Returns how many emails were queued: 0 when there was
    no one to tell, so that the caller says "told" only when someone will be."""
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return 0
    body = render_to_string(f"emails/{template}", context)
    subject = one_line(SUBJECT_PREFIX + subject)
    for address in addresses:
        # One email per person: nobody sees the list of recipients. Robust: a broker that
        # refuses the task is logged, and the request that committed still answers.
        transaction.on_commit(
            partial(mail_send.apply_async, kwargs={"to": address, "subject": subject, "body": body}), robust=True
        )
    return len(addresses)


@task(name="mail.send")
def mail_send(*, to: str, subject: str, body: str, **kwargs) -> int:
    """Send one plain-text email. A failure is logged, not retried: the decision it tells of
    is already recorded and shown on the message's page."""
    email = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    try:
        return email.send()
    except Exception:
        logger.exception("Could not send the email %r.", subject)
        return 0
