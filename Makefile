# Diplomacy Hub. The two commands: `make run` (set up and start everything) and `make test`.
# Needs nothing but Python 3.11 (PYTHON=/path/to/python3.11 to choose one).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Stamps inside the venv: deleting the venv deletes them; a newer requirements file reinstalls.
RUN_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev
# French is the catalogue every new string is translated into first; the other languages of
# the ministry's website follow it (Arabic is read right to left).
LOCALES := fr es de ar
PO := locale/fr/LC_MESSAGES/django.po
POS := $(foreach l,$(LOCALES),locale/$(l)/LC_MESSAGES/django.po)
MOS := $(POS:.po=.mo)
ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test lint typecheck fmt migrate messages bench drill screenshots

help:
	@echo "make run       set up (venv, .env, migrate, static, demo data) and start web, workers, beat, sandbox"
	@echo "make test      run the whole test suite (ARGS=\"-k foo\" to pass pytest options, TEST_WORKERS=2 for two xdist workers)"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make typecheck mypy with the Django plugin on the policy, services and selectors"
	@echo "make fmt       ruff format, then ruff's safe automatic fixes (imports, upgrades)"
	@echo "make migrate   apply database migrations"
	@echo "make messages  update the catalogues (fr, es, de, ar) from the code, then compile them"
	@echo "make bench     run the benchmarks"
	@echo "make drill     run the fault drill against real processes"
	@echo "make screenshots  run the browser journeys and refresh the README's screenshots"

# --- Set-up ---------------------------------------------------------------------------------

# A venv whose interpreter is missing or broken (moved, or copied from another machine) is
# made again.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Diplomacy Hub needs Python 3.11+: make PYTHON=/path/to/python3.11")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Development settings for this machine, written once and never overwritten.
define WRITE_DOTENV
import secrets
from channels.crypto import generate_key_entry
with open(".env", "x", encoding="utf-8") as handle:
    handle.write(
        "# Written by `make run` for development on this machine. Never commit it, never reuse it.\n"
        "# Deleting it makes new keys: the sealed credentials in var/ then no longer open.\n"
        "DEBUG=true\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"CREDENTIALS_KEYS={generate_key_entry('dev1')}\n"
    )
print("Wrote .env: development settings with a new SECRET_KEY and CREDENTIALS_KEYS.")
endef
export WRITE_DOTENV

.env: | $(RUN_STAMP)
	$(PY) -c "$$WRITE_DOTENV"

# The compiled catalogues are committed, so a machine without GNU gettext still runs in every language.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@if command -v msgfmt >/dev/null; then \
		echo "msgfmt --check -o $@ $<"; msgfmt --check -o $@ $<; \
	else \
		echo "GNU gettext (msgfmt) is not installed: using the committed $@."; \
	fi

# --- The two commands -------------------------------------------------------------------

# Other ports: make run WEB_PORT=8001 SANDBOX_PORT=8101.
WEB_PORT ?= 8000
SANDBOX_PORT ?= 8100
run: export WEB_PORT := $(WEB_PORT)
run: export SANDBOX_PORT := $(SANDBOX_PORT)
run: export SITE_URL ?= http://127.0.0.1:$(WEB_PORT)
run: export SANDBOX_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
# The demo translates through the sandbox's small LibreTranslate-compatible provider.
run: export TRANSLATION_URL ?= http://127.0.0.1:$(SANDBOX_PORT)/translate
run: export TRANSLATION_PROVIDER_NAME ?= Sandbox translator
run: $(RUN_STAMP) .env $(MOS)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@echo
	@echo "Diplomacy Hub on $$SITE_URL (sandbox networks on $$SANDBOX_URL)."
	@echo "Starting web, the crisis worker, the publish worker, beat and the sandbox. Ctrl-C stops them all (the workers first finish what they are sending)."
	@echo
	exec $(PY) -m diplomacy_hub.procfile start -f Procfile

