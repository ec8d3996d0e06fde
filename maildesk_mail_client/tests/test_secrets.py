"""Credentials are encrypted at rest with a key from the server configuration."""
import os
from contextlib import contextmanager

from cryptography.fernet import Fernet

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..application.services import secrets_vault
from .common import SUPPORT_PASSWORD, MailDeskFixture


@contextmanager
def server_keys(value):
    """Run with MAILDESK_SECRET_KEYS set as an operator would set it."""
    before = os.environ.get(secrets_vault.ENV_VARIABLE)
    os.environ[secrets_vault.ENV_VARIABLE] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[secrets_vault.ENV_VARIABLE]
        else:
            os.environ[secrets_vault.ENV_VARIABLE] = before


@tagged("post_install", "-at_install")
class TestSecrets(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.current_keys = ",".join(secrets_vault.configured_keys())

    def raw_row(self, account):
        self.env.flush_all()
        self.env.cr.execute("SELECT row_to_json(a)::text FROM mailbox_account a WHERE id = %s",
                            [account.id])
        return self.env.cr.fetchone()[0]

    def test_a_raw_sql_read_shows_no_plaintext_secret(self):
        self.support.with_user(self.admin).write({
            "smtp_password": "Smtp-Plain-889", "gmail_refresh_token": "1//refresh-plain-token",
            "outlook_graph_access_token": "eyJ-access-plain"})
        row = self.raw_row(self.support)
        for plaintext in (SUPPORT_PASSWORD, "Smtp-Plain-889", "1//refresh-plain-token",
                          "eyJ-access-plain"):
            self.assertNotIn(plaintext, row)
        self.assertIn('"password_encrypted":"mdk1:', row)
        self.assertEqual(secrets_vault.reveal(self.support, "password"), SUPPORT_PASSWORD)
        self.assertEqual(secrets_vault.reveal(self.support, "gmail_refresh_token"),
                         "1//refresh-plain-token")

    def test_clearing_a_password_removes_it(self):
        self.support.with_user(self.admin).password = False
        self.assertFalse(secrets_vault.reveal(self.support, "password"))
        self.assertFalse(self.support.with_user(self.admin).password_is_set)

    def test_without_a_key_saving_a_password_is_refused_and_nothing_changes(self):
        before = self.raw_row(self.support)
        with server_keys(""), self.assertRaises(UserError) as caught:
            with self.env.cr.savepoint():
                self.support.with_user(self.admin).password = "new password"
                self.env.flush_all()
        self.assertIn("MAILDESK_SECRET_KEYS", str(caught.exception))
        self.assertIn("Nothing was saved", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self.raw_row(self.support), before)
        self.assertEqual(self.support.with_user(self.admin).secret_key_status, "ok")
        with server_keys(""):
            self.env.invalidate_all()
            self.assertEqual(self.support.with_user(self.admin).secret_key_status, "missing")

    def test_an_invalid_key_is_named(self):
        with server_keys("not-a-fernet-key"), self.assertRaises(UserError) as caught:
            self.support.with_user(self.admin).password = "x"
        self.assertIn("number 1", str(caught.exception))

    def test_a_wrong_key_gives_a_clear_message_and_keeps_the_stored_value(self):
        before = self.raw_row(self.support)
        with server_keys(Fernet.generate_key().decode()):
            with self.assertRaises(UserError) as caught:
                secrets_vault.reveal(self.support, "password")
            self.assertFalse(secrets_vault.is_readable(self.support, "password"))
        self.assertIn("cannot be decrypted", str(caught.exception))
        self.assertIn("kept", str(caught.exception))
        self.assertEqual(self.raw_row(self.support), before)

    def test_keys_rotate_without_losing_a_credential(self):
        new_key = Fernet.generate_key().decode()
        with server_keys(f"{new_key},{self.current_keys}"):
            self.assertEqual(secrets_vault.reveal(self.support, "password"), SUPPORT_PASSWORD)
            self.assertEqual(secrets_vault.rotate(self.support), 1)
        with server_keys(new_key):
            self.assertEqual(secrets_vault.reveal(self.support, "password"), SUPPORT_PASSWORD)
        with server_keys(self.current_keys), self.assertRaises(UserError):
            secrets_vault.reveal(self.support, "password")
