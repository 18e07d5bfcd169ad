"""The Django admin, behind the same second factor as the rest of the site, and with the
ids in its addresses (list filters, an add page's `?user=`) checked before any query."""

from datetime import datetime
from functools import wraps

from django.contrib import admin
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import models
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from diplomacy_hub import policy
from diplomacy_hub.errors import InvalidInput
from diplomacy_hub.ids import parse_integer
from diplomacy_hub.localtime import EARLIEST_DATE, LATEST_DATE
from embassies.roles import Role
from security.two_factor import lacks_verification


def _lookup(model: type[models.Model], key: str) -> tuple[models.Field | None, list[str]]:
    """The field a lookup ("mission", "mission__id__exact", "created_at__year") compares
    (a relation's target: an id), and the lookups and transforms after it."""
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
    if field is not None and field.is_relation and field.related_model is not None:
        field = getattr(field, "target_field", None) or field.related_model._meta.pk
    return field, parts[used:]


def _parts(value: str, lookup: str) -> list[str]:
    return value.split(",") if lookup == "in" else [value]


def _date_part_refusal(key: str, lookup: str, value: str) -> str | None:
    number = parse_integer(value)
    if number is None or not 0 <= number <= 9999:
        return _("“%(name)s” in the address must be a number: “%(value)s” is not one.") % {
            "name": key,
            "value": Truncator(value).chars(40),
        }
    if lookup in ("year", "iso_year") and not EARLIEST_DATE.year <= number <= LATEST_DATE.year:
        return _("“%(name)s” in the address must be a year between %(earliest)s and %(latest)s.") % {
            "name": key,
            "earliest": EARLIEST_DATE.year,
            "latest": LATEST_DATE.year,
        }
    return None


def _date_refusal(key: str, value: str) -> str | None:
    try:
        moment = parse_datetime(value) or parse_date(value.split(" ")[0])
    except ValueError:
        return None  # not a date at all: Django refuses it with its own page
    day = moment.date() if isinstance(moment, datetime) else moment
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        return _("“%(name)s” in the address must be a date between %(earliest)s and %(latest)s.") % {
            "name": key,
            "earliest": EARLIEST_DATE.isoformat(),
            "latest": LATEST_DATE.isoformat(),
        }
    return None


def _ip_refusal(key: str, lookup: str, value: str) -> str | None:
    for part in _parts(value, lookup):
        try:
            validate_ipv46_address(part.strip())
        except ValidationError:
            return _("“%(name)s” in the address must be an IP address: “%(value)s” is not one.") % {
                "name": key,
                "value": Truncator(part).chars(40),
            }
    return None


def _integer_refusal(key: str, value: str) -> str | None:
    for part in value.split(",") if "," in value else [value]:
        if parse_integer(part) is None:
            return _("“%(name)s” in the address must be an id (a number): “%(value)s” is not one.") % {
                "name": key,
                "value": Truncator(part).chars(40),
            }
    return None


def _refusal(key: str, field: models.Field | None, rest: list[str], value: str) -> str | None:
    """Why `value` cannot be bound for the lookup `key`, in words, or None when it can (or
    when Django itself refuses it with its own page)."""
    lookup = rest[0] if rest else "exact"
    if field is None or lookup == "isnull":
        return None
    if isinstance(field, models.DateField):
        return _date_part_refusal(key, lookup, value) if lookup in DATE_PARTS else _date_refusal(key, value)
    if isinstance(field, models.GenericIPAddressField):
        return _ip_refusal(key, lookup, value) if lookup in ("exact", "in", "gt", "gte", "lt", "lte") else None
    if isinstance(field, models.IntegerField):
        return _integer_refusal(key, value)
    return None


# The parts of a date a lookup may compare (created_at__year=2026).
DATE_PARTS = {"year", "iso_year", "month", "day", "week", "week_day", "iso_week_day", "quarter", "hour", "minute"}


def check_admin_query(model: type[models.Model], query: QueryDict) -> None:
    """Raise InvalidInput when the address holds a NUL byte, or a value that a lookup (a
    list filter, the date hierarchy, an add page's initial value) could not bind: a word
    or a number past 64 bits for an id, a date or a year out of the bound on dates."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise InvalidInput(_("The address holds a character that no name or id contains (NUL)."))
        if key == TO_FIELD_VAR and not all(values):
            # Django checks the field it names, but an empty one slips past to a lookup by "".
            raise InvalidInput(_("“%(name)s” in the address must name a field.") % {"name": key})
        field, rest = _lookup(model, key)
        for value in values:
            refusal = _refusal(key, field, rest, value)
            if refusal:
                raise InvalidInput(refusal)


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
