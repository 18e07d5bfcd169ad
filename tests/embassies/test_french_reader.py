"""No English for a French reader, beyond the catalogue itself (test_translations.py):
what the services and the workers write, the adapters' refusals, the channels' own pages,
and the e-mails, which each person receives in the language they read the app in."""

from __future__ import annotations

import ast
import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.adapters.base import AdapterError, PermanentError, Said
from channels.models import Network, SocialAccount
from channels.notifications import notify_admins_of_account_problem
from channels.problems import PROBLEMS as NETWORK_PROBLEMS
from channels.problems import said_of
from posts.models import Delivery
from posts.notifications import notify_press_office_of_failure
from posts.services.review import message_approve, message_cancel, message_request_changes
from security.models import LanguagePreference
from security.services import language_remember
from tests.embassies.test_translations import _codes_in
from tests.posts.factories import account, administrator, approved_message, officer, press_officer, submitted_message
from tests.security.otp import force_verified_login

BASE = Path(settings.BASE_DIR)
# Words that give an English sentence away; none may reach a French reader.
ENGLISH = re.compile(r"\b(the|and|could not|refused|needs?|Hello|Open|account|published|failed|because|your)\b")
ADAPTER_ERRORS = {"AdapterError", "PermanentError", "TransientError", "AuthError", "RateLimited", "AppAccessError"}
ACCOUNT_ERRORS = {"AccountError", "ConnectError", "AccountAlreadyConnected"}


