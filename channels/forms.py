from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from channels.models import Network, SocialAccount
from diplomacy_hub.forms import ListFilterForm
from embassies.forms import searchable
from embassies.models import Mission
from embassies.names import by_name
from embassies.selectors import missions_visible_to


class MissionsByName(ModelChoiceIterator):
    """A mission picker's choices by name in the reader's language (a sort the database
    cannot do the same way on SQLite and PostgreSQL)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for mission in by_name(self.queryset):
            yield self.choice(mission)


class AccountRegisterForm(forms.Form):
    mission = forms.ModelChoiceField(label=_("Mission"), queryset=Mission.objects.none())
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    handle = forms.CharField(
        label=_("Handle"),
        max_length=100,
        required=False,
        help_text=_("Optional: filled in from the network once the account is connected."),
    )
    is_sandbox = forms.BooleanField(
        label=_("Sandbox account"),
        required=False,
        help_text=_(
            "Publishes to the built-in sandbox networks, never to the real network (training and demonstrations)."
        ),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions_visible_to(user).active()
        self.fields["mission"].iterator = MissionsByName
        searchable(self.fields["mission"], placeholder=_("Type to find a mission"))


class AccountFilterForm(ListFilterForm):
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=[("", _("All regions")), *Mission.Region.choices],
    )
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=[("", _("All networks")), *Network.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *SocialAccount.Status.choices],
    )
