"""Local HTTPS stand-ins for Google (OAuth + Gmail REST v1) and Microsoft (Entra ID + Graph v1.0).

Each speaks the real paths and JSON shapes on loopback, behind a certificate from a private CA
(``tls.py``), so the real client libraries (google-api-python-client, google-auth-oauthlib,
msal, requests) run unchanged. Every request is recorded, so tests and benchmarks can count calls
and Gmail quota units; the mailboxes are generated (``mailbox.py``), 20,000 messages in well
under a second.
"""

from .google import GoogleStandIn
from .microsoft import MicrosoftStandIn
from .server import RecordedSleeps
from .tls import ca_environment, certificate_authority, trusted
