"""Reading what publishing achieved, for the dashboards: every table is a `Table` (its
columns and rows), drawn as HTML beside its chart and exported as CSV alike. Each reads
with a fixed number of queries, whatever the number of rows, and only what the user's
missions allow (policy.scope).

A number the network did not give is None (shown as "unknown", with the reason where a row
has one), never 0. Messages are compared on their 24-hour reading: the same age for all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractHour
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.models import AccountDaily, Age, AudienceDay, DeliverySnapshot, MessageDay, MessageRegion, Unknown
from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from diplomacy_hub.ids import parse_id
from embassies.models import Mission
from globaltime.audience import EngagedHour, awake_at_hour
from posts.models import Delivery, Message

COMPARED_AT = Age.DAY
AUDIENCE_DAYS = 30
TOP = 10
PER_PAGE = 50  # a message's accounts per page: a crisis alert goes to all 1,084


@dataclass
class Table:
    key: str
    caption: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # one per row, or none


def _known(total: Any, count: int | None) -> Any:
    """A sum over rows of which none had the number is unknown, not 0."""
    return total if count else None


def _labels(choices: Sequence[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _reach() -> dict[str, Any]:
    return {
        "messages": Count("message", distinct=True),
        "total_views": Sum("views"),
        "views_known": Sum("views_known"),
        "engagement": Sum("engagement"),
        "read_rows": Sum("read"),
    }


# --- The press office's comparison (and each officer's, over their own missions) ----------


def comparison(*, user, now: datetime | None = None) -> dict[str, Any]:
    """Regions, networks and missions compared: followers on the latest day read, and the
    week's messages' reactions, replies and shares at 24 hours (the seven UTC days ending
    today); the week's top messages. Read from the pre-summed rows (analytics.rollups)."""
    today = (now or timezone.now()).astimezone(UTC).date()
    audience = policy.scope(user, AudienceDay.objects.all(), mission_field="mission")
    day = audience.aggregate(day=Max("day"))["day"]
    reach = policy.scope(
        user, MessageDay.objects.filter(day__gt=today - timedelta(days=7), day__lte=today), mission_field="mission"
    )
    daily = audience.filter(day=day)

    def grouped(key: str, labels: dict[str, str], table_key: str, caption: str, column: str) -> Table:
        followers = {
            row["group"]: row
            for row in daily.values(group=F(key))
            .annotate(total=Sum("followers"), known=Sum("followers_known"), unknowns=Sum("unknowns"))
            .order_by()
        }
        reached = {row["group"]: row for row in reach.values(group=F(key)).annotate(**_reach()).order_by()}
        table = Table(
            table_key,
            caption,
            [column, _("Followers"), _("Accounts unknown"), _("Messages"), _("Views"), _("Reactions, replies, shares")],
        )
        for value, label in labels.items():
            f: dict[str, Any] = dict(followers.get(value) or {})
            r: dict[str, Any] = dict(reached.get(value) or {})
            table.rows.append(
                [
                    label,
                    _known(f.get("total"), f.get("known")),
                    f.get("unknowns") or 0,
                    r.get("messages", 0),
                    _known(r.get("total_views"), r.get("views_known")),
                    _known(r.get("engagement"), r.get("read_rows")),
                ]
            )
        return table

    by_region = grouped("region", _labels(Mission.Region.choices), "regions", _("By region"), _("Region"))
    by_network = grouped("network", _labels(Network.choices), "networks", _("By network"), _("Network"))
    missions = Table(
        "missions",
        _("Missions with the most reactions this week"),
        [_("Mission"), _("Messages"), _("Views"), _("Reactions, replies, shares")],
    )
    for row in (
        reach.filter(read__gt=0)
        .values("mission__code", "mission__name")
        .annotate(**_reach())
        .order_by("-engagement", "mission__code")[:TOP]
    ):
        missions.rows.append(
            [row["mission__name"], row["messages"], _known(row["total_views"], row["views_known"]), row["engagement"]]
        )
        missions.links.append(row["mission__code"])
    top = messages_ranked(rows=reach, key="top", caption=_("Top messages of the week"), descending=True)
    return {
        "day": day,
        "regions": by_region,
        "networks": by_network,
        "missions": missions,
        "top": top,
        "regions_chart": bar_chart(by_region, value_column=5),
        "networks_chart": bar_chart(by_network, value_column=5),
    }


