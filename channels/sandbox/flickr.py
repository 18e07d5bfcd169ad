"""Flickr as flickrapi 2.4 calls it (prefix `flickr`).

The REST endpoint (`/services/rest/`, answering JSON with format=json, XML otherwise, and
HTTP 200 even for a failure: `stat=fail`), the upload endpoint (`/services/upload/`,
always XML), and OAuth 1.0a (request token, consent page, access token). Every call is
signed with an `Authorization: OAuth …` header whose `oauth_token` names the account
(`sbx.flickr.<nsid>.…`, its secret `tokens.secret_of(token)`); signatures are checked as
Flickr checks them (channels.sandbox.oauth1), over the URL the client called.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from channels.sandbox import metrics, public, tokens
from channels.sandbox.consent import consent_page, read_consent, require_redirect_uri
from channels.sandbox.http import (
    Call,
    NetworkSpec,
    Reply,
    Request,
    Response,
    Router,
    add_query,
    json_response,
    oauth1_params,
    redirect,
    text_response,
)
from channels.sandbox.mime import sniff_mime
from channels.sandbox.oauth1 import OAuthProblem, verify
from channels.sandbox.pages import esc, page
from channels.sandbox.state import Grant, Item, Media, SandboxState

NETWORK = "flickr"
SERVER, FARM = "65535", 66

router = Router()


class FlickrFail(Exception):  # Flickr's own word: stat="fail"
    """A `stat=fail` answer: Flickr's error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


NOT_FOUND = (1, "Photo not found")
INVALID_TOKEN = (98, "Invalid auth token")
NOT_LOGGED_IN = (99, "Insufficient permissions. Method requires read privileges; none granted.")
INVALID_SIGNATURE = (96, "Invalid signature")
MISSING_SIGNATURE = (97, "Missing signature")
KEY_NOT_FOUND = (100, "Invalid API Key (Key not found)")
KEY_INVALID_FORMAT = (100, "Invalid API Key (Key has invalid format)")


# --- Answers --------------------------------------------------------------------------------


def _element(tag: str, value: Any) -> ElementTree.Element:
    """Flickr's JSON is its XML transcribed: scalars are attributes, `_content` is the
    text, objects are child elements, lists are repeated child elements."""
    element = ElementTree.Element(tag)
    if not isinstance(value, dict):
        element.text = str(value)
        return element
    for key, child in value.items():
        if key == "_content":
            element.text = str(child)
        elif isinstance(child, dict):
            element.append(_element(key, child))
        elif isinstance(child, list):
            element.extend(_element(key, entry) for entry in child)
        elif child is not None:
            element.set(key, str(child))
    return element


def _xml(rsp: ElementTree.Element) -> Response:
    body = '<?xml version="1.0" encoding="utf-8" ?>\n' + ElementTree.tostring(rsp, encoding="unicode")
    return text_response(200, body, "text/xml; charset=utf-8")


def rest_answer(request: Request, payload: dict[str, Any] | None = None, *, fail: FlickrFail | None = None) -> Response:
    """`payload` (or `fail`) in the format the call asked for."""
    if request.arg("format") == "json":
        body = (
            {"stat": "fail", "code": fail.code, "message": fail.message} if fail else {**(payload or {}), "stat": "ok"}
        )
        if request.arg("nojsoncallback") == "1":
            return json_response(200, body)
        callback = request.arg("jsoncallback") or "jsonFlickrApi"
        return text_response(200, f"{callback}({json.dumps(body)})", "text/javascript; charset=utf-8")
    return _rsp_xml(payload, fail)


def _rsp_xml(payload: dict[str, Any] | None, fail: FlickrFail | None) -> Response:
    if fail:
        rsp = ElementTree.Element("rsp", stat="fail")
        ElementTree.SubElement(rsp, "err", code=str(fail.code), msg=fail.message)
        return _xml(rsp)
    rsp = _element("rsp", payload or {})
    rsp.set("stat", "ok")
    return _xml(rsp)


# What Flickr's front end answers past the key's hourly allowance: a bare HTML page, with
# no Retry-After nor any other rate-limit header (flickrapi issue #135 shows it).
_TOO_MANY = (
    "<html><body><h1>429 Too Many Requests</h1>\n"
    "You have sent too many requests in a given amount of time.\n</body></html>\n"
)


def rate_limited(request: Request, reset_seconds: float) -> Response:
    return text_response(429, _TOO_MANY, "text/html")


