"""The forms of replies, their clearance, the answer library and moderation."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from conversations.lifecycle import Category, HideReason, ReplyKind
from conversations.models import AnswerLine, Item
from conversations.templatetags.public_text import make_inert
from diplomacy_hub.forms import QuickSelect
from diplomacy_hub.localtime import LocalDateTimeField

REPLY_TEXT_FORM_MAX = 10_000  # the longest any network takes (YouTube); each network's own limit is checked after
NOTE_MAX = 2_000


class ReplyForm(forms.Form):
    item = forms.ChoiceField(label=_("Answer"), widget=QuickSelect)
    line = forms.ModelChoiceField(
        label=_("Line from the library"),
        required=False,
        queryset=AnswerLine.objects.none(),
        empty_label=_("None: free text"),
        help_text=_("Leave the text empty to send the line as it stands."),
        widget=QuickSelect,
    )
    text = forms.CharField(
        label=_("Reply"),
        required=False,
        max_length=REPLY_TEXT_FORM_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ReplyKind.choices, initial=ReplyKind.PUBLIC, widget=QuickSelect)
    individual_case = forms.BooleanField(
        label=_("It is about an individual case (the press office clears it)"), required=False
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Signed by the server when it translated the draft (views_replies): the reply records it.
    translation = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40_000)

    def __init__(self, *args, items: list[Item], lines, private_possible: bool, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", secrets.token_urlsafe(24))
        super().__init__(*args, **kwargs)
        live = [item for item in items if item.deleted_at is None]
        self.fields["item"].choices = [
            (str(item.pk), make_inert(f"{item.author_name or item.author_handle or item.author_id}: {item.text[:60]}"))
            for item in reversed(live)
        ]
        self.fields["line"].queryset = lines
        self.fields["line"].label_from_instance = lambda line: f"{line.title} ({line.language}, v{line.version})"
        if not private_possible:
            self.fields["kind"].choices = [(ReplyKind.PUBLIC.value, ReplyKind.PUBLIC.label)]

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("line"):
            raise forms.ValidationError(_("Write the reply, or choose a line from the library."))
        return data


class ClearForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX)


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("Why it goes back"), max_length=NOTE_MAX)


class HideForm(forms.Form):
    hidden = forms.TypedChoiceField(
        choices=[("1", _("Hide")), ("0", _("Show again"))], coerce=lambda value: value == "1", widget=forms.HiddenInput
    )
    reason = forms.ChoiceField(
        label=_("House rule it breaks"),
        required=False,
        choices=[("", "—"), *HideReason.choices],
        help_text=_("Disagreement, criticism or a political opinion is never a reason to hide."),
        widget=QuickSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)


class RemoveForm(forms.Form):
    reason = forms.ChoiceField(label=_("House rule it breaks"), choices=[("", "—"), *HideReason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)


class LineForm(forms.Form):
    topic = forms.SlugField(label=_("Topic"), max_length=80, help_text=_("e.g. visa-appointments"))
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    language = forms.CharField(label=_("Language code"), max_length=16, help_text=_("e.g. fr, ar, es"))
    text = forms.CharField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        help_text=_("Placeholders: {mission}, {city}, {author}."),
    )
    crisis = forms.BooleanField(label=_("A crisis line (the crisis unit approves it)"), required=False)
    valid_until = LocalDateTimeField(label=_("Valid until (headquarters time, optional)"), required=False)

    def clean_language(self) -> str:
        value = self.cleaned_data["language"].strip().lower()
        if not value.replace("-", "").isalpha():
            raise forms.ValidationError(_("A language code is letters, such as fr or pt-br."))
        return value
