"""Mail leaves the web request: `mail_queue` renders an email in the caller's transaction,
in each recipient's language, and, once that commits, hands it to the `mail.send` task
(routed to the maintenance queue), one email per person. A transaction rolled back sends
nothing; a mail server that is down is tried again with backoff by the worker
(`mail_send`), and never undoes what was decided. Each mail is also kept by the mail
room (mailroom/, registered with `keep_with`), in the same transaction: a broker down at
commit loses nothing, and a redelivered task sends nothing twice.

Plain text only (templates/emails/*.txt, rendered without HTML escaping since nothing
interprets them as HTML: a title like `<script>` arrives as those very characters, and no
HTML part is sent that could run it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from diplomacy_hub.tasks import enqueue_on_commit, task

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Diplomacy Hub] "
MAIL_TASK = "mail.send"
SUBJECT_MAX = 150
# A send that fails is tried again after 30 s, 60 s, 120 s, then every 5 minutes, 12 times
# in all (about 45 minutes): an SMTP server down for a while loses nothing. Never longer
# than the broker's visibility timeout (10 minutes on Redis), after which Redis would hand
# the waiting retry to a second worker (RELIABILITY.md §1.1).
MAIL_RETRY_FIRST = 30
MAIL_RETRY_MAX = 300
MAIL_RETRIES = 12


# The same backoff for a task whose whole body is a send (an invitation's link): Celery
# retries it on a failure of the connection or of the mail server (smtplib's errors are
# OSErrors), waiting MAIL_RETRY_FIRST * 2**retries, capped at MAIL_RETRY_MAX.
MAIL_RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": (OSError,),
    "retry_backoff": MAIL_RETRY_FIRST,
    "retry_backoff_max": MAIL_RETRY_MAX,
    "retry_jitter": False,
    "max_retries": MAIL_RETRIES,
}


def retry_delay(retries: int) -> int:
    """Seconds before try number `retries + 1` of a failed send: doubling, capped."""
    return min(MAIL_RETRY_MAX, MAIL_RETRY_FIRST * 2 ** max(0, retries))


class Keeper(Protocol):
    """Where mails are kept until sent (mailroom.services.Keeper)."""

    def keep(self, mails: list[dict[str, str]]) -> list[int]: ...
    def already_sent(self, mail_id: int) -> bool: ...
    def tried(self, mail_id: int) -> None: ...
    def sent(self, mail_id: int) -> None: ...


_keeper: Keeper | None = None


def keep_with(keeper: Keeper) -> None:
    """Called once by the mail room's ready(): this module sits below every app."""
    global _keeper
    _keeper = keeper


@dataclass(frozen=True)
class Recipient:
    """An e-mail address and the language its person reads the app in (empty: the site's
    default language)."""

    address: str
    language: str = ""


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# Not "printable" to Python, yet plain characters: French puts them before a colon.
_NO_BREAK_SPACES = frozenset("\u00a0\u202f")


def one_line(text: str) -> str:
    """No line breaks or control characters in a subject (header injection); French no-break
    spaces stay."""
    kept = "".join(char if char.isprintable() or char in _NO_BREAK_SPACES else " " for char in str(text))
    # Runs of plain spaces as one (str.split() would split at a no-break space too).
    line = " ".join(part for part in kept.split(" ") if part)
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


def _languages(recipients: Iterable[str | Recipient]) -> dict[str, list[str]]:
    """The addresses by language, each address once (its first language)."""
    known = {code for code, _name in settings.LANGUAGES}
    by_language: dict[str, list[str]] = {}
    seen: set[str] = set()
    for recipient in recipients:
        if not isinstance(recipient, Recipient):
            recipient = Recipient(recipient)
        if not recipient.address or recipient.address in seen:
            continue
        seen.add(recipient.address)
        language = recipient.language if recipient.language in known else settings.LANGUAGE_CODE
        by_language.setdefault(language, []).append(recipient.address)
    return by_language


def mail_queue(
    *,
    subject: str | Callable[[], str],
    template: str,
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    recipients: Iterable[str | Recipient],
) -> int:
    """Render `emails/<template>` now, once per language of the recipients (a `Recipient`
    says its person's; a bare address gets the site's default), and send it to each
    address once the transaction commits (at once outside one). `subject` and `context` may
    be functions, called with that language active, so that what they word (dates,
    problems, mission names) reads in it too. Returns how many emails were queued: 0 when
    there was no one to tell, so that the caller says "told" only when someone will be."""
    by_language = _languages(recipients)
    count = 0
    for language, addresses in sorted(by_language.items()):
        with translation.override(language):
            words = subject() if callable(subject) else subject
            body = render_to_string(f"emails/{template}", context() if callable(context) else context)
            line = one_line(SUBJECT_PREFIX + str(words))
        # One email per person: nobody sees the list of recipients.
        mails: list[dict[str, Any]] = [{"to": address, "subject": line, "body": body} for address in sorted(addresses)]
        if _keeper is not None:
            for mail, mail_id in zip(mails, _keeper.keep(mails), strict=True):
                mail["mail_id"] = mail_id
        enqueue_on_commit(MAIL_TASK, calls=[((), mail) for mail in mails], what=f"the email {line!r}")
        count += len(addresses)
    return count


@task(name=MAIL_TASK, bind=True, max_retries=MAIL_RETRIES)
def mail_send(self: Any, *, to: str, subject: str, body: str, mail_id: int | None = None, **kwargs) -> int:
    """Send one plain-text email, once (a kept mail already sent is not sent again). A failure
    (the mail server down, refusing, timing out) is tried again later with backoff
    (`retry_delay`), MAIL_RETRIES times; then logged as an error and left to the mail room's
    next look (mailroom.services.mail_queue_unsent)."""
    keeper = _keeper if mail_id is not None else None
    if keeper is not None and keeper.already_sent(mail_id):
        return 0
    email = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    try:
        count = email.send()
    except Exception as exc:
        if keeper is not None:
            keeper.tried(mail_id)
        tries = self.request.retries or 0
        if tries >= MAIL_RETRIES:
            logger.exception("Could not send the email %r after %s tries: left for later.", subject, tries + 1)
            return 0
        delay = retry_delay(tries)
        logger.warning("Could not send the email %r (%s); trying again in %s s.", subject, type(exc).__name__, delay)
        raise self.retry(countdown=delay, exc=exc) from None
    if keeper is not None:
        keeper.sent(mail_id)
    return count
