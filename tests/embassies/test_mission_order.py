"""Lists sorted by mission come in the order of the mission's name in the reader's language,
as `embassies.names.by_name` sorts it, not by the English name in SQL: in French, Germany
("Allemagne") comes before Austria ("Autriche"), and Egypt ("Égypte") beside the other E's."""

from __future__ import annotations

import pytest
from django.utils import translation

from channels.models import Network, SocialAccount
from channels.selectors import account_list
from embassies.models import Mission
from embassies.names import by_name
from embassies.selectors import mission_name_order
from posts.models import Delivery
from posts.selectors.dashboard import admin_panels
from posts.selectors.operations import monitor_deliveries
from posts.services.crisis import crisis_alert_create
from tests.posts.factories import account, administrator, crisis_member

pytestmark = pytest.mark.django_db

VIENNA, BERLIN = "emb-at-vienna", "emb-de-berlin"


def _codes(rows, path=lambda row: row.mission) -> list[str]:
    return [path(row).code for row in rows]


@pytest.mark.parametrize(("language", "expected"), [("en", [VIENNA, BERLIN]), ("fr", [BERLIN, VIENNA])])
def test_missions_come_in_the_readers_order(language, expected):
    with translation.override(language):
        missions = Mission.objects.filter(code__in=[VIENNA, BERLIN]).order_by(mission_name_order("pk"))
        assert [mission.code for mission in missions] == expected


def test_the_order_is_the_one_of_by_name_for_all_271_missions():
    with translation.override("fr"):
        in_sql = list(Mission.objects.order_by(mission_name_order("pk")).values_list("code", flat=True))
        in_python = [mission.code for mission in by_name(Mission.objects.all())]
    assert in_sql == in_python


@pytest.mark.parametrize(("language", "expected"), [("en", [VIENNA, BERLIN]), ("fr", [BERLIN, VIENNA])])
def test_accounts_and_the_administrators_panel_come_by_mission_in_the_readers_order(language, expected):
    admin = administrator()
    for code in (VIENNA, BERLIN):
        SocialAccount.objects.filter(pk=account(code, Network.FACEBOOK).pk).update(status=SocialAccount.Status.EXPIRED)
    with translation.override(language):
        listed = account_list(user=admin, region=Mission.Region.EUROPE)
        assert _codes(listed) == expected
        assert _codes(admin_panels(user=admin)["broken"]) == expected


@pytest.mark.parametrize(("language", "expected"), [("en", [VIENNA, BERLIN]), ("fr", [BERLIN, VIENNA])])
def test_a_crisis_alerts_deliveries_come_by_mission_in_the_readers_order(language, expected):
    for code in (VIENNA, BERLIN):
        account(code)
    alert = crisis_alert_create(
        actor=crisis_member(), title="Storm", texts={"fr": "Tempête."}, scope={"countries": ["AT", "DE"]}
    )
    for target in alert.targets.all():
        Delivery.objects.create(message=alert, account=target, language="fr", state=Delivery.State.SENT)
    with translation.override(language):
        rows = monitor_deliveries(message=alert, show="all")
        assert _codes(rows, lambda delivery: delivery.account.mission) == expected
