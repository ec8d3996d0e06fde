"""Email links: a message or its conversation linked to an Odoo record, with read access on
both ends, shown on the record (its chatter, its Linked Emails action) and in the inbox."""
from odoo.addons.maildesk_mail_client.tests.common import USER, MailDeskFixture
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

HOSTILE_SUBJECT = 'Invoice <img src=x onerror="alert(1)"> overdue'


@tagged("post_install", "-at_install", "maildesk_pro")
class TestEmailLinks(MailDeskFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.customer = cls.env["res.partner"].create({"name": "Acme Customer"})
        # a record the member may not read: a contact of a company they do not work for
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere Ltd"})
        cls.hidden_partner = cls.env["res.partner"].create({
            "name": "Elsewhere's Contact", "company_id": cls.other_company.id})
        cls.colleague = new_test_user(cls.env, "md_colleague", groups="base.group_user," + USER,
                                      name="Cleo Colleague")
        cls.colleague.write({"company_ids": [(4, cls.other_company.id)]})
        cls.support.write({"access_user_ids": [(4, cls.colleague.id)]})

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)
        self.row = self.make_index()
        self.row.write({"subject": HOSTILE_SUBJECT, "sender_display_name": "Billing Dept",
                        "thread_id": "thread-acme", "message_id": "<m1@acme.example>"})

    def reply_in_thread(self):
        reply = self.make_index()
        reply.write({"thread_id": "thread-acme", "subject": "Re: invoice"})
        return reply

    # -- what can be linked ----------------------------------------------------------------------
    def test_documents_with_a_chatter_can_be_linked_technical_and_maildesk_models_cannot(self):
        models = {m["model"] for m in self.Sync.link_models()}
        self.assertIn("res.partner", models)
        for technical in ("mailbox.account", "maildesk.draft", "res.users", "ir.config_parameter",
                          "mail.message"):
            self.assertNotIn(technical, models)
        with self.assertRaises(AccessError):
            self.Sync.link_search_records("ir.config_parameter", "secret")
        with self.assertRaises(AccessError):
            self.Sync.link_to_record(self.row.id, "res.users", self.admin.id)

    def test_searching_records_finds_only_those_the_user_may_read(self):
        found = self.Sync.link_search_records("res.partner", "Acme")
        self.assertEqual([f["name"] for f in found], ["Acme Customer"])
        self.assertEqual(self.Sync.link_search_records("res.partner", "Elsewhere's"), [])
        colleague_found = self.env["mailbox.sync"].with_user(self.colleague).link_search_records(
            "res.partner", "Elsewhere's")
        self.assertEqual([f["id"] for f in colleague_found], [self.hidden_partner.id])

    # -- linking -------------------------------------------------------------------------------------
    def test_linking_a_message_shows_it_on_the_record_and_in_the_inbox(self):
        link = self.Sync.link_to_record(self.row.id, "res.partner", self.customer.id)
        self.assertEqual((link["res_model"], link["res_id"], link["res_name"], link["link_type"]),
                         ("res.partner", self.customer.id, "Acme Customer", "message"))
        self.assertEqual(link["url"], f"/odoo/res.partner/{self.customer.id}")
        self.assertEqual(self.Sync.get_links(self.row.id), [link])
        # on the record: a note in its chatter, by the member, opening the message in the inbox
        [note] = self.customer.message_ids.filtered(lambda m: "linked the email" in (m.body or ""))
        self.assertEqual(note.author_id, self.member.partner_id)
        self.assertIn(f'href="/odoo/maildesk?folder={self.support_inbox.id}&amp;message={self.row.id}"',
                      note.body)
        self.assertIn('Invoice &lt;img src=x onerror="alert(1)"&gt; overdue', note.body)
        self.assertNotIn("<img", note.body)
        # and in the record's Linked Emails action
        action = self.env.ref("maildesk_mail_client_pro.action_maildesk_email_link_of_record")
        self.assertEqual(action.binding_model_id.model, "res.partner")
        domain = safe_eval(action.domain, {"active_model": "res.partner",
                                           "active_ids": self.customer.ids})
        self.assertEqual(self.env["maildesk.email.link"].with_user(self.member).search(domain).ids,
                         [link["id"]])

    def test_linking_twice_gives_the_first_link(self):
        first = self.Sync.link_to_record(self.row.id, "res.partner", self.customer.id)
        again = self.Sync.link_to_record(self.row.id, "res.partner", self.customer.id)
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(len(self.customer.message_ids.filtered(
            lambda m: "linked the email" in (m.body or ""))), 1)

    def test_a_conversation_link_shows_on_every_message_of_the_conversation(self):
        reply = self.reply_in_thread()
        link = self.Sync.link_to_record(self.row.id, "res.partner", self.customer.id,
                                        whole_conversation=True)
        self.assertEqual(link["link_type"], "conversation")
        self.assertEqual([x["id"] for x in self.Sync.get_links(reply.id)], [link["id"]])
        self.assertTrue(self.customer.message_ids.filtered(
            lambda m: "linked the conversation" in (m.body or "")))

    def test_a_message_outside_any_conversation_has_its_links_too(self):
        alone = self.make_index()
        self.assertEqual(self.Sync.get_links(alone.id), [])
        link = self.Sync.link_to_record(alone.id, "res.partner", self.customer.id,
                                        whole_conversation=True)
        self.assertEqual(link["link_type"], "message")  # no conversation to link
        self.assertEqual([x["id"] for x in self.Sync.get_links(alone.id)], [link["id"]])
        self.assertEqual(self.Sync.get_links(self.row.id), [])

    def test_a_record_the_user_cannot_read_is_refused_and_never_named(self):
        with self.assertRaises(AccessError):
            self.Sync.link_to_record(self.row.id, "res.partner", self.hidden_partner.id)
        # a colleague who may read it links it: the member sees that a link exists, not its name
        self.env["mailbox.sync"].with_user(self.colleague).link_to_record(
            self.row.id, "res.partner", self.hidden_partner.id)
        [seen] = self.Sync.get_links(self.row.id)
        self.assertEqual((seen["res_name"], seen["url"]), ("A record you cannot open", False))
        self.assertNotIn("Elsewhere", str(seen))

    def test_another_mailboxs_message_is_refused_like_a_missing_one(self):
        outsider = self.env["mailbox.sync"].with_user(self.outsider)
        for attempt in (lambda: outsider.link_to_record(self.row.id, "res.partner", self.customer.id),
                        lambda: outsider.get_links(self.row.id),
                        lambda: outsider.link_to_record(999_999_999, "res.partner", self.customer.id)):
            with self.assertRaises(AccessError):
                attempt()

    def test_users_read_links_and_remove_them_only_through_the_inbox(self):
        link = self.Sync.link_to_record(self.row.id, "res.partner", self.customer.id)
        record = self.env["maildesk.email.link"].browse(link["id"])
        with self.assertRaises(AccessError):
            record.with_user(self.member).write({"res_id": self.hidden_partner.id})
        with self.assertRaises(AccessError):
            self.env["maildesk.email.link"].with_user(self.member).create({
                "account_id": self.support.id, "index_id": self.row.id,
                "res_model": "res.partner", "res_id": self.hidden_partner.id})
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).remove_link(link["id"])
        self.assertEqual(self.Sync.remove_link(link["id"]), {"removed": True})
        self.assertEqual(self.Sync.get_links(self.row.id), [])

    # -- over JSON-RPC, logged in ----------------------------------------------------------------------
    def test_linking_over_json_rpc(self):
        self.authenticate("md_member", "md_member")
        link, error = self.rpc("mailbox.sync", "link_to_record", self.row.id, "res.partner",
                               self.customer.id)
        self.assertIsNone(error)
        links, _error = self.rpc("mailbox.sync", "get_links", self.row.id)
        self.assertEqual([x["id"] for x in links], [link["id"]])
        _link, error = self.rpc("mailbox.sync", "link_to_record", self.row.id, "res.partner",
                                self.hidden_partner.id)
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        self.authenticate("md_outsider", "md_outsider")
        _link, error = self.rpc("mailbox.sync", "link_to_record", self.row.id, "res.partner",
                                self.customer.id)
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
