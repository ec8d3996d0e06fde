"""Personas and records shared by the MailDesk tests.

Four people, as seed 001 describes them:
  member   - Mailbox User listed in Users with Access of the support@ mailbox
  outsider - Mailbox User not listed there (owns a personal mailbox of their own)
  admin    - Mailbox Admin, on no access list at all
  plain    - internal Odoo user with no MailDesk group
"""
import itertools
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user
from odoo.tools import mute_logger

USER = "maildesk_mail_client.group_mailbox_user"
ADMIN = "maildesk_mail_client.group_mailbox_admin"
ROLES = ("member", "outsider", "admin", "plain")
OPERATIONS = ("read", "write", "create", "unlink")

_all = dict.fromkeys(OPERATIONS, True)
_none = dict.fromkeys(OPERATIONS, False)
_read_only = dict(_none, read=True)
_no_unlink = dict(_all, unlink=False)

# The effective outcome of seed 003 (ACL rows combined with record rules) for a record that
# belongs to the support@ mailbox. Written out by hand, not derived from the CSV, so a
# wrong CSV or rule makes these tests fail.
EXPECTED = {
    "mailbox.account": dict(member=_read_only, outsider=_none, admin=_all, plain=_none),
    "mailbox.folder": dict(member=_read_only, outsider=_none, admin=_all, plain=_none),
    "maildesk.message_index": dict(member=_read_only, outsider=_none, admin=_all, plain=_none),
    "maildesk.ui_cache": dict(member=_read_only, outsider=_none, admin=_all, plain=_none),
    "maildesk.ingest_queue": dict(member=_read_only, outsider=_none, admin=_all, plain=_none),
    "maildesk.email_state": dict(member=_all, outsider=_none, admin=_all, plain=_none),
    "maildesk.draft": dict(member=_all, outsider=_none, admin=_all, plain=_none),
    # not mailbox-bound: no record rule in seed 003
    "mail.message.tag": dict(member=_no_unlink, outsider=_no_unlink, admin=_all, plain=_none),
    # someone else's presence row: readable, written by nobody but a Mailbox Admin
    "maildesk.ui_presence": dict(member=_read_only, outsider=_read_only, admin=_all, plain=_none),
    "maildesk.account_lease": dict(member=_none, outsider=_none, admin=_all, plain=_none),
    # the user's own wizard row
    "mailbox.account.wizard": dict(member=_all, outsider=_all, admin=_all, plain=_none),
    # abstract RPC facade: only the ACL applies (admin inherits the user line)
    "mailbox.sync": dict(member=_all, outsider=_all, admin=_all, plain=_none),
}

SUPPORT_PASSWORD = "Shared-Support-Pw-7731"


