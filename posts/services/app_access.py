"""A network refusing our application itself (X: an access level without timeline reads or
post lookups) is a configuration problem for an administrator, not a delivery's failure:
it is noted as a heartbeat `app_access:<network>` that the health page shows, and cleared
when a read succeeds again. The sweeper forgets notes older than a day."""

from __future__ import annotations

from django.utils import timezone

from posts.models import Heartbeat

PREFIX = "app_access:"


def app_access_problem_note(*, network: str, detail: str) -> None:
    Heartbeat.objects.update_or_create(
        name=f"{PREFIX}{network}", defaults={"seen_at": timezone.now(), "details": {"detail": detail[:500]}}
    )


def app_access_problem_clear(*, network: str) -> None:
    Heartbeat.objects.filter(name=f"{PREFIX}{network}").delete()
