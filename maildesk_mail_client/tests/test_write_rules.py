"""Writes stay inside the caller's mailboxes: rules hold after a write as well as before.

Odoo checks record rules on the existing rows before a write, and on new rows after a create.
A write that points one's own row (draft, state change, presence) at another mailbox would
pass those checks; these tests make it through the ORM as the persona and over JSON-RPC as a
logged-in user, and check that no refusal names a mailbox the caller cannot read.
"""

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from .common import MailDeskFixture

FOREIGN_NAMES = ("Support", "support@example.com")


class _WriteRulesFixture(MailDeskFixture):

    @classmethod
    def setUpWriteRules(cls):
        cls.setUpMailDesk()
        env = cls.env
        # Otto (outsider) owns "Otto"; Mia (member) works support@ and a second mailbox.
        cls.otto_row = cls.make_index_in(cls.personal_inbox, "Otto's own message")
        cls.support_row = cls.make_index_in(cls.support_inbox, "Confidential support message")
        cls.sales = env["mailbox.account"].create({
            "name": "Sales", "email": "sales@example.com", "is_shared": True,
            "owner_id": cls.member.id, "imap_host": "imap.example.com"})
        cls.sales_inbox = env["mailbox.folder"].create({
            "account_id": cls.sales.id, "name": "Inbox", "imap_name": "INBOX",
            "folder_type": "inbox"})
        cls.sales_row = cls.make_index_in(cls.sales_inbox, "Sales message")
        cls.support_archive = env["mailbox.folder"].create({
            "account_id": cls.support.id, "name": "Archive", "imap_name": "Archive",
            "folder_type": "archive"})
        cls.otto_draft = env["maildesk.draft"].create({
            "account_id": cls.personal.id, "user_id": cls.outsider.id, "subject": "Otto's draft"})
        cls.otto_state = env["maildesk.email_state"].create({
            "account_id": cls.personal.id, "index_id": cls.otto_row.id})
        cls.support_draft = env["maildesk.draft"].create({
            "account_id": cls.support.id, "user_id": cls.member.id, "subject": "Support draft"})

    @classmethod
    def make_index_in(cls, folder, subject):
        return cls.env["maildesk.message_index"].create({
            "account_id": folder.account_id.id, "folder_id": folder.id,
            "uid": str(next(cls._counter)), "subject": subject, "from_addr": "a@example.org"})

    def assertNamesNoForeignMailbox(self, message):
        for name in FOREIGN_NAMES:
            self.assertNotIn(name, message)


