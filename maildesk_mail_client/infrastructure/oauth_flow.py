"""OAuth 2.0 sign-in for Gmail and Microsoft 365: PKCE, a signed single-use ``state``, and the
authorization requests and code exchanges, through google-auth-oauthlib and msal.

The ``state`` travels through the browser, so it carries nothing secret and is signed
(HMAC-SHA256 with a server secret): it binds the sign-in to the Odoo user who started it, the
account (or a new one) and the provider, expires, and is accepted once, the caller recording the
nonce through ``consume``. Each refusal has its own reason, so the callback can tell a
stale link from an attack.

Google: the PKCE verifier is derived from the state's nonce with the server secret, so nothing
needs storing between the redirect and the callback. Microsoft: msal makes its own verifier and
nonce inside the "flow" dict it returns; the caller keeps that dict server side (never in the
browser) until the callback, beside the state's single-use record.
No Odoo import: tested without Odoo against the stand-ins in maildesk_mail_client/tests/standins/.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

import msal
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
GMAIL_API_ENDPOINT = "https://gmail.googleapis.com/"  # here, not in gmail_api: no API library loads
# gmail.modify reads, labels, drafts and sends (all the provider does, short of permanent
# deletion); openid + email give the signed-in address in the id token.
GOOGLE_SCOPES = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/gmail.modify",
)
GOOGLE_REQUIRED_SCOPE = "https://www.googleapis.com/auth/gmail.modify"

MICROSOFT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# msal adds openid, profile and offline_access itself (and refuses them when passed).
MICROSOFT_SCOPES = ("Mail.ReadWrite", "Mail.Send", "User.Read")
MICROSOFT_SHARED_SCOPES = MICROSOFT_SCOPES + ("Mail.ReadWrite.Shared", "Mail.Send.Shared")
MICROSOFT_TENANT_ALIASES = ("common", "organizations")
_TENANT = re.compile(
    r"\A(?:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\Z"
)

PROVIDERS = ("gmail", "outlook")
STATE_LIFETIME = 600  # seconds from the click to the callback; consent screens are quick
MIN_SECRET_BYTES = 32
_STATE_CONTEXT = b"maildesk-oauth-state\x00"
_PKCE_CONTEXT = b"maildesk-oauth-pkce\x00"


class OAuthError(Exception):
    """The sign-in did not complete; ``reason`` is a short code, ``str()`` is for people."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class StateRefused(OAuthError):
    """The callback's state is not one we issued for this user, or no longer valid."""

    MALFORMED = "malformed"
    TAMPERED = "tampered"
    EXPIRED = "expired"
    WRONG_USER = "wrong_user"
    WRONG_PROVIDER = "wrong_provider"
    REPLAYED = "replayed"


# -- PKCE (RFC 7636) --------------------------------------------------------------------------
def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_code_verifier():
    """A random verifier of 86 characters from the unreserved set (RFC 7636 allows 43-128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier):
    """The S256 challenge of a verifier."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


# -- the signed state -------------------------------------------------------------------------
@dataclass(frozen=True)
class SignInState:
    user_id: int
    account_id: int | None  # None: the sign-in creates a new account
    provider: str
    nonce: str
    expires_at: int


