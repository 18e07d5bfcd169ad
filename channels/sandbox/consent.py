"""The consent page every network shows at its OAuth authorize URL.

GET shows "Sandbox <Network>: authorise Diplomacy Hub?" with the requested scopes and an
account the person may edit (id, display name, handle); the form posts back to the same
URL, query string included, so the network's module still has every OAuth parameter
when it reads the decision. Buttons keep stable ids for browser tests: `#authorize` and
`#deny`.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.sandbox import tokens
from channels.sandbox.http import Call, Reply, Response
from channels.sandbox.pages import NETWORK_LABELS, error_page, esc, page
from channels.sandbox.state import Account

_ACCOUNT_KIND = {
    "twitter": "X user id",
    "facebook": "Facebook Page id",
    "youtube": "YouTube channel id",
    "flickr": "Flickr user NSID",
}


@dataclass(frozen=True)
class Consent:
    approved: bool
    account: Account | None  # the account chosen, when approved


def consent_page(call: Call, *, network: str, client_id: str, scopes: tuple[str, ...]) -> Response:
    label = NETWORK_LABELS[network]
    account_id = tokens.new_account_id(network)
    suffix = account_id.split("@")[0][-4:]
    scope_items = "".join(f"<li><code>{esc(scope)}</code></li>" for scope in scopes) or "<li>basic access</li>"
    body = f"""
<div class="card {network}">
  <h1>Sandbox {esc(label)}: authorise Diplomacy Hub?</h1>
  <p class="muted">The application <code>{esc(client_id or "(no client id)")}</code> asks to:</p>
  <ul class="scopes">{scope_items}</ul>
  <form method="post">
    <label for="account_id">Account id <span class="muted">({esc(_ACCOUNT_KIND[network])})</span></label>
    <input id="account_id" name="account_id" value="{esc(account_id)}" required
           pattern="[A-Za-z0-9_@\\-]{{1,64}}">
    <label for="display_name">Display name</label>
    <input id="display_name" name="display_name" value="Sandbox {esc(label)} {esc(suffix)}">
    <label for="handle">Handle</label>
    <input id="handle" name="handle" value="sandbox_{esc(suffix)}">
    <div class="actions">
      <button class="primary" id="authorize" type="submit" name="decision"
              value="authorize">Authorise</button>
      <button id="deny" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
    </div>
  </form>
  <p class="muted">Tokens issued here name this account, so they keep working after a sandbox
  restart. Use the id of an existing sandbox account to reconnect it.</p>
</div>"""
    return page(f"Sandbox {label}: authorise Diplomacy Hub?", body)


def read_consent(call: Call, *, network: str) -> Consent:
    """The person's decision, posted by the consent page. An approval registers the
    account under the name and handle chosen."""
    form = call.request.form
    if form.get("decision") != "authorize":
        return Consent(approved=False, account=None)
    account_id = form.get("account_id", "").strip()
    if not tokens.ACCOUNT_ID.match(account_id):
        raise Reply(error_page("Invalid account id", "Use 1 to 64 letters, digits, '_', '-' or '@' (no dots)."))
    default = call.state.account(network, account_id)
    account = call.state.register_account(
        network,
        account_id,
        form.get("display_name", "").strip() or default.name,
        form.get("handle", "").strip().lstrip("@") or default.handle,
    )
    return Consent(approved=True, account=account)


def require_redirect_uri(uri: str) -> str:
    """The OAuth redirect_uri (or oauth_callback): an absolute http(s) URL."""
    if not uri.startswith(("http://", "https://")):
        raise Reply(error_page("Invalid redirect_uri", "The application sent no valid redirect_uri."))
    return uri
