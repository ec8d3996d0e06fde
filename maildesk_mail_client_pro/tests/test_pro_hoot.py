"""Pro's hoot unit tests (static/tests/inbox/*.test.js: the AI panel, Send later, Snooze, links),
run in headless Chromium as Basic's are (its test_inbox_hoot.py), on the suite
``@maildesk_mail_client_pro`` only. A run where no test ran fails too."""
from odoo.addons.maildesk_mail_client.tests.test_inbox_hoot import run_hoot_suite
from odoo.tests import HttpCase, tagged

SUITE = "@maildesk_mail_client_pro"


@tagged("post_install", "-at_install")
class TestProHoot(HttpCase):

    def test_pro_inbox_unit_tests(self):
        run_hoot_suite(self, SUITE)