# Checks that the services the suite is pointed at answer: a test run against a database or
# a broker that is down must fail loudly, never skip.
define CHECK_SERVICES
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy_hub.settings.test")
import django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
broker = settings.CELERY_BROKER_URL
if "postgresql" in db["ENGINE"]:
    import psycopg2
    where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    errors = []
    for name in ("postgres", db["NAME"]):
        try:
            psycopg2.connect(dbname=name, user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                             host=db.get("HOST") or None, port=db.get("PORT") or None, connect_timeout=5).close()
            break
        except psycopg2.OperationalError as error:
            errors.append(str(error).strip())
    else:
        sys.exit(f"\nPostgreSQL at {where} (DATABASE_URL) does not answer:\n  {errors[0]}\n"
                 "Start it, or unset DATABASE_URL to test on SQLite.\n")
    print(f"Database: PostgreSQL at {where}")
else:
    print(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]}")
if broker.startswith(("redis://", "rediss://")):
    import redis
    client = redis.Redis.from_url(broker, socket_connect_timeout=5, socket_timeout=5)
    where = "{host}:{port}/{db}".format(**client.connection_pool.connection_kwargs)
    try:
        client.ping()
    except redis.RedisError as error:
        sys.exit(f"\nRedis at {where} (CELERY_BROKER_URL) does not answer: {error}\n"
                 "Start it, or unset CELERY_BROKER_URL to test with the filesystem broker.\n")
    print(f"Broker: Redis at {where}")
else:
    print(f"Broker: {broker.split(':', 1)[0]}")
endef
export CHECK_SERVICES

# TEST_WORKERS=2 runs two pytest-xdist workers (--dist loadgroup), each with its own test
# database and Redis database (diplomacy_hub/settings/test.py). Not the default yet: the
# "serial" group (tests/conftest.py) that should keep the process and browser tests on one
# worker was not seen to group them (README.md, "make test").
TEST_WORKERS ?= 0

test: $(DEV_STAMP) $(MOS)
	@$(PY) -c "$$CHECK_SERVICES"
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(ARGS)

# The browser journeys, saving the README's screenshots into docs/screenshots.
screenshots: $(DEV_STAMP) $(MOS)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -p no:randomly $(ARGS)

# --- Everyday targets ---------------------------------------------------------------------

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The checked core is listed in pyproject.toml ([tool.mypy] files).
typecheck: $(DEV_STAMP)
	$(PY) -m mypy

# The code is laid out by `ruff format`; CI fails on a file it would change.
fmt: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrate: $(RUN_STAMP) .env
	$(PY) manage.py migrate

messages: $(RUN_STAMP)
	@command -v xgettext >/dev/null || { echo "make messages needs GNU gettext (apt-get install gettext)." >&2; exit 1; }
	$(PY) manage.py makemessages $(foreach l,$(LOCALES),-l $(l)) --ignore=.venv --ignore=var --ignore=node_modules --ignore=tests \
		--add-location=file --no-obsolete
	@for po in $(POS); do echo "msgfmt --check -o $${po%.po}.mo $$po"; msgfmt --check -o $${po%.po}.mo $$po; done

# The benchmarks (docs/benchmarks.md): fan-out, pages under a year of data, scheduling
# precision. On the embedded default, or on PostgreSQL and Redis when DATABASE_URL and
# CELERY_BROKER_URL are set (each benchmark makes its own database on that server).
# ARGS="--quick" for a short run, ARGS="--only fanout" for one of them.
bench: $(DEV_STAMP)
	$(PY) -m bench.run $(ARGS)

# The fault scenarios at full size (live/drill.py) on a scratch database of its own:
# SQLite and the filesystem broker by default, DATABASE_URL / CELERY_BROKER_URL when given.
# One JSON line per scenario; fails if anything was lost or duplicated. ARGS="--scenario
# worker_kill" runs one; ARGS="--keep" keeps the logs.
drill: $(DEV_STAMP)
	$(PY) -m live.drill --full $(ARGS)