def bar_chart(table: Table, *, value_column: int) -> dict[str, Any]:
    """A chart's data from a table's first column and one of its numbers (None: unknown)."""
    return {
        "labels": [str(row[0]) for row in table.rows],
        "datasets": [{"label": table.columns[value_column], "data": [row[value_column] for row in table.rows]}],
    }


def messages_ranked(*, rows: QuerySet[MessageDay], key: str, caption: str, descending: bool) -> Table:
    ranked = list(
        rows.filter(read__gt=0)
        .values("message_id")
        .annotate(
            accounts=Sum("accounts"),
            total_views=Sum("views"),
            views_known=Sum("views_known"),
            total_likes=Sum("likes"),
            total_comments=Sum("comments"),
            total_shares=Sum("shares"),
            engagement=Sum("engagement"),
        )
        .order_by("-engagement" if descending else "engagement", "message_id")[:TOP]
    )
    # The titles of the ten alone: joined before grouping, a week's rows each read a message.
    titles = dict(Message.objects.filter(pk__in=[row["message_id"] for row in ranked]).values_list("pk", "title"))
    table = Table(
        key,
        caption,
        [
            _("Message"),
            _("Accounts"),
            _("Views"),
            _("Reactions"),
            _("Replies"),
            _("Shares"),
            _("Reactions, replies, shares"),
        ],
    )
    for row in ranked:
        table.rows.append(
            [
                titles.get(row["message_id"], ""),
                row["accounts"],
                _known(row["total_views"], row["views_known"]),
                row["total_likes"],
                row["total_comments"],
                row["total_shares"],
                row["engagement"],
            ]
        )
        table.links.append(str(row["message_id"]))
    return table


# --- A mission's dashboard ---------------------------------------------------------------------


def mission_dashboard(*, mission: Mission, now: datetime | None = None) -> dict[str, Any]:
    """The mission's audience (followers per network per day, 30 days; each account's latest
    number and why it is unknown), and its best and worst messages of those 30 days."""
    today = (now or timezone.now()).astimezone(UTC).date()
    first = today - timedelta(days=AUDIENCE_DAYS - 1)
    accounts = list(SocialAccount.objects.filter(mission=mission).order_by("network", "pk"))
    # The mission's own raw rows: a few accounts times 30 days, through (account, day).
    rows = list(
        AccountDaily.objects.filter(account__mission=mission, day__gte=first)
        .order_by("day")
        .values("account_id", "account__network", "day", "followers", "unknown")
    )
    days = [first + timedelta(days=n) for n in range(AUDIENCE_DAYS)]
    per_network: dict[str, dict[date, int]] = defaultdict(dict)
    latest: dict[int, Any] = {}
    first_known: dict[int, int] = {}
    for row in rows:
        if row["followers"] is not None:
            totals = per_network[row["account__network"]]
            totals[row["day"]] = totals.get(row["day"], 0) + row["followers"]
            first_known.setdefault(row["account_id"], row["followers"])
        latest[row["account_id"]] = row
    networks = _labels(Network.choices)
    unknown = _labels(Unknown.choices)
    series: dict[str, Any] = {
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {"label": networks[network], "data": [totals.get(day) for day in days]}
            for network, totals in sorted(per_network.items())
        ],
    }
    audience = Table(
        "audience",
        _("Audience"),
        [_("Network"), _("Account"), _("Followers"), _("Change over 30 days"), _("Unknown because")],
    )
    for account in accounts:
        last = latest.get(account.pk)
        followers = last["followers"] if last else None
        change = followers - first_known[account.pk] if followers is not None and account.pk in first_known else None
        reason = unknown.get(last["unknown"], "") if last else _("Not read yet")
        if last and followers is None and not last["unknown"]:
            reason = unknown[Unknown.NOT_GIVEN]
        audience.rows.append(
            [networks.get(account.network, account.network), account.handle, followers, change, reason]
        )
    daily_table = Table("followers", _("Followers per day"), [_("Day"), *[d["label"] for d in series["datasets"]]])
    for index, day in enumerate(days):
        daily_table.rows.append([day, *[d["data"][index] for d in series["datasets"]]])
    read = MessageDay.objects.filter(mission=mission, day__gte=first, day__lte=today)
    best = messages_ranked(rows=read, key="best", caption=_("Best messages (30 days)"), descending=True)
    worst = messages_ranked(rows=read, key="worst", caption=_("Least read messages (30 days)"), descending=False)
    return {"series": series, "audience": audience, "followers": daily_table, "best": best, "worst": worst}


