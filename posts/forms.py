"""Forms of the publishing pages: they read and check what people type, in their words and
in the mission's local time, and hand plain values to the services (which decide).

Times are typed in a mission's local time and converted by diplomacy_hub/localtime.py: a
time that does not exist on that day or happens twice is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Network, SocialAccount
from diplomacy_hub.localtime import BoundedDateField, LocalDateTimeField, hq_place, place_of, zone_of
from embassies.forms import searchable
from embassies.models import RIGHT_TO_LEFT_LANGUAGES, Mission
from posts.draft import Draft, draft_typed, texts_of
from posts.limits import TEXT_MAX
from posts.models import ALT_TEXT_MAX, COMMENT_MAX, TEXT_TITLE_MAX, TITLE_MAX, Attachment, Message, Priority
from posts.problems import display_language
from posts.validation import is_blocking, language_name

NETWORKS_WITH_TITLES = (Network.YOUTUBE, Network.FLICKR)


def text_field(language: str, network: str = "") -> str:
    """The compose form's field for a text: "text_fr", or "text_fr_twitter" for a variant."""
    return f"text_{language}_{network}" if network else f"text_{language}"


def title_field(language: str, network: str = "") -> str:
    return f"title_{language}_{network}" if network else f"title_{language}"


# --- Errors beside the fields -----------------------------------------------------------------


