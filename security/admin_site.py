"""The Django admin, behind the same second factor as the rest of the site."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from diplomacy_hub import policy
from embassies.roles import Role
from security.two_factor import lacks_verification


class VerifiedAdminSite(admin.AdminSite):
    """The admin site, refused to a session that still owes its second factor (defence in
    depth: TwoFactorRequiredMiddleware already sends such a session to the code page), and
    logging in through the site's own login page, where throttling and the second factor
    apply, instead of a login form of its own."""

    def has_permission(self, request) -> bool:
        # The administrator role opens the admin as `is_staff` does: a role given on the
        # staff page must be enough to reach the admin pages it links to (enrolment
        # grants). What each page then allows is the policy's (the ModelAdmins ask it).
        user = request.user
        may_enter = user.is_active and (user.is_staff or policy.has_role(user, Role.ADMINISTRATOR))
        return may_enter and not lacks_verification(user)

    def login(self, request, extra_context=None):
        target = request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(target)
            # Signed in, yet sent here: the admin is not theirs. Sending them to log in again
            # would go round in circles.
            raise PermissionDenied("Not allowed: the administration")
        return redirect_to_login(target)
