"""What triage adds to ingesting one item: its language, the rules' verdict and its
service clock, in this process's CPU, with no database (the rule set is built from the
seeded keyword packs and targets and the 271 missions, as `triage.rules()` holds it).

The texts are the sandbox public's, `--items` lines across `--accounts` accounts of the
missions, in their languages, as the 10,000-item burst of issue 14 says them. Prints JSON:
CPU microseconds per item (language alone, the whole triage), the seconds a burst costs,
and the process's resident memory before and after the language model is read.

    python bench/triage_cpu.py [--items 10000] [--accounts 300]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

SETTINGS_MODULE = "bench.settings"


def _rss_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rules(missions):
    """The rule set triage would read from a freshly migrated database."""
    # start-up: Django is set up in main(), before the app's modules are imported.
    from conversations.business_hours import Hours
    from conversations.services import triage

    seed = importlib.import_module("conversations.migrations.0006_seed_triage_rules")
    weeks = importlib.import_module("embassies.migrations.0007_weekend_on_friday")
    packs = []
    for language, by_category in seed.TERMS.items():
        for category, terms in by_category.items():
            position, priority, tags = seed.CATEGORIES[category]
            packs.append((position, language, category, priority, tags, terms))
    packs.sort(key=lambda pack: (pack[0], pack[1]))
    compiled = tuple(
        triage.Pack(
            id=index,
            name=f"{category} ({language})",
            language=language,
            category=category,
            priority=priority,
            tags=tuple(tags),
            mission_id=None,
            pattern=triage.compile_terms(terms.splitlines(), language=language),
        )
        for index, (_position, language, category, priority, tags, terms) in enumerate(packs)
    )
    targets = {category: triage.Target(minutes, always_on) for category, (minutes, always_on) in seed.TARGETS.items()}
    facts = {}
    for index, mission in enumerate(missions):
        days = [7, 1, 2, 3, 4] if mission["country_code"] in weeks.SUNDAY_TO_THURSDAY else [1, 2, 3, 4, 5]
        hours = Hours.of(
            time_zone=mission["time_zone"],
            days=days,
            opens=datetime.strptime("09:00", "%H:%M").time(),  # noqa: DTZ007 (a wall time)
            closes=datetime.strptime("17:00", "%H:%M").time(),  # noqa: DTZ007
        )
        facts[index] = triage.MissionFacts(
            hours=hours, languages=tuple(mission["languages"]), reads=frozenset(mission["languages"])
        )
    return triage.RuleSet(packs=compiled, authors={}, targets=targets, missions=facts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=300)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    django.setup()
    # start-up: Django is set up just above, before the app's modules are imported.
    from channels.sandbox import public
    from conversations.language import detect_language
    from conversations.services import triage
    from diplomacy_hub.langid import model
    from embassies.missions_csv import read_missions

    missions = list(read_missions())
    rules = _rules(missions)
    per_account = max(1, args.items // args.accounts)
    said = []
    for account in range(args.accounts):
        mission = account % len(missions)
        lines = public.script(
            seed=7,
            network="twitter",
            account=f"bench-{account}",
            handle=f"bench{account}",
            count=per_account,
            our_posts=1,
            languages=missions[mission]["languages"],
        )
        said.extend((mission, line.text, missions[mission]["languages"]) for line in lines)
    rss_before = _rss_mb()
    model()
    rss_model = _rss_mb()
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)

    cpu = time.process_time()
    for _mission, text, languages in said:
        detect_language(text, likely=languages)
    language_cpu = time.process_time() - cpu

    cpu = time.process_time()
    categories: dict[str, int] = {}
    for mission, text, _languages in said:
        verdict = triage.triage_text(rules, mission_id=mission, network="twitter", text=text)
        triage.clock_for(rules, mission_id=mission, category=verdict.category, start=start)
        triage.offer_to_headquarters_why(
            rules, mission_id=mission, priority=verdict.priority, language=verdict.language, at=start
        )
        categories[verdict.category] = categories.get(verdict.category, 0) + 1
    triage_cpu = time.process_time() - cpu

    count = len(said)
    print(
        json.dumps(
            {
                "items": count,
                "accounts": args.accounts,
                "language_us_per_item": round(language_cpu / count * 1e6, 1),
                "triage_us_per_item": round(triage_cpu / count * 1e6, 1),
                "triage_cpu_seconds_per_burst": round(triage_cpu, 2),
                "rss_mb_before_model": round(rss_before, 1),
                "rss_mb_with_model": round(rss_model, 1),
                "categories": dict(sorted(categories.items())),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
