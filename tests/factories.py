"""factory_boy factories for the whole suite.

The 271 real missions exist in every test database (a data migration loads them), so
tests usually take one of those with `mission("emb-jp-tokyo")`; MissionFactory makes
extra, made-up missions when a test needs its own.
"""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from channels.adapters.base import Credentials
from channels.models import Network, SocialAccount
from channels.sandbox.tokens import secret_of
from embassies.models import Mission, StaffMembership
from embassies.roles import Role


def mission(code: str) -> Mission:
    """One of the 271 missions loaded by the data migration."""
    return Mission.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    """A user with `roles=[...]` (role names) and `missions=[...]` (Mission objects or codes)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = "Test"
    last_name = factory.LazyAttribute(lambda user: user.username.title())
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            for role in extracted:
                if role not in Role.values:
                    raise ValueError(f"Unknown role {role!r}")
                self.groups.add(Group.objects.get_or_create(name=role)[0])

    @factory.post_generation
    def missions(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            for item in extracted:
                target = item if isinstance(item, Mission) else mission(item)
                StaffMembershipFactory(user=self, mission=target)


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mission
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"emb-zz-test-{n}")
    kind = Mission.Kind.EMBASSY
    name = factory.Sequence(lambda n: f"Test Embassy {n}")
    country_code = "JP"
    city = factory.Sequence(lambda n: f"Testville {n}")
    time_zone = "Asia/Tokyo"
    region = Mission.Region.ASIA_PACIFIC
    languages = factory.LazyFunction(lambda: ["fr", "ja", "en"])


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership
        django_get_or_create = ("user", "mission")

    user = factory.SubFactory(UserFactory)
    mission = factory.SubFactory(MissionFactory)


class SocialAccountFactory(factory.django.DjangoModelFactory):
    """A connected sandbox account; its credentials follow the sandbox's token convention
    unless `credentials=Credentials(...)` is given; `credentials=False` leaves none."""

    class Meta:
        model = SocialAccount
        skip_postgeneration_save = True

    mission = factory.SubFactory(MissionFactory)
    network = Network.TWITTER
    handle = factory.Sequence(lambda n: f"@TestAccount{n}")
    display_name = factory.LazyAttribute(lambda account: account.mission.name)
    network_account_id = factory.Sequence(lambda n: f"test-account-{n}")
    status = SocialAccount.Status.CONNECTED
    is_sandbox = True

    @factory.post_generation
    def credentials(self, create: bool, extracted, **kwargs) -> None:
        if not create or extracted is False:
            return
        if extracted is None:
            access_token = f"sbx.{self.network}.{self.network_account_id}.test"
            extracted = Credentials(
                access_token=access_token,
                token_secret=secret_of(access_token) if self.network == "flickr" else "",
                refresh_token=f"sbxr.{self.network}.{self.network_account_id}.test",
                expires_at=timezone.now() + timedelta(hours=2),
                account_id=self.network_account_id,
            )
        self.seal_credentials(extracted)
        self.save(update_fields=["sealed_credentials", "token_expires_at"])
