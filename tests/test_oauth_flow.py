"""OAuth sign-in pieces (infrastructure/oauth_flow.py): PKCE, the signed single-use state, and the
real google-auth-oauthlib and msal flows against the HTTPS stand-ins."""

import base64
import hashlib
import html.parser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from maildesk_mail_client.infrastructure import oauth_flow
from maildesk_mail_client.infrastructure.oauth_flow import OAuthError, StateRefused, StateSigner
from maildesk_mail_client.tests.standins import GoogleStandIn, MicrosoftStandIn, trusted
from maildesk_mail_client.tests.standins.google import _jwt
from maildesk_mail_client.tests.standins.microsoft import TENANT_ID

SECRET = b"k" * 32
REDIRECT = "https://odoo.example/maildesk/oauth/callback"


class Clock:
    def __init__(self, now=1_800_000_000):
        self.now = now

    def __call__(self):
        return self.now


def consumer():
    used = set()

    def consume(nonce):
        if nonce in used:
            return False
        used.add(nonce)
        return True

    consume.used = used
    return consume


def refusal(callable_):
    with pytest.raises(StateRefused) as caught:
        callable_()
    return caught.value.reason


# -- PKCE and state --------------------------------------------------------------------------
def test_code_challenge_is_rfc7636_s256():
    verifier = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"
    digest = hashlib.sha256(verifier.encode()).digest()
    assert oauth_flow.code_challenge(verifier) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len(oauth_flow.code_challenge(verifier)) == 43
    verifier = oauth_flow.new_code_verifier()
    assert 43 <= len(verifier) <= 128 and verifier != oauth_flow.new_code_verifier()


def test_a_state_comes_back_with_who_started_it_and_for_what():
    signer = StateSigner(SECRET)
    token, issued = signer.issue(user_id=7, account_id=None, provider="gmail")
    state = signer.verify(token, user_id=7, provider="gmail", consume=consumer())
    assert state == issued and state.account_id is None and state.provider == "gmail"
    assert signer.code_verifier(state) == signer.code_verifier(issued)  # recomputed, never stored
    assert 43 <= len(signer.code_verifier(state)) <= 128


def test_a_tampered_state_is_refused_without_using_up_its_nonce():
    signer, consume = StateSigner(SECRET), consumer()
    token, _ = signer.issue(7, 3, "outlook")
    payload, mac = token.split(".")
    forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert (
        refusal(lambda: signer.verify(f"{forged_payload}.{mac}", 7, "outlook", consume))
        == StateRefused.TAMPERED
    )
    other_token, _ = StateSigner(b"z" * 32).issue(7, 3, "outlook")
    assert refusal(lambda: signer.verify(other_token, 7, "outlook", consume)) == StateRefused.TAMPERED
    assert (
        refusal(lambda: signer.verify(f"{payload}.{other_token.split('.')[1]}", 7, "outlook", consume))
        == StateRefused.TAMPERED
    )
    for garbage in ("", "no-dot", "a.b.c", None, "x" * 2000):
        assert refusal(lambda g=garbage: signer.verify(g, 7, "outlook", consume)) == StateRefused.MALFORMED
    assert consume.used == set()
    assert signer.verify(token, 7, "outlook", consume).account_id == 3


def test_a_state_is_accepted_once():
    signer, consume = StateSigner(SECRET), consumer()
    token, _ = signer.issue(7, 3, "gmail")
    signer.verify(token, 7, "gmail", consume)
    assert refusal(lambda: signer.verify(token, 7, "gmail", consume)) == StateRefused.REPLAYED


def test_an_expired_state_is_refused():
    clock = Clock()
    signer = StateSigner(SECRET, lifetime=600, clock=clock)
    token, _ = signer.issue(7, 3, "gmail")
    clock.now += 601
    assert refusal(lambda: signer.verify(token, 7, "gmail", consumer())) == StateRefused.EXPIRED


def test_a_state_is_bound_to_its_user_and_provider():
    signer = StateSigner(SECRET)
    token, _ = signer.issue(7, 3, "gmail")
    assert refusal(lambda: signer.verify(token, 8, "gmail", consumer())) == StateRefused.WRONG_USER
    assert refusal(lambda: signer.verify(token, 7, "outlook", consumer())) == StateRefused.WRONG_PROVIDER


def test_a_short_secret_or_unknown_provider_is_refused():
    with pytest.raises(ValueError):
        StateSigner(b"short")
    with pytest.raises(ValueError):
        StateSigner(SECRET).issue(7, None, "yahoo")


