"""Encryption at rest for stored secrets: Fernet under MultiFernet, keys from MHC_SECRETS_KEY.

The first key encrypts; every key decrypts, so a new key can be put in front, `flask secrets rotate`
run, and the old key dropped. Ciphertext carries a `fernet:` prefix, so a row written before encryption
(legacy plain text) can be told apart and encrypted by the migration or a rotate.

The one service that reads the app's configuration (`configured_keys`): key material is looked up at the
moment of use instead of being passed down call chains and job arguments, where it could be logged or
pickled. Callers that hold keys (the CLI's rotate, tests) pass them explicitly."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

PREFIX = "fernet:"
UNDECRYPTABLE = "stored secrets cannot be decrypted with MHC_SECRETS_KEY: was the key changed?"


class SecretsUndecryptable(RuntimeError):
    """A stored value was encrypted under a key that MHC_SECRETS_KEY no longer holds (or was tampered with)."""

    def __init__(self, message: str = UNDECRYPTABLE):
        super().__init__(message)


def configured_keys() -> tuple[str, ...]:
    """The keys of the running app (config SECRETS_KEYS), first one encrypting."""
    keys = tuple(current_app.config.get("SECRETS_KEYS") or ())
    if not keys:
        raise RuntimeError("SECRETS_KEYS is not configured (MHC_SECRETS_KEY)")
    return keys


def _fernet(keys: Sequence[str] | None) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in (keys or configured_keys())])


def is_encrypted(value: str | None) -> bool:
    """True for a value written by `encrypt` (as opposed to legacy plain text)."""
    return bool(value) and value.startswith(PREFIX)


def encrypt(text: str, keys: Sequence[str] | None = None) -> str:
    """Encrypt text under the first key; the result is marked ciphertext, safe to store."""
    return PREFIX + _fernet(keys).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: Sequence[str] | None = None) -> str:
    """Decrypt a value written by `encrypt`; raise SecretsUndecryptable when no key opens it."""
    if not is_encrypted(token):
        raise SecretsUndecryptable("stored secret is not marked as encrypted")
    try:
        return _fernet(keys).decrypt(token[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretsUndecryptable() from None


def reveal(value: str, keys: Sequence[str] | None = None) -> str:
    """The plain text of a stored value: decrypted when marked, as is when it is a legacy plain row."""
    return decrypt(value, keys) if is_encrypted(value) else value


def rotate(value: str, keys: Sequence[str] | None = None) -> str:
    """Re-encrypt a stored value (marked or legacy plain) under the first key."""
    return encrypt(reveal(value, keys), keys)


def key_index(value: str, keys: Sequence[str] | None = None) -> int | None:
    """Which key (0 = first) opens this value; None when it is plain or no key opens it. Reveals nothing."""
    if not is_encrypted(value):
        return None
    token = value[len(PREFIX) :].encode("ascii")
    for index, key in enumerate(keys or configured_keys()):
        try:
            Fernet(key).decrypt(token)
            return index
        except InvalidToken:
            continue
    return None


def generate_key() -> str:
    """A fresh key in the form MHC_SECRETS_KEY expects."""
    return Fernet.generate_key().decode("ascii")
