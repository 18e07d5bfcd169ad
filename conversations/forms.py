from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Network
from conversations.models import Conversation
from diplomacy_hub import policy
from embassies.forms import ListFilterForm


class InboxFilterForm(ListFilterForm):
    mission = forms.ModelChoiceField(label=_("Mission"), required=False, queryset=None, empty_label=_("All missions"))
    network = forms.ChoiceField(label=_("Network"), required=False, choices=[("", _("All networks")), *Network.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Conversation.Status.choices]
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = policy.missions_visible_to(user).order_by("name")
