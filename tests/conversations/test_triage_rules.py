"""Triage's rules, read from the database as the press office and the missions leave them:
the seeded packs sort the sandbox public's lines into their categories in eight languages
(and Japanese), the first pack in order decides while every match adds its tags, a
mission's pack applies to that mission only, known journalists and officials lift a text
to press or policy, and a reply to a crisis alert is crisis by itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels.models import Network
from channels.sandbox.public import LINES
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, KeywordPack, KnownAuthor, RawEvent
from conversations.services import triage
from conversations.services.ingest import items_ingest
from embassies.models import Mission
from tests.conversations.conftest import heard
from tests.posts.factories import account

pytestmark = pytest.mark.django_db

# The sandbox's "distress" lines are consular distress.
SANDBOX_CATEGORY = {"distress": Category.DISTRESS}


@pytest.fixture
def cairo() -> Mission:
    return Mission.objects.get(code="emb-eg-cairo")


def _verdict(mission: Mission, text: str, **kwargs) -> triage.Verdict:
    return triage.triage_text(triage.rules_load(), mission_id=mission.pk, network=Network.TWITTER, text=text, **kwargs)


def test_the_seeded_packs_sort_the_sandbox_publics_lines_in_every_language(cairo):
    rules = triage.rules_load()
    wrong = []
    for language, categories in LINES.items():
        for category, texts in categories.items():
            for text in texts:
                line = text.format(h="@ambfrance")
                verdict = triage.triage_text(rules, mission_id=cairo.pk, network=Network.TWITTER, text=line)
                if verdict.category != SANDBOX_CATEGORY.get(category, category):
                    wrong.append((language, category, verdict.category, verdict.language, line))
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("パスポートの更新はどうすればいいですか？", Category.CONSULAR),
        ("助けてください、息子が逮捕されました", Category.DISTRESS),
        ("大使館の皆さん、ありがとう！", Category.PRAISE),
        ("記者です。大臣の訪問について取材させてください", Category.PRESS),
    ],
)
def test_japanese_texts_are_sorted_too(cairo, text, category):
    verdict = _verdict(cairo, text)
    assert (verdict.language, verdict.category) == ("ja", category)


def test_urgent_categories_come_with_urgent_priority_and_tags(cairo):
    verdict = _verdict(cairo, "النجدة، ابني اعتقل ولا أحد يرد")
    assert (verdict.category, verdict.priority, verdict.language) == (Category.DISTRESS, Priority.URGENT, "ar")
    assert "distress" in verdict.tags
    assert verdict.rule.startswith("pack ")


def test_words_match_without_case_or_accents_and_at_the_start_of_a_word(cairo):
    assert _verdict(cairo, "MON FILS A ETE ARRETE hier soir").category == Category.DISTRESS
    assert _verdict(cairo, "Our daughter was ARRESTED in Giza").category == Category.DISTRESS
    # "pass" is a whole word in German: "Passagier" is not a passport.
    assert _verdict(cairo, "Ich bin Passagier auf dem Schiff heute Abend").category == Category.UNSORTED


def test_the_first_pack_in_order_decides_and_every_match_adds_its_tags(cairo):
    # Spam comes before consular: "cheap visas" is a scam, not a visa question.
    verdict = _verdict(cairo, "Cheap visas, DM me")
    assert verdict.category == Category.SPAM
    assert verdict.tags[:2] == ("spam", "consular")
    KeywordPack.objects.filter(category=Category.CONSULAR, language="en").update(position=1)
    assert _verdict(cairo, "Cheap visas, DM me").category == Category.CONSULAR


def test_a_missions_own_pack_applies_to_that_mission_only(cairo):
    KeywordPack.objects.create(
        name="Nile cruise scam",
        language="en",
        category=Category.SPAM,
        priority=Priority.LOW,
        tags=["nile-scam"],
        terms="felucca deal*",
        mission=cairo,
        position=5,
    )
    text = "Best felucca deals for embassy friends"
    assert _verdict(cairo, text).category == Category.SPAM
    assert _verdict(cairo, text).tags == ("nile-scam",)
    tokyo = Mission.objects.get(code="emb-jp-tokyo")
    assert _verdict(tokyo, text).category == Category.UNSORTED


def test_an_inactive_pack_does_not_match(cairo):
    KeywordPack.objects.filter(category=Category.PRAISE, language="en").update(is_active=False)
    assert _verdict(cairo, "Thank you so much for the reception yesterday evening").category == Category.UNSORTED


def test_packs_of_the_language_told_come_first_and_the_others_only_when_none_matched(cairo):
    # A French pack that holds the word "statement" does not read an English text that
    # the English packs sort.
    KeywordPack.objects.create(
        name="French only", language="fr", category=Category.THREAT, priority=Priority.URGENT, terms="statement"
    )
    verdict = _verdict(cairo, "Waiting for the press statement on the minister's visit")
    assert (verdict.language, verdict.category) == ("en", Category.PRESS)
    # Too short to be told from Portuguese, yet sorted by the Spanish spam pack.
    assert _verdict(cairo, "Visados baratos, escríbeme").category == Category.SPAM


def test_a_known_journalist_is_press_and_high_unless_an_urgent_pack_matched(cairo):
    KnownAuthor.objects.create(network=Network.TWITTER, key="@NourReports", kind=KnownAuthor.Kind.JOURNALIST)
    praise = _verdict(cairo, "Thank you for the briefing", author_handle="nourreports")
    assert (praise.category, praise.priority) == (Category.PRESS, Priority.HIGH)
    assert "journalist" in praise.tags
    distress = _verdict(cairo, "Help, my colleague was arrested at the airport", author_handle="NourReports")
    assert (distress.category, distress.priority) == (Category.DISTRESS, Priority.URGENT)
    # Known on X, not on Facebook.
    other_network = triage.triage_text(
        triage.rules_load(),
        mission_id=cairo.pk,
        network=Network.FACEBOOK,
        text="Thank you for the briefing",
        author_handle="nourreports",
    )
    assert other_network.category == Category.PRAISE


def test_an_official_known_to_one_mission_by_id_is_policy_there_only(cairo):
    KnownAuthor.objects.create(network=Network.TWITTER, key="98765", kind=KnownAuthor.Kind.OFFICIAL, mission=cairo)
    verdict = _verdict(cairo, "See you at the reception", author_id="98765")
    assert (verdict.category, verdict.priority) == (Category.POLICY, Priority.HIGH)
    tokyo = Mission.objects.get(code="emb-jp-tokyo")
    assert _verdict(tokyo, "See you at the reception", author_id="98765").category == Category.UNSORTED


def test_a_reply_to_a_crisis_alert_is_crisis_by_itself(cairo):
    verdict = _verdict(cairo, "Thank you, very useful", answers_crisis_alert=True)
    assert (verdict.category, verdict.priority, verdict.rule) == (Category.CRISIS, Priority.URGENT, "crisis alert")
    assert "praise" in verdict.tags  # the packs still add their tags


def test_merge_never_makes_a_conversation_less_urgent_by_itself():
    class Conversation:
        language, category, priority, tags = "ar", Category.DISTRESS, Priority.URGENT, ["distress"]

    praise = triage.Verdict("en", Category.PRAISE, Priority.LOW, ("praise",), "pack 1")
    assert triage.merge(Conversation, praise) == {"tags": ["distress", "praise"]}
    crisis = triage.Verdict("ar", Category.CRISIS, Priority.URGENT, ("crisis",), "crisis alert")
    assert triage.merge(Conversation, crisis) == {"tags": ["distress", "crisis"]}  # as urgent: kept

    class Unsorted:
        language, category, priority, tags = "", Category.UNSORTED, Priority.NORMAL, []

    assert triage.merge(Unsorted, praise) == {
        "language": "en",
        "category": Category.PRAISE,
        "priority": Priority.LOW,
        "tags": ["praise"],
    }


def test_the_rule_set_is_read_once_and_again_after_an_edit(django_assert_num_queries):
    triage.rules_changed()
    with django_assert_num_queries(6):
        first = triage.rules()
    with django_assert_num_queries(0):
        assert triage.rules() is first
    triage.rules_changed()
    with django_assert_num_queries(6):
        assert triage.rules() is not first


def test_triage_in_ingestion_reads_no_rule_and_adds_no_query_per_item(cairo):
    """The rule set is read once per process and minute, and a batch is written in a
    constant number of statements: 11 for one new item in a new thread as for ten."""
    cairo_x = account(cairo, Network.TWITTER)
    triage.rules()  # warm, as after the first batch
    counts = []
    for size in (1, 10):
        items = [heard(thread_id=f"{size}-{index}", text="كيف أجدد جواز سفري؟", language="") for index in range(size)]
        with CaptureQueriesContext(connection) as queries:
            items_ingest(account=cairo_x, items=items, source=RawEvent.Source.POLL)
        counts.append(len(queries))
        rule_tables = (
            "keywordpack",
            "knownauthor",
            "servicetarget",
            "embassies_mission",
            "staffmembership",
            "protectedperson",
        )
        assert not [query for query in queries.captured_queries if any(name in query["sql"] for name in rule_tables)]
    assert counts == [11, 11]
    assert set(Conversation.objects.values_list("category", flat=True)) == {Category.CONSULAR}
