"""Pro's hoot unit tests (static/tests/inbox/*.test.js: the AI panel, Send later, Snooze, links),
run in headless Chromium as Basic's are (its test_inbox_hoot.py), on the suite
``@maildesk_mail_client_pro`` only. A run where no test ran fails too."""
import logging

from odoo.addons.maildesk_mail_client.tests.test_inbox_hoot import _PassedCounter, hoot_hash
from odoo.tests import HttpCase, tagged

SUITE = "@maildesk_mail_client_pro"


@tagged("post_install", "-at_install")
class TestProHoot(HttpCase):

    def test_pro_inbox_unit_tests(self):
        counter = _PassedCounter()
        odoo_logger = logging.getLogger("odoo")
        odoo_logger.addHandler(counter)
        try:
            self.browser_js(
                f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&id={hoot_hash(SUITE)}",
                "", "", login="admin", timeout=900,
                success_signal="[HOOT] Test suite succeeded",
                error_checker=lambda message: "[HOOT]" not in message,
            )
        finally:
            odoo_logger.removeHandler(counter)
        self.assertTrue(counter.passed, "hoot ran no test of the Pro inbox suite")
