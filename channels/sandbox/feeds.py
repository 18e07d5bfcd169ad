"""What each account received, rendered roughly as its network shows it (for training).

Texts are escaped (`esc`) and marked `dir="auto"` so that Arabic or Hebrew posts read
right to left. Images come from the bytes the sandbox kept (`/_sandbox/media/<id>`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from urllib.parse import quote

from channels.sandbox import metrics
from channels.sandbox.http import Response
from channels.sandbox.pages import NETWORK_LABELS, avatar, esc, page
from channels.sandbox.public import Said
from channels.sandbox.state import Account, Item, Media, SandboxState


def _when(item: Item) -> str:
    return item.created_at.strftime("%Y-%m-%d %H:%M UTC")


def _text(text: str, css: str = "text") -> str:
    return f'<div class="{css}" dir="auto">{esc(text)}</div>' if text else ""


def _size(media: Media) -> str:
    return f"{media.size / 1_048_576:.1f} MB" if media.size >= 100_000 else f"{media.size / 1024:.0f} KB"


def _media_grid(media: list[Media]) -> str:
    tiles = []
    for one in media:
        if one.data is not None:
            tiles.append(f'<img src="/_sandbox/media/{quote(one.id)}" alt="{esc(one.alt_text)}" loading="lazy">')
        else:
            kind = "video" if one.mime_type.startswith("video/") else "image"
            tiles.append(f'<div class="placeholder">{kind} · {esc(one.mime_type)} · {_size(one)}</div>')
    return f'<div class="media">{"".join(tiles)}</div>' if tiles else ""


def _who(account: Account, subtitle: str) -> str:
    return (
        f'<div class="who">{avatar(account.name)}<div><strong dir="auto">{esc(account.name)}</strong>'
        f'<div class="muted">{subtitle}</div></div></div>'
    )


def _tweet(item: Item, account: Account) -> str:
    e = metrics.engagement(item)
    return (
        _who(account, f"@{esc(account.handle)} · {_when(item)}")
        + _text(item.text)
        + _media_grid(item.media)
        + f'<div class="stats"><span>💬 {e.comments}</span><span>🔁 {e.shares}</span>'
        f"<span>♥ {e.likes}</span><span>📊 {e.views}</span></div>"
    )


def _facebook_post(item: Item, account: Account) -> str:
    e = metrics.engagement(item)
    link = item.details.get("link", "")
    preview = f'<div class="card muted" dir="auto">🔗 {esc(link)}</div>' if link else ""
    return (
        _who(account, f"{_when(item)} · 🌐")
        + _text(item.text)
        + _media_grid(item.media)
        + preview
        + f'<div class="stats"><span>👍 {e.likes}</span><span>{e.comments} comments</span>'
        f"<span>{e.shares} shares</span></div>"
    )


def _video(item: Item, account: Account) -> str:
    e = metrics.engagement(item)
    privacy = item.details.get("privacyStatus", "private")
    tags = "".join(f"<span>#{esc(tag)}</span>" for tag in item.tags)
    return (
        f'<div class="video" aria-label="video">▶</div>'
        f'<h2 dir="auto">{esc(item.title)}<span class="badge">{esc(privacy)}</span></h2>'
        f'<div class="muted">{esc(account.name)} · {e.views} views · {_when(item)}</div>'
        + _text(item.text, "text muted")
        + f'<div class="tags">{tags}</div>'
    )


def _photo(item: Item, account: Account) -> str:
    e = metrics.engagement(item)
    tags = "".join(f"<span>{esc(tag)}</span>" for tag in item.tags)
    return (
        _media_grid(item.media)
        + f'<h2 dir="auto">{esc(item.title)}</h2>'
        + _who(account, _when(item))
        + _text(item.text)
        + f'<div class="tags">{tags}</div>'
        + f'<div class="stats"><span>{e.views} views</span><span>★ {e.likes} faves</span></div>'
    )


_RENDERERS: dict[str, Callable[[Item, Account], str]] = {
    "twitter": _tweet,
    "facebook": _facebook_post,
    "youtube": _video,
    "flickr": _photo,
}


def _card(item: Item, account: Account) -> str:
    deleted = '<span class="badge red">deleted</span>' if item.deleted else ""
    if not item.deleted and item.details.get("post_removed"):  # a Facebook video without its post
        deleted = '<span class="badge red">post deleted, video kept</span>'
    return (
        f'<article class="card {item.network}{" deleted" if item.deleted else ""}" id="item-{esc(item.id)}">'
        f"{_RENDERERS[item.network](item, account)}"
        f'<div class="muted">{esc(item.kind)} {esc(item.id)}{deleted}</div></article>'
    )


def _said(said: Said) -> str:
    """One thing the public said, escaped and isolated (`<bdi>`): it may hold markup,
    control characters or a right-to-left override, all shown inert."""
    marks = [said.kind, said.category, said.language]
    marks += ["edited"] if said.edited_at else []
    marks += ["deleted"] if said.deleted else []
    marks += ["hidden"] if said.hidden else []
    marks = ["our reply"] if said.ours else marks
    indent = ' style="margin-left:24px"' if said.kind == "reply" and said.parent != said.post else ""
    return (
        f'<li id="said-{esc(said.id)}"{indent}><strong dir="auto">{esc(said.author.name)}</strong> '
        f'<bdi>{esc(said.text)}</bdi> <span class="muted">{esc(" · ".join(marks))}</span></li>'
    )


def _public(state: SandboxState, network: str, account_id: str) -> dict[str, list[Said]]:
    """What the public said to the account, by the post it is under ("" for none)."""
    by_post: dict[str, list[Said]] = {}
    for said in state.public.of_account(network, account_id):
        by_post.setdefault(said.post, []).append(said)
    return by_post


def _under(said: list[Said]) -> str:
    """What the public reads under a post; what the account hid is out of the thread, behind
    a click (X's "View hidden replies"; Facebook shows it to its author alone)."""
    if not said:
        return ""
    ordered = sorted(said, key=lambda s: s.created_at)
    shown = [s for s in ordered if not s.hidden]
    hidden = [s for s in ordered if s.hidden]
    page = f'<ul class="public">{"".join(_said(s) for s in shown)}</ul>' if shown else ""
    if hidden:
        page += (
            f'<details class="hidden-said"><summary>View hidden replies ({len(hidden)})</summary>'
            f'<ul class="public">{"".join(_said(s) for s in hidden)}</ul></details>'
        )
    return page


def feed_page(state: SandboxState, network: str, account_id: str) -> Response:
    account = state.account(network, account_id)
    items = list(reversed(state.items_of(network, account_id)))  # newest first
    label = NETWORK_LABELS[network]
    public = _public(state, network, account_id)
    cards = (
        "".join(
            _card(item, account) + _under(public.get(str(item.details.get("post_id") or item.id), [])) for item in items
        )
        or '<p class="muted">Nothing received yet.</p>'
    )
    if public.get(""):  # mentions, visitors' posts: said to the account, under no post
        cards = f'<div class="card"><h2>Said to the account</h2>{_under(public[""])}</div>' + cards
    subtitle = f"{esc(label)} · @{esc(account.handle)} · {esc(account.id)}"
    header = (
        f'<p><a href="/_sandbox/">← all sandbox accounts</a></p>'
        f'<div class="card {network}">{_who(account, subtitle)}'
        f'<div class="stats"><span>{sum(not i.deleted for i in items)} published</span>'
        f"<span>{sum(i.deleted for i in items)} deleted</span>"
        f"<span>{metrics.followers(network, account_id)} followers</span></div></div>"
    )
    return page(f"{label} · {account.name}", header + cards)


def post_page(state: SandboxState, network: str, item_id: str) -> Response | None:
    """One post as its network's own page shows it: where "See it on …" leads for a
    sandbox account. None when the sandbox holds no such post."""
    item = state.item(network, item_id)
    if item is None:
        return _said_page(state, network, item_id)
    account = state.account(network, item.account)
    feed = f"/_sandbox/feed/{quote(network)}/{quote(item.account)}"
    header = f'<p><a href="{feed}">← {esc(account.name)} on {esc(NETWORK_LABELS[network])}</a></p>'
    post_id = str(item.details.get("post_id") or item.id)
    under = _under(_public(state, network, item.account).get(post_id, []))
    return page(f"{NETWORK_LABELS[network]} · {account.name}", header + _card(item, account) + under)


def index_page(state: SandboxState) -> Response:
    received = Counter((item.network, item.account) for item in state.items_of())
    rows = "".join(
        f"<tr><td>{esc(NETWORK_LABELS[network])}</td>"
        f'<td><a href="/_sandbox/feed/{quote(network)}/{quote(account_id)}" dir="auto">'
        f"{esc(state.account(network, account_id).name)}</a></td>"
        f"<td>{esc(account_id)}</td><td>{count}</td></tr>"
        for (network, account_id), count in sorted(received.items())
    )
    table = (
        f"<table><tr><th>Network</th><th>Account</th><th>Id</th><th>Received</th></tr>{rows}</table>"
        if rows
        else '<p class="muted">No account has received anything yet.</p>'
    )
    rules = "".join(f"<li><code>{esc(rule)}</code></li>" for rule in state.fault_rules())
    faults = f"<h2>Active faults</h2><ul>{rules}</ul>" if rules else ""
    return page(
        "Sandbox networks",
        f"<h1>Sandbox networks</h1>{table}{faults}<p class='muted'>Control API: see docs/sandbox.md.</p>",
    )


def _said_page(state: SandboxState, network: str, said_id: str) -> Response | None:
    """What one of the public said, under the post it answers (where a heard item's link
    leads for a sandbox account). None when nobody said it."""
    said = state.public.get(network, said_id)
    if said is None:
        return None
    account = state.account(network, said.account)
    feed = f"/_sandbox/feed/{quote(network)}/{quote(said.account)}"
    header = f'<p><a href="{feed}">← {esc(account.name)} on {esc(NETWORK_LABELS[network])}</a></p>'
    post = state.item(network, said.post) if said.post else None
    context = _card(post, account) if post is not None else ""
    return page(f"{NETWORK_LABELS[network]} · {said.author.name}", header + context + _under([said]))
