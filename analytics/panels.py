"""Analytics' panel on a message's page (posts.panels): its numbers per account and
language (the first page of them) and per region, with a link to the whole table."""

from __future__ import annotations

from analytics import selectors
from posts.panels import Panel


def message_numbers_panel(user, message) -> Panel | None:
    numbers = selectors.message_numbers(message=message, page=1)
    if not numbers["accounts"].rows:  # nothing went out: a draft, or all cancelled
        return None
    page = numbers["page"]
    # The first page only, and a link to the rest (no pager here): how many there are.
    more = page.paginator.count if page.has_other_pages() else 0
    return Panel("analytics/_message_panel.html", {"message": message, "accounts_total": more, **numbers})
