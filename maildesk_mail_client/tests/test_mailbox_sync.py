"""The mailbox.sync facade answers as the calling user, whatever ids they pass."""
from datetime import datetime, timezone

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import MailDeskFixture


@tagged("post_install", "-at_install")
class TestMailboxSync(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_account_list_holds_only_the_users_mailboxes(self):
        Sync = self.env["mailbox.sync"]
        self.assertEqual([a["email"] for a in Sync.with_user(self.member).get_account_list()],
                         ["support@example.com"])
        self.assertEqual([a["email"] for a in Sync.with_user(self.outsider).get_account_list()],
                         ["otto@example.com"])
        emails = {a["email"] for a in Sync.with_user(self.admin).get_account_list()}
        self.assertLessEqual({"support@example.com", "otto@example.com"}, emails)

    def test_folder_tree_nests_and_orders_special_folders_first(self):
        Folder = self.env["mailbox.folder"]
        archive = Folder.create({"account_id": self.support.id, "name": "Archive",
                                 "imap_name": "Archive", "folder_type": "archive"})
        Folder.create({"account_id": self.support.id, "name": "Clients", "imap_name": "Clients"})
        Folder.create({"account_id": self.support.id, "name": "2024", "imap_name": "Archive/2024",
                       "delimiter": "/", "parent_id": archive.id})
        Folder.create({"account_id": self.support.id, "name": "Hidden", "imap_name": "Hidden",
                       "is_visible": False})
        tree = self.env["mailbox.sync"].with_user(self.member).get_folder_tree(self.support.id)
        self.assertEqual([n["name"] for n in tree], ["Inbox", "Archive", "Clients"])
        self.assertEqual([n["name"] for n in tree[1]["children"]], ["2024"])

    def test_another_mailboxs_id_is_refused(self):
        Sync = self.env["mailbox.sync"].with_user(self.outsider)
        for account_id in (self.support.id, 999999, False):
            with self.subTest(account_id=account_id), self.assertRaises(AccessError) as caught:
                Sync.get_folder_tree(account_id)
            self.assertIn("You do not have access to this mailbox", str(caught.exception))

    def test_mail_dated_after_january_2038_keeps_its_place_in_the_list(self):
        earlier, later = self.make_index(), self.make_index()
        later.sort_ts = int(datetime(2040, 3, 1, tzinfo=timezone.utc).timestamp())  # past int4
        self.env.flush_all()
        page = self.env["mailbox.sync"].with_user(self.member).message_search_load(
            folder_id=self.support_inbox.id)
        self.assertEqual([r["id"] for r in page["records"]][:2], [later.id, earlier.id])
        later.invalidate_recordset()
        self.assertEqual(later.sort_ts, 2214172800)

    def test_presence_ping_and_online_users(self):
        Presence = self.env["maildesk.ui_presence"]
        Presence.with_user(self.member).ping()
        Presence.with_user(self.member).ping()
        self.assertEqual(Presence.search_count([("user_id", "=", self.member.id)]), 1)
        self.assertEqual(Presence.online_user_ids([self.member.id, self.outsider.id]),
                         [self.member.id])
        with self.assertRaises(AccessError):
            Presence.with_user(self.plain).ping()
