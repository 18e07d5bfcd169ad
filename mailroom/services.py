"""The mails' durable side: `diplomacy_hub.mail` hands each mail here in the caller's
transaction, the send task marks it sent, and beat's look queues again a mail whose task
never reached a worker (the broker down at commit, a message lost)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from diplomacy_hub.mail import MAIL_RETRIES, MAIL_TASK, retry_delay
from diplomacy_hub.tasks import enqueue
from mailroom.models import Mail

# Longer than a send's longest wait for its next try, so a mail waiting for its retry is
# never queued twice; a mail never tried again after this long had its task lost.
UNSENT_AFTER = timedelta(seconds=retry_delay(MAIL_RETRIES) * 2)
# Beyond this the news is stale: kept for the record, not sent.
GIVE_UP_AFTER = timedelta(days=2)
BATCH = 500


class Keeper:
    def keep(self, mails: Sequence[dict[str, str]]) -> list[int]:
        rows = Mail.objects.bulk_create([Mail(to=m["to"], subject=m["subject"], body=m["body"]) for m in mails])
        return [row.pk for row in rows]

    def already_sent(self, mail_id: int) -> bool:
        """True when this mail went out before (a redelivered task): it is not sent again."""
        return Mail.objects.filter(pk=mail_id, sent_at__isnull=False).exists()

    def tried(self, mail_id: int) -> None:
        Mail.objects.filter(pk=mail_id, sent_at__isnull=True).update(tried_at=timezone.now())

    def sent(self, mail_id: int) -> None:
        Mail.objects.filter(pk=mail_id, sent_at__isnull=True).update(sent_at=timezone.now())


KEEPER = Keeper()


def mail_queue_unsent(*, now: datetime | None = None) -> int:
    """Queue again each mail not sent and not tried for UNSENT_AFTER (younger than
    GIVE_UP_AFTER). Returns how many."""
    now = now or timezone.now()
    unsent = list(
        Mail.objects.filter(sent_at__isnull=True, tried_at__lt=now - UNSENT_AFTER, queued_at__gte=now - GIVE_UP_AFTER)
        .order_by("tried_at")
        .values("pk", "to", "subject", "body")[:BATCH]
    )
    if not unsent:
        return 0
    Mail.objects.filter(pk__in=[mail["pk"] for mail in unsent]).update(tried_at=now)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {"to": m["to"], "subject": m["subject"], "body": m["body"], "mail_id": m["pk"]}) for m in unsent
    ]
    enqueue(MAIL_TASK, calls=calls, what=f"{len(unsent)} unsent emails")
    return len(unsent)