class StateSigner:
    """Issues and checks ``state`` values with a server secret (bytes, at least 32)."""

    def __init__(self, secret, lifetime=STATE_LIFETIME, clock=time.time):
        if isinstance(secret, str):
            secret = secret.encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the OAuth state secret must have at least {MIN_SECRET_BYTES} bytes")
        self._secret, self.lifetime, self.clock = secret, lifetime, clock

    def _mac(self, payload):
        return hmac.new(self._secret, _STATE_CONTEXT + payload.encode(), hashlib.sha256).digest()

    def issue(self, user_id, account_id, provider):
        """A fresh state and what it says (keep nothing: ``verify`` reads it all back)."""
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        state = SignInState(
            int(user_id),
            None if account_id is None else int(account_id),
            provider,
            secrets.token_urlsafe(16),
            int(self.clock()) + self.lifetime,
        )
        payload = _b64url(
            json.dumps(
                {
                    "u": state.user_id,
                    "a": state.account_id,
                    "p": state.provider,
                    "n": state.nonce,
                    "e": state.expires_at,
                },
                separators=(",", ":"),
            ).encode()
        )
        return f"{payload}.{_b64url(self._mac(payload))}", state

    def verify(self, token, user_id, provider, consume):
        """The ``SignInState`` if ``token`` is ours, intact, unexpired, for this user and
        provider and not used before; else ``StateRefused`` with the reason.

        ``consume(nonce)`` must record the nonce and return False if it was already recorded;
        it is called last, so a forged or stale state never uses up a genuine nonce."""
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 1024:
            raise StateRefused(StateRefused.MALFORMED, "The sign-in link is not valid.")
        payload, mac = token.split(".")
        try:
            given = _b64url_decode(mac)
        except ValueError:
            raise StateRefused(StateRefused.MALFORMED, "The sign-in link is not valid.")
        if not hmac.compare_digest(given, self._mac(payload)):
            raise StateRefused(StateRefused.TAMPERED, "The sign-in link was altered.")
        try:
            fields = json.loads(_b64url_decode(payload))
            state = SignInState(
                int(fields["u"]),
                None if fields["a"] is None else int(fields["a"]),
                str(fields["p"]),
                str(fields["n"]),
                int(fields["e"]),
            )
        except (ValueError, KeyError, TypeError):
            raise StateRefused(StateRefused.MALFORMED, "The sign-in link is not valid.")
        if state.expires_at < self.clock():
            raise StateRefused(StateRefused.EXPIRED, "The sign-in took too long: start it again.")
        if state.user_id != int(user_id):
            raise StateRefused(StateRefused.WRONG_USER, "This sign-in was started by another user.")
        if state.provider != provider:
            raise StateRefused(StateRefused.WRONG_PROVIDER, "This sign-in was started for another provider.")
        if not consume(state.nonce):
            raise StateRefused(StateRefused.REPLAYED, "This sign-in link was already used.")
        return state

    def code_verifier(self, state):
        """The PKCE verifier for a state, recomputed at the callback instead of stored."""
        return _b64url(hmac.new(self._secret, _PKCE_CONTEXT + state.nonce.encode(), hashlib.sha256).digest())


# -- what a sign-in yields ----------------------------------------------------------------------
@dataclass(frozen=True)
class GrantedTokens:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds
    scopes: tuple
    # the signed-in mailbox, from the id token ("" if the provider gave none); Microsoft's
    # claims are unverified, so the caller replaces it with graph_me_address's
    address: str