def server_error(request: Request) -> Response:
    return text_response(503, "Service Unavailable")


def unknown_path(request: Request) -> Response:
    return text_response(404, "Not Found")


def _oauth(request: Request) -> dict[str, str]:
    return oauth1_params(request.header("Authorization"))


def account_of(request: Request, state: SandboxState) -> str | None:
    """The access token's account; at the access_token endpoint, the request token's."""
    token = _oauth(request).get("oauth_token", "")
    if request.path.startswith("/services/oauth/"):
        grant = state.grant(token) if token else None
        return grant.account if grant else None
    return tokens.account_of(token, NETWORK)


# --- Signatures ----------------------------------------------------------------------------

_HOSTS = (("/services/upload", "up.flickr.com"), ("/services/oauth", "www.flickr.com"))


def signed_url(request: Request) -> str:
    """The URL the client called and signed: the transport's X-Sandbox-Original-Url, or
    Flickr's own host for this path (a client calling the sandbox directly)."""
    original = request.header("X-Sandbox-Original-Url")
    if original and (urlsplit(original).hostname or "").endswith("flickr.com"):
        return original
    host = next((host for prefix, host in _HOSTS if request.path.startswith(prefix)), "api.flickr.com")
    query = urlencode([(k, v) for k, values in request.query.items() for v in values])
    return f"https://{host}{request.path}" + (f"?{query}" if query else "")


def check_signature(call: Call, *, upload: bool = False) -> None:
    """Flickr's checks of a signed API call: the key (100), a signature at all (97), a
    token it knows (98), the signature (96), made with the access token's secret."""
    request = call.request
    oauth = _oauth(request)
    key = oauth.get("oauth_consumer_key") or request.arg("api_key")
    if not key:
        raise FlickrFail(*KEY_INVALID_FORMAT)
    secret = call.state.app_secret(NETWORK, key)
    if secret is None:
        raise FlickrFail(*KEY_NOT_FOUND)
    if not oauth.get("oauth_signature"):
        raise FlickrFail(*MISSING_SIGNATURE)
    token = oauth.get("oauth_token", "")
    if token and tokens.account_of(token, NETWORK) is None:
        raise FlickrFail(*INVALID_TOKEN)
    token_secret = tokens.secret_of(token) if token else ""
    try:
        with call.state.lock:  # the nonce book
            verify(
                request,
                url=signed_url(request),
                consumer_secret=secret,
                token_secret=token_secret,
                nonces=call.state.nonces,
                body_fields=upload,
            )
    except OAuthProblem:
        raise FlickrFail(*INVALID_SIGNATURE) from None


def authenticate(call: Call) -> str:
    """The caller's NSID; code 99 without a token."""
    account = optional_account(call)
    if account is None:
        raise FlickrFail(*NOT_LOGGED_IN)
    return account


def optional_account(call: Call) -> str | None:
    """The caller's NSID, None without a token. A bad or revoked token fails every method
    (code 98), even one that needs no authentication."""
    raw = _oauth(call.request).get("oauth_token", "")
    if not raw:
        return None
    account = tokens.account_of(raw, NETWORK)
    if account is None or call.fault.revoked or not call.state.token_valid(raw):
        raise FlickrFail(*INVALID_TOKEN)
    return account


# --- Photos ---------------------------------------------------------------------------------

_TAG = re.compile(r'"([^"]*)"|(\S+)')
_MACHINE_TAG = re.compile(r"[A-Za-z_]\w*:[A-Za-z_]\w*=")


def parse_tags(raw: str) -> tuple[str, ...]:
    """Space-separated, with double quotes around a tag that holds spaces."""
    return tuple(quoted or bare for quoted, bare in _TAG.findall(raw) if quoted or bare)


def normalize_tag(tag: str) -> str:
    """Flickr's `_content` form: machine tags lowercased, others also stripped of
    everything but letters and digits ("National Day" -> "nationalday")."""
    if _MACHINE_TAG.match(tag):
        return tag.lower()
    return re.sub(r"[^\w]", "", tag.lower())


def _timestamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _photo(call: Call, photo_id: str) -> Item:
    item = call.state.item(NETWORK, photo_id)
    if item is None or item.deleted:
        raise FlickrFail(*NOT_FOUND)
    return item


def _photo_url(item: Item) -> str:
    return f"https://www.flickr.com/photos/{item.account}/{item.id}/"


