"""Providers for a mailbox account, built from its settings and decrypted credentials."""
import threading

from odoo.exceptions import UserError

from ...infrastructure.providers.imap import ImapProvider
from ...infrastructure.providers.smtp import SmtpSender
from . import oauth_config, secrets_vault


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


class TokenKeeper:
    """Where a provider hands renewed tokens: they are sealed onto the account in the caller's
    transaction. A provider may renew from a thread of its own (a prefetch, a pool of
    requests): the tokens then wait for the thread that owns the cursor (``flush``: the sync's
    checkpoints, the end of the ``with provider`` block). Microsoft rotates refresh tokens;
    Google keeps its own, and an empty one never overwrites the stored one. After a rollback the
    caller calls ``flush(again=True)``: tokens written in the rolled-back transaction are
    written again, or the rotated refresh token would be lost."""

    def __init__(self, account, prefix):
        # sudo: the caller checked access to this account; the token fields are admin-only
        # and written by service code only.
        self.account, self.prefix = account.sudo(), prefix
        self.owner = threading.get_ident()
        self.latest = None
        self.pending = self.uncommitted = False
        self.lock = threading.Lock()

    def __call__(self, access_token, refresh_token, expires_at):
        with self.lock:
            self.latest = (access_token, refresh_token or (self.latest or (None, None))[1],
                           expires_at)
            self.pending = True
        if threading.get_ident() == self.owner:
            self.flush()

    def flush(self, again=False):
        with self.lock:
            if again and self.uncommitted:
                self.pending = True
            if not self.pending or self.latest is None:
                return
            access_token, refresh_token, expires_at = self.latest
            self.pending, self.uncommitted = False, True
        account, prefix = self.account, self.prefix
        secrets_vault.store(account, f"{prefix}_access_token", access_token or "")
        if refresh_token:
            secrets_vault.store(account, f"{prefix}_refresh_token", refresh_token)
        account[f"{prefix}_access_token_expiration"] = int(expires_at or 0)

    def committed(self):
        with self.lock:
            self.uncommitted = False


def _kept(provider, keeper):
    provider.token_keeper = keeper
    provider.after_close = [keeper.flush]
    return provider


def flush_tokens(provider, again=False):
    keeper = getattr(provider, "token_keeper", None)
    if keeper:
        keeper.flush(again=again)


def tokens_committed(provider):
    keeper = getattr(provider, "token_keeper", None)
    if keeper:
        keeper.committed()


def _signed_out(account):
    return UserError(account.env._(
        "Mailbox %s is not signed in: open it and use \"Sign in with %s\".", account.display_name,
        oauth_config.service_of(account)))


def _signed_in(account, prefix):
    """(account as sudo, its refresh token, a TokenKeeper), or the sentence to sign in."""
    # sudo: as in imap_for, the caller checked access to this account first.
    account = account.sudo()
    refresh_token = secrets_vault.reveal(account, f"{prefix}_refresh_token")
    if not refresh_token:
        raise _signed_out(account)
    return account, refresh_token, TokenKeeper(account, prefix)


def gmail_for(account):
    # Imported here: Google's API library loads (and warns about the Python version) only
    # where a Gmail mailbox is used, never when MailDesk is installed.
    from ...infrastructure.providers.gmail import GmailProvider  # noqa: PLC0415

    account, refresh_token, keeper = _signed_in(account, "gmail")
    config = oauth_config.google_config(account.env)
    provider = GmailProvider(
        account.email, secrets_vault.reveal(account, "gmail_access_token") or None, refresh_token,
        account.gmail_access_token_expiration or 0, config["client_id"], config["client_secret"],
        token_uri=config["token_uri"], api_endpoint=config["api_endpoint"], on_tokens=keeper)
    return _kept(provider, keeper)


def outlook_for(account):
    from ...infrastructure.providers.graph import GraphProvider  # noqa: PLC0415 (as for Gmail)

    account, refresh_token, keeper = _signed_in(account, "outlook_graph")
    config = oauth_config.microsoft_config(account.env)
    provider = GraphProvider(
        account.email, refresh_token, config["client_id"], config["client_secret"],
        tenant=config["tenant"], authority_host=config["authority_host"],
        base_url=config["graph_base_url"], shared=bool(account.outlook_shared_mailbox),
        access_token=secrets_vault.reveal(account, "outlook_graph_access_token") or None,
        expires_at=account.outlook_graph_access_token_expiration or 0, on_tokens=keeper)
    return _kept(provider, keeper)


def is_connected(account):
    """Whether the account has what a sync needs (a server, or a sign-in)."""
    # sudo: server settings and the presence of tokens, read to decide whether to sync.
    account = account.sudo()
    if account.provider == "imap":
        return bool(account.imap_host)
    return bool(account.oauth_is_connected)


def provider_for(account):
    if account.provider == "gmail":
        return gmail_for(account)
    if account.provider == "outlook":
        return outlook_for(account)
    return imap_for(account)
