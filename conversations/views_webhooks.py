"""The networks' pushes: X's Activity API and Facebook's Page `feed` webhooks.

Open without login (the network calls them) and exempt from CSRF (no cookie or session is
read: each POST is proven by the network's HMAC signature over its body instead). A GET
answers the network's subscription check; a POST answers 200 only once the delivery is
committed as received (its items are ingested off the request path, within a second or
two: conversations.services.webhooks), 403 when unsigned or forged (nothing stored), 413 or
400 when oversized or malformed (logged).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from conversations.services.webhooks import MalformedDelivery, webhook_challenge, webhook_receive, webhook_verify

logger = logging.getLogger(__name__)


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt  # safe: no cookie or session is read; every POST is proven by the network's HMAC signature
@login_not_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, network: str) -> HttpResponse:
    if request.method == "GET":
        answer, content_type = webhook_challenge(network=network, params=request.GET.dict())
        if answer is None:
            logger.warning("A %s webhook check that does not hold, from %s.", network, request.META.get("REMOTE_ADDR"))
            return _refuse(403, _("This subscription check is not valid."))
        return HttpResponse(answer, content_type=content_type)

    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refuse(400, _("The Content-Length header is not a number."))
    if length > settings.WEBHOOK_MAX_BYTES:
        logger.warning("A %s webhook of %d bytes refused: too large.", network, length)
        return _refuse(413, _("The delivery is larger than %(max)d bytes.") % {"max": settings.WEBHOOK_MAX_BYTES})
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BYTES:
        return _refuse(413, _("The delivery is larger than %(max)d bytes.") % {"max": settings.WEBHOOK_MAX_BYTES})
    if not webhook_verify(network=network, body=body, headers=request.headers):
        logger.warning(
            "A %s webhook with no valid signature, from %s: refused.", network, request.META.get("REMOTE_ADDR")
        )
        return _refuse(403, _("The signature is missing or does not match."))
    try:
        parts = webhook_receive(network=network, body=body)
    except MalformedDelivery as exc:
        logger.warning("A malformed %s webhook refused: %s", network, exc)
        return _refuse(400, _("The delivery is not a %(network)s webhook payload.") % {"network": network})
    return JsonResponse({"received": parts})
