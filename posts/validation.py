"""Turning a draft into what each network receives, and saying what stops it. Every function
here is a pure function of a `posts.draft.Draft` (plain values, no query):

- `delivery_plan(draft)`: which (account, language) pairs an approval publishes.
- `build_content(draft, network=..., language=...)`: the one place that turns a draft into
  a network's `Content`; the delivery engine publishes exactly what this returns.
- `validate_draft(draft)`: every problem at once, each a code with parameters saying which
  language and which accounts, so the officer fixes everything in one pass. Our own checks
  come first (no target, no text, accounts of another mission...), then each target
  network's adapter. `posts.problems` words them in the reader's language.

`delivery_content` and `with_content` are the two that read the database: they load what
the draft is built from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from channels.adapters.base import Content, MediaFile, Problem
from channels.models import SocialAccount, account_label, network_label  # noqa: F401 (re-exported)
from channels.services import adapter_for
from embassies import names
from posts import problems as wording
from posts.draft import Draft, DraftMedia, DraftTarget, draft_of
from posts.language import looks_like
from posts.lifecycle import MESSAGE_BEFORE_APPROVAL
from posts.models import Delivery

# A crisis alert reaches each account in its mission's first language that has a text,
# else in French, else in English.
CRISIS_FALLBACK_LANGUAGES = ("fr", "en")


@dataclasses.dataclass(frozen=True)
class MessageProblem:
    """A problem with a message: a code with parameters (worded by `posts.problems` when a
    person reads it), the form field, network, language and accounts it concerns, and
    whether it stops the message (`blocking`) or only warns the officer and the reviewer."""

    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    field: str = ""
    network: str = ""
    language: str = ""
    account_ids: tuple[int, ...] = ()
    blocking: bool = True

    @property
    def message(self) -> str:
        """In the active language: read it where the reader's language is on."""
        return wording.word(self.code, self.params)

    def __str__(self) -> str:
        return self.message


class ValidationProblems(ValidationError):
    """Submitting or approving found problems that stop the message; `problems` lists them
    all, warnings included, so the page can show everything at once."""

    def __init__(self, problems: Iterable[MessageProblem]) -> None:
        self.problems = list(problems)
        # Worded when read, in the reader's language.
        blocking = [_lazy_message(problem) for problem in self.problems if is_blocking(problem)]
        super().__init__(blocking or [_("This message cannot go out as it is.")], code="message_problems")

    @property
    def blocking(self) -> list[MessageProblem]:
        return [problem for problem in self.problems if is_blocking(problem)]

    @property
    def warnings(self) -> list[MessageProblem]:
        return [problem for problem in self.problems if not is_blocking(problem)]


def _message(problem: MessageProblem) -> str:
    return problem.message


_lazy_message = lazy(_message, str)


def is_blocking(problem: Any) -> bool:
    return getattr(problem, "blocking", True)


# --- Words ------------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """ "Arabic" for "ar", in the reader's language ("arabe" in French prose)."""
    return names.language_name(code)


# --- What goes where ----------------------------------------------------------------------------


def crisis_language(target: DraftTarget, languages_with_text: Iterable[str]) -> str | None:
    """The language a crisis alert reaches this account in: the mission's own language
    (its first language other than French: Japanese in Tokyo, English in Washington) when
    the alert has a text in it, else French, else English; None when there is none.

    Every mission lists French first, so "its first language" would always be French and
    a Japanese text written for Tokyo's followers would never reach them."""
    available = set(languages_with_text)
    own = next((language for language in target.mission_languages if language != "fr"), None)
    for language in [own, *CRISIS_FALLBACK_LANGUAGES]:
        if language in available:
            return language
    return None


