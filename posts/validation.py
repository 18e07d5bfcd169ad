"""Turning a message into what each network receives, and saying what stops it.

- `delivery_plan(message)`: which (account, language) pairs an approval publishes.
- `build_content(...)`: the one place that turns a message into a network's `Content`;
  the delivery engine publishes exactly what this returns.
- `validate_message(message)`: every problem at once, each saying which language and which
  accounts, so the officer fixes everything in one pass. Our own checks come first (no
  target, no text, accounts of another mission...), then each target network's adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone

from channels.adapters.base import Content, MediaFile, Problem
from channels.models import SocialAccount, account_label, network_label
from channels.services import adapter_for
from embassies import names
from posts.lifecycle import MESSAGE_BEFORE_APPROVAL
from posts.models import Attachment, Delivery, Message, MessageText

# A crisis alert reaches each account in its mission's first language that has a text,
# else in French, else in English.
CRISIS_FALLBACK_LANGUAGES = ("fr", "en")

# Accounts named in one problem before "and N more" (a crisis alert targets hundreds).
ACCOUNTS_NAMED = 3


@dataclass(frozen=True)
class MessageProblem(Problem):
    """A problem with a message: which language and accounts it concerns, and whether it
    stops the message (`blocking`) or only warns the officer and the reviewer."""

    language: str = ""
    account_ids: tuple[int, ...] = ()
    blocking: bool = True


class ValidationProblems(ValidationError):
    """Submitting or approving found problems that stop the message; `problems` lists them
    all, warnings included, so the page can show everything at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        blocking = [problem.message for problem in self.problems if is_blocking(problem)]
        super().__init__(blocking or ["This message cannot go out as it is."], code="message_problems")

    @property
    def blocking(self) -> list[Problem]:
        return [problem for problem in self.problems if is_blocking(problem)]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not is_blocking(problem)]


def is_blocking(problem: Problem) -> bool:
    return getattr(problem, "blocking", True)


# --- Words ------------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """ "Arabic" for "ar", in the reader's language ("arabe" in French prose)."""
    return names.language_name(code)


def accounts_label(accounts: list[SocialAccount]) -> str:
    names = [account_label(account) for account in accounts[:ACCOUNTS_NAMED]]
    if len(accounts) > ACCOUNTS_NAMED:
        names.append(f"{len(accounts) - ACCOUNTS_NAMED} more accounts")
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- What goes where ----------------------------------------------------------------------------


def _base_texts(message: Message) -> dict[str, MessageText]:
    return {text.language: text for text in message.texts.all() if not text.network}


def crisis_language(account: SocialAccount, languages_with_text: Iterable[str]) -> str | None:
    """The language a crisis alert reaches this account in: the mission's own language
    (its first language other than French: Japanese in Tokyo, English in Washington) when
    the alert has a text in it, else French, else English; None when there is none.

    Every mission lists French first, so "its first language" would always be French and
    a Japanese text written for Tokyo's followers would never reach them."""
    available = set(languages_with_text)
    own = next((language for language in account.mission.languages if language != "fr"), None)
    for language in [own, *CRISIS_FALLBACK_LANGUAGES]:
        if language in available:
            return language
    return None


def delivery_plan(message: Message) -> list[tuple[SocialAccount, str]]:
    """The (account, language) pairs an approval turns into deliveries.

    A routine message: every target account, in every language that has a main text (a
    network variant replaces that text on its network; it adds no delivery), in the
    mission's order of languages. A crisis alert: every target account once, in the
    language `crisis_language` picks.
    """
    base = _base_texts(message)
    accounts = sorted(message.targets.all(), key=lambda account: account.pk)
    plan: list[tuple[SocialAccount, str]] = []
    for account in accounts:
        if message.is_crisis:
            language = crisis_language(account, base)
            if language is not None:
                plan.append((account, language))
            continue
        order = list(account.mission.languages)
        languages = sorted(base, key=lambda code: (order.index(code) if code in order else len(order), code))
        plan.extend((account, language) for language in languages)
    return plan


