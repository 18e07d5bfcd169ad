from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from embassies import selectors
from embassies.models import Mission


def mission_list(request):
    region = request.GET.get("region", "")
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    missions = selectors.mission_list(user=request.user, region=region, kind=kind, query=query)
    page = Paginator(missions, 50).get_page(request.GET.get("page"))
    return render(request, "embassies/mission_list.html", {
        "page": page,
        "regions": Mission.Region.choices,
        "kinds": Mission.Kind.choices,
        "region": region,
        "kind": kind,
        "query": query,
        "now": timezone.now(),
    })


def mission_detail(request, code: str):
    mission = selectors.mission_get(user=request.user, code=code)
    return render(request, "embassies/mission_detail.html", {"mission": mission, "now": timezone.now()})
