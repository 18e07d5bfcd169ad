"""`python manage.py rotate_credentials`: re-seal every social account's credentials under
the newest key of CREDENTIALS_KEYS.

Rotating a key: put the new key first in CREDENTIALS_KEYS, keep the old ones after it,
deploy, run this command until it reports nothing left under an old key, then remove the
old keys. Idempotent: a second run re-seals nothing. An account whose credentials do not
open is reported by id and makes the command exit non-zero after it has done the rest.
"""

from django.core.management.base import BaseCommand, CommandError

from channels.crypto import key_ring
from channels.models import SocialAccount
from channels.services import RotationResult, credentials_rotate


class Command(BaseCommand):
    help = "Re-seal every social account's credentials under the newest key of CREDENTIALS_KEYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=200, help="Accounts re-sealed per transaction (default 200)."
        )

    def handle(self, *args, batch_size: int = 200, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        account_ids = list(
            SocialAccount.objects.exclude(sealed_credentials="").order_by("pk").values_list("pk", flat=True)
        )
        total = RotationResult()
        for start in range(0, len(account_ids), batch_size):
            batch = credentials_rotate(account_ids=account_ids[start : start + batch_size])
            total.add(batch)
            self.stdout.write(
                f"Batch {start // batch_size + 1}: {batch.resealed} re-sealed, "
                f"{batch.current} already current, {len(batch.failed)} failed."
            )
        self.stdout.write(
            f"Newest key {key_ring().current.key_id!r}: {total.resealed} re-sealed, "
            f"{total.current} already under it, {total.empty} without credentials, "
            f"{len(total.failed)} that do not open."
        )
        if total.failed:
            for account_id in total.failed:
                self.stderr.write(f"Account {account_id}: its credentials open with no key of the ring.")
            failed = ", ".join(map(str, total.failed))
            raise CommandError(
                f"{len(total.failed)} account(s) could not be re-sealed: {failed}. "
                "Their credentials are left as they were; reconnect them or restore the missing key."
            )
        self.stdout.write(self.style.SUCCESS("Every account's credentials are under the newest key."))
