""""maildesk/changed" reaches the people who may read the mailbox and have the inbox open,
and nobody else: after a change in the inbox, and after a real sync that found new mail."""
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import ADMIN, MailDeskFixture
from .common_imap import ImapCase, rfc822
from .common_live import LiveMixin

CHANGED = "maildesk/changed"


@tagged("post_install", "-at_install")
class TestChangedNotices(MailDeskFixture, LiveMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.setUpColleague(cls.support)
        cls.second_admin = new_test_user(cls.env, "md_admin2", groups="base.group_user," + ADMIN,
                                         name="Abe Admin")

    def setUp(self):
        super().setUp()
        self.forget_bus()

    def test_a_change_reaches_online_readers_of_the_mailbox_only(self):
        row = self.make_index()
        # online: member, outsider, admin; the colleague and the second admin are not
        self.open_inbox(self.member, self.outsider, self.admin)
        self.env["mailbox.sync"].with_user(self.member).set_flags([row.id], is_starred=True)
        expected = [{"account_id": self.support.id, "folder_ids": [self.support_inbox.id]}]
        self.assertEqual(self.bus_payloads(self.member, CHANGED), expected)
        self.assertEqual(self.bus_payloads(self.admin, CHANGED), expected,
                         "a Mailbox Admin may read every mailbox")
        self.assertEqual(self.bus_payloads(self.outsider, CHANGED), [],
                         "not on the mailbox: hears nothing of it")
        self.assertEqual(self.bus_payloads(self.colleague, CHANGED), [],
                         "the inbox is not open: nothing to refresh")
        self.assertEqual(self.bus_payloads(self.second_admin, CHANGED), [])

    def test_a_move_names_both_folders_once_per_commit(self):
        rows = self.make_index() | self.make_index()
        target = self.make_folder()
        self.open_inbox(self.colleague)
        Sync = self.env["mailbox.sync"].with_user(self.member)
        Sync.set_flags(rows.ids, is_read=True)
        Sync.move_messages(rows.ids, target.id)
        self.assertEqual(self.bus_payloads(self.colleague, CHANGED), [
            {"account_id": self.support.id,
             "folder_ids": sorted([self.support_inbox.id, target.id])}])

    def test_an_undone_move_is_announced_too(self):
        row = self.make_index()
        target = self.make_folder()
        Sync = self.env["mailbox.sync"].with_user(self.member)
        token = Sync.move_messages(row.ids, target.id)["undo_token"]
        self.open_inbox(self.colleague)
        self.forget_bus()
        self.assertEqual(Sync.undo_change(token)["undone"], 1)
        self.assertEqual(self.bus_payloads(self.colleague, CHANGED), [
            {"account_id": self.support.id, "folder_ids": [self.support_inbox.id]}])

    def test_a_reader_removed_from_the_mailbox_hears_nothing_more(self):
        row = self.make_index()
        self.open_inbox(self.colleague)
        self.support.with_user(self.admin).access_user_ids = [(3, self.colleague.id)]
        self.env["mailbox.sync"].with_user(self.member).set_flags([row.id], is_read=True)
        self.assertEqual(self.bus_payloads(self.colleague, CHANGED), [])


@tagged("post_install", "-at_install", "maildesk_sync")
class TestChangedAfterSync(LiveMixin, ImapCase):

    def test_new_mail_found_by_a_sync_reaches_the_open_inbox_of_members(self):
        self.sync()  # folders exist; nothing new yet
        self.open_inbox(self.member, self.outsider)
        self.forget_bus()
        self.deliver(rfc822("Fresh from the server"))
        self.assertEqual(self.sync()["new"], 1)
        inbox = self.folder("inbox")
        notices = self.bus_payloads(self.member, CHANGED)
        self.assertEqual(notices, [{"account_id": self.account.id, "folder_ids": [inbox.id]}])
        self.assertEqual(self.bus_payloads(self.outsider, CHANGED), [])
        # nothing changed on the server: the next sync sends nothing
        self.forget_bus()
        self.sync()
        self.assertEqual(self.bus_payloads(self.member, CHANGED), [])
