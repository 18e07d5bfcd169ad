"""What will be published, as one plain value: a frozen `Draft` of texts, media, targets and
time, built from a saved message (`draft_of`) or from what the compose form holds
(`ComposeForm.draft`). The delivery plan, each account's content, validation and the
approval fingerprint are pure functions of it (posts/validation.py, posts/fingerprint.py),
so the live preview applies exactly the rules that submit and the engine apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from channels.models import Network, SocialAccount, account_name
from embassies.models import Mission
from posts.models import Attachment, Message, MessageText
from posts.rawsql import message_target_ids


def clean_body(body: Any) -> str:
    """A text as typed, with the browser's line ends made one."""
    return str(body or "").replace("\r\n", "\n").replace("\r", "\n")


def clean_title(title: Any) -> str:
    """A title on one line, its runs of spaces made one."""
    return " ".join(str(title or "").split())


@dataclass(frozen=True)
class DraftText:
    language: str
    network: str  # "" for the main text of the language; a network's key for its variant
    body: str
    title: str = ""


@dataclass(frozen=True)
class DraftMedia:
    id: int | None
    message_id: int | None
    name: str
    path: str
    mime_type: str
    kind: str  # "image" or "video"
    size: int
    sha256: str
    alt_text: str = ""
    duration_seconds: float | None = None


@dataclass(frozen=True)
class DraftTarget:
    """A target account, as validation and the plan read it."""

    id: int
    network: str
    name: str  # how the account is known on its network ("@FranceEgypte")
    mission_id: int
    mission_languages: tuple[str, ...]
    mission_active: bool
    can_publish: bool
    is_sandbox: bool

    @property
    def label(self) -> str:
        """ "X @FranceEgypte": the network, then the account."""
        try:
            network = str(Network(self.network).label)
        except ValueError:
            network = self.network
        return f"{network} {self.name}"


@dataclass(frozen=True)
class Draft:
    """Texts, media (in the order shown), targets and time of one message.

    `target_ids` is what an approval covers; `targets` describes those accounts for the plan
    and validation. The engine builds its draft without them (`draft_of(targets="ids")`):
    checking the fingerprint before each delivery of a crisis alert must not read a thousand
    accounts.
    """

    texts: tuple[DraftText, ...]
    media: tuple[DraftMedia, ...]
    target_ids: tuple[int, ...]
    scheduled_at: datetime | None = None
    desired_at: datetime | None = None
    targets: tuple[DraftTarget, ...] = ()
    mission_id: int | None = None
    mission_name: str = ""
    mission_languages: tuple[str, ...] = ()
    is_crisis: bool = False
    state: str = Message.State.DRAFT

    def text(self, language: str, network: str = "") -> DraftText | None:
        return next((t for t in self.texts if t.language == language and t.network == network), None)

    @property
    def main_texts(self) -> dict[str, DraftText]:
        return {text.language: text for text in self.texts if not text.network}


# --- From a saved message --------------------------------------------------------------------


def target_of(account: SocialAccount) -> DraftTarget:
    return DraftTarget(
        id=account.pk,
        network=account.network,
        name=account_name(account),
        mission_id=account.mission_id,
        mission_languages=tuple(account.mission.languages),
        mission_active=account.mission.is_active,
        can_publish=account.can_publish,
        is_sandbox=account.is_sandbox,
    )


def media_of(attachment: Attachment) -> DraftMedia:
    return DraftMedia(
        id=attachment.pk,
        message_id=attachment.message_id,
        name=attachment.original_name,
        path=attachment.file.path if attachment.file else "",
        mime_type=attachment.mime_type,
        kind=attachment.kind,
        size=attachment.size,
        sha256=attachment.sha256,
        alt_text=attachment.alt_text,
        duration_seconds=attachment.duration_seconds,
    )


