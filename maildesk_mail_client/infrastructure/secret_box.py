"""Symmetric encryption of stored credentials (passwords, OAuth tokens).

A key ring of Fernet keys: the first key encrypts, every key decrypts, so an
operator rotates by putting a new key first and re-encrypting (``rotate``).
No Odoo import: the caller supplies the keys and maps errors to messages.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Marks a stored value as ours; lets a wrong-key error be told apart from junk.
PREFIX = "mdk1:"


class SecretKeyMissing(Exception):
    """No key is configured, so nothing can be encrypted or decrypted."""


class SecretKeyInvalid(Exception):
    """A configured key is not a valid Fernet key."""


class SecretUndecryptable(Exception):
    """The stored value was encrypted with a key that is not in the ring."""


def generate_key():
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw):
    """Split a comma- or whitespace-separated key list, keeping order."""
    if not raw:
        return []
    return [k for k in raw.replace(",", " ").split() if k]


class SecretBox:
    def __init__(self, keys):
        if not keys:
            raise SecretKeyMissing()
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii") if isinstance(key, str) else key))
            except (ValueError, TypeError, UnicodeEncodeError) as exc:
                raise SecretKeyInvalid(position) from exc
        self._ring = MultiFernet(fernets)

    def encrypt(self, plaintext):
        if plaintext in (None, False, ""):
            return False
        token = self._ring.encrypt(plaintext.encode("utf-8"))
        return PREFIX + token.decode("ascii")

    def decrypt(self, stored):
        if not stored:
            return False
        if not stored.startswith(PREFIX):
            raise SecretUndecryptable()
        try:
            return self._ring.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise SecretUndecryptable() from exc

    def rotate(self, stored):
        """Re-encrypt a stored value under the first key of the ring."""
        if not stored:
            return stored
        if not stored.startswith(PREFIX):
            raise SecretUndecryptable()
        try:
            token = self._ring.rotate(stored[len(PREFIX):].encode("ascii"))
        except InvalidToken as exc:
            raise SecretUndecryptable() from exc
        return PREFIX + token.decode("ascii")