class ErrorsBesideFieldsMixin:
    """Service errors (a ValidationError keyed by the service's argument names) land beside
    the field they concern; the rest at the top of the form."""

    service_fields: dict[str, str] = {}

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                name = self.service_fields.get(key, key)
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, field label, message) for every error, fields in their order."""
        summary = []
        for message in self.non_field_errors():
            summary.append(("", "", message))
        for name in self.fields:
            for message in self.errors.get(name, []):
                summary.append((self[name].auto_id, str(self.fields[name].label or ""), message))
        return summary


# --- Compose ---------------------------------------------------------------------------------


@dataclass
class VariantFields:
    network: str
    label: str
    text: forms.BoundField
    title: forms.BoundField | None

    @property
    def has_content(self) -> bool:
        return bool((self.text.value() or "").strip() or (self.title and (self.title.value() or "").strip()))

    @property
    def has_errors(self) -> bool:
        return bool(self.text.errors or (self.title and self.title.errors))


@dataclass
class LanguageFields:
    code: str
    name: str
    direction: str
    text: forms.BoundField
    title: forms.BoundField
    variants: list[VariantFields] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        count = len(self.text.errors) + len(self.title.errors)
        return count + sum(len(v.text.errors) + len(v.title.errors if v.title else []) for v in self.variants)

    @property
    def variants_open(self) -> bool:
        return any(variant.has_content or variant.has_errors for variant in self.variants)


@dataclass
class TargetChoice:
    account: SocialAccount
    checked: bool
    id: str


class ComposeForm(ErrorsBesideFieldsMixin, forms.Form):
    """A message as the officer writes it: title, a text per mission language (and per
    network where one needs its own wording), target accounts, desired local time, media.

    `texts()` gives the services' `texts` argument; `target_ids()` the accounts chosen.
    """

    service_fields = {"target_ids": "targets", "texts": "__all__", "alt_text": "alt_text", "mission": "__all__"}

    title = forms.CharField(
        label=_("Internal title"),
        max_length=TITLE_MAX,
        help_text=_("For the team only: it is never published."),
        error_messages={"required": _("Give the message an internal title.")},
    )
    targets = forms.MultipleChoiceField(
        label=_("Publish to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("Add an image or a video"),
        required=False,
        help_text=_("JPEG, PNG, GIF or WebP images; MP4 or MOV videos. Location and camera data are removed."),
    )
    alt_text = forms.CharField(
        label=_("Describe the image (alt text)"),
        required=False,
        max_length=ALT_TEXT_MAX,
        help_text=_("Read aloud to people who cannot see it. Every network that takes images asks for one."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args,
        mission: Mission,
        accounts: list[SocialAccount],
        message: Message | None = None,
        attachments: list[Attachment] | None = None,
        **kwargs,
    ) -> None:
        self.mission, self.accounts, self.message = mission, accounts, message
        self.attachments = attachments or []
        if message is not None and not kwargs.get("initial"):
            kwargs["initial"] = self.initial_from(message)
        super().__init__(*args, **kwargs)
        zone = mission.zone
        self.fields["desired_at"] = LocalDateTimeField(
            zone=zone,
            place=mission.display_city,
            required=False,
            label=_("Desired time in %(place)s") % {"place": mission.display_city},
            help_text=_("Local time of the mission. Leave empty to let the press office choose."),
        )
        self.fields["targets"].choices = [(str(account.pk), str(account)) for account in accounts]
        for language in mission.languages:
            name = language_name(language)  # inside a sentence: "Texte en arabe"
            self.fields[text_field(language)] = forms.CharField(
                label=_("Text in %(language)s") % {"language": name},
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 6}),
            )
            self.fields[title_field(language)] = forms.CharField(
                label=_("Title in %(language)s (YouTube, Flickr)") % {"language": name},
                required=False,
                max_length=TEXT_TITLE_MAX,
            )
            for network, label in Network.choices:
                self.fields[text_field(language, network)] = forms.CharField(
                    label=_("%(network)s wording in %(language)s") % {"network": label, "language": name},
                    required=False,
                    max_length=TEXT_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
                if network in NETWORKS_WITH_TITLES:
                    self.fields[title_field(language, network)] = forms.CharField(
                        label=_("%(network)s title in %(language)s") % {"network": label, "language": name},
                        required=False,
                        max_length=TEXT_TITLE_MAX,
                    )
            rtl = language in RIGHT_TO_LEFT_LANGUAGES
            for key in [
                name(language, network) for network in ("", *Network.values) for name in (text_field, title_field)
            ]:
                if key in self.fields:
                    self.fields[key].widget.attrs.update({"lang": language, "dir": "rtl" if rtl else "auto"})
        for attachment in self.attachments:
            self.fields[f"alt_{attachment.pk}"] = forms.CharField(
                label=_("Alt text of %(name)s") % {"name": attachment.original_name},
                required=False,
                max_length=ALT_TEXT_MAX,
                initial=attachment.alt_text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean_desired_at(self):
        """A new desired time must be ahead; one already stored may have passed meanwhile
        (the reviewer then chooses), and saving the draft again must not fail on it."""
        value = self.cleaned_data.get("desired_at")
        unchanged = self.message is not None and value == self.message.desired_at
        if value is not None and value <= timezone.now() and not unchanged:
            raise ValidationError(_("This time has passed: choose a time in the future."), code="past")
        return value

    @staticmethod
    def initial_from(message: Message) -> dict:
        initial = {
            "title": message.title,
            "targets": [str(account.pk) for account in message.targets.all()],
            "desired_at": message.desired_at,
            "version": message.version,
        }
        for text in message.texts.all():
            initial[text_field(text.language, text.network)] = text.body
            initial[title_field(text.language, text.network)] = text.title
        return initial

    def as_data(self) -> dict:
        """The form's values as POST data (to check a saved message beside its fields)."""
        data = {}
        for name, bound in ((name, self[name]) for name in self.fields):
            value = bound.value()
            if name == "file" or value is None:
                continue
            if name == "desired_at":
                value = self.fields[name].prepare_value(value)
            data[name] = value
        return data

    # --- What the services take ---------------------------------------------------------

    def _value(self, name: str) -> str:
        if self.is_bound and name in getattr(self, "cleaned_data", {}):
            return self.cleaned_data[name] or ""
        return ""

    def texts(self) -> dict:
        """{(language, network): {"body", "title"}} from the cleaned fields: what the services take."""
        return self._texts(self._value)

    def _texts(self, value) -> dict:
        return {
            (language, network): {
                "body": value(text_field(language, network)),
                "title": value(title_field(language, network)) if title_field(language, network) in self.fields else "",
            }
            for language in self.mission.languages
            for network in ("", *Network.values)
        }

    def text_field_names(self) -> list[str]:
        """Every text and title field, main and variants, in the form's order."""
        return [
            name(language, network)
            for language in self.mission.languages
            for network in ("", *Network.values)
            for name in (text_field, title_field)
            if name(language, network) in self.fields
        ]

    def _typed(self, name: str) -> str:
        return str(self[name].value() or "")

    def draft(self) -> Draft:
        """What this form would publish, as typed (fields with an error included, so that
        the preview and the problems beside the fields show what the officer sees)."""
        if self.is_bound:
            self.is_valid()
            desired_at = getattr(self, "cleaned_data", {}).get("desired_at")
        else:
            desired_at = self.initial.get("desired_at")
        chosen = {str(value) for value in (self["targets"].value() or [])}
        return draft_typed(
            message=self.message,
            mission_id=self.mission.pk,
            mission_name=self.mission.display_name,
            mission_languages=self.mission.languages,
            texts=texts_of(self._texts(self._typed)),
            accounts=[account for account in self.accounts if str(account.pk) in chosen],
            attachments=self.attachments,
            desired_at=desired_at,
        )

    def target_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("targets", [])]

    def changed_alt_texts(self) -> list[tuple[Attachment, str]]:
        changed = []
        for attachment in self.attachments:
            name = f"alt_{attachment.pk}"
            if name in self.cleaned_data:
                alt = " ".join(self.cleaned_data[name].split())
                if alt != attachment.alt_text:
                    changed.append((attachment, alt))
        return changed

    # --- Problems found by validation, beside their fields -------------------------------------

    def field_for_problem(self, problem) -> str | None:
        language = getattr(problem, "language", "") or ""
        network = getattr(problem, "network", "") or ""
        kind = getattr(problem, "field", "") or ""
        if kind in ("targets", "desired_at"):
            return kind
        if kind == "media":
            return "file"
        if language not in self.mission.languages:
            return None
        name = {"text": text_field, "texts": text_field, "title": title_field}.get(kind)
        if name is None:
            return None
        variant = name(language, network)
        if network and variant in self.fields and (self[variant].value() or "").strip():
            return variant
        return name(language)

    def add_problems(self, problems) -> None:
        """Problems that stop the message, each beside its field (warnings are shown in the
        preview, not as errors)."""
        for problem in problems:
            if is_blocking(problem):
                self.add_error(self.field_for_problem(problem), problem.message)

    # --- Layout ----------------------------------------------------------------------------

    def languages(self) -> list[LanguageFields]:
        panels = []
        for language in self.mission.languages:
            panel = LanguageFields(
                code=language,
                name=display_language(language),
                direction="rtl" if language in RIGHT_TO_LEFT_LANGUAGES else "ltr",
                text=self[text_field(language)],
                title=self[title_field(language)],
            )
            for network, label in Network.choices:
                title_name = title_field(language, network)
                panel.variants.append(
                    VariantFields(
                        network=network,
                        label=label,
                        text=self[text_field(language, network)],
                        title=self[title_name] if title_name in self.fields else None,
                    )
                )
            panels.append(panel)
        return panels

    def target_groups(self) -> list[tuple[str, list[TargetChoice]]]:
        chosen = {str(value) for value in (self["targets"].value() or [])}
        groups: dict[str, list[TargetChoice]] = {}
        for account in self.accounts:
            groups.setdefault(account.get_network_display(), []).append(
                TargetChoice(account=account, checked=str(account.pk) in chosen, id=f"id_targets_{account.pk}"),
            )
        return list(groups.items())

    def alt_fields(self) -> list[tuple[Attachment, forms.BoundField]]:
        return [(attachment, self[f"alt_{attachment.pk}"]) for attachment in self.attachments]


