"""Gmail and Graph mailboxes synced as production syncs them: a worker process of its own, real
commits, killed just before or just after any commit, against the HTTPS stand-ins (run in this
process, trusted by the workers through the CA variables they inherit)."""
import itertools
import sys
import types
from pathlib import Path

import harness
import pytest

# The stand-ins import the addon's HTTP clients relatively: load them as the Odoo-free suite does
# (the addon as a bare package, without its Odoo models), beside the workers' odoo.addons copy.
_ADDON = Path(__file__).resolve().parent.parent / "maildesk_mail_client"
for _name, _path in (("maildesk_mail_client", _ADDON), ("maildesk_mail_client.tests", _ADDON / "tests")):
    sys.modules.setdefault(_name, types.ModuleType(_name)).__path__ = [str(_path)]

from maildesk_mail_client.tests.standins import GoogleStandIn, MicrosoftStandIn  # noqa: E402
from maildesk_mail_client.tests.standins.tls import ca_environment  # noqa: E402

_numbers = itertools.count(1)


@pytest.fixture
def trusted_ca(monkeypatch):
    """Set before the database's worker server starts: every forked worker trusts the CA."""
    return ca_environment(monkeypatch)


def _services():
    from odoo.addons.maildesk_mail_client.application.services import (  # noqa: PLC0415
        oauth_config,
        secrets_vault,
    )
    return oauth_config, secrets_vault


def _account(odoo_db, provider, standin):
    oauth_config, secrets_vault = _services()
    with odoo_db.env() as env:
        params = env["ir.config_parameter"]
        params.set_param("maildesk.undo_change_seconds", 0)
        if provider == "gmail":
            params.set_param(oauth_config.GOOGLE_CLIENT_ID, standin.client_id)
            params.set_param(oauth_config.GOOGLE_CLIENT_SECRET,
                             secrets_vault.seal(env, standin.client_secret))
            params.set_param(oauth_config.GOOGLE_TOKEN_URI_PARAM, standin.base_url + "/token")
            params.set_param(oauth_config.GOOGLE_API_ENDPOINT_PARAM, standin.base_url)
            token_field = "gmail_refresh_token"
        else:
            params.set_param(oauth_config.MICROSOFT_CLIENT_ID, standin.client_id)
            params.set_param(oauth_config.MICROSOFT_CLIENT_SECRET,
                             secrets_vault.seal(env, standin.client_secret))
            params.set_param(oauth_config.MICROSOFT_AUTHORITY_PARAM, standin.base_url)
            params.set_param(oauth_config.GRAPH_BASE_URL_PARAM, standin.base_url + "/v1.0")
            token_field = "outlook_graph_refresh_token"
        account = env["mailbox.account"].create({
            "name": standin.owner, "email": standin.owner, "provider": provider,
            "is_shared": True})
        secrets_vault.store(account, token_field, standin.grant())
        return account.id


def _sync(odoo_db, account_id, die=None, batch=4):
    return harness.run(odoo_db.db, "call", "sync.sync_account", f"[{account_id}, 240, {batch}]",
                       die=die)


def _index(odoo_db, account_id, key_column):
    rows = odoo_db.sql(f"""
        SELECT f.{key_column}, i.uid, COALESCE(i.is_read, FALSE)
          FROM maildesk_message_index i JOIN mailbox_folder f ON f.id = i.folder_id
         WHERE i.account_id = %s AND NOT COALESCE(i.local_pending, FALSE)""", [account_id])
    assert len(rows) == len({(f, u) for f, u, _r in rows}), "a message is indexed twice"
    return set(rows)


def _gmail_truth(google, labels):
    return {(label, gid, "UNREAD" not in m.labels)
            for gid, m in google.messages.items() for label in m.labels if label in labels}


def _graph_truth(microsoft, folder_ids):
    box = microsoft.mailbox()
    return {(m.folder, mid, bool(m.is_read)) for mid, m in box.messages.items()
            if m.folder in folder_ids}


def _synced_labels(odoo_db, account_id, column):
    return {r[0] for r in odoo_db.sql(
        f"SELECT {column} FROM mailbox_folder WHERE account_id = %s AND {column} IS NOT NULL "
        "AND is_visible", [account_id])}


def test_a_gmail_sync_killed_at_every_commit_ends_equal_to_gmail(odoo_db, trusted_ca):
    """A first sync (every label listed, then the history walked) and an incremental one with
    new, read, relabelled and deleted mail, each killed before and after each of its commits:
    the next run leaves every folder equal to its Gmail label, message for message."""
    standins = []

    def prepare():
        google = GoogleStandIn(messages=24, owner=f"box{next(_numbers)}@gmail.example").start()
        standins.append(google)
        return _account(odoo_db, "gmail", google), google

    def first(account_id, die):
        return _sync(odoo_db, account_id, die=die)

    def check(account_id, google, label):
        labels = _synced_labels(odoo_db, account_id, "gmail_label_id")
        assert {"INBOX", "SENT", "Label_1"} <= labels, label
        assert _index(odoo_db, account_id, "gmail_label_id") == _gmail_truth(google, labels), label

    try:
        deaths = harness.kill_at_each_commit(prepare, first, check)
        assert deaths >= 6, f"only {deaths} commit boundaries were exercised"

        def prepare_changes():
            account_id, google = prepare()
            assert _sync(odoo_db, account_id).result["status"] == "ok"
            ids = sorted(gid for gid, m in google.messages.items() if "INBOX" in m.labels)
            google.deliver(subject="New one")
            google.deliver(subject="Another one", labels={"INBOX", "UNREAD", "Label_3"})
            google.change_labels(ids[0], remove=["UNREAD"], add=["STARRED"])
            google.change_labels(ids[1], add=["Label_3"], remove=["INBOX"])
            google.delete_forever(ids[2])
            return account_id, google

        harness.kill_at_each_commit(prepare_changes, first, check)
    finally:
        for standin in standins:
            standin.stop()


def test_an_outlook_sync_killed_at_every_commit_ends_equal_to_exchange(odoo_db, trusted_ca):
    standins = []

    def prepare():
        microsoft = MicrosoftStandIn(messages=24,
                                     owner=f"box{next(_numbers)}@contoso.example").start()
        standins.append(microsoft)
        return _account(odoo_db, "outlook", microsoft), microsoft

    def run(account_id, die):
        return _sync(odoo_db, account_id, die=die)

    def check(account_id, microsoft, label):
        folder_ids = _synced_labels(odoo_db, account_id, "outlook_graph_id")
        assert microsoft.mailbox().well_known["inbox"] in folder_ids, label
        assert _index(odoo_db, account_id, "outlook_graph_id") == _graph_truth(
            microsoft, folder_ids), label

    try:
        deaths = harness.kill_at_each_commit(prepare, run, check)
        assert deaths >= 6, f"only {deaths} commit boundaries were exercised"

        def prepare_changes():
            account_id, microsoft = prepare()
            assert _sync(odoo_db, account_id).result["status"] == "ok"
            box = microsoft.mailbox()
            inbox = sorted(mid for mid, m in box.messages.items()
                           if m.folder == box.well_known["inbox"])
            box.add_raw(b"From: a@example.org\r\nSubject: New one\r\n\r\nHi.\r\n",
                        box.well_known["inbox"], is_read=False)
            box.messages[inbox[0]].is_read = not box.messages[inbox[0]].is_read
            box.touch(inbox[0])
            box.move(inbox[1], box.well_known["archive"])
            box.remove(inbox[2])
            return account_id, microsoft

        harness.kill_at_each_commit(prepare_changes, run, check)
    finally:
        for standin in standins:
            standin.stop()

