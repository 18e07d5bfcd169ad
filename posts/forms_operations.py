"""Forms of the press office's and crisis unit's operations pages (posts/views/: monitor, pause, crisis).

Forms only read and check what was typed; the services (posts/services/*) do the writing.
Times are typed in a named zone (the mission's, or headquarters') and become aware
datetimes through diplomacy_hub/localtime.py, so that a service never sees a naive one.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Network
from diplomacy_hub.ids import parse_ids
from diplomacy_hub.localtime import LocalDateTimeField, hq_zone, zone_city
from embassies.forms import searchable
from embassies.models import Mission
from embassies.names import by_name, country_name
from embassies.validators import is_language_code
from posts.limits import REASON_MAX, TEXT_MAX
from posts.models import PublishingPause
from posts.services.crisis import DEFAULT_CRISIS_NETWORKS, clean_scope
from posts.services.messages import TITLE_MAX
from posts.services.pause import SILENCE_SCOPES
from posts.validation import language_name


class ConfirmMixin:
    """Every action asks first: its form carries `confirmed=yes` only on the confirmation
    page. Without it, the view shows that page instead of acting."""

    def confirmed(self) -> bool:
        return self.data.get("confirmed") == "yes"


# --- Delivery monitor ---------------------------------------------------------------------------


class EmptyActionForm(ConfirmMixin, forms.Form):
    """Retry, retract, approve now: nothing to type, only a confirmation."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CancelForm(ConfirmMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why cancel it?"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The author is told, with this reason."),
    )


