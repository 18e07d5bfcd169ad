"""A form renderer that writes <select> and <input> elements in Python.

Django renders a select through two templates per option (the option and its
attributes): the list pages' filters, with a mission select of 271 options, spent tens of
milliseconds a request on it. This renderer writes the same HTML as Django's
`django/forms/widgets/select.html`, `input.html` (and the templates that only include it:
date, text, and radio and checkbox options) from the same context, escaped by
format_html; every other widget is left to Django's templates. A view opts in per form:
`form.renderer = fast_renderer`.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
INPUT_TEMPLATES = {f"django/forms/widgets/{name}.html" for name in ("input", "date", "text")}
INPUT_OPTION_TEMPLATES = {
    f"django/forms/widgets/{name}.html" for name in ("input_option", "radio_option", "checkbox_option")
}


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: ` name="value"`, ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


def _select(widget: dict) -> SafeString:
    html = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(format_html('<optgroup label="{}">', group_name))
        # One f-string per option rather than format_html per piece: 271 missions' options are
        # written on every list page.
        for option in options:
            value, label = conditional_escape(str(option["value"])), conditional_escape(option["label"])
            attrs = _attrs(option["attrs"]) if option["attrs"] else ""
            html.append(f'<option value="{value}"{attrs}>{label}</option>')
        if group_name:
            html.append("</optgroup>")
    html.append("</select>")
    return mark_safe("".join(html))  # noqa: S308  # nosec B308 B703  # safe: every value above went through format_html/escape


def _input(widget: dict) -> SafeString:
    html = [format_html('<input type="{}" name="{}"', widget["type"], widget["name"])]
    if widget["value"] is not None:
        html.append(format_html(' value="{}"', str(widget["value"])))
    html.append(_attrs(widget["attrs"]))
    html.append(">")
    return mark_safe("".join(html))  # noqa: S308  # nosec B308 B703  # safe: every value above went through format_html


def _input_option(widget: dict) -> SafeString:
    """As input_option.html: the input, wrapped in its label when asked."""
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = format_html(' for="{}"', widget["attrs"]["id"]) if widget["attrs"].get("id") else ""
    return format_html("<label{}>{} {}</label>", label_for, _input(widget), widget["label"])


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is None:
            return super().render(template_name, context, request=request)
        if template_name == SELECT_TEMPLATE and all(
            option["template_name"] == OPTION_TEMPLATE
            for _name, options, _index in widget["optgroups"]
            for option in options
        ):
            return _select(widget)
        if template_name in INPUT_TEMPLATES:
            return _input(widget)
        if template_name in INPUT_OPTION_TEMPLATES:
            return _input_option(widget)
        return super().render(template_name, context, request=request)


fast_renderer = FastSelectRenderer()
