"""Sign in with Google or Microsoft: the start and the callback of the OAuth flow.

The start checks who may sign in for which mailbox, issues a signed state bound to the user,
the mailbox (or a new one) and the provider, and records it as a pending sign-in (for Microsoft
with msal's flow dict, which holds the PKCE verifier: it never reaches the browser). The
callback checks, in this order: the state (as the current user, once), access to the mailbox,
the code exchange, then the address (Microsoft's as Graph's /me gives it: the id token's email
and preferred_username claims are not verified). Only then are tokens stored, sealed. Codes and
tokens are never logged; each refusal's reason is, the user is told one sentence.

A sign-in without a mailbox creates one: Mailbox Admins may always; Mailbox Users only when an
administrator allowed it in Settings (seed 003 lets users create no mailbox of their own).
"""
import dataclasses
import hashlib
import hmac
import json
import logging
import re
import time
from urllib.parse import urlencode

import psycopg2
import requests

from odoo import fields
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from ...infrastructure import oauth_flow
from ...infrastructure.oauth_flow import OAuthError, StateRefused, StateSigner
from ...infrastructure.providers.base import AuthenticationFailed, ProviderError, ServerUnreachable
from ...infrastructure.providers.graph_api import GraphApiClient
from . import mailbox_access, oauth_config, secrets_vault, sync

_logger = logging.getLogger(__name__)

# route segment <-> account provider
ROUTE_PROVIDERS = {"google": "gmail", "microsoft": "outlook"}
ROUTE_OF = {provider: route for route, provider in ROUTE_PROVIDERS.items()}
LABELS = oauth_config.SERVICES
_SECRET_CONTEXT = b"maildesk-oauth-state-secret\x00"
# What a callback may carry; anything else a browser sends is dropped.
CALLBACK_FIELDS = ("code", "state", "session_state", "client_info", "error", "error_description")
_ERROR_CODE = re.compile(r"\A[A-Za-z0-9_.-]{1,64}\Z")
ACCOUNT_FORM = "/odoo/action-maildesk_mail_client.action_mailbox_account/%d"
INBOX = "/odoo/maildesk"
# Microsoft grants needed to read and send (scopes may come back as full URLs)
_MICROSOFT_NEEDED = {"mail.readwrite", "mail.send"}
_MICROSOFT_SHARED_NEEDED = {"mail.readwrite.shared", "mail.send.shared"}
# What Graph's /me is asked for: the verified address of the signed-in user
_GRAPH_ME_SELECT = "mail,userPrincipalName,id"
MAX_PENDING_PER_USER = 10  # unexpired, unfinished sign-ins one user may have at a time


class SignInRefused(Exception):
    """The sign-in stops here: ``str()`` is the sentence for the user, ``reason`` goes to the
    log, ``account_id`` is where the user's link goes back to (None: the inbox)."""

    def __init__(self, message, reason, account_id=None):
        super().__init__(message)
        self.reason, self.account_id = reason, account_id


def start_url(provider, account_id=None):
    """The start route of a sign-in, for a button (``account_id`` None: a new mailbox)."""
    query = urlencode({"account_id": account_id or ""})
    return f"/maildesk/oauth/{ROUTE_OF[provider]}/start?{query}"


def back_url(account_id):
    return ACCOUNT_FORM % account_id if account_id else INBOX


# -- pending sign-ins ---------------------------------------------------------------------------
def ensure_pending_table(cr):
    """One row per started sign-in; the callback marks it used, once (``consume``)."""
    cr.execute("""
        CREATE TABLE IF NOT EXISTS maildesk_oauth_pending (
            nonce varchar PRIMARY KEY,
            user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
            account_id integer REFERENCES mailbox_account(id) ON DELETE CASCADE,
            provider varchar NOT NULL,
            flow jsonb NOT NULL DEFAULT '{}'::jsonb,
            expires_at timestamp NOT NULL,
            used boolean NOT NULL DEFAULT false
        );
        CREATE INDEX IF NOT EXISTS maildesk_oauth_pending_expires_at_idx
            ON maildesk_oauth_pending (expires_at);
        CREATE INDEX IF NOT EXISTS maildesk_oauth_pending_user_idx
            ON maildesk_oauth_pending (user_id, expires_at);
    """)


