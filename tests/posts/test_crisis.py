"""Crisis alerts: targets by region, countries or all; each account in its language (the
mission's own language — its first other than French — else French, else English); four eyes; the fast lane."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from channels.models import Network, SocialAccount
from embassies.models import Mission
from posts.models import Delivery, Message, Priority
from posts.selectors import message_get, message_list, review_queue
from posts.services.crisis import crisis_alert_create, crisis_target_accounts
from posts.services.review import message_approve, message_submit
from tests.factories import MissionFactory
from tests.posts.factories import account, administrator, crisis_member, mission, officer, press_officer

pytestmark = pytest.mark.django_db

MENA = "Middle East & North Africa"


@pytest.fixture
def mena_accounts():
    """Connected X and Facebook accounts across the region, and some that must not be
    targeted: a YouTube account, a disconnected one, one without credentials, one of an
    inactive mission, and one in Europe."""
    targeted = [
        account("emb-eg-cairo"),
        account("emb-eg-cairo", Network.FACEBOOK),
        account("cg-eg-alexandria"),
        account("emb-lb-beirut"),
        account("emb-ir-tehran"),
        account("emb-dz-algiers", Network.FACEBOOK),
    ]
    inactive = mission("emb-ye-sanaa")
    inactive.is_active = False
    inactive.save()
    left_out = [
        account("emb-jo-amman", Network.YOUTUBE),
        account("emb-sa-riyadh", status=SocialAccount.Status.EXPIRED),
        account("emb-qa-doha", credentials=False),
        account(inactive),
        account("emb-de-berlin"),
    ]
    return targeted, left_out


def test_crisis_alert_to_a_region_targets_every_connected_account_of_every_mission_there(mena_accounts):
    targeted, _ = mena_accounts
    author = crisis_member()
    alert = crisis_alert_create(
        actor=author,
        title="Regional unrest",
        scope={"regions": [MENA]},
        texts={"fr": "Restez chez vous.", "en": "Stay at home.", "ar": "ابقوا في منازلكم."},
    )
    assert alert.priority == Priority.CRISIS
    assert alert.mission is None
    assert alert.state == Message.State.DRAFT
    assert alert.crisis_scope == {"regions": [MENA]}
    assert set(alert.targets.all()) == set(targeted)
    event = alert.events.get()
    assert (event.verb, event.details["targets"], event.details["crisis"]) == ("message.create", 6, True)


def test_crisis_alert_reaches_each_account_in_its_language_with_the_fallbacks(mena_accounts):
    targeted, _ = mena_accounts
    japanese_only = MissionFactory(languages=["ja"], region=MENA, country_code="EG")
    german_only = MissionFactory(languages=["de"], region=MENA, country_code="EG")
    japanese_account, german_account = account(japanese_only), account(german_only)
    author, approver = crisis_member(), crisis_member()

    # No French text: Arabic where the mission publishes in Arabic, else English.
    alert = crisis_alert_create(
        actor=author,
        title="Alert",
        scope={"regions": [MENA]},
        texts={"en": "Stay at home.", "ar": "ابقوا في منازلكم.", "de": "Bleiben Sie zu Hause."},
    )
    message_submit(actor=author, message_id=alert.pk)
    message_approve(actor=approver, message_id=alert.pk, publish_at=None)
    languages = dict(Delivery.objects.filter(message=alert).values_list("account__mission__code", "language"))
    assert languages["emb-eg-cairo"] == "ar"  # fr, ar, en: the first with a text
    assert languages["emb-dz-algiers"] == "ar"
    assert languages["emb-ir-tehran"] == "en"  # fr, fa, en
    assert languages[japanese_only.code] == "en"  # ja only: no French text, so English
    assert languages[german_only.code] == "de"
    assert Delivery.objects.filter(message=alert).count() == len(targeted) + 2  # one per account
    assert set(Delivery.objects.filter(message=alert).values_list("priority", flat=True)) == {"crisis"}

    # With a French text too: the mission's own language still comes first (every mission
    # lists French first), and French before English where the own language has no text.
    second = crisis_alert_create(
        actor=author,
        title="Alert 2",
        scope={"countries": ["EG"]},
        texts={"fr": "Restez chez vous.", "en": "Stay at home.", "ar": "ابقوا في منازلكم."},
    )
    message_submit(actor=author, message_id=second.pk)
    message_approve(actor=approver, message_id=second.pk, publish_at=None)
    languages = dict(Delivery.objects.filter(message=second).values_list("account_id", "language"))
    cairo_x = next(account_ for account_ in targeted if account_.mission.code == "emb-eg-cairo")
    assert languages[cairo_x.pk] == "ar"  # fr, ar, en: Arabic, not the French every mission lists first
    assert languages[japanese_account.pk] == "fr"
    assert languages[german_account.pk] == "fr"


def test_crisis_target_accounts_by_countries_all_and_networks(mena_accounts):
    targeted, left_out = mena_accounts
    assert set(crisis_target_accounts({"countries": ["eg", "LB"]})) == {
        account_ for account_ in targeted if account_.mission.country_code in ("EG", "LB")
    }
    everything = set(crisis_target_accounts({"all": True}))
    assert set(targeted) <= everything
    assert left_out[-1] in everything  # Berlin
    assert not everything & set(left_out[:-1])
    youtube = set(crisis_target_accounts({"regions": [MENA]}, ["youtube"]))
    assert youtube == {left_out[0]}


def test_crisis_alert_create_checks_its_input(mena_accounts):
    author = crisis_member()
    with pytest.raises(ValidationError, match="French or English"):
        crisis_alert_create(actor=author, title="t", texts={"ar": "x"}, scope={"all": True})
    with pytest.raises(ValidationError, match="Unknown: Atlantis"):
        crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"regions": ["Atlantis"]})
    with pytest.raises(ValidationError, match="Unknown: ZZ"):
        crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"countries": ["ZZ"]})
    with pytest.raises(ValidationError, match="one of them"):
        crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"all": True, "regions": [MENA]})
    with pytest.raises(ValidationError, match="No connected account"):
        crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"countries": ["IS"]})
    with pytest.raises(ValidationError, match="networks"):
        crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"all": True}, networks=["myspace"])
    assert not Message.objects.exists()


def test_only_the_crisis_unit_writes_crisis_alerts(mena_accounts):
    for user in (press_officer(), officer("emb-eg-cairo"), administrator()):
        with pytest.raises(PermissionDenied):
            crisis_alert_create(actor=user, title="t", texts={"fr": "x"}, scope={"all": True})


def test_a_crisis_alert_is_approved_by_someone_else_of_the_crisis_unit_or_the_press_office(mena_accounts):
    author = crisis_member()
    alert = crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"regions": [MENA]})
    message_submit(actor=author, message_id=alert.pk)
    with pytest.raises(PermissionDenied):
        message_approve(actor=author, message_id=alert.pk, publish_at=None)
    for user in (officer("emb-eg-cairo"), administrator()):
        with pytest.raises(PermissionDenied):
            message_approve(actor=user, message_id=alert.pk, publish_at=None)
    approved = message_approve(actor=press_officer(), message_id=alert.pk, publish_at=None)
    assert approved.state == Message.State.SCHEDULED

    second = crisis_alert_create(actor=author, title="t2", texts={"fr": "y"}, scope={"regions": [MENA]})
    message_submit(actor=author, message_id=second.pk)
    assert message_approve(actor=crisis_member(), message_id=second.pk).approved_by != author


def test_crisis_alerts_are_seen_only_by_cross_mission_roles(mena_accounts):
    author = crisis_member()
    alert = crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"regions": [MENA]})
    message_submit(actor=author, message_id=alert.pk)
    cairo_officer = officer("emb-eg-cairo")
    assert alert not in message_list(user=cairo_officer)
    with pytest.raises(Http404):
        message_get(user=cairo_officer, pk=alert.pk)
    assert alert in message_list(user=press_officer(), region=MENA)
    assert alert not in message_list(user=press_officer(), region="Europe")
    assert list(review_queue(user=crisis_member())) == [alert]
    assert list(review_queue(user=author)) == []  # not one's own
    with pytest.raises(PermissionDenied):
        review_queue(user=cairo_officer)


def test_the_review_queue_puts_crisis_alerts_first(mena_accounts):
    from tests.posts.factories import submitted_message

    routine = submitted_message(author=officer("emb-eg-cairo"))
    author = crisis_member()
    alert = crisis_alert_create(actor=author, title="t", texts={"fr": "x"}, scope={"regions": [MENA]})
    message_submit(actor=author, message_id=alert.pk)
    assert list(review_queue(user=press_officer())) == [alert, routine]
    assert list(review_queue(user=crisis_member())) == [alert]


def test_a_crisis_alert_to_all_missions_makes_one_delivery_per_account():
    accounts = [account(code) for code in Mission.objects.active().values_list("code", flat=True)[:60]]
    author = crisis_member()
    alert = crisis_alert_create(
        actor=author, title="Global", texts={"fr": "Alerte", "en": "Alert"}, scope={"all": True}
    )
    message_submit(actor=author, message_id=alert.pk)
    message_approve(actor=press_officer(), message_id=alert.pk, publish_at=None)
    assert Delivery.objects.filter(message=alert).count() == len(accounts)
    # English where it is the mission's own language (London, Washington...), else French.
    for delivery in Delivery.objects.filter(message=alert).select_related("account__mission"):
        own = next((language for language in delivery.account.mission.languages if language != "fr"), None)
        assert delivery.language == ("en" if own == "en" else "fr")
