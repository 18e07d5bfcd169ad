import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Network
from conversations import selectors
from conversations.lifecycle import CONVERSATION_SET_BY_HAND, Category, Priority
from conversations.models import Conversation, KnownAuthor
from conversations.services.inbox import NOTE_MAX, VIEW_NAME_MAX
from diplomacy_hub.forms import QuickSelect
from embassies.forms import ListFilterForm
from embassies.models import Mission
from embassies.names import by_name
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
        missions = missions_visible_to(user)
        field = self.fields["mission"]
        field.queryset = missions
        # By name in the reader's language, sorted here rather than by a CASE of 271 ranks
        # in SQL (which cost more to build than the rest of the inbox's queries); read when
        # the select is drawn, so that the live count never reads the missions.
        field.choices = functools.cache(
            lambda: [
                ("", field.empty_label),
                *(
                    (mission.pk, mission.display_name)
                    for mission in by_name(missions.only("pk", "code", "name", "name_fr"))
                ),
            ]
        )

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
        widget=QuickSelect,
    )
    snoozed_until = forms.Field(label=_("Snooze until"), required=False)
    close_reason = forms.ChoiceField(
        label=_("Reason for no reply"),
        required=False,
        choices=[("", "—"), *Conversation.CloseReason.choices],
        widget=QuickSelect,
    )

    def __init__(self, *args, mission: Mission, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["snoozed_until"] = LocalDateTimeField(
            label=_("Snooze until (%(city)s time)") % {"city": mission.display_city},
            required=False,
            zone=mission.zone,
            place=mission.display_city,
        )


class AssignForm(forms.Form):
    # QuickSelect: the conversation page draws its forms' selects in Python (a few hundred
    # options in all, one template each otherwise).
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), required=False, queryset=None, empty_label=_("Nobody"), widget=QuickSelect
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates


# --- Triage's rules ---------------------------------------------------------------------------

TRIAGE_CATEGORIES = [(value, label) for value, label in Category.choices if value != Category.UNSORTED]


class TriageForm(forms.Form):
    """A conversation's triage, corrected by hand."""

    category = forms.ChoiceField(label=_("Category"), choices=TRIAGE_CATEGORIES, widget=QuickSelect)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int, widget=QuickSelect)
    language = forms.CharField(
        label=_("Language"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("ar, fr, en…"), "size": 6}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=400,
        required=False,
        help_text=_("Separated by commas, for example: visa, schengen."),
    )

    def clean_tags(self) -> list[str]:
        return [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class KeywordPackForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    language = forms.CharField(
        label=_("Language"),
        max_length=16,
        required=False,
        help_text=_("ISO 639-1 code, for example “ar”; empty: texts in any language."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=TRIAGE_CATEGORIES)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    terms = forms.CharField(
        label=_("Words and phrases"),
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        help_text=_(
            "One per line, without regard to case or accents. A whole word or phrase; end it "
            "with * for the start of a word (“arrest*” finds “arrested”). In Arabic, Chinese, "
            "Japanese and other languages without spaces or with attached particles, anywhere."
        ),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=400,
        required=False,
        help_text=_("Separated by commas, for example: visa, schengen."),
    )
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=100_000,
        initial=100,
        help_text=_("Packs are tried from the lowest number; the first that matches sets the category."),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    mission = forms.ModelChoiceField(label=_("Mission"), queryset=None, required=False)

    def __init__(self, *args, missions, for_everyone: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        self.fields["mission"].required = not for_everyone
        self.fields["mission"].empty_label = _("Every mission (the press office's pack)") if for_everyone else None

    def clean_language(self) -> str:
        return self.cleaned_data["language"].strip().lower()

    def clean_tags(self) -> list[str]:
        return [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class KnownAuthorForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    key = forms.CharField(label=_("Handle or id"), max_length=300)
    kind = forms.ChoiceField(label=_("Who"), choices=KnownAuthor.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    mission = forms.ModelChoiceField(label=_("Mission"), queryset=None, required=False)

    def __init__(self, *args, missions, for_everyone: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        self.fields["mission"].required = not for_everyone
        self.fields["mission"].empty_label = _("Every mission") if for_everyone else None


class ServiceTargetsForm(forms.Form):
    """One pair of fields per category: minutes (empty: no clock), around the clock."""

    def __init__(self, *args, targets, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for target in targets:
            label = Category(target.category).label
            self.fields[f"{target.category}-minutes"] = forms.IntegerField(
                label=_("%(category)s: reply within (minutes)") % {"category": label},
                required=False,
                min_value=1,
                max_value=60 * 24 * 30,
                initial=target.minutes,
            )
            self.fields[f"{target.category}-always_on"] = forms.BooleanField(
                label=_("%(category)s: around the clock") % {"category": label},
                required=False,
                initial=target.always_on,
            )

    def targets(self) -> dict[str, tuple[int | None, bool]]:
        return {
            name.removesuffix("-minutes"): (value, bool(self.cleaned_data[name.replace("-minutes", "-always_on")]))
            for name, value in self.cleaned_data.items()
            if name.endswith("-minutes")
        }


class ProtectedPersonForm(forms.Form):
    name = forms.CharField(
        label=_("Name or handle"),
        max_length=200,
        help_text=_(
            "As it would be written: “Jane Doe” or “@janedoe”. Found as a whole word, "
            "without regard to case or accents."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