def test_only_real_tenants_go_into_the_authority():
    for tenant in ("common", "organizations", TENANT_ID, "contoso.onmicrosoft.com"):
        assert oauth_flow.check_tenant(tenant) == tenant
    for tenant in ("", "../evil", "common/../x", "a b", "evil.example/path"):
        with pytest.raises(ValueError):
            oauth_flow.check_tenant(tenant)


def test_the_signed_in_address_must_be_the_accounts():
    assert oauth_flow.same_address("", "new@example.org")  # a new account takes it
    assert oauth_flow.same_address("Owner@Example.org", "owner@example.org ")
    assert not oauth_flow.same_address("owner@example.org", "other@example.org")


# -- Google, end to end through google-auth-oauthlib ---------------------------------------------
@pytest.fixture(scope="module")
def google():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from trusted(monkeypatch, GoogleStandIn(messages=3, redirect_uris=[REDIRECT]))


class UnverifiedGoogle(GoogleStandIn):
    """Google answering an id token whose ``email_verified`` is ``verified`` (MISSING: the
    claim is left out), as for an address Google has not confirmed."""

    MISSING = object()
    verified = MISSING

    def _tokens(self, user, scope, refresh, with_refresh=False):
        answer = super()._tokens(user, scope, refresh, with_refresh)
        if "id_token" in answer:
            claims = oauth_flow.id_token_claims(answer["id_token"])
            claims.pop("email_verified")
            if self.verified is not self.MISSING:
                claims["email_verified"] = self.verified
            answer["id_token"] = _jwt(claims)
        return answer


@pytest.fixture(scope="module")
def unverified_google():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from trusted(monkeypatch, UnverifiedGoogle(messages=3, redirect_uris=[REDIRECT]))


def google_client(standin):
    return oauth_flow.GoogleClient(
        standin.client_id,
        standin.client_secret,
        REDIRECT,
        auth_uri=standin.base_url + "/o/oauth2/auth",
        token_uri=standin.base_url + "/token",
    )


