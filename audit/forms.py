from django import forms
from django.utils.translation import gettext_lazy as _

from diplomacy_hub.forms import ListFilterForm
from diplomacy_hub.localtime import BoundedDateField


class AuditFilterForm(ListFilterForm):
    action = forms.CharField(
        label=_("Action"), required=False, max_length=64, help_text=_("e.g. auth.login, or auth. for every login event")
    )
    actor = forms.CharField(label=_("User"), required=False, max_length=150)
    date_from = BoundedDateField(label=_("From"), required=False)
    date_to = BoundedDateField(label=_("To"), required=False)

    def __init__(self, *args, actions: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if actions:
            self.fields["action"].widget.attrs["list"] = "audit-actions"
        self.actions = actions or []
