"""Dates in one format per language across pages: pages name the formats of
diplomacy_hub/formats (FORMAT_MODULE_PATH) instead of writing their own."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

MOMENT = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
# Formats a template may still write: machine ones, a bare time, and the audit log's exact
# record (seconds, sortable).
ALLOWED = {"c", "H:i", "H:i:s", "T", "T (O)", "D H:i", "l", "Y-m-d"}


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("en", "Monday 7 December 2026, 14:30", "Mon 7 Dec, 14:30"),
        ("fr", "lundi 7 décembre 2026, 14:30", "lun 7 déc., 14:30"),
        ("es", "lunes 7 de diciembre de 2026, 14:30", "lun 7 dic., 14:30"),
        ("de", "Montag, 7. Dezember 2026, 14:30", "Mo., 7. Dez., 14:30"),
        ("ar", "الاثنين 7 ديسمبر 2026، 14:30", "الاثنين 7 ديسمبر، 14:30"),
    ],
)
def test_each_language_has_its_own_date_formats(language, long, short):
    with translation.override(language):
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == long
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == short


def test_every_language_of_the_settings_has_its_formats():
    base = Path(settings.BASE_DIR) / "diplomacy_hub" / "formats"
    assert {code for code, _ in settings.LANGUAGES} <= {path.name for path in base.iterdir() if path.is_dir()}


@pytest.mark.parametrize(
    ("language", "number"), [("en", "1234.5"), ("fr", "1234,5"), ("es", "1234,5"), ("de", "1234,5")]
)
def test_numbers_take_the_decimal_separator_of_the_language(language, number):
    with translation.override(language):
        assert formats.number_format(1234.5) == number


def test_templates_name_the_formats_rather_than_write_their_own():
    templates = Path(settings.BASE_DIR) / "templates"
    own = {
        (str(path.relative_to(templates)), found)
        for path in templates.rglob("*.html")
        for found in re.findall(r"\|date:[\"']([^\"']+)[\"']", path.read_text())
        if found not in ALLOWED and not found.endswith("_FORMAT")
    }
    assert not own, own
