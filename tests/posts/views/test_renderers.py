"""posts/renderers.py writes selects and inputs in Python: the same HTML as Django's
widget templates (but for whitespace between tags), escaped the same way."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms

from posts.forms import CalendarForm, ReviewQueueFilterForm
from posts.renderers import fast_renderer


class _Everything(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), required=False)
    text = forms.CharField(initial='a "quoted" <b>bold</b>')
    choice = forms.ChoiceField(choices=[("", "All <x>"), ("1", "Tokyo & co"), ("G", [("2", 'q"uote')])], required=False)
    many = forms.MultipleChoiceField(choices=[(1, "x"), (2, "y")])
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("a", "A & b"), ("c", "C")], initial="a")
    boxes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=[("a", "A"), ("c", "C")])
    disabled = forms.TypedChoiceField(choices=[(1, "x")], disabled=True)


class _Mission:
    pk, name = 7, "Embassy <of> France & co"


FORMS = [
    lambda: _Everything(),
    lambda: _Everything(
        {"day": "2030-01-02", "text": "x<y", "choice": "2", "many": ["1", "2"], "radio": "c", "boxes": ["a"]}
    ),
    lambda: CalendarForm({"view": "month", "mission": "7"}, missions=[_Mission()], today=date(2030, 1, 1)),
    lambda: ReviewQueueFilterForm({"mission": "7", "date_from": "2030-01-01"}, missions=[_Mission()]),
]


def _html(form) -> list[str]:
    parts = [str(form[name]) for name in form.fields]
    parts += [str(option.tag()) for name in form.fields for option in form[name]]
    return ["".join(part.split()) for part in parts]


@pytest.mark.parametrize("make", FORMS)
def test_the_fast_renderer_writes_what_djangos_templates_write(make):
    fast = make()
    fast.renderer = fast_renderer
    assert _html(fast) == _html(make())


def test_it_escapes_labels_and_values():
    form = _Everything({"text": '"><script>'})
    form.renderer = fast_renderer
    html = str(form["choice"]) + str(form["text"])
    assert "Tokyo &amp; co" in html
    assert "All &lt;x&gt;" in html
    assert 'value="&quot;&gt;&lt;script&gt;"' in html
