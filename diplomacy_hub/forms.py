"""The base of every list page's filter form (missions, staff, social accounts, the audit
log): in the lowest layer, so that each app's list page can build on it."""

from __future__ import annotations

from django import forms


class ListFilterForm(forms.Form):
    """A list page's GET filters (rendered by the `filter_bar` tag)."""

    def filters(self) -> dict:
        """The valid filters; an invalid value is ignored, and shown with its error, rather
        than failing the page. An unbound form filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleaned_data then holds only the fields that validated
        return {name: value for name, value in self.cleaned_data.items() if value}
