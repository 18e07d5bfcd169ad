"""Writes and network-facing operations on social accounts.

Every write asks the policy, runs in a transaction and is audited (`_audit`). Secrets never
leave this module in any other form than a `Credentials` returned to the caller that is
about to call the network: not in logs, audit details, exceptions, sessions or tasks.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.services import record as audit_record
from channels.adapters import get_adapter, get_connect_flow
from channels.adapters.base import (
    Adapter,
    AdapterError,
    AppCredentials,
    AuthError,
    Connected,
    ConnectFlow,
    Credentials,
    Said,
)
from channels.adapters.transport import Timeouts
from channels.crypto import CredentialsDecryptionError, key_ring
from channels.models import Network, SocialAccount
from channels.notifications import notify_admins_of_account_problem
from channels.problems import said_of, word
from diplomacy_hub import outbox, policy
from diplomacy_hub.tasks import enqueue_on_commit
from embassies.models import Mission

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("diplomacy_hub.audit")

Status = SocialAccount.Status

# What an administrator's session keeps between "connect" and the network's callback, one
# entry per account being connected: `channels.connect.<account id>`.
CONNECT_SESSION_PREFIX = "channels.connect."
# A consent page left open longer than this is not honoured.
CONNECT_MAX_AGE = timedelta(minutes=30)


class AccountError(Exception):
    """A request about an account that cannot be honoured: a `Said` (English for the logs,
    with the problem's `code` and `params`, which channels.problems words for the page)."""

    def __init__(self, said: str) -> None:
        super().__init__(said)
        self.code: str = getattr(said, "code", "")
        self.params: dict[str, Any] = dict(getattr(said, "params", {}))

    @property
    def worded(self) -> str:
        """The refusal in the reader's language."""
        return word(self.code, self.params, default=str(self))


class AccountAlreadyConnected(AccountError):
    """The network account is already connected to another of our social accounts."""


class ConnectError(AccountError):
    """The network's callback does not belong to a connect started in this session, or the
    network refused it. Nothing was stored."""


def _refusal(error: AdapterError, text: str, code: str, network: str) -> Said:
    """The adapter's refusal as it is when it is a sentence of ours, which says who refused
    ("X did not authorise…"); else the network's words inside `code`'s sentence: never
    "Refused by the network: X refused the call: …"."""
    if error.code:
        return Said(error.detail, error.code, **error.params)
    return Said(text % {"detail": error.detail}, code, network=network, problem=said_of(error))


# --- Configuration ---------------------------------------------------------------------------


def _app_credentials(network: str) -> AppCredentials:
    app = settings.SOCIAL_APPS[network]
    return AppCredentials(client_id=app["client_id"], client_secret=app["client_secret"])


def _timeouts() -> Timeouts:
    return Timeouts(connect=settings.NETWORK_CONNECT_TIMEOUT, read=settings.NETWORK_READ_TIMEOUT)


def _sandbox_url(is_sandbox: bool) -> str | None:
    return settings.SANDBOX_URL if is_sandbox else None


def token_refresh_margin() -> timedelta:
    """How long before expiry an access token is refreshed (`TOKEN_REFRESH_MARGIN`, seconds,
    default ten minutes). Well before: a publish must never start with a token about to die."""
    margin = getattr(settings, "TOKEN_REFRESH_MARGIN", 600)
    return margin if isinstance(margin, timedelta) else timedelta(seconds=float(margin))


def adapter_for(account: SocialAccount) -> Adapter:
    """The adapter that speaks to this account's network (or to the sandbox's copy of it)."""
    return get_adapter(
        account.network,
        sandbox_url=_sandbox_url(account.is_sandbox),
        app=_app_credentials(account.network),
        timeouts=_timeouts(),
    )


def connect_flow_for(*, network: str, is_sandbox: bool) -> ConnectFlow:
    return get_connect_flow(
        network,
        sandbox_url=_sandbox_url(is_sandbox),
        app=_app_credentials(network),
        timeouts=_timeouts(),
    )


# --- Audit -------------------------------------------------------------------------------------

_SECRET_WORDS = ("token", "secret", "credential", "password", "verifier", "code")


def _audit(actor: Any, action: str, account: SocialAccount | None, **details: Any) -> None:
    """Record who did what to which account: an audit log entry (audit.AuditEvent, in the
    caller's transaction) and a log line. Details whose names smell of a secret are dropped:
    callers pass none, and this keeps it so. The workers' routine checks and refreshes of
    ~1,000 accounts are log lines only; what they find (expired, revoked) is audited."""
    safe = {key: value for key, value in details.items() if not any(w in key.lower() for w in _SECRET_WORDS)}
    if action not in ("account.health_check", "account.refresh"):
        audit_record(
            action=action,
            actor=actor,
            obj=account,
            log=False,
            details={
                **safe,
                "mission": getattr(account, "mission_id", None),
                "network": getattr(account, "network", None),
            },
        )
    audit_logger.info(
        "%s actor=%s account=%s mission=%s network=%s %s",
        action,
        getattr(actor, "pk", None) if actor is not None else "system",
        getattr(account, "pk", None),
        getattr(account, "mission_id", None),
        getattr(account, "network", None),
        " ".join(f"{key}={value!r}" for key, value in sorted(safe.items())),
    )


# --- Notifications -----------------------------------------------------------------------------


def _notify_admins(account: SocialAccount, reason: dict[str, Any]) -> None:
    """Tell the administrators, once the transaction commits, that an account needs
    reconnecting. Call inside the transaction that changed the account."""
    notify_admins_of_account_problem(account=account, reason=reason)


# --- Administration: register, disable, disconnect --------------------------------------------------


def _account_for_update(*, actor: Any, account_id: int) -> SocialAccount:
    """The account, locked, if the actor may see it (else SocialAccount.DoesNotExist) and
    manage it (else PermissionDenied). Call inside a transaction."""
    account = (
        policy.scope(actor, SocialAccount.objects.select_for_update(of=("self",)))
        .select_related("mission")
        .get(pk=account_id)
    )
    policy.require(actor, "account.manage", account)
    return account


def account_register(
    *, actor: Any, mission: Mission, network: str, is_sandbox: bool, handle: str = ""
) -> SocialAccount:
    """Register a mission's account on a network, not yet connected (PENDING)."""
    policy.require(actor, "account.manage", mission)
    if network not in Network.values:
        raise AccountError(Said(f"Unknown network: {network}.", "account.unknown_network", network=network))
    with transaction.atomic():
        account = SocialAccount.objects.create(
            mission=mission,
            network=network,
            is_sandbox=is_sandbox,
            handle=handle.strip(),
            status=Status.PENDING,
        )
        _audit(actor, "account.register", account, is_sandbox=is_sandbox, handle=account.handle)
    return account


def account_disable(*, actor: Any, account_id: int) -> SocialAccount:
    """Stop an account from publishing; its credentials stay sealed until it is reconnected
    or disconnected. Disabling a disabled account changes nothing."""
    with transaction.atomic():
        account = _account_for_update(actor=actor, account_id=account_id)
        if account.status == Status.DISABLED:
            return account
        previous = account.status
        account.status = Status.DISABLED
        account.save(update_fields=["status", "updated_at"])
        _audit(actor, "account.disable", account, previous=previous)
    return account


def account_disconnect(*, actor: Any, account_id: int) -> SocialAccount:
    """Forget an account's credentials (wiped, not kept sealed) and set it back to PENDING.
    Its identity on the network is kept, so reconnecting shows who it was."""
    with transaction.atomic():
        account = _account_for_update(actor=actor, account_id=account_id)
        if account.status == Status.PENDING and not account.sealed_credentials:
            return account
        previous = account.status
        account.sealed_credentials = ""
        account.token_expires_at = None
        account.status = Status.PENDING
        account.save(update_fields=["sealed_credentials", "token_expires_at", "status", "updated_at"])
        _audit(actor, "account.disconnect", account, previous=previous)
    return account


# --- Connecting (OAuth, from the web UI) ----------------------------------------------------------


def _session_key(account_id: int) -> str:
    return f"{CONNECT_SESSION_PREFIX}{account_id}"


def _kept_binding(account_id: int) -> bytes:
    return f"channels.connect:{account_id}".encode()


def _callback_marker(authorize_url: str, keep: dict) -> str:
    """What the network sends back that ties its callback to this start: the OAuth 2.0
    `state`, or the OAuth 1.0a request token (`oauth_token`)."""
    query = parse_qs(urlsplit(authorize_url).query)
    for name in ("state", "oauth_token"):
        if query.get(name):
            return query[name][0]
    for name in ("state", "oauth_token"):
        if isinstance(keep.get(name), str) and keep[name]:
            return keep[name]
    raise AccountError(
        Said(
            "The network's consent page carries no state: refusing to connect without one.",
            "connect.consent_without_state",
        )
    )


@sensitive_variables("start")
def account_connect_start(*, actor: Any, account_id: int, redirect_uri: str, session: Any) -> str:
    """Begin connecting an account: returns the network's (or the sandbox's) consent page URL
    and keeps what the flow needs for the callback (state, PKCE verifier, request token) in
    the administrator's session under a key of this account. Raises AdapterError when the
    network cannot start the flow (OAuth 1.0a asks it for a request token first)."""
    with transaction.atomic():
        account = _account_for_update(actor=actor, account_id=account_id)
    flow = connect_flow_for(network=account.network, is_sandbox=account.is_sandbox)
    start = flow.start(redirect_uri=redirect_uri)
    # The session lives in the database: what the flow keeps (PKCE verifier, request token
    # secret) is sealed like credentials, bound to this account's pending connect.
    session[_session_key(account.pk)] = {
        "network": account.network,
        "redirect_uri": redirect_uri,
        "marker": _callback_marker(start.authorize_url, start.keep),
        "started_at": timezone.now().isoformat(),
        "kept": key_ring().seal(json.dumps(start.keep).encode(), associated_data=_kept_binding(account.pk)),
    }
    _audit(actor, "account.connect_start", account)
    return start.authorize_url


@sensitive_variables("kept", "entry", "callback_params")
def connect_pending_pop(*, session: Any, network: str, callback_params: dict) -> tuple[int, dict]:
    """The account id and the kept entry of the connect this callback answers, removed from
    the session (a callback is honoured once). Raises ConnectError when the callback's
    state (or request token) matches no connect of this network started in this session,
    or when it is too old."""
    received = callback_params.get("state") or callback_params.get("oauth_token") or ""
    if not isinstance(received, str) or not received:
        raise ConnectError(
            Said("The network's answer carries no state: it was not started here.", "connect.answer_without_state")
        )
    for key, entry in list(session.items()):
        if not key.startswith(CONNECT_SESSION_PREFIX) or not isinstance(entry, dict):
            continue
        marker = entry.get("marker", "")
        if entry.get("network") != network or not hmac.compare_digest(marker.encode(), received.encode()):
            continue
        del session[key]
        account_id = int(key.removeprefix(CONNECT_SESSION_PREFIX))
        started_at = datetime.fromisoformat(entry["started_at"])
        if timezone.now() - started_at > CONNECT_MAX_AGE:
            raise ConnectError(Said("The connection was started too long ago: start it again.", "connect.too_old"))
        try:
            kept = json.loads(key_ring().open(entry["kept"], associated_data=_kept_binding(account_id)))
        except CredentialsDecryptionError:
            message = Said("The connection in progress could not be read back: start it again.", "connect.unreadable")
            raise ConnectError(message) from None
        return account_id, {**entry, "kept": kept}
    raise ConnectError(
        Said(
            "The network's answer does not match a connection started in this session: nothing was stored. "
            "Start the connection again from the account's page.",
            "connect.not_started_here",
        )
    )


@sensitive_variables("kept", "callback_params", "connected", "credentials")
def account_connect_finish(
    *, actor: Any, account_id: int, callback_params: dict, kept: dict, redirect_uri: str
) -> SocialAccount:
    """Exchange the network's callback for credentials and store them sealed; the account
    becomes CONNECTED with its identity on the network. Raises ConnectError (refused or
    forged callback), AccountAlreadyConnected, or TransientError; nothing is stored then."""
    with transaction.atomic():
        account = _account_for_update(actor=actor, account_id=account_id)
    flow = connect_flow_for(network=account.network, is_sandbox=account.is_sandbox)
    try:
        connected: Connected = flow.finish(
            redirect_uri=redirect_uri,
            callback_params=callback_params,
            kept=kept,
        )
    except AuthError as exc:
        _audit(actor, "account.connect_refused", account, detail=exc.detail)
        message = _refusal(exc, "The network refused the connection: %(detail)s", "connect.refused", account.network)
        raise ConnectError(message) from None
    info = connected.account
    with transaction.atomic():
        account = _account_for_update(actor=actor, account_id=account_id)
        _require_not_connected_elsewhere(account, info.account_id)
        previous = account.status
        account.network_account_id = info.account_id
        account.handle = info.handle or account.handle
        account.display_name = info.display_name or account.display_name
        credentials = connected.credentials
        if not credentials.account_id:
            credentials = credentials.replace(account_id=info.account_id)
        account.seal_credentials(credentials)
        account.status = Status.CONNECTED
        account.last_checked_at = timezone.now()
        account.last_check_result = "Connected."
        account.last_check_code, account.last_check_params = "check.connected", {}
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:  # connected elsewhere at the same instant
            _require_not_connected_elsewhere(account, info.account_id)
            raise
        _audit(
            actor,
            "account.connect",
            account,
            previous=previous,
            network_account_id=info.account_id,
            handle=account.handle,
        )
    return account


def _require_not_connected_elsewhere(account: SocialAccount, network_account_id: str) -> None:
    other = (
        SocialAccount.objects.filter(network=account.network, network_account_id=network_account_id)
        .exclude(pk=account.pk)
        .select_related("mission")
        .first()
    )
    if other is not None:
        raise AccountAlreadyConnected(
            Said(
                f"This {account.network} account is already connected for another mission: {other.mission.name}.",
                "account.already_connected",
                network=account.network,
                mission=other.mission.display_name,
            )
        )


# --- Using credentials: refresh before expiry, under a row lock ------------------------------------


def _expiring(credentials: Credentials, *, margin: timedelta) -> bool:
    return credentials.expires_at is not None and credentials.expires_at - timezone.now() <= margin


def _copy_state(target: SocialAccount, source: SocialAccount) -> None:
    for name in ("sealed_credentials", "token_expires_at", "status", "updated_at"):
        setattr(target, name, getattr(source, name))


def _not_usable(account: SocialAccount) -> AuthError:
    return AuthError(
        Said(
            f"The account is {account.status}, not connected: reconnect it.",
            "delivery.account_not_connected",
            account_status=account.status,
        )
    )


@sensitive_variables("credentials", "fresh")
def credentials_for_use(account: SocialAccount) -> Credentials:
    """The account's credentials, ready for a network call now.

    Tokens that expire (X, Google) are refreshed when they expire within
    TOKEN_REFRESH_MARGIN: under a row lock, re-read, refreshed once, sealed and committed
    before being returned, so concurrent callers wait and then get the fresh pair (X
    refresh tokens are single-use). TransientError (or RateLimited) during the refresh is
    re-raised and changes nothing; AuthError marks the account EXPIRED or REVOKED, tells the
    administrators and is re-raised. Raises AuthError for an account that is not
    connected, CredentialsDecryptionError when the sealed credentials do not open.
    Call it outside any transaction: a refresh commits its own.
    """
    if account.status != Status.CONNECTED or not account.sealed_credentials:
        raise _not_usable(account)
    margin = token_refresh_margin()
    credentials = account.open_credentials()
    if not _expiring(credentials, margin=margin):
        return credentials

    refused: AuthError | None = None
    # Durable: never inside a caller's transaction, which could roll the new pair back
    # after the old single-use refresh token was spent (RuntimeError if nested).
    with transaction.atomic(durable=True):
        # On PostgreSQL the row lock serialises refreshes; on SQLite select_for_update is
        # a no-op but the transaction is IMMEDIATE (settings), which serialises writers.
        locked = SocialAccount.objects.select_for_update().select_related("mission").get(pk=account.pk)
        if locked.status != Status.CONNECTED or not locked.sealed_credentials:
            _copy_state(account, locked)
            raise _not_usable(locked)
        credentials = locked.open_credentials()
        if not _expiring(credentials, margin=margin):
            _copy_state(account, locked)  # another worker refreshed while we waited
            return credentials
        flow = connect_flow_for(network=locked.network, is_sandbox=locked.is_sandbox)
        try:
            fresh = flow.refresh(credentials)
        except AuthError as exc:
            refused = _without_sdk_frames(exc)
        except AdapterError as exc:  # transient (5xx, timeout) or rate limited: try again later
            logger.warning("Refreshing the token of account %s failed for now: %s", locked.pk, exc.detail)
            raise _without_sdk_frames(exc) from None
        else:
            if not fresh.refresh_token and credentials.refresh_token:
                fresh = fresh.replace(refresh_token=credentials.refresh_token)
            if not fresh.account_id:
                fresh = fresh.replace(account_id=credentials.account_id)
            locked.seal_credentials(fresh)
            locked.save(update_fields=["sealed_credentials", "token_expires_at", "updated_at"])
            _audit(None, "account.refresh", locked, expires_at=fresh.expires_at)
            _copy_state(account, locked)
    if refused is not None:
        account_mark_expired(account, refused)
        raise refused from None
    return fresh


_Error = TypeVar("_Error", bound=AdapterError)


def _without_sdk_frames(exc: _Error) -> _Error:
    """The same error, cut from the SDK exception it was raised from: the SDK's frames hold
    the refresh token in their locals (requests-oauthlib's request body), and error reports
    that show locals (Django's HTML report, error trackers) must never see it. The detail
    keeps the network's words."""
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return exc.with_traceback(None)


def _status_for(reason: str, revoked: bool | None) -> str:
    """REVOKED when the network says the grant is gone (X's `invalid_grant`, "revoked");
    EXPIRED otherwise, and when it cannot tell ("expired or revoked")."""
    if revoked is None:
        words = reason.lower()
        revoked = "invalid_grant" in words or ("revoke" in words and "expired" not in words)
    return Status.REVOKED if revoked else Status.EXPIRED


def account_mark_expired(account: SocialAccount, refusal: AdapterError | str, *, revoked: bool | None = None) -> bool:
    """The network refused the account's credentials (`refusal`: the adapter's error, or its
    words): mark it EXPIRED, or REVOKED when the network says the grant is revoked/invalid
    (or `revoked=True`). Only a connected (or expired, becoming revoked) account changes;
    administrators are told once per change, after commit, the reason worded in each one's
    language. Returns whether the status changed. Safe to call concurrently."""
    said = said_of(refusal)
    reason = said["text"]
    new_status = _status_for(reason, revoked)
    from_statuses = [Status.CONNECTED] if new_status == Status.EXPIRED else [Status.CONNECTED, Status.EXPIRED]
    reason = reason[:250]
    with transaction.atomic():
        changed = SocialAccount.objects.filter(pk=account.pk, status__in=from_statuses).update(
            status=new_status,
            last_check_result=reason,
            last_check_code=said["code"],
            last_check_params=said["params"] if said["code"] else {},
            last_checked_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not changed:
            return False
        fresh = SocialAccount.objects.select_related("mission").get(pk=account.pk)
        _copy_state(account, fresh)
        account.last_check_result, account.last_checked_at = fresh.last_check_result, fresh.last_checked_at
        account.last_check_code, account.last_check_params = fresh.last_check_code, fresh.last_check_params
        _audit(None, f"account.{new_status}", fresh, reason=reason)
        outbox.emit(f"account.{new_status}", {"account_id": fresh.pk})
        _notify_admins(fresh, {**said, "text": reason})
    return True


def account_refresh(*, account_id: int) -> None:
    """Refresh the account's token now if it expires within the margin (the beat task's
    service). A passing failure is left for the next run; a refusal has already marked
    the account."""
    account = SocialAccount.objects.select_related("mission").get(pk=account_id)
    if account.status != Status.CONNECTED:
        return
    try:
        credentials_for_use(account)
    except AuthError as exc:
        logger.warning("Token refresh of account %s refused: %s", account_id, exc.detail)
    except AdapterError as exc:
        logger.warning("Token refresh of account %s postponed: %s", account_id, exc.detail)


# --- Health check --------------------------------------------------------------------------------


@sensitive_variables("credentials")
def account_health_check(*, account_id: int) -> SocialAccount:
    """Ask the network whether the account's credentials still work; record when and what.

    Refused (AuthError): the account becomes EXPIRED or REVOKED and administrators are
    emailed once per change. A passing failure is noted and changes no status. Credentials
    that do not open are noted and re-raised (an error for the operators, never skipped).
    An account that is not connected is not sent to the network.
    """
    account = SocialAccount.objects.select_related("mission").get(pk=account_id)
    if account.status != Status.CONNECTED:
        result = Said(
            f"Not checked: the account is {account.status}.", "check.not_checked", account_status=account.status
        )
        _record_check(account, result)
        return account
    try:
        credentials = credentials_for_use(account)
        info = adapter_for(account).check_credentials(credentials)
    except AuthError as exc:
        account_mark_expired(account, exc)
        _record_check(account, _refusal(exc, "Refused by the network: %(detail)s", "check.refused", account.network))
    except AdapterError as exc:  # transient, rate limited, or a permanent answer: not a verdict
        said = said_of(exc)
        _record_check(account, Said(f"Could not check now: {exc.detail}", "check.failed_for_now", problem=said))
    except CredentialsDecryptionError:
        unreadable = "The stored credentials do not open: check the key ring, then reconnect."
        _record_check(account, Said(unreadable, "check.credentials_unreadable"))
        logger.error("Credentials of account %s do not open.", account.pk)
        raise
    else:
        updates = {}
        if info.handle and info.handle != account.handle:
            updates["handle"] = info.handle
        if info.display_name and info.display_name != account.display_name:
            updates["display_name"] = info.display_name
        if updates:
            SocialAccount.objects.filter(pk=account.pk).update(**updates)
            for name, value in updates.items():
                setattr(account, name, value)
        label = info.handle or info.display_name or info.account_id
        _record_check(account, Said(f"OK: {label}", "check.ok", handle=label))
    return account


def _record_check(account: SocialAccount, result: Said) -> None:
    """Keep the check's result: its English for the record, its code and parameters for the
    page (worded in each reader's language)."""
    now = timezone.now()
    fields = {
        "last_checked_at": now,
        "last_check_result": result[:300],
        "last_check_code": result.code,
        "last_check_params": result.params,
    }
    SocialAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    _audit(None, "account.health_check", account, result=result[:300])


# --- Key rotation -------------------------------------------------------------------------------------


@dataclass
class RotationResult:
    resealed: int = 0
    current: int = 0
    empty: int = 0
    failed: list[int] = field(default_factory=list)

    def add(self, other: RotationResult) -> None:
        self.resealed += other.resealed
        self.current += other.current
        self.empty += other.empty
        self.failed.extend(other.failed)


@sensitive_variables("credentials")
def credentials_rotate(*, account_ids: list[int]) -> RotationResult:
    """Re-seal under the newest key (the first of CREDENTIALS_KEYS) the credentials of these
    accounts that are sealed under an older one, in one transaction, rows locked. Those
    already under the newest key are left alone (idempotent); those that do not open are
    reported by id, never skipped silently and never overwritten."""
    ring = key_ring()
    result = RotationResult()
    with transaction.atomic():
        for account in SocialAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"):
            if not account.sealed_credentials:
                result.empty += 1
            elif not ring.needs_rotation(account.sealed_credentials):
                result.current += 1
            else:
                try:
                    credentials = account.open_credentials()
                except CredentialsDecryptionError:
                    logger.error("Credentials of account %s do not open: not re-sealed.", account.pk)
                    result.failed.append(account.pk)
                    continue
                account.seal_credentials(credentials)
                account.save(update_fields=["sealed_credentials", "token_expires_at", "updated_at"])
                result.resealed += 1
        if result.resealed:
            _audit(
                None,
                "account.credentials_rotate",
                None,
                key_id=ring.current.key_id,
                resealed=result.resealed,
                failed=result.failed,
            )
    return result


def account_health_check_queue(*, account_ids: Sequence[int]) -> None:
    """Queue a health check of each account once the transaction commits: the network call
    runs in a worker, and a slow broker never holds the web request."""
    enqueue_on_commit(
        "channels.health_check_account",
        calls=[((account_id,), {}) for account_id in account_ids],
        what=f"the health checks of {len(account_ids)} accounts",
    )
