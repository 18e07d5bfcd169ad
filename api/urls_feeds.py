"""/feeds/: public Atom feeds, cacheable by browsers, proxies and feed readers."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from api.feeds import CrisisFeed, MissionFeed

app_name = "feeds"


def public(feed):
    return login_not_required(require_GET(cache_control(public=True, max_age=settings.FEED_CACHE_SECONDS)(feed)))


urlpatterns = [
    path("missions/<slug:code>/<str:language>.atom", public(MissionFeed()), name="mission"),
    path("crisis/<str:language>.atom", public(CrisisFeed()), name="crisis"),
]