def _owner(call: Call, nsid: str) -> dict[str, Any]:
    account = call.state.account(NETWORK, nsid)
    return {
        "nsid": nsid,
        "username": account.handle,
        "realname": account.name,
        "location": "",
        "iconserver": "0",
        "iconfarm": 0,
        "path_alias": None,
    }


def photo_info(call: Call, item: Item) -> dict[str, Any]:
    e = metrics.engagement(item)
    tags = [
        {
            "id": f"{item.id}-{index}",
            "author": item.account,
            "raw": raw,
            "_content": normalize_tag(raw),
            "machine_tag": int(bool(_MACHINE_TAG.match(raw))),
        }
        for index, raw in enumerate(item.tags)
    ]
    return {
        "photo": {
            "id": item.id,
            "secret": item.details["secret"],
            "server": SERVER,
            "farm": FARM,
            "dateuploaded": _timestamp(item.created_at),
            "isfavorite": 0,
            "license": "0",
            "safety_level": "0",
            "rotation": 0,
            "media": item.kind,
            "owner": _owner(call, item.account),
            "title": {"_content": item.title},
            "description": {"_content": item.text},
            "visibility": {key: item.details[key] for key in ("ispublic", "isfriend", "isfamily")},
            "dates": {
                "posted": _timestamp(item.created_at),
                "lastupdate": _timestamp(item.created_at),
                "taken": item.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "takengranularity": 0,
            },
            "views": str(e.views),
            "comments": {"_content": str(e.comments)},
            "tags": {"tag": tags},
            "urls": {"url": [{"type": "photopage", "_content": _photo_url(item)}]},
        }
    }


