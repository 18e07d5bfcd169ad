"""Triage: what a text is about (category, priority, tags) and in which language, decided by
the rules the press office and the missions edit, and the service clock it starts.

The rules are read once into a `RuleSet` (keyword packs compiled, known authors, service
targets, each mission's hours and the languages its staff read) and kept per process for
`RULES_TTL` seconds, or until an edit in this process; ingestion asks `rules()` once per
batch, so triaging an item costs no query of its own.

Rules, in order: a reply to a crisis alert's post is crisis by itself; then the keyword
packs in their order (the first that matches sets category and priority, every one that
matches adds its tags); a known journalist or official lifts a conversation that no urgent
pack claimed to press or policy, high priority. A conversation's triage only ever becomes
more urgent by itself; the first item's language is the conversation's.
"""

from __future__ import annotations

import re
import threading
import time as monotonic_time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from conversations.business_hours import Hours, add_clock_time, clock_time_between, is_open
from conversations.language import detect_language
from conversations.lifecycle import Category, Priority, ProtectedReason
from conversations.models import KeywordPack, KnownAuthor, ProtectedPerson, ServiceTarget
from embassies.models import Mission, StaffMembership

RULES_TTL = 60.0  # seconds an edit in another process may take to reach this one
WARN_AT = 0.75  # the warning comes at three quarters of the target
# Languages written without spaces between words, or whose particles attach to the word
# (Arabic "للتأشيرات" holds "تأشير"): a term is found anywhere in the text.
ANYWHERE_LANGUAGES = frozenset({"ar", "fa", "ur", "ps", "ku", "he", "zh", "ja", "ko", "th", "lo", "km", "my"})
AUTHOR_VERDICTS: dict[str, tuple[str, int]] = {
    KnownAuthor.Kind.JOURNALIST: (Category.PRESS, Priority.HIGH),
    KnownAuthor.Kind.OFFICIAL: (Category.POLICY, Priority.HIGH),
}
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Case, accents and punctuation set aside: "Arrêté !" and "arrete" read the same; an
    Arabic letter with hamza reads as its bare letter."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " " + " ".join(_NOT_WORD.sub(" ", bare).split()) + " "


def _term_pattern(term: str, *, anywhere: bool) -> str:
    """A term as a regular expression over normalized text: a whole word or phrase, a word's
    start with a trailing `*`, anywhere in languages that need it."""
    prefix = term.endswith("*")
    words = normalize(term.rstrip("*")).strip()
    if not words:
        return ""
    if anywhere:
        return re.escape(words)
    return r"(?<= )" + re.escape(words) + ("" if prefix else r"(?= )")


def compile_terms(terms: Iterable[str], *, language: str) -> re.Pattern[str] | None:
    anywhere = language in ANYWHERE_LANGUAGES
    parts = [part for part in (_term_pattern(term, anywhere=anywhere) for term in terms) if part]
    return re.compile("|".join(parts)) if parts else None


@dataclass(frozen=True)
class Pack:
    id: int
    name: str
    language: str
    category: str
    priority: int
    tags: tuple[str, ...]
    mission_id: int | None
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class MissionFacts:
    hours: Hours
    languages: tuple[str, ...]  # what it publishes in: a prior for language detection
    reads: frozenset[str]  # what its staff read (its publishing languages if none said)


@dataclass(frozen=True)
class Target:
    minutes: int | None
    always_on: bool


@dataclass
class RuleSet:
    packs: tuple[Pack, ...] = ()
    authors: dict[tuple[str, str], list[tuple[int | None, str]]] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    missions: dict[int, MissionFacts] = field(default_factory=dict)
    # The names and handles of people under protection, as one pattern (issue 15 §7).
    protected: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Verdict:
    language: str
    category: str
    priority: int
    tags: tuple[str, ...]
    rule: str  # what decided: "crisis alert", "pack 12", "author 3", ""
    # Why the item goes to the human-rights officer's queue (ProtectedReason), or "": a
    # threat pack matched (whatever else decided the category), or it names a protected person.
    protected: str = ""


# --- Reading the rules ------------------------------------------------------------------------


def rules_load() -> RuleSet:
    """Everything triage needs, in six queries."""
    packs = tuple(
        Pack(
            id=pack.pk,
            name=pack.name,
            language=pack.language,
            category=pack.category,
            priority=pack.priority,
            tags=tuple(str(tag) for tag in pack.tags or ()),
            mission_id=pack.mission_id,
            pattern=compile_terms(pack.term_list(), language=pack.language),
        )
        for pack in KeywordPack.objects.filter(is_active=True).order_by("position", "pk")
    )
    authors: dict[tuple[str, str], list[tuple[int | None, str]]] = defaultdict(list)
    for network, key, mission_id, kind in KnownAuthor.objects.values_list("network", "key", "mission_id", "kind"):
        authors[(network, KnownAuthor.normal_key(key))].append((mission_id, kind))
    targets = {target.category: Target(target.minutes, target.always_on) for target in ServiceTarget.objects.all()}
    reads: dict[int, set[str]] = defaultdict(set)
    for mission_id, languages in StaffMembership.objects.exclude(languages=[]).values_list("mission_id", "languages"):
        reads[mission_id].update(languages or ())
    missions = {
        mission.pk: MissionFacts(
            hours=Hours.of(
                time_zone=mission.time_zone,
                days=mission.business_days,
                opens=mission.opens_at,
                closes=mission.closes_at,
            ),
            languages=tuple(mission.languages or ()),
            reads=frozenset(reads.get(mission.pk) or mission.languages or ()),
        )
        for mission in Mission.objects.only(
            "pk", "time_zone", "business_days", "opens_at", "closes_at", "languages"
        ).iterator()
    }
    protected = compile_terms(ProtectedPerson.objects.values_list("name", flat=True), language="")
    return RuleSet(packs=packs, authors=dict(authors), targets=targets, missions=missions, protected=protected)


