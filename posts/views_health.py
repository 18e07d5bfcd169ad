"""GET /healthz: the publishing engine's health as JSON, for load balancers and monitoring.

Open without login (it shows counts and ages, no message or account); 200 when healthy,
503 when red, with the reasons in words. The press office's health page renders the same
report (posts.health.health_report).
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from posts.health import health_report


@login_not_required
@never_cache
@require_GET
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