# --- Review -------------------------------------------------------------------------------


class VersionedForm(ErrorsBesideFieldsMixin, forms.Form):
    """Carries the message version the page showed, so that a stale page cannot decide."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class ApproveForm(VersionedForm):
    """Approve now, or at a time typed in the mission's local time. When the desired time
    has passed, nothing is chosen for the reviewer: they choose now or a new time."""

    NOW, AT = "now", "at"
    service_fields = {"publish_at": "publish_at"}

    when = forms.ChoiceField(
        label=_("When"),
        widget=forms.RadioSelect,
        choices=[(NOW, _("Publish now")), (AT, _("Publish at this time"))],
        error_messages={"required": _("Choose: publish now, or at a time.")},
    )
    comment = forms.CharField(
        label=_("Comment for the author (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, message: Message, **kwargs) -> None:
        self.message = message
        self.desired_passed = bool(message.desired_at and message.desired_at <= timezone.now())
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("version", message.version)
        if message.desired_at and not self.desired_passed:
            initial.setdefault("when", self.AT)
            initial.setdefault("publish_at", message.desired_at)
        elif message.desired_at is None:
            initial.setdefault("when", self.NOW)
        super().__init__(*args, **kwargs)
        place = place_of(message.mission)
        self.fields["publish_at"] = LocalDateTimeField(
            zone=zone_of(message.mission),
            place=place,
            required=False,
            label=_("Time in %(place)s") % {"place": place},
        )
        self.fields["when"].widget.attrs["id"] = "id_when"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == self.AT and not cleaned.get("publish_at") and "publish_at" not in self.errors:
            self.add_error("publish_at", _("Give the time to publish at, or choose “Publish now”."))
        elif cleaned.get("when") == self.AT and cleaned.get("publish_at") and cleaned["publish_at"] <= timezone.now():
            self.add_error("publish_at", _("This time has passed: choose a time in the future, or publish now."))
        return cleaned

    def publish_at(self) -> datetime | None:
        return self.cleaned_data["publish_at"] if self.cleaned_data.get("when") == self.AT else None


class DecisionForm(VersionedForm):
    """Request changes or reject: the comment says why, and is required."""

    service_fields = {"comment": "comment"}

    comment = forms.CharField(label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, message: Message, required_message: str, prefix: str, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("version", message.version)
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["comment"].error_messages["required"] = required_message


class CommentForm(ErrorsBesideFieldsMixin, forms.Form):
    service_fields = {"body": "body"}

    body = forms.CharField(label=_("Add a comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


# --- Lists ----------------------------------------------------------------------------------


def _mission_choices(missions) -> list[tuple[str, str]]:
    return [("", _("All missions")), *((str(mission.pk), mission.name) for mission in missions)]


class ReviewQueueFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    mission = forms.ChoiceField(label=_("Mission"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    date_from = BoundedDateField(label=_("Going out from"), required=False)
    date_to = BoundedDateField(label=_("Going out until"), required=False)

    def __init__(self, *args, missions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions")), *Mission.Region.choices]
        self.fields["mission"].choices = _mission_choices(missions)
        searchable(self.fields["mission"], placeholder=_("All missions"))
        self.fields["network"].choices = [("", _("All networks")), *Network.choices]
        self.fields["priority"].choices = [("", _("Any priority")), *Priority.choices]

    def filters(self) -> dict:
        """Valid filters only: a bad value in the address is ignored, not an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.fields}

    @property
    def active(self) -> bool:
        return any(self.filters().values())


