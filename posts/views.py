from django.shortcuts import render

from diplomacy_hub import policy


def dashboard(request):
    """What needs this user now; each role sees its own panels."""
    missions = policy.missions_visible_to(request.user).order_by("name")
    return render(request, "posts/dashboard.html", {
        "my_missions": missions if not policy.sees_all_missions(request.user) else missions.none(),
    })
