"""Previews: what each network receives, with its counter, by the rules submit applies (the
compose form's live preview and the message page use the same cards)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from channels import text as text_rules
from channels.models import Network
from embassies.models import RIGHT_TO_LEFT_LANGUAGES
from posts.draft import Draft, DraftTarget
from posts.problems import display_language
from posts.validation import build_content, delivery_plan, is_blocking, validate_draft

NETWORK_ORDER = {network: index for index, network in enumerate(Network.values)}


@dataclass
class Counter:
    label: str
    count: int
    limit: int
    unit: str = ""

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def excess(self) -> int:
        return self.count - self.limit

    @property
    def near(self) -> bool:
        return not self.over and self.count > self.limit * 0.9


@dataclass
class PreviewCard:
    network: str
    network_label: str
    language: str
    language_name: str
    direction: str
    accounts: list[str]
    text: str
    title: str
    media: list
    counters: list[Counter]
    problems: list[str] = field(default_factory=list)


@dataclass
class Preview:
    cards: list[PreviewCard]
    blocking: list[str]
    warnings: list[str]
    has_targets: bool
    has_text: bool

    @property
    def problem_count(self) -> int:
        return len(self.blocking) + sum(len(card.problems) for card in self.cards)

    @property
    def ready(self) -> bool:
        return self.problem_count == 0 and self.has_targets and self.has_text


def _counters(network: str, text: str, title: str) -> list[Counter]:
    label = Network(network).label
    if network == Network.TWITTER:
        return [Counter(label, text_rules.tweet_length(text), text_rules.TWEET_MAX)]
    if network == Network.FACEBOOK:
        return [Counter(label, text_rules.facebook_length(text), text_rules.FACEBOOK_TEXT_MAX)]
    if network == Network.YOUTUBE:
        return [
            Counter(
                _("%(network)s title") % {"network": label},
                text_rules.youtube_title_length(title),
                text_rules.YOUTUBE_TITLE_MAX,
            ),
            Counter(
                _("%(network)s description") % {"network": label},
                text_rules.youtube_description_bytes(text),
                text_rules.YOUTUBE_DESCRIPTION_MAX_BYTES,
                _("bytes"),
            ),
        ]
    return [
        Counter(
            _("%(network)s title") % {"network": label},
            text_rules.flickr_title_length(title),
            text_rules.FLICKR_TITLE_MAX,
        )
    ]


def build_preview(draft: Draft) -> Preview:
    """One card per network and language that would be published, with the network's own
    count and every problem validation finds (the same `validate_draft` submit runs)."""
    plan = delivery_plan(draft)
    problems = validate_draft(draft, plan=plan)
    groups: dict[tuple[str, str], list[DraftTarget]] = {}
    for target, language in plan:
        groups.setdefault((target.network, language), []).append(target)
    order = list(draft.mission_languages)
    cards: dict[tuple[str, str], PreviewCard] = {}
    for (network, language), targets in sorted(
        groups.items(),
        key=lambda item: (
            NETWORK_ORDER.get(item[0][0], 9),
            order.index(item[0][1]) if item[0][1] in order else len(order),
            item[0][1],
        ),
    ):
        content = build_content(draft, network=network, language=language)
        names = [target.name for target in targets]
        cards[(network, language)] = PreviewCard(
            network=network,
            network_label=Network(network).label,
            language=language,
            language_name=display_language(language),
            direction="rtl" if language in RIGHT_TO_LEFT_LANGUAGES else "ltr",
            accounts=names if len(names) <= 6 else [*names[:5], _("and %(count)s more") % {"count": len(names) - 5}],
            text=content.text,
            title=content.title if network in (Network.YOUTUBE, Network.FLICKR) else "",
            media=list(draft.media),
            counters=_counters(network, content.text, content.title),
        )
    blocking: list[str] = []
    warnings: list[str] = []
    for problem in problems:
        key = (problem.network, problem.language)
        if key in cards and problem.field != "texts" and is_blocking(problem):
            cards[key].problems.append(problem.message)
        elif is_blocking(problem):
            blocking.append(problem.message)
        else:
            warnings.append(problem.message)
    return Preview(
        cards=list(cards.values()),
        blocking=blocking,
        warnings=warnings,
        has_targets=bool(draft.target_ids),
        has_text=any(text.body.strip() for text in draft.main_texts.values()),
    )
