""""Always for this sender": remote images load for that sender, for that user only, however
the sender's address is spelt; and for everyone once the administrator turns them on."""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from ..application.services import bodies, live
from .common import MailDeskFixture
from .common_live import LiveMixin

PIXEL = "https://images.example.net/open.gif"
REFUSAL = "You do not have access to this message, or it no longer exists."


@tagged("post_install", "-at_install")
class TestRemoteImageSenders(MailDeskFixture, LiveMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.setUpColleague(cls.support)

    def newsletter(self, sender, account_inbox=None):
        """A message from ``sender`` whose body (already cached) shows a remote image."""
        row = self.make_index(account_inbox)
        row.from_addr = sender
        self.env["maildesk.ui_cache"].create({
            "index_id": row.id, "json_cache_until": fields.Datetime.now() + timedelta(days=1),
            "json_cache": {bodies.CACHE_KEY: {
                "source_html": f'<p>News</p><img src="{PIXEL}">', "text": "News",
                "reply_to": "", "attachments": [], "problems": []}}})
        return row

    def opened(self, user, row):
        return self.env["mailbox.sync"].with_user(user).get_message(row.id, mark_read=False)

    def assertBlocked(self, user, row, blocked=True):
        message = self.opened(user, row)
        self.assertEqual(message["remote_images_blocked"], 1 if blocked else 0)
        self.assertEqual(f'src="{PIXEL}"' in message["body_html"], not blocked)
        self.assertEqual(message["remote_images_trusted"], not blocked)

    def test_always_for_this_sender_unblocks_that_sender_for_that_user_only(self):
        first = self.newsletter("news@shop.example")
        later = self.newsletter("news@shop.example")
        other = self.newsletter("promo@elsewhere.example")
        self.assertBlocked(self.member, first)
        self.assertTrue(self.env["mailbox.sync"].with_user(self.member)
                        .allow_remote_images_from(first.id))
        self.assertBlocked(self.member, first, blocked=False)
        self.assertBlocked(self.member, later, blocked=False)
        self.assertBlocked(self.member, other)
        self.assertBlocked(self.colleague, first)  # Carl's own choices apply to him, not Mia's

    def test_an_address_spelt_differently_is_the_same_sender_a_look_alike_is_not(self):
        trusted = self.newsletter("news@shop.example")
        self.env["mailbox.sync"].with_user(self.member).allow_remote_images_from(trusted.id)
        for spelling in ("News@SHOP.Example", "ｎｅｗｓ@ｓｈｏｐ.example", "News <news@shop.example>"):
            with self.subTest(spelling=spelling):
                self.assertBlocked(self.member, self.newsletter(spelling), blocked=False)
        for look_alike in ("news@shоp.example",  # Cyrillic o
                           "news@shop.example.evil.example", "news\u200b@shop.example",
                           "news@shop.examp1e", ""):
            with self.subTest(look_alike=look_alike):
                self.assertBlocked(self.member, self.newsletter(look_alike))

    def test_addresses_are_normalised_once(self):
        self.assertEqual(live.normalise_address("ALICE@Bücher.Example"),
                         "alice@xn--bcher-kva.example")
        self.assertEqual(live.normalise_address("alice@xn--bcher-kva.example"),
                         "alice@xn--bcher-kva.example")
        self.assertEqual(live.normalise_address("Ａlice＠example.com"), "alice@example.com")
        self.assertNotEqual(live.normalise_address("аlice@example.com"),  # Cyrillic a
                            "alice@example.com")
        self.assertEqual(live.normalise_address("no address"), "")

    def test_another_mailboxs_message_is_refused_like_a_missing_one(self):
        row = self.newsletter("news@shop.example")
        Sync = self.env["mailbox.sync"].with_user(self.outsider)
        for index_id in (row.id, 999999):
            with self.subTest(index_id=index_id), self.assertRaisesRegex(AccessError, REFUSAL):
                Sync.allow_remote_images_from(index_id)
        self.env.cr.execute("SELECT count(*) FROM maildesk_remote_image_sender WHERE user_id = %s",
                            [self.outsider.id])
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_the_administrators_default_loads_them_for_everyone(self):
        row = self.newsletter("news@shop.example")
        self.env["ir.config_parameter"].set_param(live.REMOTE_IMAGES_PARAM, "True")
        self.assertBlocked(self.member, row, blocked=False)
        self.assertBlocked(self.colleague, row, blocked=False)
        self.env["ir.config_parameter"].set_param(live.REMOTE_IMAGES_PARAM, False)
        self.assertBlocked(self.member, row)
