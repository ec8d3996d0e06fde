"""What an upgrade does to an administrator's edit of a Pro rule (seed 003 §3.2, §3.3).

The AI rules' file has no noupdate (seed 003 records it so): an edited AI rule comes back as
shipped. The signature rules are noupdate: an edit survives. The files are reloaded the way
``odoo-bin -u`` loads them; scripts/run-tests checks the same with a real ``-u``.
"""
from odoo.tests import TransactionCase, tagged
from odoo.tools.convert import convert_file

MODULE = "maildesk_mail_client_pro"
SHIPPED_JOB_RULE = "[('account_id.access_user_ids', 'in', user.id)]"


@tagged("post_install", "-at_install", "maildesk_security")
class TestProRulesUpgrade(TransactionCase):

    def reload(self, filename):
        convert_file(self.env, MODULE, filename, {}, mode="update", noupdate=False)
        self.env.invalidate_all()

    def test_an_edited_ai_rule_comes_back_after_an_upgrade(self):
        rule = self.env.ref(f"{MODULE}.rule_maildesk_ai_job_user_strict")
        rule.domain_force = "[(1, '=', 1)]"  # an edit that would open every mailbox's AI jobs
        rule.active = False
        self.reload("security/maildesk_ai_rules.xml")
        self.assertEqual(rule.domain_force, SHIPPED_JOB_RULE)
        self.assertTrue(rule.active)

    def test_an_edited_signature_rule_survives_an_upgrade(self):
        rule = self.env.ref(f"{MODULE}.rule_mailbox_signature_user_write_own")
        edited = "['|', ('user_id', '=', user.id), ('is_shared', '=', True)]"
        rule.domain_force = edited
        self.reload("security/mailbox_signature_rules.xml")
        self.assertEqual(rule.domain_force, edited)

    def test_the_rules_are_flagged_as_the_seed_says(self):
        data = self.env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", "ir.rule")])
        flags = {d.name: d.noupdate for d in data}
        ai = {n: f for n, f in flags.items() if n.startswith("rule_maildesk_ai_")}
        self.assertEqual(len(ai), 12)
        self.assertFalse(any(ai.values()), "AI rules are rewritten by every upgrade")
        signature = {n: f for n, f in flags.items() if n.startswith("rule_mailbox_signature_")}
        self.assertEqual(len(signature), 3)
        self.assertTrue(all(signature.values()))