def text_for(message: Message, language: str, network: str) -> MessageText | None:
    """The network's variant in this language if there is one, else the main text."""
    texts = {(text.language, text.network): text for text in message.texts.all()}
    return texts.get((language, network)) or texts.get((language, ""))


def media_file(attachment: Attachment) -> MediaFile:
    return MediaFile(
        path=attachment.file.path,
        mime_type=attachment.mime_type,
        kind=attachment.kind,
        size=attachment.size,
        alt_text=attachment.alt_text,
        duration_seconds=attachment.duration_seconds,
    )


def build_content(
    source: Delivery | Message | None = None,
    account: SocialAccount | None = None,
    language: str | None = None,
    *,
    message: Message | None = None,
    network: str | None = None,
    reference: str = "",
) -> Content:
    """What one account receives. Three ways to ask:

    - `build_content(delivery)`: what that delivery publishes, with its network token as
      the content's `reference`;
    - `build_content(message, account, language)`: before any delivery exists (validation,
      previews);
    - `build_content(message=..., language=..., network=..., reference=...)`: the same by
      network, for callers that hold no account.

    The text is the network's variant if the officer wrote one, else the main text of the
    language; a variant's empty title falls back on the main text's title. Media come in
    the order shown. Raises LookupError when the message has no text in that language.
    """
    if isinstance(source, Delivery):
        message, account, language = source.message, source.account, source.language
        reference = source.network_token
    elif source is not None:
        message = source
    if message is None or language is None or (account is None and network is None):
        raise TypeError("build_content(delivery) or build_content(message, account, language).")
    network = account.network if account is not None else network
    text = text_for(message, language, network)
    if text is None:
        raise LookupError(f"Message {message.pk} has no {language_name(language)} text.")
    base = _base_texts(message).get(language)
    title = text.title or (base.title if base is not None else "")
    media = tuple(
        media_file(attachment)
        for attachment in sorted(message.attachments.all(), key=lambda item: (item.position, item.pk))
    )
    return Content(text=text.body, title=title, media=media, reference=reference or "")


# --- Validation -----------------------------------------------------------------------------------


def _own(
    field: str,
    text: str,
    *,
    language: str = "",
    accounts: Iterable[SocialAccount] = (),
    network: str = "",
    blocking: bool = True,
) -> MessageProblem:
    return MessageProblem(
        network=network,
        field=field,
        message=text,
        language=language,
        account_ids=tuple(account.pk for account in accounts),
        blocking=blocking,
    )


def _text_problems(message: Message, accounts: list[SocialAccount]) -> list[MessageProblem]:
    problems: list[MessageProblem] = []
    texts = list(message.texts.all())
    base = _base_texts(message)
    if not base:
        problems.append(_own("texts", "Write the text in at least one language."))
    for text in texts:
        where = (
            f"{language_name(text.language)} {network_label(text.network)} variant"
            if text.network
            else f"{language_name(text.language)} text"
        )
        if not text.body.strip():
            problems.append(_own("texts", f"The {where} is empty.", language=text.language, network=text.network))
        if text.network and text.language not in base:
            problems.append(
                _own(
                    "texts",
                    f"The {where} has no main {language_name(text.language)} text: "
                    f"write the main text too, or remove the variant.",
                    language=text.language,
                    network=text.network,
                )
            )
    if message.is_crisis:
        if base and not set(base) & set(CRISIS_FALLBACK_LANGUAGES):
            problems.append(
                _own(
                    "texts",
                    "A crisis alert needs a French or English text: "
                    "accounts in other languages receive it in French, else in English.",
                )
            )
        return problems
    mission = message.mission
    for language in base:
        if language not in mission.languages:
            problems.append(
                _own(
                    "texts",
                    f"{mission.name} does not publish in {language_name(language)}: "
                    f"remove the {language_name(language)} text.",
                    language=language,
                )
            )
    missing = [language for language in mission.languages if language not in base]
    if base and missing:
        names = ", ".join(language_name(language) for language in missing)
        problems.append(
            _own(
                "texts",
                f"No text in {names}: followers who read only {names} will not get this message.",
                blocking=False,
            )
        )
    return problems