@tagged("post_install", "-at_install", "maildesk_security")
class TestWriteRules(_WriteRulesFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpWriteRules()

    def refused(self, exception, call):
        with self.assertRaises(exception) as caught:
            call()
        self.env.invalidate_all()
        message = str(caught.exception)
        self.assertNamesNoForeignMailbox(message)
        return message

    # -- drafts --------------------------------------------------------------------------------
    def test_a_draft_cannot_be_moved_into_a_mailbox_not_granted(self):
        draft = self.otto_draft.with_user(self.outsider)
        self.refused(AccessError, lambda: draft.write({"account_id": self.support.id}))
        self.assertEqual(self.otto_draft.account_id, self.personal)
        self.assertNotIn(self.otto_draft, self.env["maildesk.draft"].with_user(self.member).search([]))

    def test_a_draft_cannot_be_created_in_a_mailbox_not_granted(self):
        Draft = self.env["maildesk.draft"].with_user(self.outsider)
        self.refused(AccessError, lambda: Draft.create({"account_id": self.support.id,
                                                         "subject": "Phishing"}))

    def test_a_draft_cannot_answer_a_message_of_a_mailbox_not_granted(self):
        draft = self.otto_draft.with_user(self.outsider)
        self.refused(AccessError, lambda: draft.write({"reply_to_index_id": self.support_row.id}))
        self.assertFalse(self.otto_draft.reply_to_index_id)

    def test_a_reply_across_two_of_ones_own_mailboxes_is_refused_without_naming_them(self):
        draft = self.support_draft.with_user(self.member)
        message = self.refused(ValidationError,
                               lambda: draft.write({"reply_to_index_id": self.sales_row.id}))
        self.assertNotIn("Sales", message)

    def test_a_draft_is_written_in_the_callers_own_name(self):
        Draft = self.env["maildesk.draft"].with_user(self.outsider)
        self.refused(AccessError, lambda: Draft.create({
            "account_id": self.personal.id, "user_id": self.member.id, "subject": "As Mia"}))
        draft = self.otto_draft.with_user(self.outsider)
        self.refused(AccessError, lambda: draft.write({"user_id": self.member.id}))
        self.assertEqual(self.otto_draft.user_id, self.outsider)

    def test_a_draft_cannot_point_at_an_odoo_document_the_caller_cannot_read(self):
        draft = self.otto_draft.with_user(self.outsider)
        self.refused(AccessError, lambda: draft.write({"model": "mailbox.account",
                                                        "res_id": self.support.id}))
        draft.write({"model": "mailbox.account", "res_id": self.personal.id})
        self.assertEqual(self.otto_draft.res_id, self.personal.id)

    def test_a_draft_may_move_between_two_of_ones_own_mailboxes(self):
        draft = self.env["maildesk.draft"].with_user(self.member).create(
            {"account_id": self.support.id, "subject": "Moving"})
        draft.write({"account_id": self.sales.id})
        self.assertEqual(draft.account_id, self.sales)

    def test_a_file_of_another_mailboxs_draft_cannot_be_taken_or_moved(self):
        Attachment = self.env["ir.attachment"]
        secret = Attachment.with_user(self.member).create({
            "name": "contract.pdf", "raw": b"%PDF secret", "res_model": "maildesk.draft",
            "res_id": self.support_draft.id})
        draft = self.otto_draft.with_user(self.outsider)
        self.refused(AccessError, lambda: draft.write({"attachment_ids": [(4, secret.id)]}))
        own = Attachment.with_user(self.outsider).create({
            "name": "otto.txt", "raw": b"otto", "res_model": "maildesk.draft",
            "res_id": self.otto_draft.id})
        self.refused(AccessError, lambda: own.write({"res_id": self.support_draft.id}))
        # the draft holding Otto's file cannot carry it into support@ either
        draft.write({"attachment_ids": [(4, own.id)]})
        self.refused(AccessError, lambda: draft.write({"account_id": self.support.id}))
        self.assertEqual(own.sudo().res_id, self.otto_draft.id)

    # -- state changes -------------------------------------------------------------------------
    def test_a_state_change_cannot_be_moved_into_a_mailbox_not_granted(self):
        """The hole: account and message changed together pass the same-mailbox constraint,
        and the rule was checked on the old row only: the next sync would delete support's
        message."""
        state = self.otto_state.with_user(self.outsider)
        self.refused(AccessError, lambda: state.write({
            "account_id": self.support.id, "index_id": self.support_row.id,
            "place_intent": "delete"}))
        self.assertEqual(self.otto_state.account_id, self.personal)
        self.assertFalse(self.otto_state.place_intent)

    def test_a_state_change_cannot_target_a_folder_of_a_mailbox_not_granted(self):
        state = self.otto_state.with_user(self.outsider)
        self.refused(AccessError, lambda: state.write({
            "target_folder_id": self.support_archive.id, "place_intent": "move"}))
        self.assertFalse(self.otto_state.target_folder_id)

    def test_a_state_change_cannot_be_created_on_a_message_not_granted(self):
        States = self.env["maildesk.email_state"].with_user(self.outsider)
        self.refused(AccessError, lambda: States.create({
            "account_id": self.support.id, "index_id": self.support_row.id}))

    # -- presence ------------------------------------------------------------------------------
    def test_a_user_updates_their_own_presence_only(self):
        Presence = self.env["maildesk.ui_presence"]
        mia = Presence.create({"user_id": self.member.id})
        self.refused(AccessError, lambda: mia.with_user(self.outsider).write(
            {"last_ping_at": "2020-01-01 00:00:00"}))
        self.refused(AccessError, lambda: Presence.with_user(self.outsider).create(
            {"user_id": self.make_fresh_user().id}))
        otto = Presence.with_user(self.outsider).create({})
        self.assertEqual(otto.user_id, self.outsider)
        self.refused(AccessError, lambda: otto.write({"user_id": self.member.id}))
        otto.write({"last_ping_at": "2021-01-01 00:00:00"})
        Presence.with_user(self.member).ping()
        self.assertEqual(Presence.online_user_ids([self.member.id]), [self.member.id])
        mia.with_user(self.admin).write({"last_ping_at": "2020-01-01 00:00:00"})

    # -- tags and their links ------------------------------------------------------------------
    def test_a_tag_marking_messages_of_a_mailbox_not_granted_cannot_be_changed(self):
        urgent = self.env["mail.message.tag"].create({"name": "Urgent"})
        self.env["mailbox.sync"].with_user(self.member).update_tags(
            [self.support_row.id], [urgent.id])
        self.refused(AccessError, lambda: urgent.with_user(self.outsider).write(
            {"name": "Ignore", "color": "#000000"}))
        self.assertEqual(urgent.name, "Urgent")
        urgent.with_user(self.member).write({"color": "#FF0000"})  # Mia works there
        own = self.env["mail.message.tag"].with_user(self.outsider).create({"name": "Otto's"})
        self.env["mailbox.sync"].with_user(self.outsider).update_tags([self.otto_row.id], [own.id])
        own.write({"name": "Otto's tag"})

    def test_tags_cannot_be_linked_to_messages_of_a_mailbox_not_granted(self):
        tag = self.env["mail.message.tag"].with_user(self.outsider).create({"name": "Mine"})
        Sync = self.env["mailbox.sync"].with_user(self.outsider)
        self.refused(AccessError, lambda: Sync.update_tags([self.support_row.id], [tag.id]))
        self.refused(AccessError, lambda: self.support_row.with_user(self.outsider).write(
            {"tag_ids": [(4, tag.id)]}))
        self.assertFalse(self.support_row.tag_ids)

    # -- the services still work -----------------------------------------------------------------
    def test_service_code_running_as_superuser_is_not_refused(self):
        Sync = self.env["mailbox.sync"].with_user(self.member)
        Sync.move_messages([self.support_row.id], self.support_archive.id)
        state = self.env["maildesk.email_state"].search([("index_id", "=", self.support_row.id)])
        self.assertEqual(state.target_folder_id, self.support_archive)
        draft_id = Sync.save_draft(account_id=self.support.id, subject="Via the inbox",
                                   reply_to_index_id=self.support_row.id)
        Sync.save_draft(draft_id=draft_id, subject="Edited")
        self.assertEqual(self.env["maildesk.draft"].browse(draft_id).subject, "Edited")


@tagged("post_install", "-at_install", "maildesk_security")
class TestStateChangeIntents(_WriteRulesFixture, TransactionCase):
    """What a member writes into a shared mailbox's pending changes cannot break its sync."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpWriteRules()

    def state_of(self, row):
        return self.env["maildesk.email_state"].with_user(self.member).create(
            {"account_id": row.account_id.id, "index_id": row.id})

    def test_a_move_needs_a_target_folder(self):
        States = self.env["maildesk.email_state"].with_user(self.member)
        with self.assertRaises(ValidationError):
            States.create({"account_id": self.support.id, "index_id": self.support_row.id,
                           "place_intent": "move"})
        state = self.state_of(self.support_row)
        with self.assertRaises(ValidationError):
            state.write({"place_intent": "move"})
        state.write({"target_folder_id": self.support_archive.id, "place_intent": "move"})
        with self.assertRaises(ValidationError):
            state.write({"target_folder_id": False})
        state.write({"place_intent": "delete", "target_folder_id": False})

    def test_how_a_change_was_applied_is_written_by_the_sync_only(self):
        state = self.state_of(self.support_row)
        for vals in ({"next_try_at": "2999-01-01 00:00:00"}, {"apply_attempts": 0},
                     {"last_error": "Applied"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                state.write(vals)
        with self.assertRaises(AccessError):
            self.env["maildesk.email_state"].with_user(self.member).create({
                "account_id": self.sales.id, "index_id": self.sales_row.id,
                "next_try_at": "2999-01-01 00:00:00"})
        self.assertFalse(state.next_try_at)

    def test_a_move_into_another_of_ones_own_mailboxes_is_refused_without_naming_either(self):
        state = self.state_of(self.support_row)
        with self.assertRaises(ValidationError) as caught:
            state.write({"target_folder_id": self.sales_inbox.id, "place_intent": "move"})
        for name in ("Support", "Sales"):
            self.assertNotIn(name, str(caught.exception))

    def test_a_state_change_belongs_to_its_messages_mailbox(self):
        States = self.env["maildesk.email_state"].with_user(self.member)
        with self.assertRaises(ValidationError) as caught:
            States.create({"account_id": self.sales.id, "index_id": self.support_row.id})
        for name in ("Support", "Sales"):
            self.assertNotIn(name, str(caught.exception))
        state = self.state_of(self.support_row)
        with self.assertRaises(ValidationError):
            state.write({"account_id": self.sales.id})

    @mute_logger("odoo.sql_db")
    def test_a_state_change_without_a_message_is_refused(self):
        States = self.env["maildesk.email_state"].with_user(self.member)
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            States.create({"account_id": self.support.id, "read_intent": "read"})
            self.env.flush_all()


@tagged("post_install", "-at_install", "maildesk_security")
class TestWriteRulesJsonRpc(_WriteRulesFixture, HttpCase):
    """The same attacks as a logged-in user calling JSON-RPC; the full error text is read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpWriteRules()

    def assertRefused(self, error, name="odoo.exceptions.AccessError"):
        self.assertIsNotNone(error, "the server accepted the write")
        self.assertEqual(error[0], name)
        self.assertNamesNoForeignMailbox(error[1])

    def test_moving_a_draft_or_a_state_change_into_a_mailbox_not_granted(self):
        self.authenticate("md_outsider", "md_outsider")
        _result, error = self.rpc("maildesk.draft", "write", self.otto_draft.ids,
                                  {"account_id": self.support.id})
        self.assertRefused(error)
        _result, error = self.rpc("maildesk.draft", "web_save", self.otto_draft.ids,
                                  {"reply_to_index_id": self.support_row.id}, specification={})
        self.assertRefused(error)
        _result, error = self.rpc("maildesk.email_state", "write", self.otto_state.ids, {
            "account_id": self.support.id, "index_id": self.support_row.id,
            "place_intent": "delete"})
        self.assertRefused(error)
        _result, error = self.rpc("maildesk.email_state", "write", self.otto_state.ids, {
            "target_folder_id": self.support_archive.id, "place_intent": "move"})
        self.assertRefused(error)
        _result, error = self.rpc("maildesk.draft", "create", {
            "account_id": self.personal.id, "user_id": self.member.id, "subject": "As Mia"})
        self.assertRefused(error)
        self.assertEqual(self.otto_draft.account_id, self.personal)
        self.assertFalse(self.otto_draft.reply_to_index_id)
        self.assertEqual(self.otto_state.account_id, self.personal)
        self.assertFalse(self.otto_state.place_intent)

    def test_another_users_presence_cannot_be_written(self):
        mia = self.env["maildesk.ui_presence"].create({"user_id": self.member.id})
        self.authenticate("md_outsider", "md_outsider")
        _result, error = self.rpc("maildesk.ui_presence", "write", mia.ids,
                                  {"last_ping_at": "2020-01-01 00:00:00"})
        self.assertRefused(error)
        _result, error = self.rpc("maildesk.ui_presence", "create", {"user_id": self.member.id})
        self.assertRefused(error)
        result, error = self.rpc("maildesk.ui_presence", "ping")
        self.assertIsNone(error)

    def test_a_tag_used_in_a_mailbox_not_granted_cannot_be_renamed(self):
        urgent = self.env["mail.message.tag"].create({"name": "Urgent"})
        self.support_row.tag_ids = urgent
        self.authenticate("md_outsider", "md_outsider")
        _result, error = self.rpc("mail.message.tag", "write", urgent.ids, {"name": "Ignore"})
        self.assertRefused(error)
        _result, error = self.rpc("mailbox.sync", "update_tags", self.support_row.ids, urgent.ids)
        self.assertRefused(error)
        self.assertEqual(urgent.name, "Urgent")

    def test_a_member_cannot_write_a_move_without_a_target(self):
        self.authenticate("md_member", "md_member")
        _result, error = self.rpc("maildesk.email_state", "create", {
            "account_id": self.support.id, "index_id": self.support_row.id,
            "place_intent": "move"})
        self.assertRefused(error, "odoo.exceptions.ValidationError")
        _result, error = self.rpc("maildesk.email_state", "create", {
            "account_id": self.support.id, "index_id": self.support_row.id,
            "place_intent": "move", "target_folder_id": self.sales_inbox.id})
        self.assertRefused(error, "odoo.exceptions.ValidationError")
        self.assertNotIn("Sales", error[1])
        self.assertFalse(self.env["maildesk.email_state"].search(
            [("index_id", "=", self.support_row.id)]))
        colleagues = self.env["maildesk.email_state"].create({
            "account_id": self.support.id, "index_id": self.support_row.id,
            "place_intent": "move", "target_folder_id": self.support_archive.id})
        _result, error = self.rpc("maildesk.email_state", "write", colleagues.ids,
                                  {"next_try_at": "2999-01-01 00:00:00"})
        self.assertRefused(error)
        self.assertFalse(colleagues.next_try_at)