def _search_entry(item: Item, extras: set[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.id,
        "owner": item.account,
        "secret": item.details["secret"],
        "server": SERVER,
        "farm": FARM,
        "title": item.title,
        **{key: item.details[key] for key in ("ispublic", "isfriend", "isfamily")},
    }
    if "description" in extras:
        entry["description"] = {"_content": item.text}
    if "date_upload" in extras:
        entry["dateupload"] = _timestamp(item.created_at)
    if "tags" in extras:
        entry["tags"] = " ".join(normalize_tag(t) for t in item.tags if not _MACHINE_TAG.match(t))
    if "machine_tags" in extras:
        entry["machine_tags"] = " ".join(normalize_tag(t) for t in item.tags if _MACHINE_TAG.match(t))
    return entry


def _tag_matches(item: Item, wanted: list[str]) -> bool:
    """Any of the wanted tags; a machine tag ending in "=" matches any value."""
    have = {normalize_tag(tag) for tag in item.tags}
    return any(tag in have or (tag.endswith("=") and any(h.startswith(tag) for h in have)) for tag in wanted)


def search(call: Call) -> dict[str, Any]:
    request = call.request
    mine = request.arg("user_id") == "me"
    caller = authenticate(call) if mine else optional_account(call)
    user = caller if mine else request.arg("user_id") or None
    try:
        per_page = min(int(request.arg("per_page") or 100), 500)
        since = datetime.fromtimestamp(int(request.arg("min_upload_date") or 0), UTC)
    except ValueError:
        raise FlickrFail(
            3, "Parameterless searches have been disabled. Please use flickr.photos.getRecent instead."
        ) from None
    wanted = [
        normalize_tag(tag) for key in ("tags", "machine_tags") for tag in request.arg(key).split(",") if tag.strip()
    ]
    text = request.arg("text").lower()
    found = [
        item
        for item in reversed(call.state.items_of(NETWORK, user))
        if not item.deleted
        and item.created_at >= since
        and (not wanted or _tag_matches(item, wanted))
        and text in " ".join((item.title, item.text, *item.tags)).lower()
    ]
    extras = {extra.strip() for extra in request.arg("extras").split(",")}
    return {
        "photos": {
            "page": 1,
            "pages": 1 if found else 0,
            "perpage": per_page,
            "total": len(found),
            "photo": [_search_entry(item, extras) for item in found[:per_page]],
        }
    }


def delete_photo(call: Call) -> dict[str, Any]:
    account = authenticate(call)
    item = _photo(call, call.request.arg("photo_id"))
    if item.account != account:
        raise FlickrFail(*NOT_FOUND)
    call.state.mark_deleted(item)
    return {}


def get_info(call: Call) -> dict[str, Any]:
    optional_account(call)
    return photo_info(call, _photo(call, call.request.arg("photo_id")))


def get_favorites(call: Call) -> dict[str, Any]:
    optional_account(call)
    item = _photo(call, call.request.arg("photo_id"))
    return {
        "photo": {
            "person": [],
            "id": item.id,
            "secret": item.details["secret"],
            "server": SERVER,
            "farm": FARM,
            "page": 1,
            "pages": 1,
            "perpage": 10,
            "total": str(metrics.engagement(item).likes),
        }
    }


def test_login(call: Call) -> dict[str, Any]:
    account = call.state.account(NETWORK, authenticate(call))
    return {"user": {"id": account.id, "username": {"_content": account.handle}}}


def people_info(call: Call) -> dict[str, Any]:
    optional_account(call)
    nsid = call.request.arg("user_id")
    if not tokens.ACCOUNT_ID.match(nsid):
        raise FlickrFail(1, "User not found")
    account = call.state.account(NETWORK, nsid)
    photos = [item for item in call.state.items_of(NETWORK, nsid) if not item.deleted]
    return {
        "person": {
            "id": nsid,
            "nsid": nsid,
            "ispro": 0,
            "iconserver": "0",
            "iconfarm": 0,
            "username": {"_content": account.handle},
            "realname": {"_content": account.name},
            "location": {"_content": ""},
            "description": {"_content": ""},
            "photosurl": {"_content": f"https://www.flickr.com/photos/{nsid}/"},
            "profileurl": {"_content": f"https://www.flickr.com/people/{nsid}/"},
            "photos": {
                "count": {"_content": len(photos)},
                "views": {"_content": sum(metrics.engagement(item).views for item in photos)},
            },
        }
    }


# --- What the public says: comments on the account's photos -----------------------------------------

_TIMEFRAME = re.compile(r"\A(\d{1,4})([dh])\Z")


def user_photos_activity(call: Call) -> dict[str, Any]:
    """flickr.activity.userPhotos: the caller's photos with recent comments (`timeframe`
    such as 4h or 2d; `per_page` up to 50), newest activity first, each with its events."""
    account = authenticate(call)
    request = call.request
    found = _TIMEFRAME.match(request.arg("timeframe") or "1d")
    try:
        per_page, page = min(int(request.arg("per_page") or 10), 50), max(int(request.arg("page") or 1), 1)
    except ValueError:
        raise FlickrFail(2, "Invalid paging parameters") from None
    if found is None:
        raise FlickrFail(1, "Invalid timeframe")
    hours = int(found[1]) * (24 if found[2] == "d" else 1)
    since = datetime.now(UTC) - timedelta(hours=hours)
    events: dict[str, list[public.Said]] = {}
    for said in call.state.public.of_account(NETWORK, account):
        if not said.deleted and said.created_at >= since and said.post:
            events.setdefault(said.post, []).append(said)
    photo_ids = sorted(events, key=lambda photo: -max(s.seq for s in events[photo]))
    shown = photo_ids[(page - 1) * per_page : page * per_page]
    items = []
    for photo_id in shown:
        item = call.state.item(NETWORK, photo_id)
        if item is None:
            continue
        items.append(
            {
                "type": "photo",
                "id": item.id,
                "owner": account,
                "secret": item.details.get("secret", ""),
                "server": SERVER,
                "farm": FARM,
                "comments": len(events[photo_id]),
                "title": {"_content": item.title},
                "activity": {
                    "event": [
                        {
                            "type": "comment",
                            "commentid": said.id,
                            "user": said.author.id,
                            "username": said.author.handle,
                            "dateadded": _timestamp(said.created_at),
                            "_content": said.text,
                        }
                        for said in events[photo_id]
                    ]
                },
            }
        )
    pages = -(-len(photo_ids) // per_page)
    return {"items": {"page": page, "pages": pages, "perpage": per_page, "total": len(photo_ids), "item": items}}


def comments_list(call: Call) -> dict[str, Any]:
    """flickr.photos.comments.getList: a photo's comments, oldest first, between
    `min_comment_date` and `max_comment_date` (Unix times, inclusive). No login needed."""
    optional_account(call)
    request = call.request
    item = _photo(call, request.arg("photo_id"))
    try:
        low = int(request.arg("min_comment_date") or 0)
        high = int(request.arg("max_comment_date") or 2**40)
    except ValueError:
        raise FlickrFail(2, "Invalid comment dates") from None
    said = sorted(
        (s for s in call.state.public.in_thread(NETWORK, item.id) if not s.deleted),
        key=lambda s: (s.created_at, s.seq),
    )
    comments = [
        {
            "id": s.id,
            "author": s.author.id,
            "author_is_deleted": 0,
            "authorname": s.author.handle,
            "realname": s.author.name,
            "datecreate": _timestamp(s.created_at),
            "permalink": f"https://www.flickr.com/photos/{item.account}/{item.id}/#comment{s.id}",
            "_content": s.text,
        }
        for s in said
        if low <= int(s.created_at.timestamp()) <= high
    ]
    return {"comments": {"photo_id": item.id, "comment": comments}}


def comments_add(call: Call) -> dict[str, Any]:
    """flickr.photos.comments.addComment: a comment on a photo as the calling user (write
    permission); it joins the photo's comments, where everyone sees it."""
    account = authenticate(call)
    text = call.request.arg("comment_text")
    if not text.strip():
        raise FlickrFail(2, "Blank comment")
    item = _photo(call, call.request.arg("photo_id"))
    me = call.state.account(NETWORK, account)
    said = call.state.public.answer(
        public.Said(
            network=NETWORK,
            account=item.account,
            id=f"{account.split('@')[0]}-{item.id}-{call.state.snowflake()}",
            kind=public.COMMENT,
            category="ours",
            language="",
            text=text,
            author=public.Person(id=account, name=me.name, handle=me.handle),
            created_at=datetime.now(UTC),
            post=item.id,
            parent=item.id,
            thread=item.id,
        )
    )
    permalink = f"https://www.flickr.com/photos/{item.account}/{item.id}/#comment{said.id}"
    return {"comment": {"id": said.id, "permalink": permalink}}


METHODS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "flickr.photos.comments.addComment": comments_add,
    "flickr.photos.delete": delete_photo,
    "flickr.photos.getInfo": get_info,
    "flickr.photos.getFavorites": get_favorites,
    "flickr.photos.search": search,
    "flickr.test.login": test_login,
    "flickr.people.getInfo": people_info,
    "flickr.activity.userPhotos": user_photos_activity,
    "flickr.photos.comments.getList": comments_list,
}


@router.route("POST", r"/services/rest")
@router.route("GET", r"/services/rest")
def rest(call: Call) -> Response:
    method = call.request.arg("method")
    handler = METHODS.get(method)
    try:
        check_signature(call)
        if handler is None:
            raise FlickrFail(112, f'Method "{method}" not found')
        return rest_answer(call.request, handler(call))
    except FlickrFail as fail:
        return rest_answer(call.request, fail=fail)


# --- Upload ---------------------------------------------------------------------------------------


@router.route("POST", r"/services/upload")
def upload(call: Call) -> Response:
    """Always XML: `<photoid>` or `<err code msg>`, with HTTP 200 either way."""
    try:
        return _rsp_xml({"photoid": {"_content": _store_upload(call).id}}, None)
    except FlickrFail as fail:
        return _rsp_xml(None, fail)


def _store_upload(call: Call) -> Item:
    check_signature(call, upload=True)
    account = authenticate(call)
    photo = call.request.files.get("photo")
    if photo is None:
        raise FlickrFail(2, "No photo specified")
    if not photo.data:
        raise FlickrFail(4, "Filesize was zero")
    mime = sniff_mime(photo.data)
    if not mime.startswith(("image/", "video/")):
        raise FlickrFail(5, "Filetype was not recognised")
    form = call.request.form
    photo_id = call.state.snowflake()
    media = call.state.add_media(Media(photo_id, NETWORK, account, mime, len(photo.data)), photo.data)
    return call.state.add_item(
        Item(
            NETWORK,
            account,
            photo_id,
            "video" if mime.startswith("video/") else "photo",
            form.get("description", ""),
            title=form.get("title", ""),
            tags=parse_tags(form.get("tags", "")),
            media=[media],
            details={
                "secret": secrets.token_hex(5),
                "ispublic": int(form.get("is_public", "1") == "1"),
                "isfriend": int(form.get("is_friend") == "1"),
                "isfamily": int(form.get("is_family") == "1"),
            },
        )
    )


# --- OAuth 1.0a ---------------------------------------------------------------------------------------


def _oauth_problem(problem: str, base_string: str = "") -> Reply:
    answer = {"oauth_problem": problem} | ({"debug_sbs": base_string} if base_string else {})
    return Reply(text_response(401, urlencode(answer)))


def _check_oauth_signature(call: Call, token_secret: str) -> None:
    """The OAuth endpoints answer a bad signature in OAuth's own words, not Flickr's codes."""
    key = _oauth(call.request).get("oauth_consumer_key", "")
    try:
        with call.state.lock:
            verify(
                call.request,
                url=signed_url(call.request),
                consumer_secret=call.state.app_secret(NETWORK, key),
                token_secret=token_secret,
                nonces=call.state.nonces,
            )
    except OAuthProblem as problem:
        raise _oauth_problem(problem.problem, problem.base_string) from None


def _form_answer(values: dict[str, str]) -> Response:
    return text_response(200, urlencode(values))


@router.route("POST", r"/services/oauth/request_token")
@router.route("GET", r"/services/oauth/request_token")
def request_token(call: Call) -> Response:
    params = _oauth(call.request)
    callback = params.get("oauth_callback") or call.request.arg("oauth_callback")
    if not callback or not params.get("oauth_consumer_key"):
        raise Reply(text_response(401, "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback"))
    _check_oauth_signature(call, "")
    grant = call.state.add_grant(
        Grant(
            code=f"{call.state.snowflake()}-{secrets.token_hex(8)}",
            network=NETWORK,
            client_id=params["oauth_consumer_key"],
            redirect_uri=callback,
            secret=secrets.token_hex(8),
        )
    )
    return _form_answer(
        {"oauth_callback_confirmed": "true", "oauth_token": grant.code, "oauth_token_secret": grant.secret}
    )


def _pending(call: Call) -> Grant:
    grant = call.state.grant(call.request.arg("oauth_token"))
    if grant is None or grant.network != NETWORK:
        raise Reply(text_response(400, "oauth_problem=token_rejected"))
    return grant


@router.route("GET", r"/services/oauth/authorize", api=False)
def authorize_page(call: Call) -> Response:
    return consent_page(
        call,
        network=NETWORK,
        client_id=_pending(call).client_id,
        scopes=(call.request.arg("perms") or "read",),
    )


@router.route("POST", r"/services/oauth/authorize", api=False)
def authorize_decision(call: Call) -> Response:
    grant = _pending(call)
    consent = read_consent(call, network=NETWORK)
    if not consent.approved or consent.account is None:
        # Flickr never calls the application back on "No thanks": the person stays on
        # Flickr, and the request token is left to expire.
        return page(
            "Flickr: not authorised",
            "<h1>You didn't authorise this application</h1>"
            "<p id='denied'>It will not be able to use your Flickr account. You can close this page.</p>",
        )
    with call.state.lock:
        grant.account = consent.account.id
        grant.verifier = secrets.token_hex(8)
        grant.scopes = (call.request.arg("perms") or "read",)
    if grant.redirect_uri == "oob":  # an application without a callback shows the verifier
        return page(
            "Flickr verifier",
            f"<h1>Your verifier</h1><p><code id='verifier'>{esc(grant.verifier)}</code></p>",
        )
    return redirect(
        add_query(
            require_redirect_uri(grant.redirect_uri),
            {"oauth_token": grant.code, "oauth_verifier": grant.verifier},
        )
    )


@router.route("POST", r"/services/oauth/access_token")
@router.route("GET", r"/services/oauth/access_token")
def access_token(call: Call) -> Response:
    params = _oauth(call.request)
    pending = call.state.grant(params.get("oauth_token", ""))
    if pending is None or not pending.account:
        raise _oauth_problem("token_rejected")
    _check_oauth_signature(call, pending.secret)
    grant = call.state.take_grant(pending.code)
    if grant is None:
        raise _oauth_problem("token_rejected")
    if params.get("oauth_verifier") != grant.verifier:
        raise _oauth_problem("verifier_invalid")
    account = call.state.account(NETWORK, grant.account)
    access = tokens.issue(NETWORK, grant.account)
    call.state.issued(access)
    return _form_answer(
        {
            "fullname": account.name,
            "oauth_token": access,
            "oauth_token_secret": tokens.secret_of(access),
            "user_nsid": account.id,
            "username": account.handle,
        }
    )


SPEC = NetworkSpec(
    prefix="flickr",
    network=NETWORK,
    router=router,
    account_of=account_of,
    server_error=server_error,
    rate_limited=rate_limited,
    not_found=unknown_path,
)
