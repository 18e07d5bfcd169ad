"""The control API under `/_sandbox/` (docs/sandbox.md): reset, what was received,
counts, faults, statistics, and the human pages (index, feeds, media). Faults never
apply here."""

from __future__ import annotations

from channels.sandbox import feeds, public, tokens
from channels.sandbox.faults import InvalidRule
from channels.sandbox.http import Call, Reply, Response, Router, json_response
from channels.sandbox.mime import sniff_mime
from channels.sandbox.state import SandboxState
from channels.sandbox.tokens import NETWORKS

router = Router()


def _bad_request(message: str) -> Reply:
    return Reply(json_response(400, {"error": message}))


def _network_filter(call: Call) -> str | None:
    network = call.request.arg("network") or None
    if network not in (None, *NETWORKS):
        raise _bad_request(f"Unknown network {network!r}.")
    return network


@router.route("POST", r"/reset")
def reset(call: Call) -> Response:
    call.state.reset()
    return json_response(200, {"ok": True})


@router.route("GET", r"/received")
def received(call: Call) -> Response:
    items = call.state.items_of(_network_filter(call), call.request.arg("account") or None)
    return json_response(200, {"items": [item.as_json() for item in items]})


@router.route("GET", r"/counts")
def counts(call: Call) -> Response:
    network = _network_filter(call)
    return json_response(
        200, {"counts": call.state.counts(network), "duplicate_uploads": call.state.duplicate_upload_counts(network)}
    )


@router.route("GET", r"/answers")
def answers(call: Call) -> Response:
    """The accounts' own replies to the public (`parent` is what each answers), and the
    Facebook private replies: what a test counts to prove each went out once."""
    network = _network_filter(call)
    said = call.state.public.answers(network, call.request.arg("account") or None)
    with call.state.public.lock:
        private = [entry for entry in call.state.public.private_replies.values() if network in (None, entry["network"])]
    return json_response(200, {"answers": [item.as_json() for item in said], "private_replies": private})


@router.route("POST", r"/faults")
def add_fault(call: Call) -> Response:
    try:
        rule = call.state.add_fault(call.request.json())
    except InvalidRule as error:
        raise _bad_request(str(error)) from None
    return json_response(201, {"rule": rule.as_json()})


@router.route("GET", r"/faults")
def list_faults(call: Call) -> Response:
    return json_response(200, {"rules": call.state.fault_rules()})


@router.route("DELETE", r"/faults")
def clear_faults(call: Call) -> Response:
    call.state.clear_faults()
    return json_response(200, {"ok": True})


@router.route("DELETE", r"/faults/(?P<id>\d+)")
def remove_fault(call: Call) -> Response:
    if not call.state.remove_fault(int(call.params["id"])):
        return json_response(404, {"error": "No such fault rule."})
    return json_response(200, {"ok": True})


@router.route("POST", r"/apps")
def register_app(call: Call) -> Response:
    """A developer app whose secret the sandbox checks: {"network", "key", "secret"}. Flickr's
    consumers sign with OAuth 1.0a; Facebook's apps prove their secret (appsecret_proof)."""
    body = call.request.json()
    if not isinstance(body, dict) or not all(isinstance(body.get(name), str) for name in ("key", "secret")):
        raise _bad_request('The body is {"network": "flickr" or "facebook", "key": …, "secret": …}.')
    network = body.get("network", "flickr")
    if network not in ("flickr", "facebook"):
        raise _bad_request("Only Flickr's consumers and Facebook's apps have their secret checked.")
    call.state.register_app(network, body["key"], body["secret"])
    return json_response(201, {"ok": True})


@router.route("GET", r"/stats")
def stats(call: Call) -> Response:
    return json_response(200, call.state.stats())


@router.route("GET", r"")
def index(call: Call) -> Response:
    return feeds.index_page(call.state)


@router.route("GET", r"/feed/(?P<network>[a-z]+)/(?P<account>[A-Za-z0-9_@-]+)")
def feed(call: Call) -> Response:
    if call.params["network"] not in NETWORKS:
        return json_response(404, {"error": "Unknown network."})
    return feeds.feed_page(call.state, call.params["network"], call.params["account"])


