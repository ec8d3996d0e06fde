"""What the live-side tests share: a second member of the support@ mailbox, users with the
inbox open, and the bus messages each user's channel received."""
import json

from odoo.addons.bus.models.bus import channel_with_db, json_dump
from odoo.tests import new_test_user

from .common import USER


class LiveMixin:

    @classmethod
    def setUpColleague(cls, account=None):
        """Carl, a second Mailbox User (on ``account``: two people work that mailbox)."""
        cls.colleague = new_test_user(cls.env, "md_colleague", groups="base.group_user," + USER,
                                      name="Carl Colleague", password="md_colleague")
        if account:
            cls.add_member(account, cls.colleague)

    @classmethod
    def add_member(cls, account, user):
        account.with_user(cls.admin).access_user_ids = [(4, user.id)]

    def open_inbox(self, *users):
        """These users have the inbox open (its heartbeat)."""
        for user in users:
            self.env["maildesk.ui_presence"].with_user(user).ping()

    def forget_bus(self):
        self.env.cr.flush()  # what is queued for the commit goes out now, then is forgotten
        self.env["bus.bus"].sudo().search([]).unlink()

    def bus_payloads(self, user, kind):
        """The payloads of ``kind`` messages sent to ``user`` (as the next commit sends them)."""
        self.env.cr.flush()  # runs the pre-commit hooks that write bus.bus rows
        channel = json_dump(channel_with_db(self.env.cr.dbname, user.partner_id))
        messages = [json.loads(m) for m in self.env["bus.bus"].sudo().search(
            [("channel", "=", channel)], order="id").mapped("message")]
        return [m["payload"] for m in messages if m["type"] == kind]