class SettleForm(ConfirmMixin, forms.Form):
    OUTCOMES = [
        ("sent", _("It was published: I can see it on the account")),
        ("not_sent", _("It was not published: it is not on the account")),
    ]
    outcome = forms.ChoiceField(label=_("What became of it?"), choices=OUTCOMES, widget=forms.RadioSelect)
    external_url = forms.URLField(
        label=_("Link to the published post"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("If it was published: the post's address, so that it can be retracted later."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "not_sent" and cleaned.get("external_url"):
            self.add_error("external_url", _("A post that was not published has no link: leave this empty."))
        return cleaned


class ReleaseForm(ConfirmMixin, forms.Form):
    """Release held deliveries now, or at a time typed in `zone`."""

    WHEN = [("now", _("Now")), ("at", _("At a time I choose"))]
    when = forms.ChoiceField(label=_("When should they go out?"), choices=WHEN, initial="now", widget=forms.RadioSelect)
    publish_at = LocalDateTimeField(label=_("Date and time"), required=False)
    deliveries = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, zone: zoneinfo.ZoneInfo | None = None, zone_label: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone or hq_zone()
        self.fields["publish_at"] = LocalDateTimeField(
            zone=self.zone,
            place=zone_label or zone_city(self.zone),
            label=_("Date and time"),
            required=False,
            help_text=_("In %(zone)s time.") % {"zone": zone_label or self.zone.key},
        )

    def clean_deliveries(self) -> list[int]:
        ids = parse_ids(self.cleaned_data.get("deliveries") or "")
        if ids is None:
            raise ValidationError(_("The list of deliveries is damaged: start again from the monitor."))
        return ids

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "at":
            publish_at = cleaned.get("publish_at")
            if publish_at is None and "publish_at" not in self.errors:
                self.add_error("publish_at", _("Choose the date and time, or release them now."))
            elif publish_at is not None and publish_at <= timezone.now():
                self.add_error("publish_at", _("This time has passed: choose a time in the future, or now."))
        return cleaned

    def release_time(self) -> datetime | None:
        """None means now."""
        return self.cleaned_data.get("publish_at") if self.cleaned_data.get("when") == "at" else None


class PauseReleaseForm(ReleaseForm):
    """On the pause page: release the held deliveries of the messages ticked."""

    message_ids = forms.TypedMultipleChoiceField(
        label=_("Messages to release"),
        coerce=int,
        required=True,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one message to release.")},
    )

    def __init__(self, *args, message_choices=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message_ids"].choices = list(message_choices)


# --- Pause ---------------------------------------------------------------------------------------


class PauseForm(ConfirmMixin, forms.Form):
    Scope = PublishingPause.Scope

    scope = forms.ChoiceField(
        label=_("What to pause"),
        choices=PublishingPause.Scope.choices,
        initial=PublishingPause.Scope.ALL,
        widget=forms.RadioSelect,
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("Choose a region")), *Mission.Region.choices]
    )
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=2,
        help_text=_("Two-letter ISO code of the host country, for example LB."),
        widget=forms.TextInput(attrs={"list": "pause-countries", "autocomplete": "off", "size": 4}),
    )
    mission = forms.ChoiceField(label=_("Mission"), required=False)
    network = forms.ChoiceField(
        label=_("Network"), required=False, choices=[("", _("Choose a network")), *Network.choices]
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to everyone who sees the pause, and kept in the record."),
        error_messages={"required": _("Say why publishing is paused.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        missions = sorted(by_name(Mission.objects.active()), key=lambda mission: mission.region)
        groups: dict[str, list[tuple[str, str]]] = {}
        for mission in missions:
            groups.setdefault(str(mission.get_region_display()), []).append((mission.code, mission.display_name))
        self.fields["mission"].choices = [("", _("Choose a mission")), *groups.items()]
        searchable(self.fields["mission"], placeholder=_("Type to find a mission"))

    FIELD_OF_SCOPE = {"region": "region", "country": "country", "mission": "mission", "network": "network"}

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        field = self.FIELD_OF_SCOPE.get(scope or "")
        if field:
            value = cleaned.get(field) or ""
            if not value and field not in self.errors:
                self.add_error(field, _("Say which one to pause."))
            elif field == "country" and value and not Mission.objects.filter(country_code=value).exists():
                self.add_error("country", _("No mission is in the country “%(code)s”.") % {"code": value})
            cleaned["value"] = value
        else:
            cleaned["value"] = ""
        return cleaned

    def scope_in_words(self) -> str:
        scope = self.cleaned_data["scope"]
        value = self.cleaned_data["value"]
        return describe_pause(scope, value)


class SilenceForm(PauseForm):
    """A planned silence: a kind, a region, a country or a mission, and a time range in
    headquarters' zone; whether it holds crisis alerts too (asked again before saving)."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (value, label) for value, label in PublishingPause.Kind.choices if value != PublishingPause.Kind.PAUSE
        ],
    )
    starts_at = LocalDateTimeField(label=_("From (headquarters time)"))
    ends_at = LocalDateTimeField(label=_("Until (headquarters time)"))
    holds_crisis = forms.BooleanField(
        label=_("Hold crisis alerts too"),
        required=False,
        help_text=_("Off: crisis alerts still go out during the silence."),
    )
    crisis_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["kind", "scope", "region", "country", "mission", "starts_at", "ends_at", "holds_crisis", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["network"]
        scope = self.fields["scope"]
        scope.label = _("Where")
        scope.choices = [(value, label) for value, label in PublishingPause.Scope.choices if value in SILENCE_SCOPES]
        scope.initial = PublishingPause.Scope.COUNTRY
        self.fields["reason"].help_text = _("Shown on the calendar and on compose, and kept in the record.")
        self.fields["reason"].error_messages["required"] = _("Say why publishing falls silent.")


def describe_pause(scope: str, value: str) -> str:
    """ "Everything", "Region: Africa", "Network: X"..., in words."""
    Scope = PublishingPause.Scope
    if scope == Scope.ALL:
        return str(_("All publishing, everywhere"))
    label = value
    if scope == Scope.REGION and value in Mission.Region.values:
        label = str(Mission.Region(value).label)
    elif scope == Scope.NETWORK and value in Network.values:
        label = str(Network(value).label)
    elif scope == Scope.MISSION:
        mission = Mission.objects.filter(code=value).first()
        label = mission.display_name if mission else value
    elif scope == Scope.COUNTRY:
        label = f"{country_name(value)} ({value})" if Mission.objects.filter(country_code=value).exists() else value
    return _("%(scope)s: %(which)s") % {"scope": Scope(scope).label, "which": label}


# --- Crisis alerts --------------------------------------------------------------------------------

EXTRA_LANGUAGES = 2
OFFERED_CRISIS_NETWORKS = [
    (Network.TWITTER.value, Network.TWITTER.label),
    (Network.FACEBOOK.value, Network.FACEBOOK.label),
]


def _language_choices() -> list[tuple[str, str]]:
    codes = sorted(
        {code for languages in Mission.objects.values_list("languages", flat=True) for code in languages} - {"fr", "en"}
    )
    named = sorted(((code, f"{language_name(code)} ({code})") for code in codes), key=lambda item: item[1])
    return [("", _("Choose a language")), *named]


class CrisisAlertForm(forms.Form):
    SCOPE_KINDS = [
        ("regions", _("One or more regions")),
        ("countries", _("A list of countries")),
        ("all", _("Every mission in the world")),
    ]

    title = forms.CharField(
        label=_("Internal title"),
        max_length=TITLE_MAX,
        help_text=_("For the crisis unit and the press office; it is not published."),
        error_messages={"required": _("Give the alert an internal title.")},
    )
    text_fr = forms.CharField(
        label=_("Text in French"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "fr", "dir": "auto"}),
    )
    text_en = forms.CharField(
        label=_("Text in English"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "en", "dir": "auto"}),
    )
    scope_kind = forms.ChoiceField(
        label=_("Choose the missions by"), choices=SCOPE_KINDS, initial="regions", widget=forms.RadioSelect
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions"), required=False, choices=Mission.Region.choices, widget=forms.CheckboxSelectMultiple
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        max_length=1000,
        help_text=_("Two-letter ISO codes separated by commas or spaces, for example LB, SY, JO."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"),
        choices=OFFERED_CRISIS_NETWORKS,
        initial=list(DEFAULT_CRISIS_NETWORKS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A crisis alert is text only: YouTube needs a video and Flickr a photo."),
        error_messages={"required": _("Choose at least one network.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = _language_choices()
        for number in range(1, EXTRA_LANGUAGES + 1):
            self.fields[f"language_{number}"] = forms.ChoiceField(
                label=_("Other language %(number)s") % {"number": number},
                required=False,
                choices=choices,
            )
            self.fields[f"text_{number}"] = forms.CharField(
                label=_("Text in this language"),
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
            )

    def extra_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"language_{n}"], self[f"text_{n}"]) for n in range(1, EXTRA_LANGUAGES + 1)]

    def clean_countries(self) -> list[str]:
        text = self.cleaned_data.get("countries") or ""
        return [code.upper() for code in re.split(r"[\s,;]+", text) if code]

    def clean(self):
        cleaned = super().clean()
        cleaned["texts"] = self._clean_texts(cleaned)
        cleaned["scope"] = self._clean_scope(cleaned)
        return cleaned

    def _clean_texts(self, cleaned: dict) -> dict[str, str]:
        """The alert's texts by language: French and English, then the extra languages."""
        texts: dict[str, str] = {}
        for language in ("fr", "en"):
            body = (cleaned.get(f"text_{language}") or "").strip()
            if body:
                texts[language] = body
        for number in range(1, EXTRA_LANGUAGES + 1):
            language = cleaned.get(f"language_{number}") or ""
            body = (cleaned.get(f"text_{number}") or "").strip()
            if body and not language:
                self.add_error(f"language_{number}", _("Say which language this text is in."))
            elif language and not body:
                self.add_error(f"text_{number}", _("Write the text, or leave the language empty."))
            elif language and not is_language_code(language):
                self.add_error(f"language_{number}", _("Unknown language."))
            elif language in texts:
                self.add_error(f"language_{number}", _("This language already has a text."))
            elif language:
                texts[language] = body
        if not (set(texts) & {"fr", "en"}):
            self.add_error(
                "text_fr",
                _(
                    "Write the alert in French or in English at least: accounts whose "
                    "languages have no text receive it in French, else in English."
                ),
            )
        return texts

    def _clean_scope(self, cleaned: dict) -> dict | None:
        """Everyone, regions or countries, checked against the missions we have."""
        kind = cleaned.get("scope_kind")
        scope: dict | None = None
        if kind == "all":
            scope = {"all": True}
        elif kind == "regions":
            if not cleaned.get("regions"):
                self.add_error("regions", _("Tick at least one region."))
            else:
                scope = {"regions": cleaned["regions"]}
        elif kind == "countries":
            if not cleaned.get("countries"):
                self.add_error("countries", _("Give at least one country code."))
            else:
                scope = {"countries": cleaned["countries"]}
        if scope is None:
            return None
        try:
            return clean_scope(scope)
        except ValidationError as error:
            self.add_error(
                "countries" if kind == "countries" else "regions",
                " ".join(error.message_dict.get("scope", error.messages)),
            )
            return None


class CrisisReachForm(CrisisAlertForm):
    """The reach preview reads only the scope and the networks: nothing else is required."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["networks"].required = False

    def clean(self):
        cleaned = super().clean()
        for name in [name for name in self.errors if name not in ("scope_kind", "regions", "countries")]:
            del self.errors[name]
        if not cleaned.get("networks"):
            cleaned["networks"] = list(DEFAULT_CRISIS_NETWORKS)
        return cleaned
