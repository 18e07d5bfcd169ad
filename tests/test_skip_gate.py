"""CI_NO_SKIPS=1 (exported by .ci/run): a run in which a test was skipped fails, and names
it. Runs pytest in a child process on a throwaway test file, with tests/conftest.py loaded
as a plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = """
import pytest

def test_runs():
    assert True

@pytest.mark.xfail(strict=True, reason="a known bug")
def test_known_bug():
    raise AssertionError

MAYBE_SKIPPED
"""


def _empty_config(tmp_path):
    # Not the project's settings (-c os.devnull did that until pytest refused a file
    # without a known extension): an empty ini of the sample's own.
    config = tmp_path / "pytest.ini"
    config.write_text("[pytest]\n")
    return config


def _run(
    tmp_path: Path, extra: str, *, no_skips: bool, database_url: str = "", options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE.replace("MAYBE_SKIPPED", extra))
    env = {
        key: value for key, value in os.environ.items() if key not in ("CI_NO_SKIPS", "PYTEST_ADDOPTS", "DATABASE_URL")
    }
    env.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="diplomacy_hub.settings.test")
    if database_url:
        env["DATABASE_URL"] = database_url
    if no_skips:
        env["CI_NO_SKIPS"] = "1"
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-c",
            str(_empty_config(tmp_path)),
            "--rootdir",
            str(tmp_path),
            "-q",
            *options,
            str(tmp_path / "test_sample.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


SKIP = """
def test_skipped():
    pytest.skip("no Redis here")
"""

POSTGRESQL_ONLY = """
@pytest.mark.postgresql
def test_on_postgresql_only():
    assert True
"""


def test_a_skip_fails_the_run_under_ci_no_skips(tmp_path):
    result = _run(tmp_path, SKIP, no_skips=True)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "CI_NO_SKIPS=1: 1 skipped test(s) fail this run" in result.stdout
    assert "SKIPPED test_sample.py::test_skipped: Skipped: no Redis here" in result.stdout


def test_a_skip_passes_without_it(tmp_path):
    result = _run(tmp_path, SKIP, no_skips=False)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 skipped" in result.stdout


def test_no_skip_passes_under_ci_no_skips(tmp_path):
    """An expected failure (strict xfail) is not a skip."""
    result = _run(tmp_path, "", no_skips=True)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 passed, 1 xfailed" in result.stdout


def test_a_postgresql_test_on_sqlite_fails_the_run_under_ci_no_skips(tmp_path):
    result = _run(tmp_path, POSTGRESQL_ONLY, no_skips=True, database_url="sqlite:///" + str(tmp_path / "db.sqlite3"))
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "SKIPPED test_sample.py::test_on_postgresql_only: Skipped: needs PostgreSQL" in result.stdout


def test_a_skip_on_an_xdist_worker_fails_the_run_under_ci_no_skips(tmp_path):
    """`make test` runs xdist workers: the skip happens in a worker, the gate closes in the
    controller, which receives every report (one worker shows it, as `make test`'s two do)."""
    result = _run(tmp_path, SKIP, no_skips=True, options=("-n", "1", "--dist", "loadgroup"))
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "CI_NO_SKIPS=1: 1 skipped test(s) fail this run" in result.stdout
    assert "SKIPPED test_sample.py::test_skipped: Skipped: no Redis here" in result.stdout
