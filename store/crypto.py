"""Field-level encryption at rest for identity, contact, health and narrative data.

Values are sealed with AES-256-GCM under AUTTAMO_ENCRYPTION_KEY; the stored form is
`enc1:<key id>:<base64(nonce + ciphertext)>`, so old rows stay readable after a key rotation as long
as the old key is still listed (AUTTAMO_ENCRYPTION_OLD_KEYS) until `auttamo keys rotate` has
re-sealed them. A database dump without the key reveals no names.

The key ring is configured once by the app factory or the CLI (`configure`), not at import. The
column types are transparent to the ORM: code reads and writes plain dicts and strings.
A keyed hash (HMAC-SHA256 under a key derived from the encryption key) lets the system find equal
values, e.g. a name for duplicate detection, without storing the value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, LargeBinary, Text, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

PREFIX = "enc1:"
_BYTES_PREFIX = b"enc1:"


class KeyError_(ValueError):
    """A sealed value names a key the ring does not hold, or a key is malformed."""


def parse_key(text: str) -> bytes:
    """A key is 32 random bytes, written as URL-safe base64 (`auttamo keys generate`)."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        raise KeyError_("an encryption key must be URL-safe base64") from exc
    if len(raw) != 32:
        raise KeyError_("an encryption key must be 32 bytes (256 bits)")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"auttamo-key-id" + key).hexdigest()[:12]


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class KeyRing:
    """The current key (seals) and older keys (still open what they sealed)."""

    def __init__(self, current: bytes, old: list[bytes] | None = None) -> None:
        self.current_id = key_id(current)
        self._keys: dict[str, AESGCM] = {key_id(k): AESGCM(k) for k in [*(old or []), current]}
        self._search_key = hmac.new(current, b"auttamo search keys", hashlib.sha256).digest()

    @classmethod
    def from_texts(cls, current: str, old: str | None = None) -> KeyRing:
        return cls(parse_key(current), [parse_key(t) for t in (old or "").split(",") if t.strip()])

    def seal(self, data: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.current_id].encrypt(nonce, data, None)
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, token: str) -> bytes:
        try:
            kid, payload = token[len(PREFIX) :].split(":", 1)
            raw = base64.b64decode(payload)
        except ValueError as exc:
            raise KeyError_("a sealed value is damaged") from exc
        aead = self._keys.get(kid)
        if aead is None:
            raise KeyError_(f"no key {kid} in the key ring; add the old key to AUTTAMO_ENCRYPTION_OLD_KEYS")
        return aead.decrypt(raw[:12], raw[12:], None)

    def needs_reseal(self, token: str) -> bool:
        return not token.startswith(f"{PREFIX}{self.current_id}:")

    def keyed_hash(self, value: str) -> str:
        """Equal inputs give equal hashes; the input cannot be read back (for duplicate search)."""
        return hmac.new(self._search_key, value.encode(), hashlib.sha256).hexdigest()[:32]


_ring: KeyRing | None = None


def configure(ring: KeyRing | None) -> None:
    """Install the key ring for this process (the app factory and the CLI call this)."""
    global _ring
    _ring = ring


def ring() -> KeyRing | None:
    return _ring


def _seal_text(text: str) -> str:
    return _ring.seal(text.encode()) if _ring is not None else text


def _open_text(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # written before encryption was configured
    if _ring is None:
        raise KeyError_("encrypted data, but no AUTTAMO_ENCRYPTION_KEY is configured")
    return _ring.open(value).decode()


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else _seal_text(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else _open_text(value)


class EncryptedJSON(TypeDecorator[Any]):
    """JSON whose content is sealed: the column holds a JSON string `enc1:...` (valid JSON/JSONB)."""

    impl = JSON().with_variant(JSONB(), "postgresql")  # the column type stays what migrations created
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if _ring is None:
            return value
        return _ring.seal(json.dumps(value, separators=(",", ":"), default=str).encode())

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(_open_text(value))
        return value


class EncryptedBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        if value is None or _ring is None:
            return value
        return _ring.seal(value).encode()

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        if value is None or not bytes(value).startswith(_BYTES_PREFIX):
            return value
        if _ring is None:
            raise KeyError_("encrypted data, but no AUTTAMO_ENCRYPTION_KEY is configured")
        return _ring.open(bytes(value).decode())


def keyed_hashes(values: Mapping[str, str]) -> dict[str, str]:
    """Keyed hashes of normalised values, or {} when no key ring is configured."""
    if _ring is None:
        return {}
    return {name: _ring.keyed_hash(value) for name, value in values.items() if value}
