from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Network
from conversations import selectors
from conversations.lifecycle import CONVERSATION_SET_BY_HAND, Category
from conversations.models import Conversation
from conversations.services.inbox import NOTE_MAX, VIEW_NAME_MAX
from diplomacy_hub.forms import QuickSelect
from embassies.forms import ListFilterForm
from embassies.models import Mission
from embassies.selectors import missions_visible_to
from embassies.validators import is_language_code
from posts.forms import LocalDateTimeField


class InboxFilterForm(ListFilterForm):
    mission = forms.ModelChoiceField(
        label=_("Mission"), required=False, queryset=None, empty_label=_("All missions"), widget=QuickSelect
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *Mission.Region.choices]
    )
    network = forms.ChoiceField(label=_("Network"), required=False, choices=[("", _("All networks")), *Network.choices])
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": _("ar, fr, en…"), "size": 6}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), (selectors.ACTIVE, _("To do")), *Conversation.Status.choices],
    )
    due = forms.ChoiceField(
        label=_("Reply due"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("overdue", _("Overdue")),
            ("soon", _("Due within the hour")),
            ("escalated", _("Escalated to headquarters")),
        ],
    )
    assignee = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[("", _("Anyone or nobody")), ("me", _("Me")), ("nobody", _("Nobody"))],
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions_visible_to(user).order_by("name")

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip().lower()
        if language and not is_language_code(language):
            raise forms.ValidationError(_("A language is a two-letter code, for example ar, fr or en."))
        return language

    def raw_filters(self) -> dict[str, str]:
        """The valid filters as the query string gave them (to save a view, to link to the
        same inbox): ids and codes, never objects."""
        return {name: str(getattr(value, "pk", value)) for name, value in self.filters().items()}


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name this view"), max_length=VIEW_NAME_MAX)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the desk only, never by the public."),
    )


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
