"""The review queue: messages waiting for this reviewer, filtered, a fixed few queries per
page (the reads are posts/selectors/messages.py's `review_queue_filtered`)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from diplomacy_hub import policy
from posts.forms import ReviewQueueFilterForm
from posts.renderers import fast_renderer
from posts.selectors import messages as selectors
from posts.views.common import render_page

QUEUE_PAGE_SIZE = 25


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Messages waiting for this reviewer: crisis alerts first, then by desired time, then
    the oldest; filtered; a fixed few queries per page."""
    policy.require(request.user, "message.review_queue")
    form = ReviewQueueFilterForm(request.GET or None, missions=selectors.missions_for_filters(user=request.user))
    form.renderer = fast_renderer
    chosen = form.filters()
    queue = selectors.review_queue_filtered(
        user=request.user,
        priority=chosen["priority"],
        region=chosen["region"],
        mission=int(chosen["mission"]) if chosen["mission"] else None,
        network=chosen["network"],
        date_from=chosen["date_from"],
        date_to=chosen["date_to"],
    )
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_target_networks(list(page.object_list))
    return render_page(
        request,
        "posts/review_queue.html",
        {
            "form": form,
            "page": page,
            "filtered": any(chosen.values()),
            "now": timezone.now(),
        },
    )
