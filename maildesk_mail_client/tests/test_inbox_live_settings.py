"""Settings > MailDesk: only Settings administrators change it (through the ORM and over
JSON-RPC alike), its bounds hold, and what is saved is what the inbox, the send queue, the
body cache and the sync cron then do."""
from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..application.services import bodies, inbox_settings, live, sending
from .common import MailDeskFixture
from .common_imap import ImapCase, rfc822

VALUES = {"maildesk_undo_send_seconds": 42, "maildesk_body_cache_days": 3,
          "maildesk_sync_interval_minutes": 7, "maildesk_remote_images_default": True}


class SettingsMixin(MailDeskFixture):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not hasattr(cls, "member"):
            cls.setUpMailDesk()
        cls.sysadmin = new_test_user(cls.env, "md_sysadmin", groups="base.group_system",
                                     name="Sam Settings", password="md_sysadmin")

    def save_settings(self, **values):
        """What pressing Save in Settings does, as a Settings administrator."""
        Settings = self.env["res.config.settings"].with_user(self.sysadmin)
        Settings.create(dict(VALUES, **values)).execute()
        self.env.invalidate_all()

    def inbox_settings(self, user):
        return self.env["mailbox.sync"].with_user(user).get_inbox_settings()


@tagged("post_install", "-at_install")
class TestSettings(SettingsMixin, TransactionCase):

    def test_the_defaults_as_the_inbox_sees_them(self):
        self.assertEqual(self.inbox_settings(self.member), {
            "undo_send_seconds": 10, "remote_images_default": False,
            "sync_interval_minutes": 2, "body_cache_days": 30})

    def test_saved_settings_are_what_every_part_reads(self):
        self.save_settings()
        self.assertEqual(self.inbox_settings(self.member), {
            "undo_send_seconds": 42, "remote_images_default": True,
            "sync_interval_minutes": 7, "body_cache_days": 3})
        cron = self.env.ref(inbox_settings.SYNC_CRON)
        self.assertEqual((cron.interval_number, cron.interval_type), (7, "minutes"))
        self.assertEqual(sending.undo_seconds(self.env), 42)
        self.assertEqual(bodies.retention(self.env).days, 3)
        self.assertTrue(live.remote_images_default(self.env))
        shown = self.env["res.config.settings"].with_user(self.sysadmin).default_get(list(VALUES))
        self.assertEqual({k: shown[k] for k in VALUES}, VALUES, "the form shows what was saved")

    def test_zero_is_a_choice_not_an_empty_value(self):
        self.save_settings(maildesk_undo_send_seconds=0, maildesk_body_cache_days=0,
                           maildesk_remote_images_default=False)
        answer = self.inbox_settings(self.member)
        self.assertEqual((answer["undo_send_seconds"], answer["body_cache_days"],
                          answer["remote_images_default"]), (0, 0, False))

    def test_values_out_of_bounds_are_refused(self):
        for field, value in (("maildesk_undo_send_seconds", 301), ("maildesk_undo_send_seconds", -1),
                             ("maildesk_body_cache_days", -1),
                             ("maildesk_sync_interval_minutes", 0),
                             ("maildesk_sync_interval_minutes", 24 * 60 + 1)):
            with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                self.save_settings(**{field: value})
        self.assertEqual(self.inbox_settings(self.member)["undo_send_seconds"], 10)

    def test_only_settings_administrators_change_them(self):
        prepared = self.env["res.config.settings"].create(VALUES)
        for role in ("member", "admin", "plain"):
            user = self.users[role]
            with self.subTest(role=role):
                with self.assertRaises(AccessError):
                    self.env["res.config.settings"].with_user(user).create(VALUES)
                with self.assertRaises(AccessError):
                    prepared.with_user(user).execute()
                with self.assertRaises(AccessError):
                    self.env["ir.config_parameter"].with_user(user).set_param(
                        sending.UNDO_PARAM, "0")
        self.assertEqual(self.inbox_settings(self.member)["undo_send_seconds"], 10)


@tagged("post_install", "-at_install")
class TestSettingsOverJsonRpc(SettingsMixin, HttpCase):

    def test_a_mailbox_user_or_admin_cannot_change_them_over_json_rpc(self):
        for login in ("md_member", "md_admin", "md_plain"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                for model, method, args, kwargs in (
                        ("res.config.settings", "web_save", [[], VALUES], {"specification": {}}),
                        ("res.config.settings", "create", [VALUES], {}),
                        # set_values is public: called on no record it must not save anyway
                        ("res.config.settings", "set_values", [[]], {}),
                        ("ir.config_parameter", "set_param", [sending.UNDO_PARAM, "0"], {})):
                    _result, error = self.rpc(model, method, *args, **kwargs)
                    self.assertEqual(error and error[0], "odoo.exceptions.AccessError",
                                     f"{model}.{method}")
        self.assertEqual(self.inbox_settings(self.member)["undo_send_seconds"], 10,
                         "nothing was changed by the refused calls")
        self.authenticate("md_member", "md_member")
        answer, error = self.rpc("mailbox.sync", "get_inbox_settings")
        self.assertIsNone(error)
        self.assertEqual(answer["undo_send_seconds"], 10)
        self.authenticate("md_sysadmin", "md_sysadmin")
        saved, error = self.rpc("res.config.settings", "web_save", [], VALUES, specification={})
        self.assertIsNone(error)
        self.rpc("res.config.settings", "execute", [saved[0]["id"]])
        self.assertEqual(self.inbox_settings(self.member)["undo_send_seconds"], 42)


@tagged("post_install", "-at_install", "maildesk_sync")
class TestSettingsTakeEffect(SettingsMixin, ImapCase):

    def send(self, subject):
        Sync = self.env["mailbox.sync"].with_user(self.member)
        draft_id = Sync.save_draft(account_id=self.account.id, subject=subject,
                                   to_emails=f"{self.dovecot.new_user('rcpt')}@example.org",
                                   body_html="<p>Hi.</p>")
        before = fields.Datetime.now().replace(microsecond=0)
        status = Sync.send_email(draft_id=draft_id)
        after = fields.Datetime.now()
        self.env["maildesk.draft"]._cron_send_queue()  # the worker, run at once
        self.env.invalidate_all()
        return status, before, after, self.env["maildesk.draft"].browse(draft_id)

    def test_a_send_waits_the_configured_delay(self):
        received = len(self.smtp.messages)
        self.save_settings(maildesk_undo_send_seconds=42)
        status, before, after, draft = self.send("Waits")
        send_after = fields.Datetime.from_string(status["send_after"])
        self.assertTrue(before.timestamp() + 42 <= send_after.timestamp() <= after.timestamp() + 42)
        self.assertEqual(draft.send_state, "queued", "the worker leaves it until then")
        self.assertEqual(len(self.smtp.messages), received)
        self.save_settings(maildesk_undo_send_seconds=0)
        _status, _before, _after, draft = self.send("At once")
        self.assertEqual(draft.send_state, "sent")
        self.assertEqual(len(self.smtp.messages), received + 1)

    def test_opened_messages_are_kept_the_configured_days(self):
        self.save_settings(maildesk_body_cache_days=3)
        self.deliver(rfc822("Keep me"))
        self.sync()
        row = self.rows()
        self.env["mailbox.sync"].with_user(self.member).get_message(row.id)
        cache = self.env["maildesk.ui_cache"].search([("index_id", "=", row.id)])
        days = (cache.json_cache_until - fields.Datetime.now()).total_seconds() / 86400
        self.assertTrue(2.99 < days <= 3)
