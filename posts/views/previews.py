"""Previews: what each network receives, with its counter, by the rules submit applies (the
compose form's live preview and the message page use the same cards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from channels import text as text_rules
from channels.models import Network, SocialAccount
from embassies.models import RIGHT_TO_LEFT_LANGUAGES, Mission
from posts.forms import ComposeForm, display_language
from posts.models import Attachment, Message, MessageText, Priority
from posts.validation import build_content, delivery_plan, is_blocking, validate_message

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


class _Related:
    """What `message.texts` / `.targets` / `.attachments` give validation: `.all()`."""

    def __init__(self, items) -> None:
        self._items = list(items)

    def all(self) -> list:
        return list(self._items)


class DraftMessage:
    """A message as typed but not saved, shaped as validation reads a Message, so that the
    live preview applies exactly the rules submit will apply."""

    def __init__(
        self,
        *,
        mission: Mission,
        message: Message | None,
        texts: dict,
        targets: list[SocialAccount],
        desired_at: datetime | None,
        attachments: list[Attachment],
    ) -> None:
        self.pk = message.pk if message is not None else None
        self.mission, self.mission_id = mission, mission.pk
        self.state = message.state if message is not None else Message.State.DRAFT
        self.priority = Priority.ROUTINE
        self.is_crisis = False
        self.desired_at = desired_at
        self.title = ""
        self.texts = _Related(
            MessageText(language=language, network=network, body=value["body"], title=value["title"])
            for (language, network), value in texts.items()
            if str(value["body"] or "").strip() or str(value["title"] or "").strip()
        )
        self.targets = _Related(sorted(targets, key=lambda account: account.pk))
        self.attachments = _Related(attachments)


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


def build_preview(message: Message | DraftMessage) -> Preview:
    """One card per network and language that would be published, with the network's own
    count and every problem validation finds (the same `validate_message` submit runs)."""
    problems = validate_message(message)
    groups: dict[tuple[str, str], list[SocialAccount]] = {}
    for account, language in delivery_plan(message):
        groups.setdefault((account.network, language), []).append(account)
    order = list(message.mission.languages) if message.mission is not None else []
    cards: dict[tuple[str, str], PreviewCard] = {}
    attachments = sorted(message.attachments.all(), key=lambda item: (item.position, item.pk or 0))
    for (network, language), accounts in sorted(
        groups.items(),
        key=lambda item: (
            NETWORK_ORDER.get(item[0][0], 9),
            order.index(item[0][1]) if item[0][1] in order else len(order),
            item[0][1],
        ),
    ):
        content = build_content(message=message, language=language, network=network)
        names = [account.handle or account.display_name or f"#{account.pk}" for account in accounts]
        cards[(network, language)] = PreviewCard(
            network=network,
            network_label=Network(network).label,
            language=language,
            language_name=display_language(language),
            direction="rtl" if language in RIGHT_TO_LEFT_LANGUAGES else "ltr",
            accounts=names if len(names) <= 6 else [*names[:5], _("and %(count)s more") % {"count": len(names) - 5}],
            text=content.text,
            title=content.title if network in (Network.YOUTUBE, Network.FLICKR) else "",
            media=attachments,
            counters=_counters(network, content.text, content.title),
        )
    blocking: list[str] = []
    warnings: list[str] = []
    for problem in problems:
        key = (problem.network, getattr(problem, "language", ""))
        if key in cards and getattr(problem, "field", "") != "texts" and is_blocking(problem):
            cards[key].problems.append(problem.message)
        elif is_blocking(problem):
            blocking.append(problem.message)
        else:
            warnings.append(problem.message)
    has_text = any(not text.network and text.body.strip() for text in message.texts.all())
    return Preview(
        cards=list(cards.values()),
        blocking=blocking,
        warnings=warnings,
        has_targets=bool(message.targets.all()),
        has_text=has_text,
    )


def draft_from_form(form: ComposeForm, message: Message | None) -> DraftMessage:
    if form.is_bound:
        form.is_valid()
        desired_at = form.cleaned_data.get("desired_at")
    else:
        desired_at = form.initial.get("desired_at")
    chosen = {str(value) for value in (form["targets"].value() or [])}
    texts = {}
    for language in form.mission.languages:
        for network in ["", *Network.values]:
            suffix = f"{language}_{network}" if network else language
            texts[(language, network)] = {
                "body": (form[f"text_{suffix}"].value() or "").replace("\r\n", "\n"),
                "title": " ".join(str(form[f"title_{suffix}"].value() or "").split())
                if f"title_{suffix}" in form.fields
                else "",
            }
    return DraftMessage(
        mission=form.mission,
        message=message,
        texts=texts,
        targets=[account for account in form.accounts if str(account.pk) in chosen],
        desired_at=desired_at,
        attachments=form.attachments,
    )
