"""Settings for the benchmarks' processes (driver, workers, beat, gunicorn).

The project's own settings (base.py, so whatever apps and middleware the project has at
the time: a benchmark measures the real stack), with what a benchmark needs beside them:
DEBUG off (DEBUG keeps every query in memory), a fixed key ring for the benchmark's
sandbox accounts, a fast password hasher for the 2,000 generated users, mail kept in
memory, media and static files under var/bench/. DATABASE_URL and CELERY_BROKER_URL come
from bench/run.py, which points them at the benchmark's own database and broker.
"""

from diplomacy_hub.settings.base import *  # noqa: F403
from diplomacy_hub.settings.base import VAR_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-secret-key-not-for-production-" + "z" * 20)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A key ring for the benchmark's databases only (sandbox tokens, never a real secret).
CREDENTIALS_KEYS = env("BENCH_CREDENTIALS_KEYS", default="bench1:YmVuY2gtb25seS1rZXktMzItYnl0ZXMtbG9uZy0hISE")
MEDIA_ROOT = env.path("BENCH_MEDIA_ROOT", default=VAR_DIR / "bench" / "media")
STATIC_ROOT = VAR_DIR / "bench" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