def _target_problems(message: Message, accounts: list[SocialAccount]) -> list[MessageProblem]:
    problems: list[MessageProblem] = []
    if not accounts:
        return [_own("targets", "Choose at least one account to publish to.")]
    if not message.is_crisis:
        foreign = [account for account in accounts if account.mission_id != message.mission_id]
        if foreign:
            problems.append(
                _own(
                    "targets",
                    f"Not accounts of {message.mission.name}: {accounts_label(foreign)}. Remove them.",
                    accounts=foreign,
                )
            )
    inactive = [account for account in accounts if not account.mission.is_active]
    if inactive:
        problems.append(
            _own(
                "targets",
                f"These accounts belong to a mission that is no longer active: {accounts_label(inactive)}.",
                accounts=inactive,
            )
        )
    unready = [account for account in accounts if not account.can_publish]
    if unready:
        problems.append(
            _own(
                "targets",
                f"Not connected, so publishing to them will fail until an administrator "
                f"reconnects them: {accounts_label(unready)}.",
                accounts=unready,
                blocking=False,
            )
        )
    return problems


def _time_problems(message: Message) -> list[MessageProblem]:
    if (
        message.desired_at is not None
        and message.desired_at <= timezone.now()
        and message.state in MESSAGE_BEFORE_APPROVAL
    ):
        return [
            _own(
                "desired_at",
                "The desired time has passed: the reviewer will choose a new time or publish it at once.",
                blocking=False,
            )
        ]
    return []


def _network_problems(message: Message, plan: list[tuple[SocialAccount, str]]) -> list[MessageProblem]:
    """Ask each network's adapter once per language (the content is the same for every
    account of a network) and name the accounts each problem concerns."""
    groups: dict[tuple[str, str], list[SocialAccount]] = {}
    for account, language in plan:
        groups.setdefault((account.network, language), []).append(account)
    adapters: dict[str, object] = {}
    problems: list[MessageProblem] = []
    for (network, language), accounts in sorted(groups.items()):
        if network not in adapters:
            adapters[network] = adapter_for(accounts[0])
        content = build_content(message, accounts[0], language)
        for problem in adapters[network].validate(content):
            problems.append(
                MessageProblem(
                    network=problem.network or network,
                    field=problem.field,
                    message=f"{language_name(language)}, {accounts_label(accounts)}: {problem.message}",
                    language=language,
                    account_ids=tuple(account.pk for account in accounts),
                    blocking=True,
                )
            )
    return problems


def validate_message(message: Message) -> list[Problem]:
    """Every problem that would stop this message (or that the reviewer should know of),
    all at once. Problems with `blocking=False` are warnings: they do not stop a submit."""
    accounts = sorted(
        (account for account in message.targets.all()),
        key=lambda account: account.pk,
    )
    problems: list[Problem] = [
        *_target_problems(message, accounts),
        *_text_problems(message, accounts),
        *_time_problems(message),
    ]
    plan = delivery_plan(message)
    if message.is_crisis:
        served = {account.pk for account, _ in plan}
        unserved = [account for account in accounts if account.pk not in served]
        if unserved and _base_texts(message):
            problems.append(
                _own(
                    "texts",
                    f"No text these accounts can receive (their languages, French or English): "
                    f"{accounts_label(unserved)}.",
                    accounts=unserved,
                )
            )
    problems.extend(_network_problems(message, plan))
    return problems


def with_content(queryset):
    """A message queryset that brings its texts, attachments and targets (with their
    missions) in three more queries: what validation, the plan and the fingerprint read."""
    return queryset.prefetch_related(
        "texts",
        "attachments",
        Prefetch("targets", queryset=SocialAccount.objects.select_related("mission").order_by("pk")),
    )
