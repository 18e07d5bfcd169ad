"""The control API under `/_sandbox/` (docs/sandbox.md): reset, what was received,
counts, faults, statistics, and the human pages (index, feeds, media). Faults never
apply here."""

from __future__ import annotations

from channels.sandbox import feeds
from channels.sandbox.faults import InvalidRule
from channels.sandbox.http import Call, Reply, Response, Router, json_response
from channels.sandbox.mime import sniff_mime
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


@router.route("GET", r"/post/(?P<network>[a-z]+)/(?P<id>[\w@-]+)")
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