class CalendarForm(forms.Form):
    WEEK, MONTH = "week", "month"
    HQ, MISSION = "hq", "mission"

    view = forms.ChoiceField(
        label=_("View"), required=False, widget=forms.RadioSelect, choices=[(WEEK, _("Week")), (MONTH, _("Month"))]
    )
    date = BoundedDateField(label=_("Showing"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    mission = forms.ChoiceField(label=_("Mission"), required=False)
    tz = forms.ChoiceField(label=_("Times in"), required=False, widget=forms.RadioSelect)

    def __init__(self, data=None, *, missions, today: date, **kwargs) -> None:
        # Always bound, defaults first: every control shows what the page shows.
        defaults = {"view": self.WEEK, "tz": self.HQ, "date": today.isoformat()}
        data = {**defaults, **{key: value for key, value in (data or {}).items() if value}}
        super().__init__(data, **kwargs)
        self.today = today
        self.fields["region"].choices = [("", _("All regions")), *Mission.Region.choices]
        self.fields["mission"].choices = _mission_choices(missions)
        searchable(self.fields["mission"], placeholder=_("All missions"))
        self.fields["tz"].choices = [
            (self.HQ, _("%(place)s (headquarters)") % {"place": hq_place()}),
            (self.MISSION, _("Each mission's own")),
        ]

    def values(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "view": data.get("view") or self.WEEK,
            "date": data.get("date") or self.today,
            "region": data.get("region") or "",
            "mission": data.get("mission") or "",
            "tz": data.get("tz") or self.HQ,
        }


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