def _make_room(env, clock):
    """Drop every expired sign-in (its state is refused by its own expiry already), then
    refuse a new one while the user has ``MAX_PENDING_PER_USER`` unfinished ones: starts
    cost a row each, and nothing else bounds them. Rows another start is deleting are
    skipped, not waited for. Starts running at the same instant may each see the count
    before the others commit, so the bound holds give or take the concurrent starts."""
    env.cr.execute("""
        DELETE FROM maildesk_oauth_pending WHERE nonce IN (
            SELECT nonce FROM maildesk_oauth_pending
             WHERE expires_at <= to_timestamp(%s) AT TIME ZONE 'UTC'
               FOR UPDATE SKIP LOCKED)
    """, [clock()])
    env.cr.execute("""
        SELECT count(*) FROM maildesk_oauth_pending
         WHERE user_id = %s AND NOT used AND expires_at > to_timestamp(%s) AT TIME ZONE 'UTC'
    """, [env.uid, clock()])
    if env.cr.fetchone()[0] >= MAX_PENDING_PER_USER:
        raise SignInRefused(env._(
            "You have too many sign-ins in progress: finish one, or wait ten minutes and start "
            "again."), "too_many_pending")


def _remember(env, state, flow, clock):
    env.cr.execute("""
        INSERT INTO maildesk_oauth_pending (nonce, user_id, account_id, provider, flow, expires_at)
        VALUES (%s, %s, %s, %s, %s::jsonb, to_timestamp(%s) AT TIME ZONE 'UTC')
    """, [state.nonce, state.user_id, state.account_id, state.provider,
          json.dumps(flow or {}), state.expires_at])


def _consumer(env, provider, pending, clock):
    """``consume`` for StateSigner.verify: the pending row becomes used, at most once, even
    under two callbacks at the same time (the second waits for the first's row lock and then
    finds it used)."""
    def consume(nonce):
        env.cr.execute("""
            UPDATE maildesk_oauth_pending SET used = TRUE
             WHERE nonce = %s AND user_id = %s AND provider = %s AND NOT used
               AND expires_at > to_timestamp(%s) AT TIME ZONE 'UTC'
         RETURNING account_id, flow
        """, [nonce, env.uid, provider, clock()])
        row = env.cr.fetchone()
        if row:
            pending.update(account_id=row[0], flow=row[1] or {})
            return True
        env.cr.execute("SELECT used FROM maildesk_oauth_pending WHERE nonce = %s AND user_id = %s",
                       [nonce, env.uid])
        found = env.cr.fetchone()
        if found and not found[0]:
            raise StateRefused(StateRefused.EXPIRED, "The sign-in took too long: start it again.")
        return False
    return consume


def state_signer(env, clock=time.time):
    """The signer of sign-in states: its key is derived from the database secret, so it
    differs per database and signs nothing else."""
    # sudo: database.secret is read by service code only, to derive the key; it never leaves here.
    secret = env["ir.config_parameter"].sudo().get_param("database.secret") or ""
    if not secret:
        raise UserError(env._("This database has no secret to sign sign-ins with: ask the "
                              "person who runs Odoo to check the database."))
    key = hmac.new(secret.encode(), _SECRET_CONTEXT, hashlib.sha256).digest()
    return StateSigner(key, clock=clock)


# -- who may sign in for which mailbox ----------------------------------------------------------
def _no_access(env):
    return SignInRefused(env._(
        "You cannot sign in for this mailbox: it does not exist, or you are not one of its "
        "users. Ask a Mailbox Admin."), "no_access")


