"""A form renderer that writes <select> elements in Python.

Django renders a select through two templates per option (the option and its
attributes): the list pages' filters, with a mission select of 271 options, spent tens of
milliseconds a request on it. This renderer writes the same HTML as Django's
`django/forms/widgets/select.html` from the same context (escaped by format_html), and
leaves every other widget to Django's templates. A view opts in per form:
`form.renderer = fast_renderer`.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


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
    html = [format_html("<select name=\"{}\"", widget["name"]), _attrs(widget["attrs"]), ">"]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(format_html('<optgroup label="{}">', group_name))
        for option in options:
            html.append(format_html('<option value="{}"', str(option["value"])))
            html.append(_attrs(option["attrs"]))
            html.append(">")
            html.append(conditional_escape(option["label"]))
            html.append("</option>")
        if group_name:
            html.append("</optgroup>")
    html.append("</select>")
    return mark_safe("".join(html))  # noqa: S308  # safe: every value above went through format_html/escape


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if (template_name == SELECT_TEMPLATE and widget is not None
                and all(option["template_name"] == OPTION_TEMPLATE
                        for _name, options, _index in widget["optgroups"] for option in options)):
            return _select(widget)
        return super().render(template_name, context, request=request)


fast_renderer = FastSelectRenderer()
