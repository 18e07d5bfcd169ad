from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Network
from conversations.lifecycle import CONVERSATION_SET_BY_HAND
from conversations.models import Conversation
from embassies.forms import ListFilterForm
from embassies.models import Mission
from embassies.selectors import missions_visible_to
from posts.forms import LocalDateTimeField


class InboxFilterForm(ListFilterForm):
    mission = forms.ModelChoiceField(label=_("Mission"), required=False, queryset=None, empty_label=_("All missions"))
    network = forms.ChoiceField(label=_("Network"), required=False, choices=[("", _("All networks")), *Network.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Conversation.Status.choices]
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions_visible_to(user).order_by("name")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(value, label) for value, label in Conversation.Status.choices if value in CONVERSATION_SET_BY_HAND],
    )
    snoozed_until = forms.Field(label=_("Snooze until"), required=False)
    close_reason = forms.ChoiceField(
        label=_("Reason for no reply"), required=False, choices=[("", "—"), *Conversation.CloseReason.choices]
    )

    def __init__(self, *args, mission: Mission, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["snoozed_until"] = LocalDateTimeField(
            label=_("Snooze until (%(city)s time)") % {"city": mission.city},
            required=False,
            zone=mission.zone,
            place=mission.city,
        )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), required=False, queryset=None, empty_label=_("Nobody"))

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates
