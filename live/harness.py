"""What every chaos scenario shares: the fleet of sandbox accounts, the messages that fan
out to them, waiting for the outcome, and the one verdict.

The verdict is always the same (issue 6, section 1): every delivery ends sent exactly
once, or failed with a reason, or settled from `unknown`; none lost, none duplicated.

- expected: the deliveries the scenario's messages made;
- sent / failed: their final states (a failed one must carry its reason);
- settled: those that went through `unknown` (a timeout after the request left, a 5xx, a
  worker killed mid-call) and ended sent or failed;
- duplicates: posts the sandbox holds beyond one per sent (account, text), plus any
  (message, account, language) with more than one sent delivery;
- lost: deliveries not final when the scenario's time ran out, and sent deliveries whose
  post the sandbox does not hold;
- refused_duplicates: second posts of a text X or Facebook refused as "duplicate content"
  (the network saved us from a blind resend: reported, and a problem too).

Used by the pytest scenarios (tests/chaos/test_*.py, on the test database through
tests/live.py's `live_stack`) and by `make drill` (live/drill.py, on a scratch
database of its own): both hand a LiveStack to the same scenario functions
(live/scenarios.py).
"""

from __future__ import annotations

import itertools
import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from channels.sandbox.tokens import secret_of
from live.media_samples import jpeg_bytes, mp4_bytes
from live.stack import LIVE_ENV, LiveStack

# The children's engine settings in the chaos scenarios (on top of live/stack.py's LIVE_ENV):
# fast retries and reconciliation, a sweeper that tells a lost queue message (QUEUED_AFTER,
# above the time a fan-out's backlog takes to drain, so rows do not churn) from a call
# that died (SENDING_AFTER, well above the 2 s network timeouts), and enough reconciliation
# rounds that a 16 % fault rate on the reads themselves never leaves a delivery to a press
# officer. Our own publish budget (PUBLISH_RATE_LIMITS) is lifted: YouTube's 100 uploads a
# day per project would defer 270 of 271 uploads by a day, and the budget is not what these
# scenarios test (tests/posts/engine/test_rules.py does).
CHAOS_ENV = {
    **LIVE_ENV,
    "SWEEPER_QUEUED_AFTER": "10",
    "SWEEPER_SENDING_AFTER": "10",
    "RECONCILE_DELAY": "1",
    "RECONCILE_RETRY_DELAY": "1",
    "RECONCILE_MAX_ROUNDS": "12",
    "PUBLISH_BACKOFF_BASE": "0.5",
    "PUBLISH_BACKOFF_MAX": "3",
    "PUBLISH_MAX_ATTEMPTS": "10",
    "PUBLISH_RATE_LIMITS": "{}",
}

# The full drill's fan-out backlog (1,084 deliveries) takes longer to drain than the short
# one's: the sweeper waits longer before it takes a queued delivery for lost.
CHAOS_ENV_FULL = {**CHAOS_ENV, "SWEEPER_QUEUED_AFTER": "40"}

TEXT_NETWORKS = ("twitter", "facebook")
ALL_NETWORKS = ("twitter", "facebook", "youtube", "flickr")
EXPIRING_NETWORKS = ("twitter", "youtube")

# Numeric ids on the networks (X user ids are digits: the sandbox's timeline route wants
# them), unique within a process; every scenario has a fresh database and sandbox.
_network_ids = itertools.count(1_790_000_000_000_000_001)


# --- The fleet -----------------------------------------------------------------------------------------