class MailDeskFixture:
    """Mixin for TransactionCase/HttpCase: builds the personas and factories."""

    _counter = itertools.count(1)

    @classmethod
    def setUpMailDesk(cls):
        env = cls.env
        # Moves and deletes wait for an undo before the engine applies them; tests that sync
        # right after a change want it applied (the undo tests set the window themselves).
        env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 0)
        cls.member = new_test_user(env, "md_member", groups="base.group_user," + USER,
                                   name="Mia Member", password="md_member")
        cls.outsider = new_test_user(env, "md_outsider", groups="base.group_user," + USER,
                                     name="Otto Outsider", password="md_outsider")
        cls.admin = new_test_user(env, "md_admin", groups="base.group_user," + ADMIN,
                                  name="Ada Admin", password="md_admin")
        cls.plain = new_test_user(env, "md_plain", groups="base.group_user",
                                  name="Paul Plain", password="md_plain")
        cls.users = {"member": cls.member, "outsider": cls.outsider, "admin": cls.admin,
                     "plain": cls.plain}
        Account = env["mailbox.account"].with_user(cls.admin)
        cls.support = Account.create({
            "name": "Support", "email": "support@example.com", "is_shared": True,
            "owner_id": cls.member.id, "access_user_ids": [(6, 0, [cls.member.id])],
            "allow_personal_connection": True, "imap_host": "imap.example.com",
            "password": SUPPORT_PASSWORD,
        })
        cls.personal = Account.create({
            "name": "Otto", "email": "otto@example.com", "owner_id": cls.outsider.id,
            "imap_host": "imap.example.com",
        })
        cls.support_inbox = env["mailbox.folder"].create({
            "account_id": cls.support.id, "name": "Inbox", "imap_name": "INBOX",
            "folder_type": "inbox"})
        cls.personal_inbox = env["mailbox.folder"].create({
            "account_id": cls.personal.id, "name": "Inbox", "imap_name": "INBOX",
            "folder_type": "inbox"})

    def rpc(self, model, method, *args, **kwargs):
        """Call ``model.method`` over JSON-RPC as the logged-in user (HttpCase only).

        Returns (result, None), or (None, (exception class name, full message)).
        """
        self.env.flush_all()
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs}}
        with mute_logger("odoo.http"):
            answer = self.url_open(f"/web/dataset/call_kw/{model}/{method}",
                                   data=json.dumps(payload),
                                   headers={"Content-Type": "application/json"}).json()
        self.env.invalidate_all()
        if "error" in answer:
            return None, (answer["error"]["data"]["name"], answer["error"]["data"]["message"])
        return answer["result"], None

    # -- factories: fresh records of the support mailbox, made as superuser --------------
    def _n(self):
        return next(self._counter)

    def make_account(self):
        n = self._n()
        return self.env["mailbox.account"].create({
            "name": f"Shared {n}", "email": f"shared{n}@example.com", "is_shared": True,
            "owner_id": self.member.id, "imap_host": "imap.example.com"})

    def make_folder(self, account=None):
        n = self._n()
        return self.env["mailbox.folder"].create({
            "account_id": (account or self.support).id, "name": f"Folder {n}",
            "imap_name": f"INBOX/f{n}", "delimiter": "/"})

    def make_index(self, folder=None):
        folder = folder or self.support_inbox
        n = self._n()
        return self.env["maildesk.message_index"].create({
            "account_id": folder.account_id.id, "folder_id": folder.id, "uid": str(n),
            "subject": f"Message {n}", "from_addr": "customer@example.org",
            "sort_ts": 1_700_000_000 + n})

    def make_tag(self):
        return self.env["mail.message.tag"].create({"name": f"Tag {self._n()}"})

    def make_fresh_user(self):
        n = self._n()
        return new_test_user(self.env, f"md_extra{n}", groups="base.group_user")

    def target(self, model, role):
        """A fresh record of ``model`` to read, write or unlink as ``role``."""
        env = self.env
        if model == "mailbox.account":
            return self.make_account()
        if model == "mailbox.folder":
            return self.make_folder()
        if model == "maildesk.message_index":
            return self.make_index()
        if model == "maildesk.ui_cache":
            return env[model].create({"index_id": self.make_index().id, "json_cache": {"a": 1}})
        if model == "maildesk.ingest_queue":
            return env[model].create({"index_id": self.make_index().id})
        if model == "maildesk.email_state":
            return env[model].create({"account_id": self.support.id,
                                      "index_id": self.make_index().id})
        if model == "maildesk.draft":
            return env[model].create({"account_id": self.support.id, "user_id": self.member.id,
                                      "subject": "Draft"})
        if model == "mail.message.tag":
            return self.make_tag()
        if model == "maildesk.ui_presence":
            return env[model].create({"user_id": self.make_fresh_user().id})
        if model == "maildesk.account_lease":
            return env[model].create({"account_id": self.make_account().id,
                                      "lease_until": fields.Datetime.now() + timedelta(minutes=5)})
        if model == "mailbox.account.wizard":
            # the role's own wizard row (create_uid is the role's user)
            return env[model].with_user(self.users[role]).sudo().create(
                {"email": "x@example.com", "password": "x"}).sudo(False).with_user(self.env.user)
        raise KeyError(model)

    def write_vals(self, model):
        return {
            "mailbox.account": {"sender_name": "Renamed"},
            "mailbox.folder": {"is_visible": False},
            "maildesk.message_index": {"is_read": True},
            "maildesk.ui_cache": {"json_cache": {"b": 2}},
            "maildesk.ingest_queue": {"priority": 5},
            "maildesk.email_state": {"read_intent": "read"},
            "maildesk.draft": {"subject": "Changed"},
            "mail.message.tag": {"color": "#000000"},
            "maildesk.ui_presence": {"last_ping_at": fields.Datetime.now()},
            "maildesk.account_lease": {"owner": "someone"},
            "mailbox.account.wizard": {"email": "y@example.com"},
        }[model]

    def create_vals(self, model):
        """Values creating a record in the support mailbox (made before switching user)."""
        n = self._n()
        if model == "mailbox.account":
            return {"name": f"New {n}", "email": f"new{n}@example.com",
                    "owner_id": self.member.id, "imap_host": "imap.example.com"}
        if model == "mailbox.folder":
            return {"account_id": self.support.id, "name": f"New {n}", "imap_name": f"new{n}"}
        if model == "maildesk.message_index":
            return {"account_id": self.support.id, "folder_id": self.support_inbox.id,
                    "uid": f"new{n}"}
        if model in ("maildesk.ui_cache", "maildesk.ingest_queue"):
            return {"index_id": self.make_index().id}
        if model == "maildesk.email_state":
            return {"account_id": self.support.id, "index_id": self.make_index().id}
        if model == "maildesk.draft":
            return {"account_id": self.support.id, "subject": f"New {n}"}
        if model == "mail.message.tag":
            return {"name": f"New tag {n}"}
        if model == "maildesk.ui_presence":
            return {"user_id": self.make_fresh_user().id}
        if model == "maildesk.account_lease":
            return {"account_id": self.make_account().id,
                    "lease_until": fields.Datetime.now() + timedelta(minutes=5)}
        if model == "mailbox.account.wizard":
            return {"email": "z@example.com", "password": "z"}
        raise KeyError(model)
