"""`python manage.py seed_demo`: the demo users (one per role) and a sandbox social account
on every network for every mission. Idempotent: a second run changes nothing (but for
opening enrolment again for a privileged demo user whose previous one expired unused).

The press office, crisis unit and administrator demo users need an authenticator app; an
enrolment grant is opened for each who has none yet, as an administrator would, so that
they set one up at their first login (docs/security.md).

Passwords are random and printed once, when a user is created; `--reset-passwords` prints
new ones. Nothing here ever reaches a real network: every account is a sandbox account
whose tokens follow the sandbox's convention (docs/sandbox.md).
"""

import secrets
from dataclasses import dataclass
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from channels.adapters.base import Credentials
from channels.crypto import CredentialsDecryptionError
from channels.models import Network, SocialAccount
from channels.sandbox.tokens import secret_of
from embassies.models import Mission, StaffMembership
from embassies.names import demo_account_id, demo_handle
from embassies.roles import Role
from globaltime.models import Desk, DutyShift
from security.services import enrolment_grant_open
from security.two_factor import required_roles

# Networks whose access tokens expire and come with a refresh token.
EXPIRING_NETWORKS = frozenset({Network.TWITTER, Network.YOUTUBE})
TOKEN_LIFETIME = timedelta(hours=2)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    missions: tuple[str, ...] = ()
    is_staff: bool = False
    # The languages they read: a conversation in another one is offered to headquarters.
    languages: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser(
        "officer",
        Role.OFFICER,
        "Claire",
        "Martin",
        ("emb-jp-tokyo", "emb-eg-cairo", "cg-us-new-york"),
        languages=("fr", "en", "ja", "ar"),
    ),
    DemoUser("officer2", Role.OFFICER, "Hugo", "Bernard", ("emb-de-berlin",), languages=("fr", "de", "en")),
    DemoUser("press", Role.PRESS_OFFICE, "Léa", "Dubois"),
    DemoUser("press2", Role.PRESS_OFFICE, "Thomas", "Petit"),
    DemoUser("crisis", Role.CRISIS_UNIT, "Inès", "Moreau"),
    DemoUser("crisis2", Role.CRISIS_UNIT, "Paul", "Laurent"),
    DemoUser("admin", Role.ADMINISTRATOR, "Camille", "Roux", is_staff=True),
    DemoUser("rights", Role.HUMAN_RIGHTS_OFFICER, "Nadia", "Benali"),
)


def sandbox_account_id(mission: Mission, network: str) -> str:
    return demo_account_id(mission.code, network)


def sandbox_handle(mission: Mission) -> str:
    """ "@FranceinJapan": the demo account's handle (embassies.names.demo_handle, which the
    sandbox uses too, so that both name the account alike)."""
    return "@" + demo_handle(code=mission.code, kind=mission.kind, city=mission.city, country_code=mission.country_code)


def sandbox_credentials(network: str, account_id: str, *, now) -> Credentials:
    expiring = network in EXPIRING_NETWORKS
    return Credentials(
        access_token=f"sbx.{network}.{account_id}.seed",
        refresh_token=f"sbxr.{network}.{account_id}.seed" if expiring else "",
        token_secret=secret_of(f"sbx.{network}.{account_id}.seed") if network == Network.FLICKR else "",
        expires_at=now + TOKEN_LIFETIME if expiring else None,
        account_id=account_id,
    )