def may_sign_in(account):
    """Mailbox Admins, and the members of the mailbox (the user rule lets them write it,
    while their ACL on accounts stays read-only, as seed 003 sets it)."""
    env = account.env
    try:
        if not account.exists():
            return False
        account.check_access("read")
    except (AccessError, MissingError):
        return False
    if account.has_access("write"):
        return True
    domain = env["ir.rule"]._compute_domain(account._name, "write")
    # sudo: only to evaluate the write rule's domain on this one account, as the ORM does.
    return bool(domain) and bool(account.sudo().with_context(active_test=False).filtered_domain(domain))


def may_connect_new(env):
    """Whether the current user may sign in without a mailbox, creating one: Mailbox Admins,
    and Mailbox Users when an administrator allowed it in Settings › MailDesk."""
    if env.user.has_group(mailbox_access.ADMIN_GROUP):
        return True
    return env.user.has_group(mailbox_access.USER_GROUP) and oauth_config.users_connect_own(env)


def _account_for(env, provider, account_id):
    """The mailbox the sign-in is for (None: a new one), or SignInRefused."""
    if account_id in (None, ""):
        if not env.user.has_group(mailbox_access.USER_GROUP):
            raise _no_access(env)
        if not may_connect_new(env):
            raise SignInRefused(env._(
                "Only a Mailbox Admin can connect a new Gmail or Outlook mailbox here. Ask a "
                "Mailbox Admin to create the mailbox for you, or to allow users to connect their "
                "own mailboxes in Settings › MailDesk."), "new_mailbox_not_allowed")
        return None
    try:
        account = env["mailbox.account"].browse(int(account_id))
    except (TypeError, ValueError):
        raise _no_access(env) from None
    if not may_sign_in(account):
        raise _no_access(env)
    if account.provider != provider:
        raise SignInRefused(env._(
            "Mailbox %(mailbox)s does not sign in with %(provider)s.",
            mailbox=account.email, provider=LABELS[provider]), "wrong_provider", account.id)
    return account


def _client(env, provider, account):
    config = oauth_config.google_config(env) if provider == "gmail" else oauth_config.microsoft_config(env)
    if not config["client_id"] or not config["client_secret"]:
        raise SignInRefused(env._(
            "Sign-in with %(provider)s is not set up yet: an administrator enters MailDesk's "
            "%(provider)s client id and secret in Settings › MailDesk.", provider=LABELS[provider]),
            "not_configured", account.id if account else None)
    redirect = oauth_config.redirect_uri(env, provider)
    if provider == "gmail":
        return oauth_flow.GoogleClient(config["client_id"], config["client_secret"], redirect,
                                       auth_uri=config["auth_uri"], token_uri=config["token_uri"])
    return oauth_flow.MicrosoftClient(
        config["client_id"], config["client_secret"], redirect, tenant=config["tenant"],
        authority_host=config["authority_host"],
        shared_mailbox=bool(account and _is_shared_mailbox(account)))


def _is_shared_mailbox(account):
    # sudo: a setting of the mailbox the caller was just allowed to sign in for.
    return account.provider == "outlook" and account.sudo().outlook_shared_mailbox


def _unreachable(env, provider, account):
    return SignInRefused(env._(
        "%(provider)s could not be reached. Nothing was changed: try again in a moment.",
        provider=LABELS[provider]), "unreachable", account.id if account else None)


def _microsoft_app(env, client, account):
    try:
        return oauth_flow.microsoft_app(client)
    except requests.RequestException as exc:
        _logger.warning("MailDesk sign-in: Microsoft unreachable (%s)", type(exc).__name__)
        raise _unreachable(env, "outlook", account) from None
    except ValueError:  # msal: the authority (the tenant) has no OpenID configuration
        _logger.warning("MailDesk sign-in: Microsoft does not know tenant %r", client.tenant)
        raise SignInRefused(env._(
            "Microsoft does not know the tenant %(tenant)s set for MailDesk. Nothing was "
            "changed: an administrator checks the tenant in Settings › MailDesk.",
            tenant=client.tenant), "unknown_tenant", account.id if account else None) from None


