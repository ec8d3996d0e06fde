"""Stored credentials: sealed with the server's key ring, revealed only to service code.

The keys live in the server configuration, never in the database: either the
``MAILDESK_SECRET_KEYS`` environment variable or ``secret_keys`` in a ``[maildesk]``
section of the Odoo configuration file. Several keys (comma separated) allow
rotation: the first encrypts, all decrypt.
"""
import configparser
import logging
import os

from odoo.exceptions import UserError
from odoo.tools import config

from ...infrastructure.secret_box import (
    SecretBox,
    SecretKeyInvalid,
    SecretKeyMissing,
    SecretUndecryptable,
    parse_keys,
)
from . import mailbox_access

_logger = logging.getLogger(__name__)

ENV_VARIABLE = "MAILDESK_SECRET_KEYS"
CONFIG_SECTION = "maildesk"
CONFIG_OPTION = "secret_keys"

# Plaintext field on mailbox.account -> the stored, encrypted column behind it.
SECRET_FIELDS = {
    "password": "password_encrypted",
    "smtp_password": "smtp_password_encrypted",
    "gmail_refresh_token": "gmail_refresh_token_encrypted",
    "gmail_access_token": "gmail_access_token_encrypted",
    "outlook_graph_refresh_token": "outlook_graph_refresh_token_encrypted",
    "outlook_graph_access_token": "outlook_graph_access_token_encrypted",
}


def configured_keys():
    raw = os.environ.get(ENV_VARIABLE)  # set, even empty, it wins over the file
    if raw is None and config.get("config") and os.path.exists(config["config"]):
        parser = configparser.RawConfigParser()
        parser.read(config["config"])
        raw = parser.get(CONFIG_SECTION, CONFIG_OPTION, fallback="")
    return parse_keys(raw)


def _box(env):
    try:
        return SecretBox(configured_keys())
    except SecretKeyMissing:
        raise UserError(env._(
            "MailDesk cannot store or use mailbox passwords and tokens: no encryption key is "
            "configured. Ask the person who runs the Odoo server to set %(var)s, or "
            "'%(option)s' in a [%(section)s] section of the Odoo configuration file, then "
            "restart Odoo. Nothing was saved.",
            var=ENV_VARIABLE, option=CONFIG_OPTION, section=CONFIG_SECTION,
        )) from None
    except SecretKeyInvalid as exc:
        raise UserError(env._(
            "Encryption key number %(position)s configured for MailDesk is not a valid key "
            "(it must be 44 characters of URL-safe base64, as printed by "
            "`python3 -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\"`). Fix the server configuration and "
            "restart Odoo. Nothing was saved.",
            position=exc.args[0],
        )) from None


def key_status():
    """'ok', 'missing' or 'invalid': lets forms warn before anyone types a password."""
    try:
        SecretBox(configured_keys())
    except SecretKeyMissing:
        return "missing"
    except SecretKeyInvalid:
        return "invalid"
    return "ok"


def seal(env, plaintext):
    """Encrypt a credential for storage. Empty input clears the stored value."""
    if not plaintext:
        return False
    return _box(env).encrypt(plaintext)


def unseal(env, sealed):
    """The plaintext of a value ``seal`` made (a setting kept outside the account rows)."""
    try:
        return _box(env).decrypt(sealed)
    except SecretUndecryptable:
        raise UserError(env._(
            "A MailDesk setting cannot be decrypted with the configured MailDesk keys: the key "
            "it was saved with was changed or removed. Put the old key back after the new one "
            "in the server configuration, or enter the setting again in Settings.")) from None


def store(account, field_name, plaintext):
    """Seal ``plaintext`` into the encrypted column behind ``field_name`` (empty clears it).

    The caller's right to set the credential is the ORM's: the plaintext fields are admin-only.
    """
    sealed = seal(account.env, plaintext)
    # sudo: the encrypted columns are NO_ACCESS fields, out of every RPC answer; only this
    # module reads or writes them, and the caller was allowed to write the plaintext field.
    account.sudo()[SECRET_FIELDS[field_name]] = sealed


def is_stored(account, field_name):
    """Whether a credential is stored, without revealing anything about it."""
    return bool(account.sudo()[SECRET_FIELDS[field_name]])


def reveal(account, field_name):
    """Decrypt one credential of an account, for service code only."""
    env = account.env
    stored = account.sudo()[SECRET_FIELDS[field_name]]
    if not stored:
        return False
    try:
        return _box(env).decrypt(stored)
    except SecretUndecryptable:
        raise UserError(env._(
            "The stored %(what)s of mailbox %(mailbox)s cannot be decrypted with the "
            "configured MailDesk keys: the key it was saved with was changed or removed. "
            "Put the old key back after the new one in the server configuration, or enter "
            "the %(what)s again. The encrypted value is kept until then.",
            what=account._fields[field_name].string.lower(), mailbox=account.display_name,
        )) from None


def is_readable(account, field_name):
    """True when the credential is stored and decrypts with the current keys."""
    stored = account.sudo()[SECRET_FIELDS[field_name]]
    if not stored:
        return False
    try:
        SecretBox(configured_keys()).decrypt(stored)
    except (SecretKeyMissing, SecretKeyInvalid, SecretUndecryptable):
        return False
    return True


def rotate(accounts):
    """Re-encrypt every stored credential of ``accounts`` under the first key.

    Returns the number of values rewritten. Raises (and changes nothing) if any
    value cannot be decrypted, so a rotation never loses a credential.
    """
    env = accounts.env
    mailbox_access.require_admin(env)
    box = _box(env)
    updates = []
    # sudo: the encrypted columns are admin-only fields; the caller was just checked to be
    # a Mailbox Admin, and no value leaves this function.
    for account in accounts.sudo():
        vals = {}
        for column in SECRET_FIELDS.values():
            if account[column]:
                try:
                    vals[column] = box.rotate(account[column])
                except SecretUndecryptable:
                    raise UserError(env._(
                        "Key rotation stopped: a credential of mailbox %s cannot be decrypted "
                        "with the configured keys. Nothing was changed.",
                        account.display_name,
                    )) from None
        if vals:
            updates.append((account, vals))
    for account, vals in updates:
        account.write(vals)
    _logger.info("MailDesk: re-encrypted credentials of %d mailbox(es)", len(updates))
    return sum(len(vals) for _account, vals in updates)