class Command(BaseCommand):
    help = "Create the demo users (one per role) and a sandbox social account per mission and network."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give every demo user a new random password and print it.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a training or demo deployment; never a real one).",
        )

    def handle(self, *args, reset_passwords: bool = False, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates demo users, including an administrator. DEBUG is off, so this "
                "looks like a real deployment: pass --force if it is a demo or training one."
            )
        with transaction.atomic():
            passwords = self.seed_users(reset_passwords=reset_passwords)
            enrolling = self.seed_enrolment()
            created, existing = self.seed_sandbox_accounts()
            self.mend_flickr_secrets()
            desks = self.seed_desks()
        self.stdout.write(f"Sandbox social accounts: {created} created, {existing} already there.")
        if desks:
            self.stdout.write(f"Review desks: {desks} created, with their rosters.")
        if enrolling:
            self.stdout.write(
                "Enrolment open (an authenticator app at the first login, as an administrator would allow): "
                + ", ".join(f"{username} until {deadline}" for username, deadline in enrolling.items())
                + "."
            )
        if passwords:
            width = max(len(name) for name in passwords)
            self.stdout.write(
                self.style.WARNING(
                    "Demo users' passwords (shown this once; `manage.py seed_demo --reset-passwords` prints new ones):"
                )
            )
            for username, password in passwords.items():
                self.stdout.write(f"  {username.ljust(width)}  {password}")
        else:
            self.stdout.write(f"Demo users: {len(DEMO_USERS)} already there (passwords unchanged).")

    def seed_users(self, *, reset_passwords: bool) -> dict[str, str]:
        """Create the missing demo users; return {username: password} for those whose
        password was set now."""
        User = get_user_model()
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        codes = [code for demo in DEMO_USERS for code in demo.missions]
        missions = {mission.code: mission for mission in Mission.objects.filter(code__in=codes)}
        passwords: dict[str, str] = {}
        for demo in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={
                    "first_name": demo.first_name,
                    "last_name": demo.last_name,
                    "email": f"{demo.username}@demo.diplomacy-hub.invalid",
                    "is_staff": demo.is_staff,
                },
            )
            if created or reset_passwords:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
                passwords[demo.username] = password
            user.groups.add(groups[demo.role])
            for code in demo.missions:
                if code not in missions:
                    raise CommandError(f"Mission {code!r} is missing: run `manage.py migrate` first.")
                StaffMembership.objects.get_or_create(
                    user=user, mission=missions[code], defaults={"languages": list(demo.languages)}
                )
        return passwords

    def seed_desks(self) -> int:
        """Three review desks that follow the sun (issue 18 §1), each with a roster of the
        demo press officers: headquarters in Paris, the Americas in New York, Asia in Tokyo.
        Only when there is no desk yet (an administrator's desks are left alone)."""
        if Desk.objects.exists():
            return 0
        User = get_user_model()
        lea, thomas = User.objects.get(username="press"), User.objects.get(username="press2")
        plans = [
            ("Headquarters", True, [], "Europe/Paris", lea),
            ("Americas desk", False, [Mission.Region.AMERICAS], "America/New_York", thomas),
            ("Asia desk", False, [Mission.Region.ASIA_PACIFIC], "Asia/Tokyo", thomas),
        ]
        for name, headquarters, regions, zone, lead in plans:
            desk = Desk.objects.create(
                name=name,
                is_headquarters=headquarters,
                regions=list(regions),
                time_zone=zone,
                opens_at=time(8),
                closes_at=time(20),
                weekdays=[0, 1, 2, 3, 4, 5, 6],
                lead=lead,
            )
            DutyShift.objects.bulk_create(
                shift
                for day in range(7)
                for shift in (
                    DutyShift(desk=desk, weekday=day, starts_at=time(8), ends_at=time(14), officer=lea),
                    DutyShift(desk=desk, weekday=day, starts_at=time(14), ends_at=time(20), officer=thomas),
                )
            )
        return len(plans)

    def seed_enrolment(self) -> dict[str, str]:
        """Open enrolment (security/services.py::enrolment_grant_open, as an administrator
        would) for the demo users whose role needs an authenticator app and who have none
        yet, so that they can set one up at their first login; a grant still open is left as
        it is. Returns {username: deadline} of the grants open now."""
        privileged = [demo.username for demo in DEMO_USERS if demo.role in required_roles()]
        enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
        deadlines: dict[str, str] = {}
        for user in get_user_model().objects.filter(username__in=privileged).exclude(pk__in=enrolled).order_by("pk"):
            grant, _created = enrolment_grant_open(user_id=user.pk, actor=None, via="seed_demo")
            deadlines[user.username] = timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")
        return deadlines

    def mend_flickr_secrets(self) -> int:
        """The sandbox now checks Flickr's signatures: a demo database seeded before that
        holds a made-up token secret, which it would refuse. Reseal those with the token's
        own secret (channels.sandbox.tokens.secret_of); others are left as they are."""
        mended = 0
        for account in SocialAccount.objects.filter(is_sandbox=True, network=Network.FLICKR).order_by("pk"):
            try:
                credentials = account.open_credentials()
            except CredentialsDecryptionError:
                continue  # not ours to mend: the health check says so
            expected = secret_of(credentials.access_token)
            if credentials.access_token.startswith("sbx.flickr.") and credentials.token_secret != expected:
                account.seal_credentials(credentials.replace(token_secret=expected))
                account.save(update_fields=["sealed_credentials", "token_expires_at"])
                mended += 1
        return mended

    def seed_sandbox_accounts(self) -> tuple[int, int]:
        """One connected sandbox account per mission and network; existing ones (same
        network and account id) are left as they are. Returns (created, already there)."""
        existing = set(SocialAccount.objects.filter(is_sandbox=True).values_list("network", "network_account_id"))
        now = timezone.now()
        new_accounts = [
            SocialAccount(
                mission=mission,
                network=network,
                handle=sandbox_handle(mission),
                display_name=mission.name,
                network_account_id=sandbox_account_id(mission, network),
                status=SocialAccount.Status.CONNECTED,
                is_sandbox=True,
            )
            for mission in Mission.objects.order_by("pk")
            for network in Network.values
            if (network, sandbox_account_id(mission, network)) not in existing
        ]
        if new_accounts:
            # The sealed credentials bind the row's id, so the rows are created first.
            # bulk_create sets the ids on PostgreSQL and SQLite (3.35+).
            SocialAccount.objects.bulk_create(new_accounts, batch_size=500)
            for account in new_accounts:
                credentials = sandbox_credentials(account.network, account.network_account_id, now=now)
                account.seal_credentials(credentials)
            SocialAccount.objects.bulk_update(
                new_accounts,
                ["sealed_credentials", "token_expires_at"],
                batch_size=500,
            )
        return len(new_accounts), len(existing)
