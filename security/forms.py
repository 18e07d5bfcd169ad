"""Forms of logging in (the code of an authenticator app; a login form that says when an
account is deactivated), of inviting a person and of setting one's password from an
invitation."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from embassies import selectors as embassies_selectors
from embassies.forms import searchable
from embassies.roles import Role


class TokenForm(forms.Form):
    """The six digits an authenticator app shows (spaces allowed, as apps group them)."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]*",
                "spellcheck": "false",
            }
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isascii() or not token.isdigit() or len(token) not in (6, 8):
            raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."), code="format")
        return token


class LoginForm(AuthenticationForm):
    """Django's login form, which says so when the account is deactivated, but only to
    whoever gave its right password (anyone else learns nothing about the account); and
    which checks the username's length before anything records the attempt (django-axes
    writes it into a varchar(255)): Django sets only the input's maxlength.
    """

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def get_invalid_login_error(self) -> ValidationError:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        person = get_user_model().objects.filter(username=username, is_active=False).first()
        if person is not None and password and person.check_password(password):
            return ValidationError(
                _("This account has been deactivated: you cannot log in. Ask an administrator if you need it back."),
                code="inactive",
            )
        return super().get_invalid_login_error()


class InvitationForm(forms.Form):
    """Who the new person is: name, e-mail, username, role and missions. The service checks
    what needs the database (an address or username already used, an officer's missions)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), help_text=_("The invitation's link is sent there."))
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("What they log in with: letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)
    missions = forms.MultipleChoiceField(
        label=_("Missions"),
        required=False,
        help_text=_("An officer needs at least one. Type a city, a country or a name, and choose as many as needed."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for mission in embassies_selectors.missions_to_attach():
            groups.setdefault(str(mission.get_region_display()), []).append(
                (mission.code, f"{mission.display_name} ({mission.display_city})")
            )
        self.fields["missions"].choices = list(groups.items())
        searchable(self.fields["missions"], placeholder=_("Type to find a mission"))
        self.fields["missions"].widget.attrs["data-combobox-remove"] = _("Remove %(name)s")

    def clean_missions(self) -> list[int]:
        # The choice field already limited the codes to the missions offered.
        codes = self.cleaned_data["missions"]
        return embassies_selectors.mission_ids_to_attach(codes=codes)


class AcceptInvitationForm(SetPasswordForm):
    """The password of the account an invitation makes, checked by Django's validators
    against the person to be (not too close to their name, username or e-mail)."""

    def __init__(self, invitation, *args, **kwargs) -> None:
        person = get_user_model()(
            username=invitation.username,
            email=invitation.email,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        super().__init__(person, *args, **kwargs)
        self.fields["new_password1"].label = _("Password")
        self.fields["new_password2"].label = _("Password again")
        self.fields["new_password1"].widget.attrs["autofocus"] = True
