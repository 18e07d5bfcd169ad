"""What every list page shares (missions, staff, social accounts, the audit log): its filter
bar. Its pagination is the include `includes/_pagination.html`."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.inclusion_tag("includes/_filter_bar.html", takes_context=True)
def filter_bar(context: template.Context, form: forms.Form, label: str) -> dict:
    """The list's GET form, a search landmark named `label`: each filter labelled, with its
    help and its errors; "Filter"; and "Clear", back to the bare list, once a filter is set
    (a page number alone is not a filter)."""
    return {
        "form": form,
        "label": label,
        "clear_url": context["request"].path,
        "filtered": form.is_bound and any(form.data.get(name) for name in form.fields),
    }
