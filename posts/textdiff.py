"""What changed in a message's texts since a reviewer asked for changes: the texts as they
were when the review was made (kept on the Review), compared word by word, per language."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from posts.models import Message

# Words and the spaces between them, so that a diff of tokens puts the text back together.
_TOKENS = re.compile(r"\s+|[^\s]+")


def texts_snapshot(message: Message) -> list[dict[str, str]]:
    """The message's texts as plain data, to keep with a review."""
    return [
        {"language": text.language, "network": text.network, "title": text.title, "body": text.body}
        for text in message.texts.all()
    ]


@dataclass
class TextChange:
    """One text (a language, or a network's variant of it) then and now. `body` and
    `title` are lists of (kind, words): kind is "same", "added" or "removed"."""

    language: str
    network: str
    status: str  # "changed", "unchanged", "added", "removed"
    body: list[tuple[str, str]] = field(default_factory=list)
    title: list[tuple[str, str]] = field(default_factory=list)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """`after` against `before`, word by word: [(kind, words), ...]."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("removed", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(("added", "".join(new[j1:j2])))
    return parts


def changes_since(before: list[dict[str, str]], after: list[dict[str, str]]) -> list[TextChange]:
    """Each text of either side, by language then network (the language's own text first)."""
    then = {(text["language"], text["network"]): text for text in before}
    now = {(text["language"], text["network"]): text for text in after}
    changes = []
    for key in sorted(then.keys() | now.keys()):
        old, new = then.get(key), now.get(key)
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        elif (old["body"], old["title"]) == (new["body"], new["title"]):
            status = "unchanged"
        else:
            status = "changed"
        old = old or {"body": "", "title": ""}
        new = new or {"body": "", "title": ""}
        changes.append(
            TextChange(
                language=key[0],
                network=key[1],
                status=status,
                body=word_diff(old["body"], new["body"]),
                title=word_diff(old["title"], new["title"]) if old["title"] or new["title"] else [],
            )
        )
    return changes
