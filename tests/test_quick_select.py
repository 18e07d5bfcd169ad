"""The quick select renders as Django's own Select does: the same options, the chosen one
selected, every label and value escaped."""

from django import forms

from diplomacy_hub.forms import QuickSelect


class Choices(forms.Form):
    slow = forms.ChoiceField(choices=[("", "All"), ("a", "<b>A & B</b>"), ("2", 'Say "two"')], required=False)
    quick = forms.ChoiceField(
        choices=[("", "All"), ("a", "<b>A & B</b>"), ("2", 'Say "two"')], required=False, widget=QuickSelect
    )


def _compact(html: str) -> str:
    return "".join(line.strip() for line in str(html).splitlines())


def test_the_quick_select_renders_like_djangos():
    form = Choices({"slow": "2", "quick": "2"})
    slow, quick = _compact(form["slow"]), _compact(form["quick"])
    assert quick.startswith("<select ")
    assert 'name="quick"' in quick.split(">", 1)[0]
    assert 'id="id_quick"' in quick.split(">", 1)[0]
    assert quick.split(">", 1)[1] == slow.split(">", 1)[1]  # the same options, the same one selected
    assert '<option value="2" selected>Say &quot;two&quot;</option>' in quick
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in quick
    assert "<b>" not in quick
