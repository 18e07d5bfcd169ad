"""Each text tab checked for its language offline (py3langid): a clear case is a warning
before submitting, in the reader's language; a short or mixed text says nothing."""

from __future__ import annotations

import pytest
from django.utils import translation

from posts.draft import Draft, DraftTarget, DraftText
from posts.language import looks_like
from posts.services.review import message_submit
from posts.validation import validate_draft
from tests.posts.factories import draft_message, officer

ENGLISH = "The embassy will be closed on Friday for the national day. Consular services reopen on Monday morning."
ARABIC = "ستغلق السفارة يوم الجمعة بمناسبة العيد الوطني، وتستأنف الخدمات القنصلية صباح يوم الاثنين."
FRENCH = "L'ambassade sera fermée vendredi pour la fête nationale. Les services consulaires rouvrent lundi matin."
SPANISH = "La embajada estará cerrada el viernes por la fiesta nacional. Los servicios consulares reabren el lunes."
GERMAN = "Die Botschaft ist am Freitag wegen des Nationalfeiertags geschlossen. Der Konsulardienst öffnet am Montag."


@pytest.mark.parametrize(
    ("text", "tab", "said"),
    [
        (ENGLISH, "ar", "en"),
        (ENGLISH, "fr", "en"),
        (FRENCH, "en", "fr"),
        (ARABIC, "fr", "ar"),
        (SPANISH, "de", "es"),
        (GERMAN, "es", "de"),
        (ARABIC, "ar", ""),
        (ENGLISH, "en", ""),
        (FRENCH, "fr", ""),
        (SPANISH, "es", ""),
        (GERMAN, "de", ""),
    ],
)
def test_a_text_in_another_language_is_told(text, tab, said):
    assert looks_like(text, tab) == said


@pytest.mark.parametrize(
    ("text", "tab"),
    [
        ("Merci !", "en"),  # too short to judge
        ("#FêteNationale @FranceEgypte https://example.org/fete 14/07", "ar"),  # nothing but noise
        ("Réception à la Résidence avec le Cairo Jazz Club et la Alexandria Film Society.", "fr"),  # names
        ("Ambasada Francuske u Beogradu organizuje prijem povodom nacionalnog praznika.", "hr"),  # close languages
        (ENGLISH, "xx"),  # a language the model does not know
        ("", "ar"),
    ],
)
def test_a_short_mixed_or_unknowable_text_says_nothing(text, tab):
    assert looks_like(text, tab) == ""


def _draft(*texts: DraftText) -> Draft:
    account = DraftTarget(
        id=1,
        network="twitter",
        name="@acc1",
        mission_id=1,
        mission_languages=("fr", "ar", "en"),
        mission_active=True,
        can_publish=True,
        is_sandbox=True,
    )
    return Draft(
        texts=texts,
        media=(),
        target_ids=(1,),
        targets=(account,),
        mission_id=1,
        mission_name="Embassy of France in Egypt",
        mission_languages=("fr", "ar", "en"),
    )


@pytest.mark.parametrize(
    ("reader", "said"),
    [
        ("en", "This Arabic text looks like English: check that it is in the right language."),
        ("fr", "Ce texte en arabe semble écrit en anglais\u00a0: vérifiez qu’il est dans la bonne langue."),
        ("es", "Este texto en árabe parece estar en inglés: compruebe que está en el idioma correcto."),
        ("de", "Dieser Text auf Arabisch sieht nach Englisch aus: Prüfen Sie, ob er in der richtigen Sprache ist."),
        ("ar", "يبدو هذا النص بالعربية مكتوبًا بالإنجليزية: تحقّق من أنه باللغة الصحيحة."),
    ],
)
def test_the_draft_warns_of_an_arabic_tab_in_english_in_the_readers_language(reader, said):
    problems = validate_draft(_draft(DraftText("fr", "", FRENCH), DraftText("ar", "", ENGLISH)))
    mismatch = [problem for problem in problems if problem.code == "texts.language_mismatch"]
    assert len(mismatch) == 1
    assert (mismatch[0].language, mismatch[0].blocking, mismatch[0].params["detected"]) == ("ar", False, "en")
    with translation.override(reader):
        assert mismatch[0].message == said


def test_a_network_variant_is_checked_too():
    problems = validate_draft(_draft(DraftText("ar", "", ARABIC), DraftText("ar", "twitter", ENGLISH)))
    mismatch = [problem for problem in problems if problem.code == "texts.language_mismatch"]
    assert [(problem.language, problem.network) for problem in mismatch] == [("ar", "twitter")]


def test_texts_in_their_own_languages_give_no_warning():
    problems = validate_draft(
        _draft(DraftText("fr", "", FRENCH), DraftText("ar", "", ARABIC), DraftText("en", "", ENGLISH))
    )
    assert "texts.language_mismatch" not in [problem.code for problem in problems]


@pytest.mark.django_db
def test_the_warning_does_not_stop_a_submit():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author, texts={"fr": FRENCH, "ar": ENGLISH})
    assert message_submit(actor=author, message_id=message.pk).state == "in_review"
