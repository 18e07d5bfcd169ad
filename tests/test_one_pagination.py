"""Every list pages through the one include (issue 11, section 4): no template writes its
own pagination, so that a fix to it reaches every list."""

from pathlib import Path

from django.conf import settings

INCLUDE = Path("includes/_pagination.html")


def test_only_the_include_writes_pagination():
    templates = Path(settings.BASE_DIR) / "templates"
    own = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if path.relative_to(templates) != INCLUDE
        and ('class="pagination"' in path.read_text() or "page.next_page_number" in path.read_text())
    ]
    assert not own, f"Use {{% include '{INCLUDE}' %}} in: {own}"


def test_every_paginated_template_includes_it():
    templates = Path(settings.BASE_DIR) / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        if "page.paginator" in text and path.relative_to(templates) != INCLUDE:
            assert str(INCLUDE) in text or "list_page.html" in text, path