# --- One message: per account and language, and (a crisis alert) per region ----------------------


def message_visible(*, user, pk: int) -> Message:
    """The message whose numbers are asked, or Http404: seen as posts lets this user see it
    (policy.scope_messages), without what only its own page shows (1,084 targets...)."""
    message = policy.scope_messages(user, Message.objects.only("pk", "title")).filter(pk=parse_id(pk)).first()
    if message is None:
        raise Http404("No such message.")
    return message


def _clicks(last: DeliverySnapshot | None, unknown: dict[str, str]) -> int | str | None:
    """Link clicks, or "unknown" with the reason the network gave none: never 0."""
    if last is None or last.clicks is not None:
        return last.clicks if last else None
    if last.clicks_unknown:
        return _("unknown: %(reason)s") % {"reason": unknown.get(last.clicks_unknown, "")}
    return None


def _read_from(network: str, last: DeliverySnapshot | None, unknown: dict[str, str]) -> str:
    """For YouTube, whether the numbers came from YouTube Analytics as well as from the
    video's statistics, and why not; the other networks have one source."""
    if network != Network.YOUTUBE or last is None or last.unknown:
        return ""
    if not last.analytics_unknown:
        return _("YouTube Analytics and statistics")
    return _("Statistics only: %(reason)s") % {"reason": unknown.get(last.analytics_unknown, "")}


def message_numbers(*, message: Message, page: int | str | None = 1) -> dict[str, Any]:
    """One message's numbers: per account and language (its latest reading; PER_PAGE rows a
    page, every row when `page` is None, for the CSV), and its reach per region (accounts
    and published counted live; views and reactions pre-summed, analytics.rollups)."""
    deliveries = (
        Delivery.objects.filter(message=message)
        .exclude(state=Delivery.State.CANCELLED)
        .select_related("account__mission")
        .order_by("account__mission__region", "account__mission__code", "account__network", "language", "pk")
    )
    shown = None
    if page is None:
        listed = list(deliveries)
    else:
        shown = Paginator(deliveries, PER_PAGE).get_page(page)
        listed = list(shown.object_list)
    latest: dict[int, DeliverySnapshot] = {}
    snapshots = DeliverySnapshot.objects.filter(delivery_id__in=[delivery.pk for delivery in listed])
    for snapshot in snapshots.order_by("delivery_id", "age_hours"):
        latest[snapshot.delivery_id] = snapshot  # ordered by age: the last is the latest
    unknown = _labels(Unknown.choices)
    networks = _labels(Network.choices)
    per_account = Table(
        "accounts",
        _("Per account and language (latest reading)"),
        [
            _("Mission"),
            _("Network"),
            _("Language"),
            _("Read at"),
            _("Views"),
            _("Reactions"),
            _("Replies"),
            _("Shares"),
            _("Link clicks"),
            _("Minutes watched"),
            _("Subscribers gained"),
            _("Read from"),
            _("Unknown because"),
        ],
    )
    for delivery in listed:
        last = latest.get(delivery.pk)
        age = str(Age(last.age_hours).label) if last else ""
        if last is None:
            reason = _("Not read yet") if delivery.state == Delivery.State.SENT else _("Not published")
        else:
            reason = unknown.get(last.unknown, "")
        numbers = [last.views, last.likes, last.comments, last.shares] if last else [None] * 4
        per_account.rows.append(
            [
                delivery.account.mission.display_name,
                networks.get(delivery.account.network, ""),
                delivery.language.upper(),
                age,
                *numbers,
                _clicks(last, unknown),
                last.watch_minutes if last else None,
                last.subscribers_gained if last else None,
                _read_from(delivery.account.network, last, unknown),
                reason,
            ]
        )
    counted = (
        Delivery.objects.filter(message=message)
        .exclude(state=Delivery.State.CANCELLED)
        .values(region=F("account__mission__region"))
        .annotate(accounts=Count("pk"), reached=Count("pk", filter=Q(state=Delivery.State.SENT)))
        .order_by("region")
    )
    reach = {summed.region: summed for summed in MessageRegion.objects.filter(message=message)}
    per_region = Table(
        "regions",
        _("Reach per region"),
        [_("Region"), _("Accounts"), _("Published"), _("Views"), _("Reactions, replies, shares")],
    )
    region_labels = _labels(Mission.Region.choices)
    for row in counted:
        summed = reach.get(row["region"])
        per_region.rows.append(
            [
                region_labels.get(row["region"], row["region"]),
                row["accounts"],
                row["reached"],
                summed.views if summed else None,
                summed.engagement if summed else None,
            ]
        )
    chart = {
        "labels": [row[0] for row in per_region.rows],
        "datasets": [{"label": str(gettext_lazy("Views")), "data": [row[3] for row in per_region.rows]}],
    }
    return {"accounts": per_account, "regions": per_region, "chart": chart, "page": shown}