def delivery_plan(draft: Draft) -> list[tuple[DraftTarget, str]]:
    """The (account, language) pairs an approval turns into deliveries.

    A routine message: every target account, in every language that has a main text (a
    network variant replaces that text on its network; it adds no delivery), in the
    mission's order of languages. A crisis alert: every target account once, in the
    language `crisis_language` picks.
    """
    base = draft.main_texts
    plan: list[tuple[DraftTarget, str]] = []
    for target in sorted(draft.targets, key=lambda target: target.id):
        if draft.is_crisis:
            language = crisis_language(target, base)
            if language is not None:
                plan.append((target, language))
            continue
        order = list(target.mission_languages)
        languages = sorted(base, key=lambda code: (order.index(code) if code in order else len(order), code))
        plan.extend((target, language) for language in languages)
    return plan


def media_file(media: DraftMedia) -> MediaFile:
    return MediaFile(
        path=media.path,
        mime_type=media.mime_type,
        kind=media.kind,
        size=media.size,
        alt_text=media.alt_text,
        duration_seconds=media.duration_seconds,
    )


def build_content(draft: Draft, *, network: str, language: str, reference: str = "") -> Content:
    """What an account of `network` receives in `language`: the network's variant if the
    officer wrote one, else the main text of the language; a variant's empty title falls
    back on the main text's title. Media come in the order shown. Raises LookupError when
    the draft has no text in that language."""
    text = draft.text(language, network) or draft.text(language)
    if text is None:
        raise LookupError(f"No {language_name(language)} text.")
    base = draft.text(language)
    title = text.title or (base.title if base is not None else "")
    return Content(
        text=text.body,
        title=title,
        media=tuple(media_file(media) for media in draft.media),
        reference=reference or "",
    )


def delivery_content(delivery: Delivery) -> Content:
    """What a delivery publishes: its message's draft (texts and media as read, prefetched
    or not; no target read) for its account's network and language, with its network token
    as the content's `reference`."""
    draft = draft_of(delivery.message, targets="none")
    return build_content(
        draft, network=delivery.account.network, language=delivery.language, reference=delivery.network_token
    )


# --- Validation -----------------------------------------------------------------------------------


def _accounts(targets: Iterable[DraftTarget]) -> dict[str, Any]:
    return wording.accounts_param([target.label for target in targets])


def _ids(targets: Iterable[DraftTarget]) -> tuple[int, ...]:
    return tuple(target.id for target in targets)


def _text_problems(draft: Draft) -> list[MessageProblem]:
    problems: list[MessageProblem] = []
    base = draft.main_texts
    if not base:
        problems.append(MessageProblem("texts.none", field="texts"))
    for text in draft.texts:
        where = {"language": text.language, "network": text.network}
        if not text.body.strip():
            code = "texts.variant_empty" if text.network else "texts.empty"
            problems.append(MessageProblem(code, where, field="texts", language=text.language, network=text.network))
        if text.network and text.language not in base:
            problems.append(
                MessageProblem(
                    "texts.variant_without_main", where, field="texts", language=text.language, network=text.network
                )
            )
    problems.extend(_language_problems(draft))
    if draft.is_crisis:
        if base and not set(base) & set(CRISIS_FALLBACK_LANGUAGES):
            problems.append(MessageProblem("texts.crisis_needs_fr_en", field="texts"))
        return problems
    for language in base:
        if language not in draft.mission_languages:
            problems.append(
                MessageProblem(
                    "texts.language_not_published",
                    {"mission": draft.mission_name, "language": language},
                    field="texts",
                    language=language,
                )
            )
    missing = [language for language in draft.mission_languages if language not in base]
    if base and missing:
        problems.append(
            MessageProblem("texts.languages_missing", {"languages": missing}, field="texts", blocking=False)
        )
    return problems


def _language_problems(draft: Draft) -> list[MessageProblem]:
    """A text that is clearly in another language than its tab ("this Arabic text looks
    like English"): a warning before submitting, never a refusal."""
    problems: list[MessageProblem] = []
    for text in draft.texts:
        detected = looks_like(text.body, text.language)
        if detected:
            problems.append(
                MessageProblem(
                    "texts.language_mismatch",
                    {"language": text.language, "detected": detected, "network": text.network},
                    field="texts",
                    language=text.language,
                    network=text.network,
                    blocking=False,
                )
            )
    return problems


