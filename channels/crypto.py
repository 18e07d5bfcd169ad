"""Credentials at rest: AES-256-GCM under a key ring from the environment.

- The key ring is `CREDENTIALS_KEYS`, never derived from SECRET_KEY: leaking one secret
  must not leak the other. The first key seals; every key opens (rotation).
- The sealed form is `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`.
- The caller binds an identity as associated data (the account's primary key and
  network), so a ciphertext copied onto another row does not open.
- A failure to open is an error, never a silent fallback to the stored text.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT_VERSION = "v1"
NONCE_BYTES = 12


class CredentialsDecryptionError(Exception):
    """The sealed credentials could not be opened: wrong key, wrong row, or tampered."""


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes


class KeyRing:
    def __init__(self, keys: list[Key]) -> None:
        if not keys:
            raise ImproperlyConfigured("CREDENTIALS_KEYS holds no key.")
        self.keys = keys
        self._by_id = {key.key_id: key for key in keys}

    @property
    def current(self) -> Key:
        return self.keys[0]

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current.secret).encrypt(nonce, plaintext, associated_data)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self.current.key_id}:{body}"

    def open(self, token: str, *, associated_data: bytes) -> bytes:
        try:
            version, key_id, body = token.split(":", 2)
        except ValueError:
            raise CredentialsDecryptionError("Not a sealed value.") from None
        if version != FORMAT_VERSION:
            raise CredentialsDecryptionError(f"Unknown format {version!r}.")
        key = self._by_id.get(key_id)
        if key is None:
            raise CredentialsDecryptionError(f"No key {key_id!r} in CREDENTIALS_KEYS.")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        try:
            return AESGCM(key.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
        except InvalidTag:
            raise CredentialsDecryptionError("Sealed value does not open for this row.") from None

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(f"{FORMAT_VERSION}:{self.current.key_id}:")


def parse_key_ring(value: str) -> KeyRing:
    """`"2026b:<base64 32 bytes>,2026a:<base64 32 bytes>"`, newest first."""
    keys = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        key_id, _, encoded = entry.partition(":")
        secret = base64.urlsafe_b64decode(encoded.encode("ascii") + b"==")
        if len(secret) != 32 or not key_id:
            raise ImproperlyConfigured(f"CREDENTIALS_KEYS entry {key_id!r} is not '<id>:<base64 of 32 bytes>'.")
        keys.append(Key(key_id=key_id, secret=secret))
    return KeyRing(keys)


def generate_key_entry(key_id: str | None = None) -> str:
    """A new key ring entry, for `manage.py credentials_new_key` and first-run set-up."""
    key_id = key_id or secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode('ascii').rstrip('=')}"


@cache
def key_ring() -> KeyRing:
    return parse_key_ring(settings.CREDENTIALS_KEYS)
