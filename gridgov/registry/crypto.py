"""Personal numbers (ID numbers, phones) at rest: encrypted, and found by a keyed hash.

Each value is sealed with AES-256-GCM under the current key of REGISTRY_KEYS and stored as
`<key id>:<nonce + ciphertext, base64>`; the column's name is the associated data, so a
value copied into another column does not decrypt. Beside it a blind index — HMAC-SHA256
under REGISTRY_HMAC_KEYS of the normalised value — answers "is this person already
registered?" with an indexed equality, and neither the database nor its backups hold the
number in clear. Older keys stay listed (after the current one) until
`gridgov registry rotate-keys` has re-sealed and re-indexed every row under the current one.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


@dataclass(frozen=True)
class Keyring:
    """Encryption keys and index keys, each by id; the first of each is the current one."""

    keys: tuple[tuple[str, bytes], ...]
    index_keys: tuple[tuple[str, bytes], ...]

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def key(self, key_id: str) -> bytes:
        for candidate, key in self.keys:
            if candidate == key_id:
                return key
        raise ImproperlyConfigured(
            f"A value is sealed under key {key_id!r}, which REGISTRY_KEYS no longer lists. "
            "Put that key back (after the current one) and run `gridgov registry rotate-keys`."
        )


def parse_keys(text: str, variable: str) -> tuple[tuple[str, bytes], ...]:
    """`id:base64key,id:base64key` → ((id, key), …); each key 32 bytes."""
    parsed = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, _sep, encoded = item.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if not key_id or ":" in encoded or len(key) != 32:
            raise ImproperlyConfigured(
                f"{variable} must be id:key pairs separated by commas, each key 32 random "
                "bytes in base64 (make one with `gridgov registry new-key`); "
                f"{key_id or item!r} is not."
            )
        parsed.append((key_id, key))
    if not parsed:
        raise ImproperlyConfigured(f"{variable} names no key.")
    if len({key_id for key_id, _key in parsed}) != len(parsed):
        raise ImproperlyConfigured(f"{variable} names one key id twice.")
    return tuple(parsed)


def new_key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def embedded_keys_file_text() -> tuple[str, str]:
    """The embedded default's keys (SQLite under ./var/): made once, kept beside the
    secret key. A deployment sets REGISTRY_KEYS and REGISTRY_HMAC_KEYS itself."""
    path = settings.VAR_DIR / "registry_keys.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return stored["keys"], stored["index_keys"]
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {"keys": new_key_text("k1"), "index_keys": new_key_text("h1")}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(stored, handle)
    return stored["keys"], stored["index_keys"]


@cache
def keyring() -> Keyring:
    keys, index_keys = settings.REGISTRY_KEYS, settings.REGISTRY_HMAC_KEYS
    if not keys and not index_keys:
        keys, index_keys = embedded_keys_file_text()
    elif not (keys and index_keys):
        raise ImproperlyConfigured(
            "Set both REGISTRY_KEYS and REGISTRY_HMAC_KEYS, or neither (the embedded default "
            "then keeps its own under GRIDGOV_VAR_DIR)."
        )
    return Keyring(parse_keys(keys, "REGISTRY_KEYS"), parse_keys(index_keys, "REGISTRY_HMAC_KEYS"))


def seal(value: str, column: str) -> str:
    key_id, key = keyring().current
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), column.encode())
    return f"{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def open_sealed(stored: str, column: str) -> str:
    key_id, _sep, encoded = stored.partition(":")
    raw = base64.b64decode(encoded)
    try:
        plain = AESGCM(keyring().key(key_id)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode()
        )
    except InvalidTag:
        raise ImproperlyConfigured(
            f"A value in {column} does not open under key {key_id!r}: the key is not the "
            "one it was sealed with, or the value was altered."
        ) from None
    return plain.decode()


def sealed_under_current_key(stored: str) -> bool:
    return stored.partition(":")[0] == keyring().current[0]


def blind_index(value: str, column: str, key: bytes | None = None) -> str:
    """The keyed hash of an already normalised value (hex, 64 characters)."""
    key = key if key is not None else keyring().index_keys[0][1]
    return hmac.new(key, f"{column}\n{value}".encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str, column: str) -> list[str]:
    """The value's hash under every index key: a look-up finds rows not yet re-indexed."""
    return [blind_index(value, column, key) for _key_id, key in keyring().index_keys]
