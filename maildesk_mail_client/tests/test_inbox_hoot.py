"""The inbox's hoot unit tests (static/tests/**/*.test.js), run in headless Chromium.

Opens Odoo's unit test page for this addon's suite only (``id=`` is the hash hoot gives the
suite ``@maildesk_mail_client``) and waits for hoot's success line. A run where no test ran (a
bundle that failed to load, a filter that matched nothing) fails too: hoot would still call that
"succeeded".
"""
import logging
import re

from odoo.tests import HttpCase, tagged

SUITE = "@maildesk_mail_client"


def hoot_hash(name):
    """The id hoot gives a suite or test (web/tests/test_js.py: HOOTCommon._generate_hash)."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


class _PassedCounter(logging.Handler):
    """Reads hoot's "Passed N tests" line from the browser's console log."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.passed = None

    def emit(self, record):
        found = re.search(r"Passed (\d+) tests", record.getMessage())
        if found:
            self.passed = int(found.group(1))


def run_hoot_suite(case, suite):
    """Run one hoot suite in headless Chromium as an HttpCase; fails unless it passed and ran
    at least one test. Returns how many passed."""
    counter = _PassedCounter()
    odoo_logger = logging.getLogger("odoo")
    odoo_logger.addHandler(counter)
    try:
        case.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&id={hoot_hash(suite)}",
            "", "", login="admin", timeout=900,
            success_signal="[HOOT] Test suite succeeded",
            error_checker=lambda message: "[HOOT]" not in message,
        )
    finally:
        odoo_logger.removeHandler(counter)
    case.assertTrue(counter.passed, f"hoot ran no test of the suite {suite}")
    return counter.passed


@tagged("post_install", "-at_install")
class TestInboxHoot(HttpCase):

    def test_inbox_unit_tests(self):
        run_hoot_suite(self, SUITE)
