"""Reads of missions, always through the policy's scope, and of staff (for the pages that
the policy keeps to administrators: the caller asks `staff.manage` first)."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import CharField, Count, Func, IntegerField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, StrIndex
from django.http import Http404
from django.shortcuts import get_object_or_404

from diplomacy_hub import policy
from diplomacy_hub.ids import parse_slug
from embassies.models import Mission, StaffMembership
from embassies.names import by_name, codes_named, in_reader_language, reader_language, sort_key
from embassies.roles import Role


def missions_visible_to(user) -> QuerySet[Mission]:
    """Every mission the user may see (policy.scope on the missions themselves)."""
    return policy.scope(user, Mission.objects.all(), mission_field="")


def mission_list(
    *, user, region: str = "", kind: str = "", query: str = "", with_counts: bool = False
) -> list[Mission]:
    """The missions the user may see, filtered, by name in the reader's language (271 at
    most, read in one query); `with_counts` adds each one's `staff_count`,
    `accounts_total` and `accounts_connected` (administrators' columns)."""
    missions = missions_visible_to(user)
    if region:
        missions = missions.filter(region=region)
    if kind:
        missions = missions.filter(kind=kind)
    if query:
        missions = missions.filter(
            Q(name__icontains=query)
            | Q(name_fr__icontains=query)
            | Q(city__icontains=query)
            | Q(city_fr__icontains=query)
            | Q(code__icontains=query)
            | Q(country_code__iexact=query)
            | Q(code__in=codes_named(query))
        )
    if with_counts:
        missions = missions.annotate(
            staff_count=Count("memberships", distinct=True),
            accounts_total=Count("social_accounts", distinct=True),
            accounts_connected=Count("social_accounts", filter=Q(social_accounts__status="connected"), distinct=True),
        )
    return by_name(missions)


def mission_name_order(path: str = "mission") -> Func:
    """An expression to order rows by their mission's name in the reader's language, as
    `by_name` sorts it (accents and case folded, linking words ignored), which SQL cannot:
    each mission's place in a list of the missions' ids in that order. `path` leads from
    the rows to their mission ("account__mission"; "pk" for missions themselves). One small
    query (271 names); a mission missing from the list comes last.

    The list is one string parameter, ",12,3,…,", and a row's place is where its ",id,"
    starts in it (STRPOS, INSTR): a CASE of 271 branches cost its queries more to build
    than to run (bench/pages.py's delivery monitor)."""
    rows = tuple(Mission.objects.order_by("pk").values_list("pk", "code", "name", "name_fr"))
    place = StrIndex(
        Value(_ranked_ids(reader_language(), rows), output_field=CharField()),
        Concat(Value(","), Cast(path, CharField()), Value(","), output_field=CharField()),
    )
    return Coalesce(NullIf(place, Value(0)), Value(_LAST), output_field=IntegerField())


_LAST = 2**31 - 1  # the place of a mission not in the list (created since it was read)


@lru_cache(maxsize=32)
def _ranked_ids(language: str, rows: tuple[tuple[int, str, str, str], ...]) -> str:
    """ ",12,3,…,": the missions' ids in the order of their names in `language`, sorted once
    per process for the same names (the key holds every name: a renamed mission sorts again)."""
    names = {
        pk: sort_key(in_reader_language(name, name_fr, code=code, language=language))
        for pk, code, name, name_fr in rows
    }
    return "," + "".join(f"{pk}," for pk in sorted(names, key=lambda pk: (names[pk], pk)))


def mission_get(*, user, code: str) -> Mission:
    """The mission with this code, or Http404 when it is not visible to the user (or the
    code could name no mission)."""
    if parse_slug(code) is None:
        raise Http404("No such mission.")
    return get_object_or_404(missions_visible_to(user), code=code)


def missions_to_attach(*, exclude: set[int] | None = None) -> list[Mission]:
    """The active missions a person may be attached to (less those in `exclude`), by region
    then name in the reader's language, for the attach form's choices."""
    missions = by_name(Mission.objects.active().exclude(pk__in=exclude or ()))
    return sorted(missions, key=lambda mission: mission.region)


def mission_ids_to_attach(*, codes: list[str]) -> list[int]:
    """The ids of the active missions with these codes."""
    return list(Mission.objects.active().filter(code__in=codes).values_list("pk", flat=True))


def mission_to_attach(*, code: str) -> Mission:
    """The active mission with this code (DoesNotExist otherwise), for the attach form."""
    return Mission.objects.active().get(code=code)


def mission_staff(*, mission: Mission) -> list[StaffMembership]:
    """The mission's memberships by name, each with its user and the user's groups."""
    return list(
        StaffMembership.objects.filter(mission=mission)
        .select_related("user")
        .prefetch_related(Prefetch("user__groups", queryset=Group.objects.order_by("name")))
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def _people() -> QuerySet:
    """Users, each with their roles (`groups`, by name) and memberships (by mission name)."""
    return get_user_model().objects.prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=Role.values).order_by("name")),
        Prefetch(
            "memberships",
            queryset=StaffMembership.objects.select_related("mission").order_by(mission_name_order("mission")),
        ),
    )


def staff_list(*, role: str = "", query: str = "") -> QuerySet:
    """Everyone, active first then by name, with their roles and missions (a constant number
    of queries a page); filtered by role (a Role value, or "none": no role) and by a search
    in name, username, e-mail and mission code or name."""
    people = _people()
    if role == "none":
        people = people.exclude(groups__name__in=Role.values)
    elif role in Role.values:
        people = people.filter(groups__name=role)
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(memberships__mission__code__icontains=query)
            | Q(memberships__mission__name__icontains=query)
            | Q(memberships__mission__name_fr__icontains=query)
        ).distinct()
    return people.order_by("-is_active", "last_name", "first_name", "username")


def person_get(*, user_id: int):
    """One user, with their roles and memberships, or Http404."""
    return get_object_or_404(_people(), pk=user_id)
