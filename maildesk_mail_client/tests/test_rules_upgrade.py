"""An administrator's edit of a Basic record rule or group survives a module upgrade.

The security files are reloaded exactly as ``odoo-bin -u`` loads a module's data
(``convert_file`` in update mode); a control file without noupdate proves the reload
would have reverted an edit. The runner also checks this with a real ``-u``.
"""
from odoo.tests import TransactionCase, tagged
from odoo.tools.convert import convert_file

MODULE = "maildesk_mail_client"


@tagged("post_install", "-at_install", "maildesk_security")
class TestRulesSurviveUpgrade(TransactionCase):

    def reload(self, filename):
        convert_file(self.env, MODULE, filename, {}, mode="update", noupdate=False)
        self.env.invalidate_all()

    def test_an_edited_basic_rule_survives_upgrade(self):
        rule = self.env.ref(f"{MODULE}.rule_maildesk_message_index_user_strict")
        edited = "['|', ('account_id.access_user_ids', 'in', user.id), ('is_starred', '=', True)]"
        rule.domain_force = edited
        self.reload("security/rules.xml")
        self.assertEqual(rule.domain_force, edited)

    def test_an_edited_group_survives_upgrade(self):
        group = self.env.ref(f"{MODULE}.group_mailbox_user")
        group.comment = "Our own wording"
        self.reload("security/groups.xml")
        self.assertEqual(group.comment, "Our own wording")

    def test_control_an_edit_in_an_updatable_file_is_reverted(self):
        action = self.env.ref(f"{MODULE}.action_mailbox_account")
        action.name = "Edited by hand"
        self.reload("views/mailbox_account_views.xml")
        self.assertEqual(action.name, "Mailbox Accounts")

    def test_every_basic_rule_and_group_is_noupdate(self):
        data = self.env["ir.model.data"].search([
            ("module", "=", MODULE), ("model", "in", ("ir.rule", "res.groups"))])
        self.assertGreaterEqual(len(data), 17)
        self.assertTrue(all(data.mapped("noupdate")))
