"""The analytics pages: scoped to the user's missions, unknown shown as unknown (never 0),
every table exported as CSV, charts given their data in an escaped attribute (no inline
script), and a constant number of queries however many rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import AccountDaily, Unknown
from analytics.rollups import rollups_refresh
from channels.models import Network
from tests.analytics.conftest import sent
from tests.posts.factories import account, draft_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def cairo():
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK)
    today = timezone.now().date()
    for days_ago, followers in ((2, 1000), (1, 1010), (0, 1025)):
        AccountDaily.objects.create(
            account=cairo_x, day=today - timedelta(days=days_ago), followers=followers, collected_at=timezone.now()
        )
    AccountDaily.objects.create(
        account=cairo_fb, day=today, followers=None, unknown=Unknown.PERMISSION, collected_at=timezone.now()
    )
    rollups_refresh(days=[today - timedelta(days=n) for n in range(3)])
    return cairo_x, cairo_fb


def test_a_mission_dashboard_shows_audience_best_and_worst(client, cairo):
    cairo_x, _fb = cairo
    sent(cairo_x, title="Fête nationale", likes=50)
    sent(cairo_x, title="Visa <script>alert(1)</script>", likes=2)
    force_verified_login(client, officer("emb-eg-cairo"))
    page = client.get(reverse("analytics:mission", args=["emb-eg-cairo"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "1,025" in html
    assert "+25" not in html
    assert "The account lost its permission" in html  # the Facebook Page: unknown, with why
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    best, worst = page.context["best"], page.context["worst"]
    assert [row[0] for row in best.rows] == ["Fête nationale", "Visa <script>alert(1)</script>"]
    assert next(row[0] for row in worst.rows) == "Visa <script>alert(1)</script>"
    series = json.loads(page.context["series"] and json.dumps(page.context["series"]))
    assert series["labels"][-1] == timezone.now().date().isoformat()
    assert series["datasets"][0]["data"][-3:] == [1000, 1010, 1025]
    assert 'data-source="chart-audience" data-values="{&quot;labels&quot;' in html
    assert "<script>" not in html.replace("<script src=", "")


def test_an_unknown_number_is_never_shown_as_zero(client, cairo):
    cairo_x, _fb = cairo
    sent(cairo_x, title="Gone", likes=None, views=None, unknown=Unknown.GONE)
    force_verified_login(client, press_officer())
    page = client.get(reverse("analytics:overview"))
    regions = {row[0]: row for row in page.context["regions"].rows}
    africa = regions["Middle East & North Africa"]
    assert africa[1] == 1025  # the X account's followers; the Page's unknown is not a 0
    assert africa[2] == 1  # one account unknown
    assert africa[5] is None  # nothing read about the week's message: unknown, not 0
    assert page.context["regions"].rows
    assert "unknown" in page.content.decode()


def test_every_table_is_exported_as_csv(client, cairo):
    cairo_x, _fb = cairo
    sent(cairo_x, title='=HYPERLINK("http://evil")', likes=5)
    force_verified_login(client, press_officer())
    answer = client.get(reverse("analytics:overview"), {"csv": "top"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][0] == "Message"
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'  # never a formula in a spreadsheet
    assert client.get(reverse("analytics:overview"), {"csv": "nothing"}).status_code == 404
    mission_csv = client.get(reverse("analytics:mission", args=["emb-eg-cairo"]), {"csv": "audience"})
    assert "The account lost its permission" in mission_csv.content.decode()


def test_an_officer_sees_only_their_missions(client, cairo):
    cairo_x, _fb = cairo
    message = sent(cairo_x, title="Cairo only", likes=5)
    berlin = officer("emb-de-berlin")
    force_verified_login(client, berlin)
    assert client.get(reverse("analytics:mission", args=["emb-eg-cairo"])).status_code == 404
    assert client.get(reverse("analytics:message", args=[message.pk])).status_code == 404
    page = client.get(reverse("analytics:overview"))
    assert page.context["top"].rows == []
    assert all(row[1] is None for row in page.context["regions"].rows)


def test_a_message_page_gives_its_numbers_per_account_and_region(client, cairo):
    cairo_x, _fb = cairo
    message = sent(cairo_x, title="Alerte", likes=7, views=300)
    force_verified_login(client, press_officer())
    page = client.get(reverse("analytics:message", args=[message.pk]))
    assert page.status_code == 200
    assert page.context["regions"].rows == [["Middle East & North Africa", 1, 1, 300, 8]]
    assert page.context["accounts"].rows[0][3] == "24 hours"


def test_the_pages_read_with_a_constant_number_of_queries(client, cairo):
    cairo_x, cairo_fb = cairo
    force_verified_login(client, press_officer())
    sent(cairo_x, title="One", likes=1)

    def count(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = [reverse("analytics:overview"), reverse("analytics:mission", args=["emb-eg-cairo"])]
    before = [count(url) for url in urls]
    for n in range(5):
        sent(cairo_x if n % 2 else cairo_fb, title=f"More {n}", likes=n)
        account("emb-jp-tokyo", Network.YOUTUBE)
    assert [count(url) for url in urls] == before


def test_the_message_page_itself_shows_its_numbers_per_account_and_language(client, cairo):
    cairo_x, _fb = cairo
    message = sent(cairo_x, title="Alerte", likes=7, views=4321)
    force_verified_login(client, press_officer())
    page = client.get(reverse("posts:message_detail", args=[message.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "4,321" in html  # the account's views, on the message's own page
    assert "Per account and language (latest reading)" in html
    panel = page.context["panels"][0].context
    assert panel["accounts"].rows[0][2] == "FR"
    csv_link = reverse("analytics:message", args=[message.pk]) + "?csv=accounts"
    assert csv_link in html


def test_a_draft_has_no_numbers_panel(client):
    message = draft_message(author=officer("emb-eg-cairo"))
    force_verified_login(client, officer("emb-eg-cairo"))
    page = client.get(reverse("posts:message_detail", args=[message.pk]))
    assert page.status_code == 200
    assert page.context["panels"] == []