# --- When a mission's audience engaged most (issue 18 §5) ----------------------------------------

# Eight weeks: long enough to hold a few messages per hour, short enough to follow a change
# of habits (a new season, a new network).
ENGAGED_WEEKS = 8
# Fewer messages than this, in all or in the best hour, is chance, not a habit: the
# suggestion falls back to the audience's awake hours.
ENGAGED_MIN_MESSAGES = 10
ENGAGED_MIN_IN_HOUR = 3


def _engagement() -> Any:
    return Coalesce(Sum("likes"), 0) + Coalesce(Sum("comments"), 0) + Coalesce(Sum("shares"), 0)


def engaged_hour(mission: Mission, now: datetime) -> EngagedHour | None:
    """The hour of the mission's local day (its zone, its audience's awake hours) whose
    messages, published in the last ENGAGED_WEEKS weeks, earned the most reactions, replies
    and shares per view at 24 hours; None below ENGAGED_MIN_MESSAGES messages read in all or
    ENGAGED_MIN_IN_HOUR in that hour. A reading without views (a network that gives none,
    a number unknown) has no rate and does not count. One query."""
    rows = (
        DeliverySnapshot.objects.filter(
            account__mission=mission,
            age_hours=COMPARED_AT,
            unknown="",
            views__gt=0,
            delivery__sent_at__gte=now - timedelta(weeks=ENGAGED_WEEKS),
            delivery__sent_at__lte=now,
        )
        .annotate(hour=ExtractHour("delivery__sent_at", tzinfo=mission.zone))
        .values("hour")
        .annotate(messages=Count("delivery__message", distinct=True), views=Sum("views"), engagement=_engagement())
        .order_by("hour")
    )
    hours = list(rows)
    if sum(row["messages"] for row in hours) < ENGAGED_MIN_MESSAGES:
        return None
    trusted = [
        row for row in hours if row["messages"] >= ENGAGED_MIN_IN_HOUR and awake_at_hour(mission, int(row["hour"]))
    ]
    if not trusted:
        return None
    # The earliest hour wins a tie: the same answer on every page.
    best = max(trusted, key=lambda row: (row["engagement"] / row["views"], -row["hour"]))
    return EngagedHour(hour=int(best["hour"]), weeks=ENGAGED_WEEKS, messages=sum(row["messages"] for row in hours))
