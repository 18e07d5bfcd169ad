"""What the fuzzing tests share: the hostile values, the Hypothesis profiles, and which GET
parameters a page reads (recorded as it runs, so that a parameter added later is fuzzed the
day it is added).

Profiles (DH_FUZZ_PROFILE): "fuzz-quick" (the default: the suite's minute of CPU) and
"fuzz-long" (hundreds of examples per page, random each run: for a night, or after a change
to a form):  DH_FUZZ_PROFILE=fuzz-long pytest tests/security/test_fuzz_*.py
"""

from __future__ import annotations

import contextlib
import os
import re

import django.core.handlers.wsgi
from django.http import QueryDict
from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("fuzz-quick", max_examples=12, deadline=None, derandomize=True, suppress_health_check=_QUIET)
settings.register_profile("fuzz-long", max_examples=300, deadline=None, derandomize=False, suppress_health_check=_QUIET)
FUZZ = settings.get_profile(os.environ.get("DH_FUZZ_PROFILE", "fuzz-quick"))
LONG = os.environ.get("DH_FUZZ_PROFILE") == "fuzz-long"

BEYOND_64_BITS = str(2**63)

# Each one has broken some page once: numbers past 64 bits (SQLite), NUL bytes
# (PostgreSQL), dates at the ends of the calendar (in a zone east or west of UTC),
# Unicode digits that str.isdigit() takes and int() does not, a megabyte.
HOSTILE = [
    "",
    "abc",
    "-1",
    "0",
    BEYOND_64_BITS,
    "-" + BEYOND_64_BITS + "1",
    "99999999999999999999999999",
    "²",
    "١٢",
    "1e309",
    "NaN",
    "a\x00b",
    "\x00",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2031-03-30T02:30",
    "1,2,abc",
    f"1,{BEYOND_64_BITS}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "é" * 100_000,
]

FORM_FIELD = re.compile(r"""<(?:input|textarea|select)\b[^>]*\bname=["']([^"']+)["']""", re.IGNORECASE)


def fields_on(html: str) -> set[str]:
    return {name for name in FORM_FIELD.findall(html) if name != "csrfmiddlewaretoken"}


class _RecordingQueryDict(QueryDict):
    """request.GET that notes every name a view or its form asks it for."""

    reads: set[str] | None = None

    def _note(self, key) -> None:
        if type(self).reads is not None and isinstance(key, str):
            type(self).reads.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


@contextlib.contextmanager
def recording_get_reads():
    """Within: the names every request's GET was asked for, in the yielded set."""
    reads: set[str] = set()
    original = django.core.handlers.wsgi.QueryDict
    _RecordingQueryDict.reads = reads
    django.core.handlers.wsgi.QueryDict = _RecordingQueryDict
    try:
        yield reads
    finally:
        django.core.handlers.wsgi.QueryDict = original
        _RecordingQueryDict.reads = None


def get_parameters(client, path: str, data: dict) -> set[str]:
    """The GET parameters a page reads: those its view and forms ask for (recorded while it
    answers, once plain and once as htmx asks), and those of the forms it shows."""
    with recording_get_reads() as reads:
        page = client.get(path, data)
        client.get(path, data, headers={"HX-Request": "true"})
    html = b"" if page.streaming else page.content  # never close(): it would close the test's connection
    return (reads | fields_on(html.decode(errors="replace")) | set(data)) - {"csrfmiddlewaretoken"}
