"""Fault injection: rules posted to `/_sandbox/faults`, and the decision for one call.

A rule matches calls of its network ("*" for all) and account ("*" for all, including
calls that carry no account, such as a code exchange). For each call every matching rule
rolls once: one draw in [0, 1) picks, in this order, a 5xx (`error_rate`), a rate limit
(`rate_limit_rate`) or a timeout (`timeout_rate`), so the rates add up and exclude each
other. The first rule whose roll picks something decides; latency is the largest of the
matching rules'. A rule with `count` matches its next N calls only, then disappears; one
with `seed` draws from its own reproducible sequence. `processing_seconds` makes X take
that long (the largest of the matching rules') to process a video or GIF finalized by a
matching call; `after: N` lets the next N matching calls through before the rule applies
(they do not count against `count`); `access_level: "free"` gives X's answer to an app whose access level does
not include reading timelines or looking posts up. A rule with a
`refusal` (one of REFUSALS, named per network) makes every call it matches get that
network's own refusal instead, before any roll.

Not thread-safe: SandboxState calls it under its lock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from channels.sandbox.tokens import NETWORKS

OUTCOMES = ("error", "rate_limit", "timeout")
# The sandbox's services beside the networks that take fault rules too (the translator).
SERVICES = ("translate",)
# Refusals a network gives for reasons of its own, which no rate models.
REFUSALS: dict[str, tuple[str, ...]] = {
    # code 368, temporarily blocked for policy reasons; 6001/1363037 on a video's transfer
    "facebook": ("blocked", "transfer_failed"),
    "youtube": ("quota",),  # 403 quotaExceeded: the project's daily quota is spent
}
# X's access levels: "free" may post and read /2/users/me only (no timelines, no lookups).
ACCESS_LEVELS = ("free", "basic", "pro")
_RATE_FIELDS = ("error_rate", "rate_limit_rate", "timeout_rate")


class InvalidRule(ValueError):
    """A rule the sandbox cannot apply; the message says why."""


@dataclass(frozen=True)
class FaultDecision:
    latency_seconds: float = 0.0
    outcome: str | None = None  # one of OUTCOMES, or None: answer normally
    revoked: bool = False
    reset_seconds: float = 0.0  # of a rate limit
    hang_seconds: float = 0.0  # of a timeout
    processing_seconds: float = 0.0  # how long an uploaded video or GIF takes to process (X)
    access_level: str | None = None  # the app's X access level, where a rule sets one
    refusal: str = ""  # one of REFUSALS: answered instead of the handler


NO_FAULT = FaultDecision()


@dataclass
class FaultRule:
    id: int
    network: str = "*"
    account: str = "*"
    latency_ms: float = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    rate_limit_reset_seconds: float = 60
    timeout_rate: float = 0.0
    hang_seconds: float = 30
    revoked: bool = False
    refusal: str = ""
    processing_seconds: float = 0
    access_level: str | None = None
    count: int | None = None
    after: int = 0  # matching calls let through before the rule starts to apply
    seed: int | str | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, network: str, account: str | None) -> bool:
        return self.network in ("*", network) and self.account in ("*", account)

    def roll(self) -> str | None:
        draw = self.rng.random()
        threshold = 0.0
        for outcome, rate in zip(OUTCOMES, (self.error_rate, self.rate_limit_rate, self.timeout_rate), strict=True):
            threshold += rate
            if draw < threshold:
                return outcome
        return None

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELD_TYPES} | {"id": self.id}


# The fields a client may send, with the types accepted for each.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "network": (str,),
    "account": (str,),
    "latency_ms": (int, float),
    "error_rate": (int, float),
    "rate_limit_rate": (int, float),
    "rate_limit_reset_seconds": (int, float),
    "timeout_rate": (int, float),
    "hang_seconds": (int, float),
    "revoked": (bool,),
    "refusal": (str,),
    "processing_seconds": (int, float),
    "access_level": (str, type(None)),
    "count": (int, type(None)),
    "after": (int,),
    "seed": (int, str, type(None)),
}


def build_rule(rule_id: int, body: Any) -> FaultRule:
    """A rule from a request body; InvalidRule names the first problem found."""
    if not isinstance(body, dict):
        raise InvalidRule("The body must be a JSON object.")
    unknown = sorted(set(body) - set(_FIELD_TYPES))
    if unknown:
        raise InvalidRule(f"Unknown fields: {', '.join(unknown)}.")
    for name, value in body.items():
        # bool is an int in Python: refuse `"count": true` and `"revoked": 1` alike.
        if not isinstance(value, _FIELD_TYPES[name]) or (isinstance(value, bool) and bool not in _FIELD_TYPES[name]):
            raise InvalidRule(f"Field {name!r} has the wrong type.")
    rule = FaultRule(id=rule_id, **body)
    _check_ranges(rule)
    if rule.seed is not None:
        rule.rng = random.Random(str(rule.seed))  # noqa: S311 - reproducible on purpose, not a secret
    return rule


def _check_ranges(rule: FaultRule) -> None:
    if rule.network not in (*NETWORKS, *SERVICES, "*"):
        raise InvalidRule(f"Unknown network {rule.network!r}.")
    if any(not 0 <= getattr(rule, name) <= 1 for name in _RATE_FIELDS):
        raise InvalidRule("Rates are between 0 and 1.")
    if sum(getattr(rule, name) for name in _RATE_FIELDS) > 1:
        raise InvalidRule("error_rate + rate_limit_rate + timeout_rate must not exceed 1.")
    if not 0 <= rule.latency_ms <= 60_000:
        raise InvalidRule("latency_ms is between 0 and 60000.")
    if not 0 <= rule.hang_seconds <= 600 or not 0 <= rule.rate_limit_reset_seconds <= 86_400:
        raise InvalidRule("hang_seconds is between 0 and 600, rate_limit_reset_seconds between 0 and 86400.")
    if rule.refusal and (rule.network == "*" or rule.refusal not in REFUSALS.get(rule.network, ())):
        known = ", ".join(f"{network}: {', '.join(names)}" for network, names in REFUSALS.items())
        raise InvalidRule(f"A refusal needs its network; known refusals are {known}.")
    if rule.access_level not in (None, *ACCESS_LEVELS):
        raise InvalidRule(f"access_level is one of {', '.join(ACCESS_LEVELS)}.")
    if not 0 <= rule.processing_seconds <= 3600:
        raise InvalidRule("processing_seconds is between 0 and 3600.")
    if rule.count is not None and rule.count < 1:
        raise InvalidRule("count is at least 1.")
    if not 0 <= rule.after <= 1_000_000:
        raise InvalidRule("after is between 0 and 1000000.")


class FaultBook:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, body: Any) -> FaultRule:
        rule = build_rule(self._next_id, body)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [rule for rule in self.rules if rule.id != rule_id]
        return len(self.rules) < before

    def clear(self) -> None:
        self.rules.clear()

    def decide(self, network: str, account: str | None) -> FaultDecision:
        matching = [rule for rule in self.rules if rule.matches(network, account)]
        awake = []
        for rule in matching:  # a rule with `after` lets that many calls through first
            if rule.after:
                rule.after -= 1
            else:
                awake.append(rule)
        matching = awake
        if not matching:
            return NO_FAULT
        self._consume(matching)
        latency = max(rule.latency_ms for rule in matching) / 1000
        revoked = any(rule.revoked for rule in matching)
        processing = max(rule.processing_seconds for rule in matching)
        level = next((rule.access_level for rule in matching if rule.access_level), None)
        refusal = next((rule.refusal for rule in matching if rule.refusal), "")
        if refusal:
            return FaultDecision(
                latency, None, revoked, processing_seconds=processing, access_level=level, refusal=refusal
            )
        # Every matching rule rolls, so that a seeded rule's sequence does not depend on
        # the other rules.
        for rule, outcome in [(rule, rule.roll()) for rule in matching]:
            if outcome:
                return FaultDecision(
                    latency, outcome, revoked, rule.rate_limit_reset_seconds, rule.hang_seconds, processing, level
                )
        return FaultDecision(latency, None, revoked, processing_seconds=processing, access_level=level)

    def _consume(self, matching: list[FaultRule]) -> None:
        for rule in matching:
            if rule.count is not None:
                rule.count -= 1
        self.rules = [rule for rule in self.rules if rule.count is None or rule.count > 0]
