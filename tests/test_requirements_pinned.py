"""Every requirement is pinned exactly, `name==version` (issue #2: a build today and next
year install the same code), in every requirements*.txt; and what is installed here is
what they pin."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(ROOT.glob("requirements*.txt"))
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9,._-]+\])?==(?P<version>[0-9][0-9A-Za-z.+!-]*)$")
INCLUDE = re.compile(r"^-r\s+(?P<file>requirements[\w.-]*\.txt)$")


def _lines(path: Path) -> list[tuple[int, str]]:
    lines = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append((number, line))
    return lines


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_there_are_requirements_files():
    assert {path.name for path in FILES} >= {"requirements.txt", "requirements-dev.txt"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_line_is_an_exact_pin_or_an_include(path):
    loose = [
        f"{path.name}:{number}: {line}"
        for number, line in _lines(path)
        if not PIN.match(line) and not (INCLUDE.match(line) and (ROOT / INCLUDE.match(line)["file"]).exists())
    ]
    assert not loose, "Pin these exactly (name==version):\n" + "\n".join(loose)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_no_package_is_pinned_twice(path):
    names = [_canonical(match["name"]) for _, line in _lines(path) if (match := PIN.match(line))]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)


def test_the_environment_has_the_pinned_versions():
    """The venv the tests run in holds what the files pin (a stale venv tests other code)."""
    wrong = []
    for path in FILES:
        for _, line in _lines(path):
            match = PIN.match(line)
            if not match:
                continue
            try:
                installed = metadata.version(match["name"])
            except metadata.PackageNotFoundError:
                wrong.append(f"{match['name']}: pinned {match['version']}, not installed")
                continue
            if installed != match["version"]:
                wrong.append(f"{match['name']}: pinned {match['version']}, installed {installed}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "line",
    [
        "Django>=5.2",
        "celery",
        "redis~=8.1",
        "Pillow==13.*",
        "tweepy==4.17.0 ; python_version<'3'",
        "-e git+https://example.org/x.git#egg=x",
        "https://example.org/x.whl",
    ],
)
def test_the_check_refuses_loose_lines(line):
    """Positive control for the pattern above."""
    assert not PIN.match(line)
    assert not INCLUDE.match(line)