# -- start --------------------------------------------------------------------------------------
def start(env, provider, account_id, clock=time.time):
    """Where to send the browser to sign in; records the pending sign-in."""
    account = _account_for(env, provider, account_id)
    client = _client(env, provider, account)
    _make_room(env, clock)
    signer = state_signer(env, clock=clock)
    token, state = signer.issue(env.uid, account.id if account else None, provider)
    hint = account.email if account and not _is_shared_mailbox(account) else None
    if provider == "gmail":
        flow = {}  # the PKCE verifier is derived from the nonce at the callback
        url = oauth_flow.google_authorization_url(client, token, signer.code_verifier(state), hint)
    else:
        app = _microsoft_app(env, client, account)
        flow = oauth_flow.microsoft_start(app, client, token, login_hint=hint)
        url = flow["auth_uri"]
    _remember(env, state, flow, clock)
    return url


# -- callback -----------------------------------------------------------------------------------
def state_refusal(env):
    return env._("This sign-in link is no longer valid: it was already used, it expired, or "
                 "another user started it. Nothing was changed: start the sign-in again.")


def finish(env, provider, params, clock=time.time):
    """Complete a sign-in from the callback's parameters; the mailbox signed in, or
    SignInRefused. Nothing is stored unless every check passed."""
    params = {k: params[k] for k in CALLBACK_FIELDS if isinstance(params.get(k), str)}
    pending = {}
    try:
        state = state_signer(env, clock=clock).verify(
            params.get("state"), env.uid, provider, _consumer(env, provider, pending, clock))
    except StateRefused as exc:
        _logger.warning("MailDesk sign-in refused: user %s, %s, state %s",
                        env.uid, provider, exc.reason)
        raise SignInRefused(state_refusal(env), "state_" + exc.reason) from None
    if pending.get("account_id") != state.account_id:  # both ours: a mismatch is a bug
        raise SignInRefused(state_refusal(env), "state_mismatch")
    try:
        account = _account_for(env, provider, state.account_id)
    except SignInRefused as exc:
        _logger.warning("MailDesk sign-in refused: user %s, %s, %s", env.uid, provider, exc.reason)
        raise
    back = account.id if account else None
    if "error" in params:
        raise _provider_refusal(env, provider, params["error"], back)
    if not params.get("code"):
        raise SignInRefused(state_refusal(env), "no_code", back)
    client = _client(env, provider, account)
    tokens = _exchange(env, provider, client, state, pending, params, account)
    if account is None:
        account = _new_account(env, provider, tokens)
    else:
        _check_address(env, provider, client, account, tokens)
    _store(env, provider, account, tokens)
    _logger.info("MailDesk sign-in: user %s signed in mailbox %s with %s",
                 env.uid, account.id, LABELS[provider])
    return account


def _provider_refusal(env, provider, error, account_id):
    code = error if _ERROR_CODE.match(error) else "unknown"
    if code == "access_denied":
        message = env._(
            "The sign-in with %(provider)s was cancelled, so MailDesk was not given access to "
            "the mailbox. Nothing was changed: sign in again and allow access to connect it.",
            provider=LABELS[provider])
    else:
        message = env._(
            "%(provider)s did not complete the sign-in (%(code)s). Nothing was changed: try "
            "again, or ask a Mailbox Admin.", provider=LABELS[provider], code=code)
    _logger.info("MailDesk sign-in: %s answered %s for user %s", LABELS[provider], code, env.uid)
    return SignInRefused(message, "provider_" + code, account_id)