@router.route("GET", r"/post/(?P<network>[a-z]+)/(?P<id>[\w@.-]+)")
def post(call: Call) -> Response:
    found = (
        feeds.post_page(call.state, call.params["network"], call.params["id"])
        if call.params["network"] in NETWORKS
        else None
    )
    return found or json_response(404, {"error": "The sandbox holds no such post."})


@router.route("GET", r"/media/(?P<id>[\w-]+)")
def media(call: Call) -> Response:
    stored = call.state.get_media(call.params["id"])
    if stored is None or stored.data is None:
        return json_response(404, {"error": "No stored bytes for this media."})
    return Response(
        200,
        stored.data,
        {
            "Content-Type": sniff_mime(stored.data),
            "Cache-Control": "max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# --- The public (public.py): what people say to the accounts, and the webhooks it is pushed to


def _number(body: dict, name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _bad_request(f"{name} must be a number from {low:g} to {high:g}.")
    return value


def _our_posts(state: SandboxState, network: str, account: str) -> list[str]:
    """The account's live posts as its network names them (a Facebook photo by its post)."""
    return [
        str(item.details.get("post_id") or item.id) for item in state.items_of(network, account) if not item.deleted
    ]


def _say_languages(body: dict) -> list[str]:
    languages = body.get("languages") or ["en"]
    if not isinstance(languages, list) or not all(isinstance(code, str) for code in languages):
        raise _bad_request("languages is a list of language codes.")
    return languages


def _say(state: SandboxState, body: dict, *, network: str, account: str, count: int) -> list[public.Said]:
    languages = _say_languages(body)
    posts = _our_posts(state, network, account)
    handle = state.account(network, account).handle
    lines = public.script(
        seed=str(body.get("seed", 0)),
        network=network,
        account=account,
        handle=handle,
        count=count,
        our_posts=len(posts),
        languages=languages,
    )
    return public.speak(
        state.public,
        state.snowflake,
        network=network,
        account=account,
        lines=lines,
        our_posts=posts,
        spread_seconds=_number(body, "spread_seconds", 3600, 0, 7 * 86400),
    )


def _account_ref(body: object) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise _bad_request('An account is {"network": …, "account": …}.')
    network, account = body.get("network"), body.get("account")
    if network not in NETWORKS:
        raise _bad_request(f"Unknown network {network!r}.")
    if not isinstance(account, str) or not tokens.ACCOUNT_ID.match(account):
        raise _bad_request("account is the account's id on its network.")
    return network, account


@router.route("POST", r"/public")
def public_say(call: Call) -> Response:
    """The public speaks to one account: {"network", "account", "seed", "count",
    "languages", "spread_seconds"}; what was said, in order."""
    body = call.request.json()
    network, account = _account_ref(body)
    count = int(_number(body, "count", 10, 1, 10_000))
    said = _say(call.state, body, network=network, account=account, count=count)
    return json_response(201, {"said": [item.as_json() for item in said]})


@router.route("POST", r"/public/burst")
def public_burst(call: Call) -> Response:
    """A burst across many accounts: {"accounts": [{"network", "account", "languages"?}, …],
    "count", "seed", "languages", "spread_seconds"}; `count` items in all, shared out
    evenly, each account in its own mission's languages where the entry names them."""
    body = call.request.json()
    if not isinstance(body, dict) or not isinstance(body.get("accounts"), list) or not body["accounts"]:
        raise _bad_request('The body is {"accounts": [{"network": …, "account": …}, …], "count": …}.')
    entries = body["accounts"][:10_000]
    accounts = [_account_ref(entry) for entry in entries]
    for entry in entries:
        _say_languages(entry)
    total = int(_number(body, "count", 1000, 1, 100_000))
    said = 0
    for index, ((network, account), entry) in enumerate(zip(accounts, entries, strict=True)):
        share = total // len(accounts) + (1 if index < total % len(accounts) else 0)
        own = body | ({"languages": entry["languages"]} if entry.get("languages") else {})
        if share:
            said += len(_say(call.state, own, network=network, account=account, count=share))
    return json_response(201, {"said": said, "accounts": len(accounts)})


@router.route("GET", r"/public")
def public_list(call: Call) -> Response:
    network = _network_filter(call)
    said = call.state.public.all(network, call.request.arg("account") or None)
    return json_response(200, {"said": [item.as_json() for item in said]})


def _said(call: Call, body: object) -> public.Said:
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise _bad_request('The body is {"network": …, "id": …}.')
    found = call.state.public.get(str(body.get("network")), body["id"])
    if found is None:
        raise Reply(json_response(404, {"error": "The public said no such thing."}))
    return found


@router.route("POST", r"/public/edit")
def public_edit(call: Call) -> Response:
    """{"network", "id", "text"}: its author edits it (on X, the edit is a new post id)."""
    body = call.request.json()
    said = _said(call, body)
    if not isinstance(body.get("text"), str) or not body["text"]:
        raise _bad_request("text is the new text.")
    call.state.public.edit(said, body["text"], version_id=call.state.snowflake() if said.network == "twitter" else "")
    return json_response(200, {"said": said.as_json()})


@router.route("POST", r"/public/delete")
def public_delete(call: Call) -> Response:
    """{"network", "id"}: its author deletes it."""
    said = _said(call, call.request.json())
    call.state.public.delete(said)
    return json_response(200, {"said": said.as_json()})


@router.route("POST", r"/webhooks")
def set_webhook(call: Call) -> Response:
    """Push a network's events to a URL: {"network": "twitter"|"facebook", "url", "secret"
    (X: the app's consumer secret; Facebook: the app secret), "duplicate_rate", "shuffle",
    "bad_signature_rate", "concurrency"}."""
    body = call.request.json()
    if not isinstance(body, dict) or body.get("network") not in public.PUSHED_NETWORKS:
        raise _bad_request("Only X and Facebook push; network is twitter or facebook.")
    url, secret = body.get("url"), body.get("secret")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _bad_request("url is the http(s) URL to push to.")
    if not isinstance(secret, str) or not secret:
        raise _bad_request("secret is the app secret the pushes are signed with.")
    target = public.WebhookTarget(
        network=body["network"],
        url=url,
        secret=secret,
        duplicate_rate=_number(body, "duplicate_rate", 0, 0, 1),
        shuffle=bool(body.get("shuffle", False)),
        bad_signature_rate=_number(body, "bad_signature_rate", 0, 0, 1),
        concurrency=int(_number(body, "concurrency", 1, 1, 32)),
    )
    call.state.public.set_target(target)
    return json_response(201, {"webhook": target.as_json()})


@router.route("GET", r"/webhooks")
def list_webhooks(call: Call) -> Response:
    with call.state.public.lock:
        return json_response(200, {"webhooks": [t.as_json() for t in call.state.public.targets.values()]})


@router.route("POST", r"/webhooks/replay")
def replay_webhooks(call: Call) -> Response:
    """{"network"}: send again everything pushed so far, as X's replay job does."""
    body = call.request.json()
    network = body.get("network") if isinstance(body, dict) else None
    if network not in public.PUSHED_NETWORKS:
        raise _bad_request("network is twitter or facebook.")
    return json_response(200, {"replayed": call.state.public.replay(network)})


@router.route("DELETE", r"/webhooks")
def clear_webhooks(call: Call) -> Response:
    call.state.public.clear_targets()
    return json_response(200, {"ok": True})


def start_chatter(state: SandboxState, body: dict) -> float:
    """The public keeps talking: `per_minute` times a minute, one thing said to one of the
    accounts that published something, in turn (the demo's living inbox). The rate."""
    per_minute = _number(body, "per_minute", 6, 0.1, 6000)
    _say_languages(body)
    seed = str(body.get("seed", 0))

    def speak(tick: int) -> None:
        accounts = sorted({(item.network, item.account) for item in state.items_of() if not item.deleted})
        if accounts:
            network, account = accounts[tick % len(accounts)]
            chat = body | {"seed": f"{seed}:{tick}", "spread_seconds": 0}
            _say(state, chat, network=network, account=account, count=1)

    state.public.chatter(speak, per_minute=per_minute)
    return per_minute


@router.route("POST", r"/public/chatter")
def public_chatter(call: Call) -> Response:
    """{"per_minute": 6, "seed", "languages"}: see start_chatter."""
    body = call.request.json()
    if not isinstance(body, dict):
        raise _bad_request('The body is {"per_minute": …, "seed": …, "languages": […]}.')
    return json_response(201, {"per_minute": start_chatter(call.state, body)})


@router.route("DELETE", r"/public/chatter")
def public_hush(call: Call) -> Response:
    call.state.public.hush()
    return json_response(200, {"ok": True})
