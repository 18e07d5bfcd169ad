"""SSRF: a webhook's host is resolved once per attempt and the request goes to that very
address, so a name cannot pass the check with a public address and be reached on an inner
one (DNS rebinding); the Host header and TLS's server name stay the URL's name.

The names below resolve through a stand-in for the operating system's resolver
(socket.getaddrinfo): what a DNS server would answer, without one."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections import Counter

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from api import ssrf
from api.models import WebhookDelivery
from api.services import webhooks
from posts.services.review import message_approve
from tests.api.conftest import Receiver

PUBLIC = "93.184.215.14"  # a public address (nothing is sent there: the tests change the answer first)


class Resolver:
    """getaddrinfo with our own answers for some names (in turn, the last one kept; an
    answer may hold several addresses, comma-separated), the real resolver for the rest;
    counts the lookups of each name."""

    def __init__(self, real) -> None:
        self.real = real
        self.answers: dict[str, list[str]] = {}
        self.lookups: Counter[str] = Counter()

    def __call__(self, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.lookups[name] += 1
        answers = self.answers[name]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        infos = []
        for address in answer.split(","):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port or 0)
            infos.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return infos


@pytest.fixture
def dns(monkeypatch) -> Resolver:
    resolver = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def _approve(world, django_capture_on_commit_callbacks) -> WebhookDelivery:
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=world.users["press"], message_id=world.message_a.pk)
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "192.168.1.20", "127.0.0.1", "169.254.169.254", "100.100.100.200", "::1", "fd00:ec2::254"]
)
def test_a_name_resolving_to_an_inner_address_is_refused(world, dns, address):
    dns.answers["hooks.example.test"] = [address]
    with pytest.raises(ValidationError) as refused:
        webhooks.endpoint_create(
            actor=world.users["admin"],
            name="Inner",
            url="https://hooks.example.test/in",
            events=["message.approved"],
        )
    assert "loopback or private" in str(refused.value)


def test_one_inner_address_among_public_ones_is_refused(world, dns):
    dns.answers["hooks.example.test"] = [PUBLIC]
    assert ssrf.pin("https://hooks.example.test/in", allowed_hosts=set()).address == PUBLIC
    dns.answers["mixed.example.test"] = [f"{PUBLIC},10.1.1.1"]
    with pytest.raises(ssrf.Refused, match=r"10\.1\.1\.1"):
        ssrf.pin("https://mixed.example.test/in", allowed_hosts=set())
    # Allowed by an administrator: the first address is the one connected to.
    assert ssrf.pin("https://mixed.example.test/in", allowed_hosts={"mixed.example.test"}).address == "10.1.1.1"


def test_a_name_that_turns_inner_after_registration_is_refused_when_sending(
    world, dns, receiver, tasks, django_capture_on_commit_callbacks
):
    """Public when registered, loopback (where the receiver listens) when sending: refused,
    nothing reaches the inner address."""
    dns.answers["rebind.example.test"] = [PUBLIC]
    new = webhooks.endpoint_create(
        actor=world.users["admin"],
        name="Rebinding",
        url=receiver.url_for("rebind.example.test"),
        events=["message.approved"],
    )
    dns.answers["rebind.example.test"] = ["127.0.0.1"]
    delivery = _approve(world, django_capture_on_commit_callbacks)
    assert delivery.endpoint == new.endpoint
    assert tasks.run("api.webhook_send") == ["pending"]
    attempt = delivery.attempt_log.get()
    assert attempt.outcome == "refused"
    assert "127.0.0.1" in attempt.detail
    assert receiver.received == []


def test_the_request_goes_to_the_address_checked_with_the_name_as_host(
    world, dns, receiver, tasks, django_capture_on_commit_callbacks
):
    """Resolved once per attempt: the next answers (an address where nothing listens) are
    never asked for, and the receiver sees the URL's name in the Host header."""
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="relay.example.test", reason="The ministry's relay, on loopback")
    dns.answers["relay.example.test"] = ["127.0.0.1"]
    new = webhooks.endpoint_create(
        actor=admin, name="Relay", url=receiver.url_for("relay.example.test"), events=["message.approved"]
    )
    receiver.secret = new.secret
    _approve(world, django_capture_on_commit_callbacks)
    dns.answers["relay.example.test"] = ["127.0.0.1", "10.255.255.1"]
    dns.lookups.clear()
    assert tasks.run("api.webhook_send") == ["sent"]
    assert dns.lookups["relay.example.test"] == 1
    ((headers, _body),) = receiver.received
    assert headers["Host"] == f"relay.example.test:{receiver.port}"
    assert receiver.verified == [True]


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for `name` (the receiver's), and its key: (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "receiver.pem", tmp_path / "receiver.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on loopback with a certificate for secure.example.test only; it
    records the server name each client asked for (SNI)."""
    cert, key = _certificate(tmp_path, "secure.example.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    running = Receiver(tls=context)
    running.server_names = names  # type: ignore[attr-defined]
    running.certificate = cert  # type: ignore[attr-defined]
    yield running
    running.close()


def test_tls_asks_for_and_checks_the_name_on_the_pinned_address(
    world, dns, tls_receiver, tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """Connected to 127.0.0.1, TLS still says and checks secure.example.test: the receiver's
    certificate (trusted here as the ministry's CA would be) matches, the request goes
    through; the same address under another name fails the certificate's check."""
    monkeypatch.setattr("api.ssrf.certifi.where", lambda: tls_receiver.certificate)
    admin = world.users["admin"]
    for host in ("secure.example.test", "other.example.test"):
        webhooks.host_allow(actor=admin, host=host, reason="A receiver on loopback")
        dns.answers[host] = ["127.0.0.1"]
    good = webhooks.endpoint_create(
        actor=admin, name="Secure", url=tls_receiver.url_for("secure.example.test"), events=["message.approved"]
    )
    tls_receiver.secret = good.secret
    webhooks.endpoint_create(
        actor=admin, name="Wrong name", url=tls_receiver.url_for("other.example.test"), events=["message.approved"]
    )
    outcomes = {}
    for delivery_id in _approve_many(world, django_capture_on_commit_callbacks):
        webhooks.webhook_send(delivery_id=delivery_id)
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
        outcomes[delivery.endpoint.name] = delivery.attempt_log.get().outcome
    assert outcomes == {"Secure": "ok", "Wrong name": "unreachable"}
    assert sorted(tls_receiver.server_names) == ["other.example.test", "secure.example.test"]
    ((headers, _body),) = tls_receiver.received
    assert headers["Host"] == f"secure.example.test:{tls_receiver.port}"
    assert tls_receiver.verified == [True]


def _approve_many(world, django_capture_on_commit_callbacks) -> list[int]:
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=world.users["press"], message_id=world.message_a.pk)
    return list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
