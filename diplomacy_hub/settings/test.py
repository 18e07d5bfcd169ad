"""The test suite's settings: the same stack, faster password hashing, mail in memory."""

import fcntl
import os
from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECRET_KEY = env("SECRET_KEY", default="test-secret-key-not-for-production-" + "y" * 20)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fixed key ring for tests only.
CREDENTIALS_KEYS = env(
    "CREDENTIALS_KEYS",
    default="test2:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM,test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
)
# The live tests (live/stack.py) start real worker and sandbox processes on the test
# database, so on SQLite it must be a file they can open, not memory: one file per
# concurrent test run (the first free slot, held by an flock for the life of the process),
# so that runs side by side in one tree never share it and --reuse-db keeps each slot's.
# The live tests' child processes get their database as DATABASE_URL and take no slot.
_TEST_DATABASE_LOCKS: list = []


def _test_database_file() -> str:
    folder = VAR_DIR / "test-databases"  # noqa: F405
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(64):
        handle = open(folder / f"slot{slot}.lock", "w")  # noqa: SIM115 (kept open: it holds the lock)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _TEST_DATABASE_LOCKS.append(handle)
        return str(folder / f"test_diplomacy_hub_{slot}.sqlite3")
    raise RuntimeError(f"No free test database slot in {folder}.")


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env.bool(  # noqa: F405
    "LIVE_CHILD", default=False
):
    DATABASES["default"]["TEST"] = {"NAME": _test_database_file()}  # noqa: F405


# Under pytest-xdist (`make test` runs two workers) each worker is a process of its own, with
# its own test database (pytest-django names it test_<name>_gw1) and, here, its own Redis
# database: the given number plus the worker's, since the live tests empty the broker's
# queues and their workers consume whatever is there. Celery reads CELERY_BROKER_URL from the
# environment first, so both change. A process started by a worker with this environment
# (a check of the test's, not a live child: those drop PYTEST_*) keeps the worker's URL.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_broker_url(url: str, worker: int) -> str:
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + worker
    if number > 15:
        raise RuntimeError(f"CELERY_BROKER_URL {url}: xdist worker gw{worker} would need Redis database {number}.")
    return parts._replace(path=f"/{number}").geturl()


if (
    _XDIST_WORKER.startswith("gw")
    and CELERY_BROKER_URL.startswith(("redis://", "rediss://"))  # noqa: F405
    and os.environ.get("CELERY_BROKER_URL") != os.environ.get("TEST_WORKER_BROKER_URL")
):
    CELERY_BROKER_URL = _worker_broker_url(CELERY_BROKER_URL, int(_XDIST_WORKER[2:]))  # noqa: F405
    os.environ["CELERY_BROKER_URL"] = os.environ["TEST_WORKER_BROKER_URL"] = CELERY_BROKER_URL