_cache_lock = threading.Lock()
_cached: tuple[float, RuleSet] | None = None


def rules() -> RuleSet:
    """The rule set of this process, read again after RULES_TTL seconds or an edit here."""
    global _cached
    now = monotonic_time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < RULES_TTL:
        return cached[1]
    with _cache_lock:
        loaded = rules_load()
        _cached = (now, loaded)
    return loaded


def rules_changed() -> None:
    """Forget the rule set: the next item reads the rules again (called after an edit)."""
    global _cached
    _cached = None


# --- Deciding ---------------------------------------------------------------------------------


def triage_text(
    ruleset: RuleSet,
    *,
    mission_id: int,
    network: str,
    text: str,
    author_id: str = "",
    author_handle: str = "",
    hint: str = "",
    answers_crisis_alert: bool = False,
) -> Verdict:
    """The language and the rules' verdict on one text said to one mission's account."""
    facts = ruleset.missions.get(mission_id)
    language = detect_language(text, likely=facts.languages if facts else (), hint=hint)
    normalized = normalize(text)
    category, priority, rule = Category.UNSORTED.value, int(Priority.NORMAL), ""
    if answers_crisis_alert:
        category, priority, rule = Category.CRISIS.value, int(Priority.URGENT), "crisis alert"
    tags: list[str] = []
    mine = [pack for pack in ruleset.packs if pack.pattern is not None and pack.mission_id in (None, mission_id)]
    in_language = [pack for pack in mine if not (pack.language and language) or pack.language == language]
    matched = [pack for pack in in_language if pack.pattern and pack.pattern.search(normalized)]
    if not matched and len(in_language) < len(mine):
        # Short texts are often taken for a neighbour language ("Visados baratos" for
        # Portuguese): when no pack of the language told matches, the others are read.
        matched = [pack for pack in mine if pack.pattern and pack.pattern.search(normalized)]
    for pack in matched:
        tags.extend(tag for tag in pack.tags if tag not in tags)
        if not rule:
            category, priority, rule = pack.category, pack.priority, f"pack {pack.id}"
    author = _known_author(ruleset, network=network, mission_id=mission_id, keys=(author_handle, author_id))
    if author is not None:
        author_category, author_priority = AUTHOR_VERDICTS[author]
        if author not in tags:
            tags.append(author)
        if priority > author_priority or category == Category.UNSORTED:
            category, priority, rule = author_category, int(author_priority), f"author {author}"
    protected = ""
    if any(pack.category == Category.THREAT for pack in matched):
        protected = ProtectedReason.THREAT.value
    elif ruleset.protected is not None and ruleset.protected.search(normalized):
        protected = ProtectedReason.PROTECTED_PERSON.value
    return Verdict(language, category, priority, tuple(tags), rule, protected)


def _known_author(ruleset: RuleSet, *, network: str, mission_id: int, keys: Iterable[str]) -> str | None:
    return KnownAuthor.kind_in(ruleset.authors, network=network, mission_id=mission_id, keys=keys)


# --- The service clock ------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    warn_at: datetime


def clock_for(ruleset: RuleSet, *, mission_id: int, category: str, start: datetime) -> Clock | None:
    """When a reply is due and when to warn, for a conversation of `category` whose clock
    starts at `start`; None when the category has no target."""
    target = ruleset.targets.get(category)
    if target is None or not target.minutes:
        return None
    facts = ruleset.missions.get(mission_id)
    hours = None if target.always_on or facts is None else facts.hours
    length = timedelta(minutes=target.minutes)
    return Clock(
        due_at=add_clock_time(start, length, hours),
        warn_at=add_clock_time(start, length * WARN_AT, hours),
    )


def answer_time(ruleset: RuleSet, *, mission_id: int, category: str, start: datetime, end: datetime) -> timedelta:
    """How long an answer took, counted as the category's service clock counts: around the
    clock for an always-on target, else in the mission's business hours (also for a
    category without a target: the desk's working time)."""
    target = ruleset.targets.get(category)
    facts = ruleset.missions.get(mission_id)
    hours = None if (target is not None and target.always_on) or facts is None else facts.hours
    return clock_time_between(start, end, hours)


def offer_to_headquarters_why(ruleset: RuleSet, *, mission_id: int, priority: int, language: str, at: datetime) -> str:
    """ "Global time": why the mission alone cannot take it now ("after_hours", "language"),
    or "" when it can."""
    facts = ruleset.missions.get(mission_id)
    if facts is None:
        return ""
    if priority <= Priority.URGENT and not is_open(at, facts.hours):
        return "after_hours"
    if language and facts.reads and language not in facts.reads:
        return "language"
    return ""


def merge(conversation: Any, verdict: Verdict) -> dict[str, Any]:
    """The conversation's triage fields that this verdict changes: never less urgent by
    itself, tags gathered, the first known language kept."""
    changes: dict[str, Any] = {}
    if not conversation.language and verdict.language:
        changes["language"] = verdict.language
    if verdict.category != Category.UNSORTED and (
        conversation.category == Category.UNSORTED or verdict.priority < conversation.priority
    ):
        changes["category"], changes["priority"] = verdict.category, verdict.priority
    tags = list(conversation.tags or [])
    added = [tag for tag in verdict.tags if tag not in tags]
    if added:
        changes["tags"] = tags + added
    return changes
