"""Providers for a mailbox account, built from its settings and decrypted credentials."""
from odoo.exceptions import UserError

from ...infrastructure.providers.imap import ImapProvider
from ...infrastructure.providers.smtp import SmtpSender
from . import secrets_vault


def imap_for(account):
    # sudo: callers pass an account they already checked the user may use; the
    # credentials are admin-only fields and never leave the provider object.
    account = account.sudo()
    return ImapProvider(
        account.imap_host.strip(), account.imap_port, account.imap_security,
        login=(account.imap_login or account.email).strip(),
        password=secrets_vault.reveal(account, "password") or "",
    )


def smtp_for(account):
    # sudo: as in imap_for, the caller checked access to this account first.
    account = account.sudo()
    password = secrets_vault.reveal(account, "smtp_password") or secrets_vault.reveal(
        account, "password") or ""
    return SmtpSender(
        account.smtp_host.strip(), account.smtp_port, account.smtp_security,
        login=(account.smtp_login or account.imap_login or account.email).strip(),
        password=password,
    )


def provider_for(account):
    if account.provider != "imap":
        raise UserError(account.env._(
            "Mailbox %s uses %s, which is not connected yet in this version of MailDesk.",
            account.display_name, dict(account._fields["provider"].selection)[account.provider]))
    return imap_for(account)