def _english_in(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    for word in allowed:
        text = text.replace(word, "")
    return ENGLISH.findall(text)


# --- Every sentence the code writes for a person carries a code -------------------------------------


# The writers of a reason a person reads later, and where they take it: a position or a keyword.
REASON_WRITERS: dict[str, int | str] = {
    "_record_check": 1,  # an account's health check (channels.services)
    "error_fields": 0,  # a delivery's last error (posts.models.Delivery)
    "delivery_refuse": "reason",  # a worker's refusal before the call (posts.services.outcomes)
    "delivery_lost_in_flight": "reason",  # the sweeper's verdict on a dead worker's delivery
}


def _uncoded_sentences(path: Path, names: set[str]) -> list[str]:
    """Calls of these error classes, or of a writer of reasons, given a sentence (a string,
    an f-string, a sum of them) instead of a `Said` with its code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        argument = None
        if name in names and node.args:
            argument = node.args[0]
        elif isinstance(where := REASON_WRITERS.get(name), int) and len(node.args) > where:
            argument = node.args[where]
        elif isinstance(where, str):
            argument = next((keyword.value for keyword in node.keywords if keyword.arg == where), None)
        if isinstance(argument, ast.JoinedStr | ast.BinOp) or (isinstance(argument, ast.Constant) and argument.value):
            found.append(f"{path.relative_to(BASE)}:{node.lineno}: {ast.unparse(argument)[:80]}")
    return found


def test_every_sentence_of_the_adapters_and_the_account_services_has_a_code():
    """An adapter's refusal or failure, and the channels' refusals and health check results,
    reach people (the delivery monitor, the account's page, the connect page, the e-mails):
    each is a `Said` with a code that channels.problems words in the reader's language."""
    found = []
    for path in sorted((BASE / "channels" / "adapters").glob("*.py")):
        found += _uncoded_sentences(path, ADAPTER_ERRORS)
    found += _uncoded_sentences(BASE / "channels" / "services.py", ADAPTER_ERRORS | ACCOUNT_ERRORS)
    assert not found, "Give these a code (Said(text, code, **params)) worded in channels/problems.py:\n" + "\n".join(
        found
    )


def test_every_reason_a_worker_writes_has_a_code():
    """The reasons the publishing workers, the sweeper and the reply workers write on a
    delivery (shown on the monitor, the crisis board, the dashboard and in the failure
    e-mail) are `Said`s with a code, like the adapters' refusals they pass on."""
    found = []
    for app in ("posts", "conversations"):
        for path in sorted((BASE / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found += _uncoded_sentences(path, ADAPTER_ERRORS)
    assert not found, "Give these a code (Said(text, code, **params)) worded in posts/problems.py:\n" + "\n".join(found)


def test_the_uncoded_sentence_rule_finds_what_it_should(tmp_path):
    source = BASE / "channels" / "adapters" / "_rule_sample.py"
    try:
        source.write_text(
            'raise AuthError("No.")\n'
            'raise PermanentError(f"X {a}")\n'
            'raise TransientError("a" + b, request_sent=True)\n'
            '_record_check(account, "OK")\n'
            'raise AuthError(Said("No.", "connect.no_code"))\n'
            "raise PermanentError(detail)\n"
            'Delivery.error_fields("Gone.", Kind.UNKNOWN)\n'
            'outcomes.delivery_refuse(delivery, State.FAILED, reason=f"Account {status}.")\n'
            'delivery_lost_in_flight(delivery, reason="The worker died.")\n'
            "Delivery.error_fields()\n"
            'outcomes.delivery_refuse(delivery, State.HELD, reason=Said("Late.", "delivery.late"))\n',
            encoding="utf-8",
        )
        assert len(_uncoded_sentences(source, ADAPTER_ERRORS)) == 7
    finally:
        source.unlink()


def test_the_codes_of_the_channels_are_worded_below_posts():
    """The channels' pages word problems with channels.problems (they may not import posts):
    every code written in channels is worded there, not only in posts' extension of it."""
    used = set()
    for path in (BASE / "channels").rglob("*.py"):
        if "migrations" not in path.parts:
            used |= _codes_in(path)
    used = {code for code in used if "." in code}
    missing = sorted(used - set(NETWORK_PROBLEMS))
    assert not missing, f"Word these in channels/problems.py (and in French): {missing}"


def test_a_code_is_worded_once():
    from channels.problems import WORDING

    with pytest.raises(ValueError, match="worded twice"):
        WORDING.extended({"check.ok": "again"})


def test_an_error_made_from_another_keeps_its_code():
    """Adapters re-raise one kind as another from its `detail` (a refused code exchange
    becomes an AuthError): the code goes along."""
    first = PermanentError(Said("X refused the call: no", "network.refused_call", network="twitter", detail="no"))
    second = AdapterError(first.detail)
    assert (second.code, second.params) == ("network.refused_call", {"network": "twitter", "detail": "no"})
    assert said_of(second)["text"] == "X refused the call: no"


# --- The channels' pages ---------------------------------------------------------------------------


@pytest.fixture
def french_admin(db):
    client = Client()
    force_verified_login(client, administrator(username="admin-fr"))
    client.cookies["django_language"] = "fr"
    return client


@pytest.mark.django_db
def test_a_refused_connection_reads_in_french(french_admin):
    """The network's callback carries no state: the page says so in French, whole."""
    response = french_admin.get(reverse("channels:account_callback", args=["twitter"]) + "?code=abc")
    assert response.status_code == 400
    body = response.content.decode()
    assert "La réponse du réseau ne porte pas de paramètre d’état" in body
    assert "carries no state" not in body


@pytest.mark.django_db
def test_a_health_check_result_reads_in_french_on_the_account_page(french_admin):
    checked = account("emb-eg-cairo", Network.FACEBOOK, handle="FranceEgypte")
    refusal = AdapterError(
        Said(
            "Facebook refused the call: token expired (code 190)",
            "network.refused_call",
            network="facebook",
            detail="token expired (code 190)",
        )
    )
    SocialAccount.objects.filter(pk=checked.pk).update(
        last_checked_at=timezone.now(),
        last_check_result="Could not check now: Facebook refused the call: token expired (code 190)",
        last_check_code="check.failed_for_now",
        last_check_params={"problem": said_of(refusal)},
    )
    body = french_admin.get(reverse("channels:account_detail", args=[checked.pk])).content.decode()
    assert "Vérification impossible pour l’instant" in body
    assert "Facebook a refusé l’appel" in body
    assert "token expired (code 190)" in body  # the network's own words, as they came
    assert "Could not check now" not in body


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.django_db
def test_the_accounts_counts_each_take_their_plural_in_french(french_admin):
    """French makes zero and one singular: "0 expiré", "1 connecté", "2 connectés"."""
    account("emb-eg-cairo", Network.FACEBOOK, handle="FranceEgypte")
    text = _text(french_admin.get(reverse("channels:account_list")))
    assert "1 connecté · 0 expiré · 0 révoqué · 0 non connecté · 0 désactivé" in text
    account("emb-eg-cairo", Network.TWITTER, handle="@FranceEgypte")
    text = _text(french_admin.get(reverse("channels:account_list")))
    assert "2 connectés · 0 expiré" in text


# --- E-mails, in each recipient's language -------------------------------------------------------------


def _french(user):
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": "fr"})
    return user


@pytest.mark.django_db
def test_the_failure_mail_quotes_the_worded_problem_in_the_recipients_language(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks
):
    french = _french(press_officer(email="fr@example.org"))
    press_officer(email="en@example.org")
    message = approved_message(author=officer("emb-eg-cairo"), approver=french, title="Fête nationale")
    mailoutbox.clear()
    delivery = message.deliveries.select_related("account__mission").get(language="ar")
    delivery.state, delivery.last_error_kind = Delivery.State.FAILED, Delivery.ErrorKind.PERMANENT
    delivery.last_error = "X refused the call: duplicate content"
    delivery.last_error_code = "network.refused_call"
    delivery.last_error_params = {"network": "twitter", "detail": "duplicate content"}
    delivery.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_press_office_of_failure(message=message, deliveries=[delivery])
    mail_tasks.run()
    mails = {email.to[0]: email for email in mailoutbox}
    french_mail, english_mail = mails["fr@example.org"], mails["en@example.org"]
    assert french_mail.subject == "[Diplomacy Hub] Échec de publication\u00a0: Fête nationale (1)"
    assert "X a refusé l’appel\u00a0: duplicate content" in french_mail.body
    assert "Ambassade de France en Égypte" in french_mail.body
    assert "Arabe" in french_mail.body
    assert not _english_in(french_mail.body, allowed=("duplicate content", "Diplomacy Hub", "Fête nationale"))
    assert "X refused the call: duplicate content" in english_mail.body


@pytest.mark.django_db
def test_the_authors_mails_read_in_french(django_capture_on_commit_callbacks, mailoutbox, mail_tasks):
    author = _french(officer("emb-jp-tokyo", email="auteur@example.org"))
    reviewer = press_officer(first_name="Claire", last_name="Dupont")
    approved = submitted_message(author=author, mission_or_code="emb-jp-tokyo", title="Sakura", texts={"fr": "Bonjour"})
    changes = submitted_message(author=author, mission_or_code="emb-jp-tokyo", title="Hanami", texts={"fr": "Bonjour"})
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=reviewer, message_id=approved.pk, publish_at=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        message_request_changes(actor=reviewer, message_id=changes.pk, comment="Ajoutez la date.")
    with django_capture_on_commit_callbacks(execute=True):
        message_cancel(actor=reviewer, message_id=approved.pk, reason="Deuil national.")
    mail_tasks.run()
    assert [email.subject for email in mailoutbox] == [
        "[Diplomacy Hub] Approuvé\u00a0: Sakura",
        "[Diplomacy Hub] Modifications demandées\u00a0: Hanami",
        "[Diplomacy Hub] Annulé\u00a0: Sakura",
    ]
    approval, request, cancellation = (email.body for email in mailoutbox)
    approved_words = "Claire Dupont a approuvé votre message «\u00a0Sakura\u00a0» pour la mission «\u00a0{}\u00a0»."
    assert approved_words.format("Ambassade de France au Japon") in approval
    assert "à Tokyo" in approval
    assert "à Paris" in approval
    assert "Ajoutez la date." in request
    assert "Deuil national." in cancellation
    for body in (approval, request, cancellation):
        assert body.startswith("Bonjour ")
        assert not _english_in(body, allowed=("Diplomacy Hub",)), body


@pytest.mark.django_db
def test_the_account_mail_words_the_refusal_in_french(django_capture_on_commit_callbacks, mailoutbox, mail_tasks):
    _french(administrator(email="admin-fr@example.org"))
    expired = account("emb-eg-cairo", Network.FACEBOOK, handle="FranceEgypte")
    refusal = Said(
        "Facebook refused the call: Session has expired (code 190)",
        "network.refused_call",
        network="facebook",
        detail="Session has expired (code 190)",
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify_admins_of_account_problem(account=expired, reason=said_of(refusal))
    mail_tasks.run()
    [email] = mailoutbox
    assert email.subject == "[Diplomacy Hub] Reconnecter Facebook FranceEgypte (Ambassade de France en Égypte)"
    assert "Facebook a refusé l’appel\u00a0: Session has expired (code 190)" in email.body
    assert not _english_in(email.body, allowed=("Session has expired (code 190)", "Diplomacy Hub"))


# --- Which language a person reads -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_is_kept_at_login_and_from_the_switcher(client):
    user = officer("emb-eg-cairo", username="amira")
    user.set_password("correct horse battery staple")
    user.save()
    client.post(
        reverse("login"),
        {"username": "amira", "password": "correct horse battery staple"},
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
    )
    assert LanguagePreference.objects.get(user=user).language == "fr"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert LanguagePreference.objects.get(user=user).language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})  # not a language of ours
    assert LanguagePreference.objects.get(user=user).language == "en"


@pytest.mark.django_db
def test_remembering_the_same_language_writes_nothing(django_assert_num_queries):
    user = officer("emb-eg-cairo")
    assert language_remember(user=user, language="fr-ca") is True
    with django_assert_num_queries(2):  # the conditional update, then the lookup: no write
        assert language_remember(user=user, language="fr") is False
    assert LanguagePreference.objects.get(user=user).language == "fr"


# --- The audit log: actions and objects in words ------------------------------------------------------


def _audit_actions_in(path: Path) -> set[str]:
    """Audit actions written in a module: record(action="…") (or "…" if … else "…"),
    channels' and embassies' _audit(actor, "…"), and security's _verified(…, "…")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        candidates = []
        if name in ("record", "audit_record"):
            candidates += [keyword.value for keyword in node.keywords if keyword.arg == "action"]
        elif name == "_audit" and len(node.args) >= 2:
            candidates.append(node.args[1])
        elif name == "_verified" and len(node.args) >= 3:
            candidates.append(node.args[2])
        for value in list(candidates):
            if isinstance(value, ast.IfExp):
                candidates += [value.body, value.orelse]
        found |= {
            value.value for value in candidates if isinstance(value, ast.Constant) and isinstance(value.value, str)
        }
    return found


def test_every_audit_action_has_a_label():
    """The audit page shows each action in words (audit.actions), its dotted name beneath."""
    from audit.actions import ACTIONS
    from posts import lifecycle  # noqa: F401 (registers the messages' audited events)

    written = {"account.expired", "account.revoked"}  # f"account.{new_status}"
    for app in ("audit", "channels", "embassies", "posts", "security", "conversations"):
        for path in (BASE / app).rglob("*.py"):
            if "migrations" not in path.parts:
                written |= _audit_actions_in(path)
    assert "auth.login" in written
    assert "staff.membership_add" in written
    missing = sorted(written - set(ACTIONS))
    assert not missing, f"Register these in audit/actions.py (with a label, and in French): {missing}"


@pytest.mark.django_db
def test_the_audit_log_reads_in_french(french_admin):
    from audit.services import record

    person = officer("emb-eg-cairo", username="amira-audit")
    record(action="auth.login", actor=person, obj=person)
    body = french_admin.get(reverse("audit:log")).content.decode()
    # In words, its dotted name beneath (what the filter takes).
    assert '<td>connexion<br><code class="muted">auth.login</code></td>' in body
    assert "utilisateur" in body  # auth.user, in words