def id_token_claims(id_token):
    """The claims of an id token received straight from the token endpoint over verified TLS,
    which OpenID Connect Core 3.1.3.7 accepts in place of checking its signature."""
    try:
        claims = json.loads(_b64url_decode(id_token.split(".")[1]))
    except (AttributeError, IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def same_address(expected, signed_in):
    """The signed-in address may fill in a new account's, or must be the account's own."""
    return not expected or expected.strip().casefold() == (signed_in or "").strip().casefold()


# -- Google (google-auth-oauthlib) ------------------------------------------------------------
@dataclass(frozen=True)
class GoogleClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    auth_uri: str = GOOGLE_AUTH_URI
    token_uri: str = GOOGLE_TOKEN_URI
    scopes: tuple = GOOGLE_SCOPES


def _google_flow(client, code_verifier):
    config = {
        "web": {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "auth_uri": client.auth_uri,
            "token_uri": client.token_uri,
            "redirect_uris": [client.redirect_uri],
        }
    }
    return Flow.from_client_config(
        config,
        scopes=list(client.scopes),
        redirect_uri=client.redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )


def google_authorization_url(client, state, code_verifier, login_hint=None):
    """Where to send the browser: offline access (a refresh token), consent asked every time
    (so Google issues a refresh token again), earlier grants kept, S256 PKCE."""
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = _google_flow(client, code_verifier).authorization_url(
        state=state, access_type="offline", prompt="consent", include_granted_scopes="true", **extra
    )
    return url


def google_exchange_code(client, code, code_verifier):
    """Redeem the callback's code; ``OAuthError`` if Google refuses it or the mail scope was
    not granted (Google's consent screen lets people untick it)."""
    flow = _google_flow(client, code_verifier)
    try:
        flow.fetch_token(code=code)
    except Warning as changed:  # oauthlib: granted scopes differ from the requested ones
        if not hasattr(changed, "token"):
            raise
        flow.oauth2session.token = changed.token
    except OAuth2Error as exc:
        raise OAuthError(
            exc.error or "oauth_error", f"Google refused the sign-in: {exc.description or exc.error}"
        )
    token = flow.oauth2session.token
    scopes = tuple(
        token.get("scope", "").split() if isinstance(token.get("scope"), str) else token.get("scope") or ()
    )
    if GOOGLE_REQUIRED_SCOPE not in scopes:
        raise OAuthError("scope_not_granted", "Access to Gmail was not granted: sign in again and allow it.")
    claims = id_token_claims(token.get("id_token", ""))
    return GrantedTokens(
        token["access_token"],
        token.get("refresh_token"),
        float(token.get("expires_at") or time.time() + float(token.get("expires_in", 0))),
        scopes,
        google_verified_email(claims),
    )


def google_verified_email(claims):
    """The id token's email when Google says it is verified ("email_verified" true; some
    answers carry it as the string "true"); missing or anything else: no address."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    return email if isinstance(email, str) and verified is True else ""


# -- Microsoft (msal) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MicrosoftClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    tenant: str = "common"  # common, organizations, or a tenant id / verified domain
    authority_host: str = MICROSOFT_AUTHORITY_HOST
    shared_mailbox: bool = False  # ask for the .Shared scopes (a Microsoft 365 shared mailbox)

    @property
    def scopes(self):
        return list(MICROSOFT_SHARED_SCOPES if self.shared_mailbox else MICROSOFT_SCOPES)


def graph_me_address(me):
    """The address of Graph's ``/me`` answer: ``mail``, or the userPrincipalName when the user
    has no mail address; "" when it names none."""
    if isinstance(me, dict):
        for key in ("mail", "userPrincipalName"):
            value = me.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def check_tenant(tenant):
    """The tenant goes into the authority URL: only the aliases, a GUID or a domain name."""
    if tenant in MICROSOFT_TENANT_ALIASES or _TENANT.match(tenant or ""):
        return tenant
    raise ValueError(f"not a Microsoft tenant: {tenant!r} (use common, organizations or a tenant id)")


def microsoft_app(client, http_client=None):
    """An msal ConfidentialClientApplication for the configured tenant. Instance discovery is
    off: the authority is the one the administrator chose, and msal then needs only the
    tenant's OpenID configuration."""
    extra = {"http_client": http_client} if http_client is not None else {}
    return msal.ConfidentialClientApplication(
        client.client_id,
        client_credential=client.client_secret,
        authority=f"{client.authority_host.rstrip('/')}/{check_tenant(client.tenant)}",
        instance_discovery=False,
        **extra,
    )


def microsoft_start(app, client, state, login_hint=None):
    """msal's auth code flow: a dict with ``auth_uri`` (send the browser there) and the PKCE
    verifier and nonce, which the caller keeps server side until the callback. The answer comes
    back as a form POST (RFC 9700 4.3.1), keeping the code out of URLs, logs and history: the
    callback route must accept POST without Odoo's CSRF token (the signed state replaces it)."""
    return app.initiate_auth_code_flow(
        client.scopes,
        redirect_uri=client.redirect_uri,
        state=state,
        prompt="select_account",
        login_hint=login_hint,
        response_mode="form_post",
    )


def microsoft_finish(app, flow, callback_params):
    """Redeem the callback (its posted form fields as a dict) with the stored flow."""
    try:
        result = app.acquire_token_by_auth_code_flow(flow, dict(callback_params))
    except ValueError as exc:  # msal: the state does not match the flow
        raise OAuthError("state_mismatch", f"The sign-in could not be checked: {exc}")
    if "error" in result:
        raise OAuthError(
            result["error"],
            "Microsoft refused the sign-in: "
            + (result.get("error_description") or result["error"]).splitlines()[0],
        )
    claims = result.get("id_token_claims") or {}
    return GrantedTokens(
        result["access_token"],
        result.get("refresh_token"),
        time.time() + float(result.get("expires_in", 0)),
        tuple(result.get("scope", "").split()),
        claims.get("preferred_username") or claims.get("email", ""),
    )