class FormFields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def consent(url):
    """The browser at the consent screen: the user agrees and is sent back (a redirect with
    the answer in the query, or, for response_mode=form_post, a form the page posts)."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    if answer.status_code == 200 and "<form" in answer.text:
        form = FormFields()
        form.feed(answer.text)
        assert form.action == REDIRECT
        return form.fields
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_google_sign_in_end_to_end(google):
    signer, consume = StateSigner(SECRET), consumer()
    token, state = signer.issue(7, None, "gmail")
    url = oauth_flow.google_authorization_url(google_client(google), token, signer.code_verifier(state))
    asked = parse_qs(urlsplit(url).query)
    assert asked["access_type"] == ["offline"] and asked["prompt"] == ["consent"]
    assert asked["include_granted_scopes"] == ["true"] and asked["code_challenge_method"] == ["S256"]
    assert asked["code_challenge"] == [oauth_flow.code_challenge(signer.code_verifier(state))]
    assert oauth_flow.GOOGLE_REQUIRED_SCOPE in asked["scope"][0].split()
    back = consent(url)
    checked = signer.verify(back["state"], 7, "gmail", consume)
    tokens = oauth_flow.google_exchange_code(
        google_client(google), back["code"], signer.code_verifier(checked)
    )
    assert tokens.refresh_token and tokens.access_token and tokens.address == google.owner
    assert tokens.expires_at > 0


def google_sign_in(standin):
    signer = StateSigner(SECRET)
    token, state = signer.issue(7, None, "gmail")
    back = consent(
        oauth_flow.google_authorization_url(google_client(standin), token, signer.code_verifier(state))
    )
    return oauth_flow.google_exchange_code(google_client(standin), back["code"], signer.code_verifier(state))


@pytest.mark.parametrize("verified", [UnverifiedGoogle.MISSING, False, "false", None, 1, "yes"])
def test_a_google_address_not_said_to_be_verified_names_nobody(unverified_google, verified):
    unverified_google.verified = verified
    tokens = google_sign_in(unverified_google)
    assert tokens.refresh_token and tokens.address == ""  # the sign-in then refuses to store


@pytest.mark.parametrize("verified", [True, "true", "True"])
def test_a_google_address_said_to_be_verified_is_the_signed_in_one(unverified_google, verified):
    unverified_google.verified = verified
    assert google_sign_in(unverified_google).address == unverified_google.owner


def test_the_graph_address_is_mail_or_else_the_user_principal_name():
    assert oauth_flow.graph_me_address({"mail": " mia@contoso.example ", "userPrincipalName": "m@x"}) == (
        "mia@contoso.example"
    )
    assert oauth_flow.graph_me_address({"mail": None, "userPrincipalName": "mia@contoso.example"}) == (
        "mia@contoso.example"
    )
    assert oauth_flow.graph_me_address({"mail": "", "userPrincipalName": "mia@contoso.example"}) == (
        "mia@contoso.example"
    )
    for answer in ({}, {"mail": ["eve@x"], "userPrincipalName": 7}, [], None, "mia@contoso.example"):
        assert oauth_flow.graph_me_address(answer) == ""


def test_an_id_token_that_is_no_claims_object_gives_no_claims():
    for token in ("", "x", "a.bnVsbA.c", "a." + _jwt(["email"]).split(".")[1] + ".c", None):
        assert oauth_flow.id_token_claims(token) == {}


def test_google_refuses_a_wrong_verifier_and_a_second_use_of_the_code(google):
    signer = StateSigner(SECRET)
    token, state = signer.issue(7, None, "gmail")
    back = consent(
        oauth_flow.google_authorization_url(google_client(google), token, signer.code_verifier(state))
    )
    with pytest.raises(OAuthError) as wrong:
        oauth_flow.google_exchange_code(google_client(google), back["code"], oauth_flow.new_code_verifier())
    assert wrong.value.reason == "invalid_grant"
    with pytest.raises(OAuthError) as again:  # the code was spent by the refused attempt
        oauth_flow.google_exchange_code(google_client(google), back["code"], signer.code_verifier(state))
    assert again.value.reason == "invalid_grant"


def test_google_sign_in_without_the_gmail_scope_is_refused(google):
    signer = StateSigner(SECRET)
    token, state = signer.issue(7, None, "gmail")
    url = oauth_flow.google_authorization_url(google_client(google), token, signer.code_verifier(state))
    google.withheld_scopes = {oauth_flow.GOOGLE_REQUIRED_SCOPE}  # unticked on the consent screen
    try:
        back = consent(url)
    finally:
        google.withheld_scopes = set()
    with pytest.raises(OAuthError) as caught:
        oauth_flow.google_exchange_code(google_client(google), back["code"], signer.code_verifier(state))
    assert caught.value.reason == "scope_not_granted"


# -- Microsoft, end to end through msal ---------------------------------------------------------
@pytest.fixture(scope="module")
def microsoft():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from trusted(monkeypatch, MicrosoftStandIn(messages=3))


def microsoft_client(standin, tenant="common", shared=False):
    return oauth_flow.MicrosoftClient(
        standin.client_id,
        standin.client_secret,
        REDIRECT,
        tenant=tenant,
        authority_host=standin.base_url,
        shared_mailbox=shared,
    )


@pytest.mark.parametrize("tenant", ["common", "organizations", TENANT_ID])
def test_microsoft_sign_in_end_to_end(microsoft, tenant):
    signer, consume = StateSigner(SECRET), consumer()
    client = microsoft_client(microsoft, tenant)
    app = oauth_flow.microsoft_app(client)
    token, _ = signer.issue(7, 4, "outlook")
    flow = oauth_flow.microsoft_start(app, client, token)
    asked = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert flow["auth_uri"].startswith(f"{microsoft.base_url}/{tenant}/oauth2/v2.0/authorize")
    assert asked["state"] == [token] and asked["code_challenge_method"] == ["S256"]
    assert asked["response_mode"] == ["form_post"]  # the code stays out of URLs and history
    assert {"Mail.ReadWrite", "Mail.Send", "User.Read", "offline_access"} <= set(asked["scope"][0].split())
    assert "code_verifier" not in flow["auth_uri"]
    back = consent(flow["auth_uri"])
    assert signer.verify(back["state"], 7, "outlook", consume).account_id == 4
    tokens = oauth_flow.microsoft_finish(app, flow, back)
    assert tokens.refresh_token and tokens.address == microsoft.owner


def test_microsoft_shared_mailbox_asks_for_the_shared_scopes(microsoft):
    client = microsoft_client(microsoft, shared=True)
    flow = oauth_flow.microsoft_start(oauth_flow.microsoft_app(client), client, "s")
    scopes = set(parse_qs(urlsplit(flow["auth_uri"]).query)["scope"][0].split())
    assert {"Mail.ReadWrite.Shared", "Mail.Send.Shared"} <= scopes


def test_microsoft_refuses_a_wrong_verifier(microsoft):
    client = microsoft_client(microsoft)
    app = oauth_flow.microsoft_app(client)
    flow = oauth_flow.microsoft_start(app, client, "s")
    back = consent(flow["auth_uri"])
    with pytest.raises(OAuthError) as caught:
        oauth_flow.microsoft_finish(app, dict(flow, code_verifier=oauth_flow.new_code_verifier()), back)
    assert caught.value.reason == "invalid_grant"
    with pytest.raises(OAuthError) as mismatch:
        oauth_flow.microsoft_finish(app, flow, dict(back, state="another"))
    assert mismatch.value.reason == "state_mismatch"