def _target_problems(draft: Draft) -> list[MessageProblem]:
    targets = sorted(draft.targets, key=lambda target: target.id)
    if not targets:
        return [MessageProblem("targets.none", field="targets")]
    problems: list[MessageProblem] = []
    if not draft.is_crisis:
        foreign = [target for target in targets if target.mission_id != draft.mission_id]
        if foreign:
            problems.append(
                MessageProblem(
                    "targets.foreign",
                    {"mission": draft.mission_name, "accounts": _accounts(foreign)},
                    field="targets",
                    account_ids=_ids(foreign),
                )
            )
    inactive = [target for target in targets if not target.mission_active]
    if inactive:
        problems.append(
            MessageProblem(
                "targets.inactive_mission",
                {"accounts": _accounts(inactive)},
                field="targets",
                account_ids=_ids(inactive),
            )
        )
    unready = [target for target in targets if not target.can_publish]
    if unready:
        problems.append(
            MessageProblem(
                "targets.not_connected",
                {"accounts": _accounts(unready)},
                field="targets",
                account_ids=_ids(unready),
                blocking=False,
            )
        )
    return problems


def _time_problems(draft: Draft, now: datetime) -> list[MessageProblem]:
    if draft.desired_at is not None and draft.desired_at <= now and draft.state in MESSAGE_BEFORE_APPROVAL:
        return [MessageProblem("time.desired_passed", field="desired_at", blocking=False)]
    return []


def _network_problems(draft: Draft, plan: list[tuple[DraftTarget, str]]) -> list[MessageProblem]:
    """Ask each network's adapter once per language (the content is the same for every
    account of a network) and name the accounts each problem concerns."""
    groups: dict[tuple[str, str], list[DraftTarget]] = {}
    for target, language in plan:
        groups.setdefault((target.network, language), []).append(target)
    adapters: dict[str, Any] = {}
    problems: list[MessageProblem] = []
    for (network, language), targets in sorted(groups.items()):
        if network not in adapters:
            adapters[network] = adapter_for(targets[0])
        content = build_content(draft, network=network, language=language)
        for problem in adapters[network].validate(content):
            problems.append(
                MessageProblem(
                    "network.problem",
                    {
                        "heading_language": language,
                        "accounts": _accounts(targets),
                        "problem": adapter_problem(problem),
                    },
                    field=problem.field,
                    network=problem.network or network,
                    language=language,
                    account_ids=_ids(targets),
                )
            )
    return problems


def adapter_problem(problem: Problem) -> dict[str, Any]:
    """An adapter's problem as plain data: its code, parameters, and its English text for
    the record (shown when the code is not one `posts.problems` words)."""
    return {"code": problem.code, "params": dict(problem.params), "text": problem.message}


def validate_draft(
    draft: Draft, *, plan: list[tuple[DraftTarget, str]] | None = None, now: datetime | None = None
) -> list[MessageProblem]:
    """Every problem that would stop this draft (or that the reviewer should know of),
    all at once. Problems with `blocking=False` are warnings: they do not stop a submit.
    `plan` is `delivery_plan(draft)` when the caller has it already (approval writes it)."""
    problems = [*_target_problems(draft), *_text_problems(draft), *_time_problems(draft, now or timezone.now())]
    plan = delivery_plan(draft) if plan is None else plan
    if draft.is_crisis:
        served = {target.id for target, _ in plan}
        unserved = [target for target in sorted(draft.targets, key=lambda t: t.id) if target.id not in served]
        if unserved and draft.main_texts:
            problems.append(
                MessageProblem(
                    "texts.crisis_unserved",
                    {"accounts": _accounts(unserved)},
                    field="texts",
                    account_ids=_ids(unserved),
                )
            )
    problems.extend(_network_problems(draft, plan))
    return problems


def with_content(queryset):
    """A message queryset that brings its texts, attachments and targets (with their
    missions) in three more queries: what `draft_of` reads."""
    return queryset.prefetch_related(
        "texts",
        "attachments",
        Prefetch("targets", queryset=SocialAccount.objects.select_related("mission").order_by("pk")),
    )
