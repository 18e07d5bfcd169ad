"""The per-token rate counted in Redis, as production counts it (CACHE_URL=redis://…): two
web processes sharing the cache share each token's count, so the limit holds whichever
process a request reaches. A redis-server of the test's own (never the shared 6379)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.services.tokens import token_create_for_person
from live.stack import RedisServer
from tests.api.conftest import ApiClient

# A second process, as a second web process would count the same token's requests: Django
# set up with the cache from CACHE_URL, the throttle asked three times. No database needed:
# the throttle knows the token by its id and rate.
OTHER_PROCESS = """
import sys
from types import SimpleNamespace

import django

django.setup()
from django.conf import settings

from api.models import ApiToken
from api.throttling import TokenRateThrottle

print(settings.CACHES["default"]["BACKEND"])
token = ApiToken(pk=int(sys.argv[1]), kind="person", rate_per_minute=int(sys.argv[2]))
request = SimpleNamespace(auth=token, user=None, META={})
print(*[TokenRateThrottle().allow_request(request, None) for _ in range(3)])
"""

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture
def redis_cache(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": server.url(0)}}
    try:
        yield server.url(0)
    finally:
        server.stop()


def _other_process(cache_url: str, token_id: int, rate: int) -> list[str]:
    environment = os.environ | {"CACHE_URL": cache_url, "DJANGO_SETTINGS_MODULE": "diplomacy_hub.settings.test"}
    done = subprocess.run(  # noqa: S603 (our own interpreter, our own script)
        [sys.executable, "-c", OTHER_PROCESS, str(token_id), str(rate)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


def test_a_tokens_rate_holds_across_processes_sharing_redis(world, redis_cache):
    new = token_create_for_person(
        actor=world.users["admin"], user_id=world.users["press"].pk, name="Shared", rate_per_minute=4
    )
    api = ApiClient(new.secret)
    assert [api.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    # The other process sees the two requests made here: two more, then no.
    assert _other_process(redis_cache, new.token.pk, 4) == [REDIS_CACHE, "True", "True", "False"]
    # And this one sees the other's: the limit is reached for both.
    limited = api.get("/api/v1/me/")
    assert limited.status_code == 429
    assert limited.json()["code"] == "request.throttled"
    # Another token counts apart, in the same cache.
    other = token_create_for_person(
        actor=world.users["admin"], user_id=world.users["press"].pk, name="Apart", rate_per_minute=4
    )
    assert ApiClient(other.secret).get("/api/v1/me/").status_code == 200


def test_in_memory_counts_are_each_process_own(world, settings):
    """Why production gives a shared cache: with the in-memory default, a second process
    starts from zero and lets the token through again."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    new = token_create_for_person(
        actor=world.users["admin"], user_id=world.users["press"].pk, name="Alone", rate_per_minute=2
    )
    api = ApiClient(new.secret)
    assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    backend, *allowed = _other_process("locmemcache://", new.token.pk, 2)
    assert backend.endswith("LocMemCache")
    assert allowed == ["True", "True", "False"]
