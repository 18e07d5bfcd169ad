"""Editing triage's rules: keyword packs, known authors and service targets. Each change in
the house shape (lock, policy, check, write, audit) and, once committed, this process
forgets its rule set (others read it again within triage.RULES_TTL)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import record
from conversations.lifecycle import Category, Priority
from conversations.models import KeywordPack, KnownAuthor, ServiceTarget
from conversations.services import triage
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.validators import is_language_code

MAX_TERMS = 500
MAX_TERM_LENGTH = 100
MAX_TAGS = 10
TAG = re.compile(r"^[\w-]{1,40}$", re.UNICODE)
MAX_TARGET_MINUTES = 60 * 24 * 30


@dataclass(frozen=True)
class PackFields:
    name: str
    language: str
    category: str
    priority: int
    tags: list[str]
    terms: str
    position: int
    is_active: bool
    mission: Mission | None


def _check_pack(fields: PackFields) -> None:
    problems: dict[str, str] = {}
    if not fields.name.strip():
        problems["name"] = _("Give the pack a name.")
    if fields.language and not is_language_code(fields.language):
        problems["language"] = _("Give an ISO 639-1 language code, for example “ar”, or leave it empty.")
    if fields.category not in Category.values or fields.category == Category.UNSORTED:
        problems["category"] = _("Choose what a match is about.")
    if fields.priority not in Priority.values:
        problems["priority"] = _("Choose a priority.")
    terms = [line.strip() for line in fields.terms.splitlines() if line.strip()]
    if not terms:
        problems["terms"] = _("List at least one word or phrase, one per line.")
    elif len(terms) > MAX_TERMS or any(len(term) > MAX_TERM_LENGTH for term in terms):
        problems["terms"] = _("At most %(count)d lines of at most %(length)d characters each.") % {
            "count": MAX_TERMS,
            "length": MAX_TERM_LENGTH,
        }
    elif all(_holds_nothing(term, fields.language) for term in terms):
        problems["terms"] = _("These lines hold no letters to look for.")
    if len(fields.tags) > MAX_TAGS or any(not TAG.match(tag) for tag in fields.tags):
        problems["tags"] = _("At most %(count)d tags, each a word (letters, digits, hyphens).") % {"count": MAX_TAGS}
    if problems:
        raise ValidationError(problems)


def _holds_nothing(term: str, language: str) -> bool:
    """True when the term holds nothing to look for (punctuation only)."""
    return triage.compile_terms([term], language=language) is None


def _audit_pack(pack: KeywordPack) -> dict:
    return {
        "name": pack.name,
        "language": pack.language,
        "category": pack.category,
        "priority": pack.priority,
        "tags": pack.tags,
        "terms": pack.term_list(),
        "position": pack.position,
        "is_active": pack.is_active,
        "mission_code": pack.mission.code if pack.mission else "",
    }


def keyword_pack_save(*, actor, pack_id: int | None, fields: PackFields) -> KeywordPack:
    """Create a pack (`pack_id` None) or change one. Raises PermissionDenied or ValidationError."""
    _check_pack(fields)
    with transaction.atomic():
        if pack_id is None:
            pack = KeywordPack()
        else:
            pack = KeywordPack.objects.select_for_update(of=("self",)).select_related("mission").get(pk=pack_id)
            policy.require(actor, "triage.edit", pack)  # may change the pack as it is
        # ... and may make it what it will be (an officer cannot make a pack for everyone).
        policy.require(actor, "triage.edit", fields.mission)
        before = _audit_pack(pack) if pack_id is not None else {}
        for name in ("name", "language", "category", "priority", "tags", "terms", "position", "is_active"):
            setattr(pack, name, getattr(fields, name))
        pack.name, pack.mission, pack.updated_by = fields.name.strip(), fields.mission, actor
        pack.save()
        record(
            action="triage.pack_create" if pack_id is None else "triage.pack_change",
            actor=actor,
            obj=pack,
            details={"before": before, "after": _audit_pack(pack)} if before else _audit_pack(pack),
        )
        transaction.on_commit(triage.rules_changed)
    return pack


def keyword_pack_delete(*, actor, pack_id: int) -> None:
    with transaction.atomic():
        pack = KeywordPack.objects.select_for_update(of=("self",)).select_related("mission").get(pk=pack_id)
        policy.require(actor, "triage.edit", pack)
        details = _audit_pack(pack)
        record(action="triage.pack_delete", actor=actor, obj=pack, details=details)
        pack.delete()
        transaction.on_commit(triage.rules_changed)


def known_author_add(
    *, actor, network: str, key: str, kind: str, name: str = "", note: str = "", mission: Mission | None = None
) -> KnownAuthor:
    """Put a journalist or an official on the list of a network (for one mission, or all)."""
    key = KnownAuthor.normal_key(key)
    problems = {}
    if not key or len(key) > 300 or any(char.isspace() for char in key):
        problems["key"] = _("Give the handle (without spaces) or the network's id for the person.")
    if kind not in KnownAuthor.Kind.values:
        problems["kind"] = _("Choose journalist or official.")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        policy.require(actor, "triage.edit", mission)
        if KnownAuthor.objects.filter(network=network, key=key, mission=mission).exists():
            raise ValidationError({"key": _("This person is already on the list.")})
        try:
            with transaction.atomic():
                author = KnownAuthor.objects.create(
                    network=network,
                    key=key,
                    kind=kind,
                    name=name.strip()[:200],
                    note=note.strip()[:300],
                    mission=mission,
                    updated_by=actor,
                )
        except IntegrityError:
            raise ValidationError({"key": _("This person is already on the list.")}) from None
        record(
            action="triage.author_add",
            actor=actor,
            obj=author,
            details={"network": network, "handle": key, "kind": kind, "mission_code": mission.code if mission else ""},
        )
        transaction.on_commit(triage.rules_changed)
    return author


def known_author_remove(*, actor, author_id: int) -> None:
    with transaction.atomic():
        author = KnownAuthor.objects.select_for_update(of=("self",)).select_related("mission").get(pk=author_id)
        policy.require(actor, "triage.edit", author)
        record(
            action="triage.author_remove",
            actor=actor,
            obj=author,
            details={"network": author.network, "handle": author.key, "kind": author.kind},
        )
        author.delete()
        transaction.on_commit(triage.rules_changed)


def service_targets_save(*, actor, targets: Mapping[str, tuple[int | None, bool]]) -> int:
    """Set how soon each category is answered (minutes, or None for no clock) and whether
    its clock runs around the clock. Returns how many targets changed. Conversations
    already running keep their clock; new ones take the new target."""
    wrong = _("Give whole minutes between 1 and %(most)d, or nothing for no clock.") % {"most": MAX_TARGET_MINUTES}
    problems = {
        category: wrong
        for category, (minutes, _always_on) in targets.items()
        if minutes is not None and not 0 < minutes <= MAX_TARGET_MINUTES
    }
    unknown = set(targets) - set(Category.values)
    if unknown:
        problems["__all__"] = _("Unknown categories: %(names)s.") % {"names": ", ".join(sorted(unknown))}
    if problems:
        raise ValidationError(problems)
    changed = 0
    with transaction.atomic():
        policy.require(actor, "triage.targets")
        current = {target.category: target for target in ServiceTarget.objects.select_for_update()}
        for category, (minutes, always_on) in targets.items():
            target = current.get(category) or ServiceTarget(category=category)
            if target.pk and (target.minutes, target.always_on) == (minutes, always_on):
                continue
            before = {"minutes": target.minutes, "always_on": target.always_on} if target.pk else {}
            target.minutes, target.always_on, target.updated_by = minutes, always_on, actor
            target.save()
            record(
                action="triage.target_change",
                actor=actor,
                obj=target,
                details={"category": category, "before": before, "minutes": minutes, "always_on": always_on},
            )
            changed += 1
        if changed:
            transaction.on_commit(triage.rules_changed)
    return changed
