"""The administrators' forms for tokens, webhook endpoints and allowed hosts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from api.models import Scope, WebhookEvent
from embassies.models import Mission
from embassies.roles import Role


class PersonTokenForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"), queryset=get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()
    )
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses it, for example “Archive export”."))
    expires_at = forms.DateTimeField(label=_("Expires (UTC)"), required=False)
    rate_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=0,
        max_value=100_000,
        required=False,
        initial=0,
        help_text=_("0: the default."),
    )


class ServiceTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The system, for example “Crisis cell tools”."))
    role = forms.ChoiceField(
        label=_("Acts as"), choices=[(role.value, role.label) for role in Role if role != Role.ADMINISTRATOR]
    )
    missions = forms.ModelMultipleChoiceField(
        label=_("Missions"),
        queryset=Mission.objects.filter(is_active=True),
        required=False,
        help_text=_("None: every mission the role sees (an officer's role needs at least one)."),
    )
    scopes = forms.MultipleChoiceField(label=_("May"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_at = forms.DateTimeField(label=_("Expires (UTC)"))
    rate_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=0,
        max_value=100_000,
        required=False,
        initial=0,
        help_text=_("0: the default."),
    )


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


class AllowedHostForm(forms.Form):
    host = forms.CharField(label=_("Host"), max_length=253)
    reason = forms.CharField(label=_("Reason"), max_length=200)
