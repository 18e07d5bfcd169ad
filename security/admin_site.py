"""The Django admin, behind the same second factor as the rest of the site, and with the
ids in its addresses (list filters, an add page's `?user=`) checked before any query."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from diplomacy_hub import policy
from diplomacy_hub.errors import InvalidInput
from diplomacy_hub.ids import parse_integer
from embassies.roles import Role
from security.two_factor import lacks_verification


def _integer_lookup(model: type[models.Model], key: str) -> tuple[bool, str]:
    """Whether the lookup `key` ("mission", "mission__id__exact", "user__in") compares an
    integer (an id, through any relation), and its last part ("exact", "in", ...)."""
    opts, field = model._meta, None
    parts = key.split("__")
    used = 0
    for part in parts:
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            break
        used += 1
        if field.is_relation and field.related_model is not None:
            opts = field.related_model._meta
    if field is None:
        return False, ""
    if field.is_relation and field.related_model is not None:
        field = getattr(field, "target_field", None) or field.related_model._meta.pk
    lookup = parts[used] if used < len(parts) else "exact"
    return isinstance(field, models.IntegerField) and lookup != "isnull", lookup


def check_admin_query(model: type[models.Model], query: QueryDict) -> None:
    """Raise InvalidInput when the address holds a NUL byte, or a value that a lookup on an
    integer field (a list filter, an add page's initial value) could not bind: a word, or
    a number past 64 bits."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise InvalidInput(_("The address holds a character that no name or id contains (NUL)."))
        integer, lookup = _integer_lookup(model, key)
        if not integer:
            continue
        for value in values:
            for part in value.split(",") if lookup == "in" or "," in value else [value]:
                if parse_integer(part) is None:
                    raise InvalidInput(
                        _("“%(name)s” in the address must be an id (a number): “%(value)s” is not one.")
                        % {"name": key, "value": Truncator(part).chars(40)}
                    )


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

    def admin_view(self, view, cacheable=False):
        """Every model admin's page checks its address's ids, once the user is let in."""
        model = getattr(getattr(view, "__self__", None), "model", None)
        if model is None:
            return super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request, *args, **kwargs):
            check_admin_query(model, request.GET)
            return view(request, *args, **kwargs)

        return super().admin_view(checked, cacheable)

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