def make_fleet(
    networks: Sequence[str] = ("twitter",),
    *,
    missions: int | None = None,
    mission_codes: Sequence[str] | None = None,
    per_mission: int = 1,
    token_minutes: float = 120,
):
    """Connected sandbox accounts: `per_mission` per network for each active mission (all
    271, or the first `missions`, or those of `mission_codes`), as seed_demo makes them
    but with numeric ids. Tokens that expire (X, YouTube) have `token_minutes` left."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from channels.adapters.base import Credentials
    from channels.models import SocialAccount
    from embassies.models import Mission

    chosen = Mission.objects.filter(is_active=True).order_by("pk")
    if mission_codes is not None:
        chosen = chosen.filter(code__in=list(mission_codes))
    chosen = list(chosen[:missions] if missions else chosen)
    accounts = [
        SocialAccount(
            mission=mission,
            network=network,
            handle=f"@chaos{mission.country_code}{number}",
            display_name=mission.name,
            network_account_id=str(next(_network_ids)),
            status=SocialAccount.Status.CONNECTED,
            is_sandbox=True,
        )
        for mission in chosen
        for network in networks
        for number in range(per_mission)
    ]
    # The sealed credentials bind the row's id: the rows first, then their credentials.
    SocialAccount.objects.bulk_create(accounts, batch_size=500)
    expires_at = timezone.now() + timedelta(minutes=token_minutes)
    for account in accounts:
        expiring = account.network in EXPIRING_NETWORKS
        account.seal_credentials(
            Credentials(
                access_token=f"sbx.{account.network}.{account.network_account_id}.chaos",
                refresh_token=f"sbxr.{account.network}.{account.network_account_id}.chaos" if expiring else "",
                token_secret=secret_of(f"sbx.flickr.{account.network_account_id}.chaos")
                if account.network == "flickr"
                else "",
                expires_at=expires_at if expiring else None,
                account_id=account.network_account_id,
            )
        )
    SocialAccount.objects.bulk_update(accounts, ["sealed_credentials", "token_expires_at"], batch_size=500)
    return accounts


# --- People ----------------------------------------------------------------------------------------------

_people = itertools.count(1)


def person(role: str, *, missions: Sequence[str] = ()):
    """A user with this role, attached to the missions of these codes."""
    # start-up: the drill imports this module before it sets Django up.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from embassies.models import Mission, StaffMembership

    username = f"chaos-{role}-{next(_people)}-{uuid.uuid4().hex[:6]}"
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", first_name="Chaos", last_name=role
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for mission in Mission.objects.filter(code__in=list(missions)):
        StaffMembership.objects.create(user=user, mission=mission)
    return user


def crisis_member():
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from embassies.roles import Role

    return person(Role.CRISIS_UNIT)


def press_officer():
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from embassies.roles import Role

    return person(Role.PRESS_OFFICE)


# --- Messages --------------------------------------------------------------------------------------------


def run_tag() -> str:
    return uuid.uuid4().hex[:8]


def _media_file(kind: str) -> SimpleUploadedFile:
    if kind == "video":
        return SimpleUploadedFile("chaos-clip.mp4", mp4_bytes(), content_type="video/mp4")
    return SimpleUploadedFile("chaos-photo.jpg", jpeg_bytes(320, 240), content_type="image/jpeg")


def crisis_alert(
    *,
    networks: Sequence[str],
    text: str,
    title: str = "Alerte",
    scope: dict | None = None,
    media: str | None = None,
    approve: bool = True,
    approver=None,
    publish_at=None,
):
    """A crisis alert written by one member of the crisis unit, submitted, and (unless
    `approve=False`) approved for now (its kick goes to this process's broker) by a press
    officer: one delivery per connected account of the scope on `networks`."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.services.crisis import crisis_alert_create
    from posts.services.messages import attachment_add
    from posts.services.review import message_approve, message_submit

    author = crisis_member()
    alert = crisis_alert_create(
        actor=author, title=title, texts={"fr": (text, title)}, scope=scope or {"all": True}, networks=list(networks)
    )
    if media:
        attachment_add(actor=author, message_id=alert.pk, uploaded_file=_media_file(media), alt_text="Chaos drill")
    message_submit(actor=author, message_id=alert.pk)
    if not approve:
        return alert
    return message_approve(actor=approver or press_officer(), message_id=alert.pk, publish_at=publish_at)


def routine_message(*, targets, text: str, publish_at=None, approver=None, approve: bool = True):
    """A routine message of the targets' mission, in French only (the other languages'
    absence is a warning), submitted and (unless `approve=False`) approved for now or for
    `publish_at`."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.services.messages import message_create
    from posts.services.review import message_approve, message_submit

    mission = targets[0].mission
    author = person("officer", missions=[mission.code])
    message = message_create(
        actor=author,
        mission=mission,
        title="Chaos drill",
        texts={"fr": text},
        target_ids=[target.pk for target in targets],
    )
    message = message_submit(actor=author, message_id=message.pk)
    if not approve:
        return message
    return message_approve(actor=approver or press_officer(), message_id=message.pk, publish_at=publish_at)


def fan_out(networks: Sequence[str], tag: str, *, approve: bool = True) -> list:
    """One crisis alert per kind of content to every account of the fleet on `networks`:
    X and Facebook take the text alone, YouTube a video, Flickr a photo (no one post suits
    both of those). 271 missions x 4 networks = 1,084 deliveries."""
    messages = []
    text_networks = [network for network in networks if network in TEXT_NETWORKS]
    if text_networks:
        messages.append(crisis_alert(networks=text_networks, text=f"Alerte {tag} : restez chez vous.", approve=approve))
    if "youtube" in networks:
        messages.append(
            crisis_alert(
                networks=["youtube"],
                text=f"Alerte {tag} : message vidéo.",
                title=f"Alerte {tag}",
                media="video",
                approve=approve,
            )
        )
    if "flickr" in networks:
        messages.append(
            crisis_alert(
                networks=["flickr"],
                text=f"Alerte {tag} : la photo.",
                title=f"Alerte {tag}",
                media="image",
                approve=approve,
            )
        )
    return messages


# --- Watching ----------------------------------------------------------------------------------------------

FINAL = ("sent", "failed", "cancelled", "retracted")


def deliveries(messages: Iterable):
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.models import Delivery

    return Delivery.objects.filter(message__in=[m.pk for m in messages])


def state_counts(messages: Iterable) -> Counter:
    rows = deliveries(messages).values("state").annotate(n=Count("pk"))
    return Counter({row["state"]: row["n"] for row in rows})


def sent_count(messages: Iterable) -> int:
    return deliveries(messages).filter(state="sent").count()


def unexpected_deaths(stack: LiveStack, allowed: Iterable[str] = ()) -> list[str]:
    """Processes that ended on their own (not by our SIGKILL/SIGTERM, not by a test hook)."""
    allowed = set(allowed)
    return [
        f"{process.name} died ({process.popen.returncode}):\n{process.log()[-3000:]}"
        for process in stack.processes
        if process.name not in allowed
        and not process.running
        and process.popen.returncode not in (0, -signal.SIGKILL, -signal.SIGTERM)
    ]


def poll(predicate: Callable[[], Any], timeout: float, *, interval: float = 0.2, stack: LiveStack | None = None) -> Any:
    """Call `predicate` until it returns something truthy (returned) or `timeout` passes
    (returns the last value, falsy): the scenario goes on to its verdict either way. Stops
    early when a process of the stack died on its own."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        if stack is not None and unexpected_deaths(stack):
            return value
        time.sleep(interval)


def settle(stack: LiveStack, messages: Sequence, timeout: float) -> bool:
    """Until every delivery of `messages` is final; False when the time ran out."""

    def done() -> bool:
        counts = state_counts(messages)
        return sum(counts.values()) > 0 and all(state in FINAL for state in counts)

    return bool(poll(done, timeout, interval=0.5, stack=stack))


# --- The verdict -------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    scenario: str
    expected: int = 0
    sent: int = 0
    failed: int = 0
    settled: int = 0
    duplicates: int = 0
    lost: int = 0
    seconds: float = 0.0
    refused_duplicates: int = 0
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.lost and not self.problems

    def summary(self) -> dict[str, Any]:
        """The drill's JSON line: the seven numbers first, then what explains them."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 1)
        data["ok"] = self.ok
        return data

    def explain(self) -> str:
        return json.dumps(self.summary(), indent=2, default=str)


def _content_text(delivery) -> str:
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.validation import delivery_content

    return delivery_content(delivery).text


def judge(
    scenario: str,
    stack: LiveStack,
    messages: Sequence,
    *,
    started: float,
    expect_failed: Callable[[Any], bool | None] = lambda delivery: False,
    quiet_seconds: float = 1.0,
    problems: list[str] | None = None,
    details: dict | None = None,
    allowed_deaths: Iterable[str] = (),
) -> Verdict:
    """Count, through the database and the sandbox, what happened to every delivery of
    `messages`. A delivery must end failed (with a reason) if `expect_failed(delivery)` is
    True, sent if it is False; None accepts either (a call in flight when the fault came)."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.models import Delivery, Event

    verdict = Verdict(scenario=scenario, problems=list(problems or []), details=dict(details or {}))
    time.sleep(quiet_seconds)  # a straggling call would land now, before we count
    rows = list(deliveries(messages).select_related("message", "account__mission").order_by("pk"))
    verdict.expected = len(rows)
    if not rows:
        verdict.problems.append("The scenario made no delivery.")
    through_unknown = set(
        Event.objects.filter(delivery__in=[d.pk for d in rows], verb="delivery.unknown").values_list(
            "delivery_id", flat=True
        )
    )
    received: Counter = Counter()
    refused: Counter = Counter()
    for row in stack.sandbox_counts():
        received[(row["network"], row["account"], row["text"])] += row["count"]
        refused[(row["network"], row["account"], row["text"])] += row.get("duplicates_refused", 0)
    ours_accounts = {(d.account.network, d.account.network_account_id) for d in rows}
    wanted: Counter = Counter()
    sent_per_slot: Counter = Counter()
    not_final: Counter = Counter()
    for delivery in rows:
        key = (delivery.account.network, delivery.account.network_account_id, _content_text(delivery))
        if delivery.state == Delivery.State.SENT:
            verdict.sent += 1
            wanted[key] += 1
            sent_per_slot[(delivery.message_id, delivery.account_id, delivery.language)] += 1
            if received[key] == 0:
                verdict.lost += 1
                verdict.problems.append(
                    f"Delivery {delivery.pk} is sent ({delivery.external_id}) but "
                    f"the sandbox holds no such post for {key[0]} {key[1]}."
                )
        elif delivery.state == Delivery.State.FAILED:
            verdict.failed += 1
            if expect_failed(delivery) is False:
                verdict.problems.append(
                    f"Delivery {delivery.pk} failed unexpectedly ({delivery.last_error_kind}): {delivery.last_error}"
                )
            if not delivery.last_error:
                verdict.problems.append(f"Delivery {delivery.pk} failed without a reason.")
            if received[key]:
                verdict.problems.append(
                    f"Delivery {delivery.pk} is failed, yet the sandbox holds its post: "
                    "a press officer would send it again."
                )
        else:
            verdict.lost += 1
            not_final[delivery.state] += 1
        if delivery.state != Delivery.State.FAILED and expect_failed(delivery) is True:
            verdict.problems.append(f"Delivery {delivery.pk} should have failed; it is {delivery.state}.")
        if delivery.pk in through_unknown and delivery.state in (Delivery.State.SENT, Delivery.State.FAILED):
            verdict.settled += 1
    if not_final:
        verdict.problems.append(f"Not final when the time ran out: {dict(not_final)}.")
    for key, count in received.items():
        if (key[0], key[1]) not in ours_accounts or not count:
            continue
        extra = count - max(wanted.get(key, 0), 1)  # a post not (yet) accounted for is not a duplicate
        if extra > 0:
            verdict.duplicates += extra
            verdict.problems.append(f"{key[0]} account {key[1]} holds {count} posts of {key[2]!r}.")
        if not wanted.get(key):
            verdict.problems.append(
                f"{key[0]} account {key[1]} holds a post of {key[2]!r} that no sent delivery accounts for."
            )
    verdict.duplicates += sum(count - 1 for count in sent_per_slot.values() if count > 1)
    verdict.refused_duplicates = sum(
        count for (network, account, _), count in refused.items() if (network, account) in ours_accounts
    )
    if verdict.refused_duplicates:
        verdict.problems.append(
            f"The networks refused {verdict.refused_duplicates} second posts as duplicate "
            "content: something sent twice."
        )
    verdict.problems.extend(unexpected_deaths(stack, allowed_deaths))
    verdict.seconds = time.monotonic() - started
    verdict.details.setdefault("states", dict(state_counts(messages)))
    return verdict


def attempt_outcomes(messages: Sequence) -> dict[str, int]:
    """How the publish and reconcile attempts of these messages' deliveries ended."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.models import DeliveryAttempt

    rows = (
        DeliveryAttempt.objects.filter(delivery__message__in=[m.pk for m in messages])
        .values("action", "outcome")
        .annotate(n=Count("pk"))
    )
    return {f"{row['action']}:{row['outcome'] or 'open'}": row["n"] for row in rows}


def event_counts(messages: Sequence, verbs: Iterable[str]) -> dict[str, int]:
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.models import Event

    rows = (
        Event.objects.filter(message__in=[m.pk for m in messages], verb__in=list(verbs))
        .values("verb")
        .annotate(n=Count("pk"))
    )
    return {row["verb"]: row["n"] for row in rows}
