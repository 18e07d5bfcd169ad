"""A small machine translator in LibreTranslate's shape, for the demo and the tests, under
`/translate`: `POST /translate/translate` ({q, source, target, format, api_key}, JSON or a
form) and `GET /translate/languages`. It knows a few phrases in the interface's languages
(en, fr, es, de, ar) and translates those properly; anything else comes back marked as not
really translated: "[ar] the original text". It refuses, as LibreTranslate does, a language
it does not have (400, "xx is not supported") and the key "refused" (403); fault rules for
the network "translate" give it 5xx, 429 or timeouts like the networks.
"""

from __future__ import annotations

import re

from channels.sandbox.http import Call, NetworkSpec, Request, Response, Router, json_response

PREFIX = NETWORK = "translate"
LANGUAGES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German", "ar": "Arabic"}
REFUSED_KEY = "refused"
TEXT_LIMIT = 5_000  # LibreTranslate's default --char-limit

# One row per phrase, the same words in each language: what the public asks a mission and
# what an officer answers, the demo's conversations.
PHRASES: tuple[dict[str, str], ...] = (
    {
        "en": "How do I get a visa?",
        "fr": "Comment obtenir un visa ?",
        "es": "¿Cómo obtengo un visado?",
        "de": "Wie bekomme ich ein Visum?",
        "ar": "كيف أحصل على تأشيرة؟",
    },
    {
        "en": "Thank you for your message.",
        "fr": "Merci pour votre message.",
        "es": "Gracias por su mensaje.",
        "de": "Vielen Dank für Ihre Nachricht.",
        "ar": "شكرا على رسالتك.",
    },
    {
        "en": "Visa appointments are booked online.",
        "fr": "Les rendez-vous pour les visas se prennent en ligne.",
        "es": "Las citas para visados se reservan en línea.",
        "de": "Visatermine werden online gebucht.",
        "ar": "تُحجز مواعيد التأشيرات عبر الإنترنت.",
    },
    {
        "en": "My passport was stolen. What should I do?",
        "fr": "On m'a volé mon passeport. Que dois-je faire ?",
        "es": "Me robaron el pasaporte. ¿Qué debo hacer?",
        "de": "Mein Reisepass wurde gestohlen. Was soll ich tun?",
        "ar": "سُرق جواز سفري. ماذا أفعل؟",
    },
    {
        "en": "Please contact the consular section.",
        "fr": "Veuillez contacter la section consulaire.",
        "es": "Póngase en contacto con la sección consular.",
        "de": "Bitte wenden Sie sich an die Konsularabteilung.",
        "ar": "يرجى التواصل مع القسم القنصلي.",
    },
    {
        "en": "When is the embassy open?",
        "fr": "Quand l'ambassade est-elle ouverte ?",
        "es": "¿Cuándo abre la embajada?",
        "de": "Wann ist die Botschaft geöffnet?",
        "ar": "متى تفتح السفارة؟",
    },
    {
        "en": "The embassy is open from Monday to Friday, 9:00 to 17:00.",
        "fr": "L'ambassade est ouverte du lundi au vendredi, de 9 h à 17 h.",
        "es": "La embajada abre de lunes a viernes, de 9:00 a 17:00.",
        "de": "Die Botschaft ist montags bis freitags von 9 bis 17 Uhr geöffnet.",
        "ar": "السفارة مفتوحة من الاثنين إلى الجمعة، من الساعة 9:00 إلى 17:00.",
    },
)
_SPACES = re.compile(r"\s+")
_ARABIC = re.compile("[\u0600-\u06ff]")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


_INDEX: dict[str, tuple[str, dict[str, str]]] = {
    _normal(phrase): (language, row) for row in PHRASES for language, phrase in row.items()
}


def translate_text(text: str, source: str, target: str) -> tuple[str, str]:
    """The translation and the language it was read as: a known phrase properly, else the
    text marked with its target language, so nobody takes it for a translation."""
    found = _INDEX.get(_normal(text))
    if found is not None and source in ("auto", found[0]):
        return found[1][target], found[0]
    detected = source if source != "auto" else ("ar" if _ARABIC.search(text) else "en")
    if detected == target:
        return text, detected
    return f"[{target}] {text}", detected


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def _fields(request: Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = request.json()
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {name: request.arg(name) for name in ("q", "source", "target", "format", "api_key")}


router = Router()


@router.route("POST", r"/translate")
def translate(call: Call) -> Response:
    fields = _fields(call.request)
    if fields.get("api_key") == REFUSED_KEY:
        return _error(403, "Invalid API key")
    text, source, target = fields.get("q", ""), fields.get("source", "").lower(), fields.get("target", "").lower()
    if not text:
        return _error(400, "Invalid request: missing q parameter")
    if not source:
        return _error(400, "Invalid request: missing source parameter")
    if not target:
        return _error(400, "Invalid request: missing target parameter")
    for code in (source, target):
        if code != "auto" and code not in LANGUAGES:
            return _error(400, f"{code} is not supported")
    if target == "auto":
        return _error(400, "auto is not supported")
    if len(text) > TEXT_LIMIT:
        return _error(400, f"Invalid request: request ({len(text)}) exceeds text limit ({TEXT_LIMIT})")
    translated, detected = translate_text(text, source, target)
    answer: dict = {"translatedText": translated}
    if source == "auto":
        answer["detectedLanguage"] = {"confidence": 90.0, "language": detected}
    return json_response(200, answer)


@router.route("GET", r"/languages")
def languages(call: Call) -> Response:
    return json_response(
        200, [{"code": code, "name": name, "targets": list(LANGUAGES)} for code, name in LANGUAGES.items()]
    )


SPEC = NetworkSpec(
    prefix=PREFIX,
    network=NETWORK,
    router=router,
    account_of=lambda request, state: None,
    server_error=lambda request: _error(500, "Cannot translate text: the sandbox was told to fail"),
    rate_limited=lambda request, seconds: _error(429, "Slowdown: too many requests"),
    not_found=lambda request: _error(404, "Not Found"),
)
