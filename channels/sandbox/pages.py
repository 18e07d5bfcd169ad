"""The HTML shell shared by the sandbox's pages (consent pages, feeds, index).

Every text that came from a request goes through `esc` before it reaches a page:
posts in tests carry attacker payloads on purpose.
"""

from __future__ import annotations

from html import escape

from channels.sandbox.http import Response, html_response

NETWORK_LABELS = {"twitter": "X", "facebook": "Facebook", "youtube": "YouTube", "flickr": "Flickr"}

_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       background: #f3f4f6; color: #111827; }
main { max-width: 640px; margin: 0 auto; padding: 24px 16px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
a { color: #1d4ed8; }
.muted { color: #6b7280; font-size: 13px; }
.banner { background: #fef3c7; color: #92400e; padding: 6px 16px; font-size: 13px; text-align: center; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 16px; margin: 12px 0; }
.card.deleted { opacity: .55; }
.badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 999px;
         background: #e5e7eb; color: #374151; margin-left: 6px; }
.badge.red { background: #fee2e2; color: #991b1b; }
.who { display: flex; gap: 10px; align-items: center; }
.avatar { width: 40px; height: 40px; border-radius: 50%; display: grid; place-items: center;
          color: #fff; font-weight: 700; flex: none; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 10px 0; }
.media { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 4px;
         border-radius: 12px; overflow: hidden; }
.media img { width: 100%; display: block; object-fit: cover; max-height: 420px; }
.placeholder { background: #d1d5db; color: #374151; display: grid; place-items: center;
               min-height: 140px; font-size: 13px; }
.video { aspect-ratio: 16 / 9; background: #111827; color: #fff; border-radius: 12px;
         display: grid; place-items: center; font-size: 48px; }
.stats { display: flex; gap: 18px; color: #6b7280; font-size: 13px; margin-top: 8px; }
.tags span { display: inline-block; background: #eef2ff; color: #3730a3; border-radius: 4px;
             padding: 0 6px; margin: 2px 4px 0 0; font-size: 12px; }
.twitter .avatar { background: #111827; }
.facebook .avatar { background: #1877f2; }
.youtube .avatar { background: #dc2626; }
.flickr .avatar { background: #ff0084; }
form label { display: block; font-weight: 600; margin: 14px 0 4px; }
form input { width: 100%; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px; font: inherit; }
.actions { display: flex; gap: 12px; margin-top: 20px; }
button { font: inherit; font-weight: 600; padding: 9px 20px; border-radius: 999px; border: 1px solid #d1d5db;
         background: #fff; cursor: pointer; }
button.primary { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
ul.scopes { padding-left: 20px; }
table { width: 100%; border-collapse: collapse; background: #fff; }
td, th { text-align: left; padding: 8px 10px; border-bottom: 1px solid #e5e7eb; }
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def page(title: str, body: str, *, status: int = 200) -> Response:
    """A whole page; `title` is escaped here, `body` must already be safe HTML."""
    return html_response(
        status,
        f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{_CSS}</style></head>
<body><div class="banner">Diplomacy Hub sandbox: nothing here reaches a real network.</div>
<main>{body}</main></body></html>""",
    )


def error_page(title: str, message: str, *, status: int = 400) -> Response:
    return page(title, f"<h1>{esc(title)}</h1><p>{esc(message)}</p>", status=status)


def avatar(name: str) -> str:
    initial = (name.strip()[:1] or "?").upper()
    return f'<div class="avatar" aria-hidden="true">{esc(initial)}</div>'
