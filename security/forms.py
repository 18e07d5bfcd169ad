from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length checked before anything records the
    attempt (django-axes writes it into a varchar(255)): Django sets only the input's
    maxlength, so a longer name reached the database."""

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


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
