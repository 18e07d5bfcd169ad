"""The weekly report as a PDF, attached to its e-mail: the same tables, drawn by fpdf2 (pure
Python, maintained) in the reader's language. A Unicode font (ANALYTICS_PDF_FONT, DejaVu
Sans: Latin and Arabic), and for Arabic the shaping and right-to-left order of fpdf2's
text shaping (uharfbuzz)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode
from fpdf.fonts import FontFace

from analytics.selectors import Table
from analytics.templatetags.analytics import metric

FONT = "report"
# fontTools reports each table it prunes from the embedded subset, at INFO: not news.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


def _new_document() -> FPDF:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT, fname=settings.ANALYTICS_PDF_FONT)
    pdf.set_font(FONT, size=9)
    # Joined letters and right-to-left order for Arabic; harmless for Latin scripts.
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if translation.get_language_bidi() else "ltr")
    pdf.set_title(str(_("Your week in numbers")))
    pdf.add_page()
    return pdf


def _table(pdf: FPDF, table: Table) -> None:
    align = Align.R if translation.get_language_bidi() else Align.L
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, 7, str(table.caption), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    columns = [str(column) for column in table.columns]
    rows = [[str(metric(cell)) for cell in row] for row in table.rows]
    if not rows:
        rows = [[str(_("Nothing read yet.")), *[""] * (len(columns) - 1)]]
    if translation.get_language_bidi():  # read from the right: the first column on the right
        columns, rows = columns[::-1], [row[::-1] for row in rows]
    with pdf.table(
        headings_style=FontFace(emphasis="", fill_color=215),
        cell_fill_mode=TableCellFillMode.ROWS,
        cell_fill_color=245,
        text_align=align,
    ) as drawn:
        for values in [columns, *rows]:
            line = drawn.row()
            for value in values:
                line.cell(value)
    pdf.ln(4)


def weekly_report_pdf(context: dict[str, Any]) -> bytes:
    """The report of weekly_report_render's context, in the language active now."""
    pdf = _new_document()
    align = Align.R if translation.get_language_bidi() else Align.L
    pdf.set_font(FONT, size=15)
    pdf.multi_cell(0, 9, str(_("Your week in numbers")), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    since, week = date_format(context["since"], "DATE_FORMAT"), date_format(context["week"], "DATE_FORMAT")
    pdf.multi_cell(0, 6, f"{since} – {week}", align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    comparison = context.get("comparison")
    if comparison:
        for key in ("regions", "networks", "missions", "top"):
            _table(pdf, comparison[key])
    for part in context.get("missions", []):
        pdf.set_font(FONT, size=13)
        pdf.multi_cell(0, 8, str(part["mission"].display_name), align=align, new_x="LMARGIN", new_y="NEXT")
        for key in ("audience", "best", "worst"):
            _table(pdf, part[key])
    return bytes(pdf.output())