def draft_of(message: Message, *, targets: Literal["accounts", "ids", "none"] = "accounts") -> Draft:
    """The draft of a saved message, as stored (texts are not cleaned again: the services
    cleaned them on the way in). Reads `message.texts.all()` and friends, so a message from
    `with_content` costs no query. `targets`: "accounts" describes them (plan, validation);
    "ids" reads their ids only, in one plain SQL statement (the fingerprint); "none" reads
    nothing of them (a delivery's content, which does not depend on them)."""
    described: tuple[DraftTarget, ...] = ()
    target_ids: tuple[int, ...] = ()
    if targets == "accounts":
        accounts = sorted(message.targets.all(), key=lambda account: account.pk)
        described = tuple(target_of(account) for account in accounts)
        target_ids = tuple(account.pk for account in accounts)
    elif targets == "ids":
        target_ids = tuple(sorted(_target_ids(message)))
    # The mission only where the plan and validation need it: the engine's drafts must not
    # cost a query per delivery.
    mission = message.mission if targets == "accounts" else None
    return draft_of_parts(
        message,
        texts=message.texts.all(),
        attachments=message.attachments.all(),
        target_ids=target_ids,
        targets=described,
        mission=mission,
    )


def draft_of_parts(
    message: Message,
    *,
    texts: Iterable[MessageText],
    attachments: Iterable[Attachment],
    target_ids: Iterable[int] = (),
    targets: tuple[DraftTarget, ...] = (),
    mission: Mission | None = None,
) -> Draft:
    """The draft of a saved message from its texts, attachments and target ids as the
    caller read them (the engine reads a batch's in plain SQL, posts.rawsql)."""
    return Draft(
        texts=tuple(
            DraftText(language=text.language, network=text.network, body=text.body, title=text.title) for text in texts
        ),
        media=tuple(media_of(item) for item in sorted(attachments, key=lambda item: (item.position, item.pk))),
        target_ids=tuple(sorted(target_ids)),
        scheduled_at=message.scheduled_at,
        desired_at=message.desired_at,
        targets=targets,
        mission_id=message.mission_id,
        mission_name=mission.display_name if mission is not None else "",
        mission_languages=tuple(mission.languages) if mission is not None else (),
        is_crisis=message.is_crisis,
        state=message.state,
    )


def _target_ids(message: Message) -> list[int]:
    """The targets' ids: from the prefetched targets if any, else in one statement of plain
    SQL (posts.rawsql.message_target_ids: a crisis alert's thousand accounts are re-checked
    before each of its deliveries, never built as models)."""
    if "targets" in getattr(message, "_prefetched_objects_cache", {}):
        return [account.pk for account in message.targets.all()]
    return message_target_ids(message.pk)


# --- From what is typed -------------------------------------------------------------------------


def texts_of(typed: Mapping[tuple[str, str], Mapping[str, Any]]) -> tuple[DraftText, ...]:
    """{(language, network): {"body", "title"}} as typed → the texts that count, cleaned as
    the services clean them: an entry with neither body nor title is no text."""
    texts = []
    for (language, network), value in typed.items():
        body, title = clean_body(value.get("body")), clean_title(value.get("title"))
        if body.strip() or title:
            texts.append(DraftText(language=language, network=network or "", body=body, title=title))
    return tuple(texts)


def draft_typed(
    *,
    message: Message | None,
    mission_id: int,
    mission_name: str,
    mission_languages: Iterable[str],
    texts: tuple[DraftText, ...],
    accounts: Iterable[SocialAccount],
    attachments: Iterable[Attachment],
    desired_at: datetime | None,
) -> Draft:
    """A routine message as typed in the compose form, not saved."""
    chosen = sorted(accounts, key=lambda account: account.pk)
    return Draft(
        texts=texts,
        media=tuple(media_of(item) for item in sorted(attachments, key=lambda item: (item.position, item.pk or 0))),
        target_ids=tuple(account.pk for account in chosen),
        desired_at=desired_at,
        targets=tuple(target_of(account) for account in chosen),
        mission_id=mission_id,
        mission_name=mission_name,
        mission_languages=tuple(mission_languages),
        is_crisis=False,
        state=message.state if message is not None else Message.State.DRAFT,
    )