def _exchange(env, provider, client, state, pending, params, account):
    back = account.id if account else None
    try:
        if provider == "gmail":
            verifier = state_signer(env).code_verifier(state)
            tokens = oauth_flow.google_exchange_code(client, params["code"], verifier)
        else:
            app = _microsoft_app(env, client, account)
            tokens = oauth_flow.microsoft_finish(app, pending["flow"], params)
    except OAuthError as exc:
        _logger.warning("MailDesk sign-in: %s refused the code exchange for user %s (%s)",
                        LABELS[provider], env.uid, exc.reason)
        raise SignInRefused(env._(
            "%(provider)s did not accept the sign-in: %(why)s Nothing was changed.",
            provider=LABELS[provider], why=_sentence(str(exc))), "exchange_" + exc.reason, back) from None
    except requests.RequestException as exc:
        _logger.warning("MailDesk sign-in: %s unreachable (%s)", LABELS[provider], type(exc).__name__)
        raise _unreachable(env, provider, account) from None
    if provider == "outlook":
        granted = {s.rsplit("/", 1)[-1].casefold() for s in tokens.scopes}
        needed = _MICROSOFT_NEEDED | (_MICROSOFT_SHARED_NEEDED if client.shared_mailbox else set())
        if not needed <= granted:
            raise SignInRefused(env._(
                "Access to the mailbox was not granted in full (reading and sending mail). "
                "Nothing was changed: sign in again and accept every permission, or ask your "
                "Microsoft 365 administrator to consent for the organisation."),
                "scope_not_granted", back)
        tokens = _graph_address(env, tokens, account)
    return tokens


def _graph_address(env, tokens, account):
    """The tokens with the address Graph's /me gives for them: ``mail``, or the
    userPrincipalName when the user has no mail address. The id token's claims are not
    verified by Microsoft (nOAuth), so they name nobody."""
    base_url = oauth_config.microsoft_config(env)["graph_base_url"]
    # The client's request slots and meter are per address and process: keyed on the mailbox
    # (or one key for new ones), never on the claim, which would add a key per claimed address.
    client = GraphApiClient(_GrantedAccess(tokens.access_token), account.email if account else "me",
                            base_url=base_url)
    back = account.id if account else None
    try:
        me = client.request("GET", "", params={"$select": _GRAPH_ME_SELECT}).json()
    except (ServerUnreachable, requests.RequestException) as exc:
        _logger.warning("MailDesk sign-in: Graph unreachable (%s)", type(exc).__name__)
        raise _unreachable(env, "outlook", account) from None
    except (ProviderError, ValueError) as exc:
        _logger.warning("MailDesk sign-in: Graph /me refused for user %s (%s)",
                        env.uid, type(exc).__name__)
        me = None
    address = oauth_flow.graph_me_address(me)
    if not address:
        raise SignInRefused(env._(
            "Microsoft did not confirm which address you signed in with. Nothing was changed: "
            "try again in a moment."), "graph_no_address", back)
    return dataclasses.replace(tokens, address=address)


def _sentence(text):
    text = text.strip()
    return text if text.endswith(".") else text + "."


def _check_address(env, provider, client, account, tokens):
    if provider == "outlook" and client.shared_mailbox:
        _check_shared_mailbox(env, account, tokens)
    elif not tokens.address or not oauth_flow.same_address(account.email, tokens.address):
        raise SignInRefused(env._(
            "You signed in with %(provider)s as %(signed_in)s, but this mailbox is %(mailbox)s. "
            "Nothing was changed: sign in again with %(mailbox)s.",
            provider=LABELS[provider], signed_in=tokens.address or env._("an unknown address"),
            mailbox=account.email), "wrong_address", account.id)


class _GrantedAccess:
    """The access token just granted, for one check; it is not renewed."""

    def __init__(self, access_token):
        self._token = access_token

    def access_token(self):
        return self._token

    def refresh(self, stale=None):
        raise AuthenticationFailed("the access token just granted was refused")


def _check_shared_mailbox(env, account, tokens):
    """A delegate signs in as themselves: the grant must open the shared mailbox."""
    base_url = oauth_config.microsoft_config(env)["graph_base_url"]
    client = GraphApiClient(_GrantedAccess(tokens.access_token), account.email, shared=True,
                            base_url=base_url)
    try:
        client.request("GET", "/mailFolders/inbox")
    except ProviderError as exc:
        _logger.warning("MailDesk sign-in: the grant of user %s does not open shared mailbox %s (%s)",
                        env.uid, account.id, type(exc).__name__)
        raise SignInRefused(env._(
            "You signed in as %(signed_in)s, who cannot open the shared mailbox %(mailbox)s. "
            "Nothing was changed: ask your Microsoft 365 administrator to give %(signed_in)s Full "
            "Access to %(mailbox)s, or sign in as someone who has it.",
            signed_in=tokens.address or env._("an unknown account"), mailbox=account.email),
            "shared_mailbox_closed", account.id) from None


