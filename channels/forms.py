from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from embassies.models import Mission


class AccountRegisterForm(forms.Form):
    mission = forms.ModelChoiceField(label=_("Mission"), queryset=Mission.objects.none())
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    handle = forms.CharField(
        label=_("Handle"), max_length=100, required=False,
        help_text=_("Optional: filled in from the network once the account is connected."),
    )
    is_sandbox = forms.BooleanField(
        label=_("Sandbox account"), required=False,
        help_text=_("Publishes to the built-in sandbox networks, never to the real network "
                    "(training and demonstrations)."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = policy.missions_visible_to(user).active().order_by("name")


class AccountFilterForm(forms.Form):
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *Mission.Region.choices],
    )
    network = forms.ChoiceField(
        label=_("Network"), required=False, choices=[("", _("All networks")), *Network.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *SocialAccount.Status.choices],
    )

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid value is ignored rather than failing the page."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleaned_data then holds only the fields that validated
        return {name: value for name, value in self.cleaned_data.items() if value}
