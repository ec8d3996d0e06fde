"""Revoking a Google grant: Google's token revocation endpoint (RFC 7009 style).

``POST https://oauth2.googleapis.com/revoke`` with the form field ``token``: a refresh token
ends the whole grant (MailDesk leaves the account's third-party access), an access token only
itself. Google answers 200 when it revoked the token, and 400 ``invalid_token`` when the token
was revoked or had expired already. Microsoft has no such endpoint for one app's delegated
tokens (see account_removal). No Odoo import.
"""
import re

import requests

TIMEOUT = 15  # seconds; a removal waits for Google at most this long
_PRINTABLE = re.compile(r"[^A-Za-z0-9_ .:-]")


class RevokeFailed(Exception):
    """Google did not confirm the revocation; ``str()`` says why, without the token."""


def revoke_google(token, revoke_uri, timeout=TIMEOUT):
    """"revoked", or "already" (Google no longer knew the token); RevokeFailed otherwise."""
    try:
        response = requests.post(revoke_uri, data={"token": token}, timeout=timeout,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    except requests.RequestException as exc:
        raise RevokeFailed(f"Google could not be reached ({type(exc).__name__})") from None
    if response.status_code == 200:
        return "revoked"
    try:
        error = str(response.json().get("error") or "")
    except (ValueError, AttributeError):
        error = ""
    if response.status_code == 400 and error == "invalid_token":
        return "already"
    words = _PRINTABLE.sub("", error)[:60]
    raise RevokeFailed(f"Google answered HTTP {response.status_code}{' ' + words if words else ''}")
