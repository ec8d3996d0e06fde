"""Make the addons' Odoo-free layers importable without importing Odoo.

Each addon folder is registered as a bare package, so ``maildesk_mail_client.infrastructure``
imports without running the addon's ``__init__`` (which loads Odoo models).
"""
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
for manifest in ROOT.glob("*/__manifest__.py"):
    addon = manifest.parent
    for name, path in ((addon.name, addon), (f"{addon.name}.tests", addon / "tests")):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules.setdefault(name, package)

import pytest  # noqa: E402

from maildesk_mail_client.tests import mailservers  # noqa: E402


def _running(server):
    try:
        server.start()
    except mailservers.ServerUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot():
    """One private Dovecot for the whole run; each test takes a fresh user (mailbox)."""
    yield from _running(mailservers.Dovecot())


@pytest.fixture(scope="session")
def basic_dovecot():
    """A Dovecot that advertises only IMAP4rev1 basics (no CONDSTORE, QRESYNC, LIST-STATUS)."""
    yield from _running(mailservers.Dovecot(capabilities=mailservers.BASIC_CAPABILITIES))


@pytest.fixture(scope="session")
def oauth():
    """The authorisation server's view of bearer tokens (issue / revoke)."""
    tokens = mailservers.OAuthTokens().start()
    yield tokens
    tokens.stop()


@pytest.fixture(scope="session")
def oauth_dovecot(oauth):
    """A Dovecot that also accepts XOAUTH2 / OAUTHBEARER sign-in, checking tokens with ``oauth``."""
    yield from _running(mailservers.Dovecot(oauth=oauth))