def _new_account(env, provider, tokens):
    """The signed-in person's own mailbox: an existing one they are a member of (its tokens
    are renewed), else a new one of theirs. Someone else's connected mailbox is refused."""
    address = (tokens.address or "").strip()
    if not address:
        raise SignInRefused(env._(
            "%(provider)s did not say which address you signed in with. Nothing was changed.",
            provider=LABELS[provider]), "no_address")
    Account = env["mailbox.account"]
    # sudo: whether the address is connected already must be known even when the caller is
    # not a member; only the match itself is used, nothing of it is shown.
    existing = Account.sudo().with_context(active_test=False).search(
        [("provider", "=", provider), ("email", "ilike", address)]).filtered(
        lambda a: a.email.strip().casefold() == address.casefold())[:1]
    if existing:
        if existing.active and env.user in existing.access_user_ids:
            return existing.with_env(env)
        raise SignInRefused(env._(
            "%(address)s is already connected in MailDesk. Nothing was changed: ask a Mailbox "
            "Admin to add you to its users.", address=address), "already_connected")
    if provider == "gmail" and not tokens.refresh_token:
        raise _no_refresh_token(env, None)
    try:
        with env.cr.savepoint():
            # sudo: Mailbox Users cannot create mailboxes; may_connect_new allowed this one (at
            # the start and again at the callback), the sign-in just proved this user holds
            # the address, and the new mailbox is theirs alone.
            account = Account.sudo().create({
                "name": address, "email": address, "provider": provider, "owner_id": env.uid,
                "access_user_ids": [fields.Command.set([env.uid])],
            })
    except ValidationError:
        raise SignInRefused(env._(
            "%(address)s cannot be used as a mailbox address. Nothing was changed.",
            address=address), "bad_address") from None
    except psycopg2.IntegrityError:  # the same address connected by a parallel sign-in
        raise SignInRefused(env._(
            "%(address)s is already connected in MailDesk. Nothing was changed: ask a Mailbox "
            "Admin to add you to its users.", address=address), "already_connected") from None
    return account.with_env(env)


def _no_refresh_token(env, account_id):
    return SignInRefused(env._(
        "Google did not give MailDesk lasting access (no refresh token). Nothing was changed: "
        "remove MailDesk under Google Account › Security › Third-party access, then sign in "
        "again."), "no_refresh_token", account_id)


_TOKEN_FIELDS = {
    "gmail": ("gmail_refresh_token", "gmail_access_token", "gmail_access_token_expiration"),
    "outlook": ("outlook_graph_refresh_token", "outlook_graph_access_token",
                "outlook_graph_access_token_expiration"),
}


def _store(env, provider, account, tokens):
    """Seal the tokens into the mailbox and ask for its first sync."""
    refresh_field, access_field, expiry_field = _TOKEN_FIELDS[provider]
    if not tokens.refresh_token and not secrets_vault.is_stored(account, refresh_field):
        if provider == "gmail":
            raise _no_refresh_token(env, account.id)
        raise SignInRefused(env._(
            "Microsoft did not give MailDesk lasting access (no refresh token). Nothing was "
            "changed: ask your Microsoft 365 administrator to allow offline access."),
            "no_refresh_token", account.id)
    with env.cr.savepoint():
        if tokens.refresh_token:
            secrets_vault.store(account, refresh_field, tokens.refresh_token)
        secrets_vault.store(account, access_field, tokens.access_token)
        # sudo: token expiry and connection state are written by service code only; the caller
        # was checked above to be a member of this mailbox or a Mailbox Admin.
        account.sudo().write({
            expiry_field: int(tokens.expires_at),
            "connection_state": "not_connected",  # "connected" once the first sync worked
            "last_error": False, "last_error_at": False, "backoff_until": False,
            "sync_failure_count": 0,
        })
    sync.request_sync(account)
