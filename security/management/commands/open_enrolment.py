"""`python manage.py open_enrolment USERNAME [--hours N]`: let one user enrol an
authenticator app at their next login. For the first administrator of a deployment (nobody
can open it for them in the admin yet) and for anyone with shell access to the server;
audited `auth.otp_grant_open` with no actor (the system) and `via: command`."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from security import services
from security.two_factor import GRANT_LIFETIME


class Command(BaseCommand):
    help = "Open enrolment of an authenticator app for one user (used once, expires)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--hours",
            type=int,
            default=round(GRANT_LIFETIME.total_seconds() / 3600),
            help="How long enrolment stays open (default: %(default)s).",
        )

    def handle(self, *args, username: str, hours: int, **options) -> None:
        if hours < 1:
            raise CommandError("--hours must be at least 1.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            grant, created = services.enrolment_grant_open(
                user_id=user.pk, actor=None, lifetime=timedelta(hours=hours), via="command"
            )
        except services.GrantRefused as error:
            raise CommandError(" ".join(error.messages)) from error
        deadline = timezone.localtime(grant.expires_at).isoformat(timespec="minutes")
        self.stdout.write(
            f"Enrolment {'opened' if created else 'already open'} for {username} until {deadline}: "
            "they set up their authenticator app at their next login."
        )
