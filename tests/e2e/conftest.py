"""The browser journeys' harness: Playwright (sync API) driving Debian's Chromium against
the app served by pytest-django's `live_server` (a thread of the test process), with real
sandbox, worker and beat processes from live/stack.py (`live_stack`) on the same test
database and broker.

- Never a downloaded browser: /usr/bin/chromium, and the journeys FAIL (not skip) when it
  is missing.
- The app under test uses the live stack's sandbox: `live_stack` points SANDBOX_URL at it
  (the live server runs in this process, so it sees the override), and the content
  security policy lets a form lead to its consent pages (form-action).
- Privileged people log in with their second factor (tests/security/otp.py).
- tests/e2e/helpers.py: `shot(page, name)` saves docs/screenshots/<name>.png (the README
  shows them), and the small waits the journeys share.
"""

from __future__ import annotations

import copy
import os
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import VIEWPORT
from tests.live import _live_database_keeper, live_sandbox, live_stack  # noqa: F401 (fixtures)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in the main thread from the first journey to the
# end of the session (the browser is session-scoped), and Django then sees every later ORM
# call of the test process as "async". Those calls are synchronous and safe, so the check
# is lifted for the whole test session; tests/test_settings_deploy.py removes the switch
# from the production check's environment.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# tryfirst, registered after tests/conftest.py: runs before its own tryfirst hook, which puts
# e2e tests in the xdist "serial" group.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _live_server_helper(request):
    """pytest-django's helper of the same name (it gives a test that uses `live_server` a
    transactional database and the server's settings), with one change: the keeper of the
    migrations' data (tests/live.py) is set up before the database, so that it is torn down
    after the flush and puts back the 271 missions and the role groups for the tests (and
    the --reuse-db sessions) that follow."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_live_database_keeper")
    request.getfixturevalue("transactional_db")
    server = request.getfixturevalue("live_server")
    server._live_server_modified_settings.enable()
    yield
    server._live_server_modified_settings.disable()


@pytest.fixture(scope="session", autouse=True)
def _language_model_read_at_boot():
    """The live server, like the web process at boot (diplomacy_hub/wsgi.py), has the
    language detector's model read before its first request."""
    from posts.language import warm

    warm()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched once for the session. Missing: the journeys fail."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium). "
            "The browser journeys never download a browser, and never skip."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(live_stack, live_server, settings):  # noqa: F811 (the fixture above)
    """The app under test on the live stack's sandbox (no worker yet): SANDBOX_URL points at
    it (set by `live_stack`), and the content security policy lets a form lead to its
    consent pages (form-action)."""
    sandbox = urlsplit(live_stack.sandbox_url)
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], f"{sandbox.scheme}://{sandbox.netloc}"]
    settings.CONTENT_SECURITY_POLICY = policy
    return live_stack


@pytest.fixture
def stack(live_app):
    """The live app with a crisis worker, a publish worker and beat (the dispatcher ticks
    every second, LIVE_ENV)."""
    live_app.start(crisis=2, publish=4, beat=True)
    return live_app


@pytest.fixture
def browser_context(chromium, live_server, request, tmp_path):
    """A fresh browser context on the live server; on failure, a screenshot of every page
    left open goes under the test's tmp_path (pytest prints where)."""
    contexts = []

    def make():
        context = chromium.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for number, context in enumerate(contexts):
        if failed:
            for index, page in enumerate(context.pages):
                path = tmp_path / f"failure-{number}-{index}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"Screenshot of the failed journey: {path} ({page.url})")  # noqa: T201
        context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def login(browser_context, live_server):
    """`login(user)`: a new page of a new browser context, logged in as `user` through the
    login page (and the code page for the press office, crisis unit and administrators)."""
    from tests.security.otp import verified_login

    def log_in(user):
        page = browser_context().new_page()
        verified_login(page, user, base_url=live_server.url)
        return page

    return log_in
