"""The web client in a real browser: a Mailbox Admin finds the shared mailbox through the menus.

Runs Chromium through Odoo's HttpCase (``browser_js``). Odoo skips such tests when Chromium or
the ``websocket-client`` package is missing from Odoo's environment; ``scripts/run-tests``
reports that skip, and with ``CI=true`` a skipped browser test fails the run.
"""
from odoo.tests import HttpCase, tagged

from .common import MailDeskFixture

# Plain DOM steps, run in the page once the web client has started. Each step waits for what a
# person would wait for (the element to appear), then clicks it as they would.
OPEN_MAILBOX_FORM = r"""
(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    // What a person reads in an element: its text, or the value of the input it holds.
    const shown = (el) => el.textContent + [...el.querySelectorAll("input")].map((i) => i.value).join(" ");
    async function find(selector, text, what) {
        for (let i = 0; i < 300; i++) {
            const found = [...document.querySelectorAll(selector)].find(
                (el) => !text || shown(el).includes(text));
            if (found) {
                return found;
            }
            await sleep(100);
        }
        throw new Error(`not shown after 30 s: ${what} (${selector} ${text || ""})`);
    }
    try {
        (await find(".o_navbar_apps_menu button", "", "the apps menu")).click();
        (await find('.o_app[data-menu-xmlid="maildesk_mail_client.menu_maildesk_root"]',
                    "MailDesk", "the MailDesk app")).click();
        (await find('.o_menu_sections [data-menu-xmlid="maildesk_mail_client.menu_maildesk_mailboxes"]',
                    "Mailboxes", "the Mailboxes menu")).click();
        (await find(".o_list_view .o_data_row td.o_data_cell", "Support",
                    "the Support mailbox in the list")).click();
        await find(".o_form_view .o_field_widget[name=email]", "support@example.com",
                   "the mailbox form with its address");
        await find(".o_form_view .o_notebook .nav-link", "Server", "the Server tab");
        await find(".o_form_view .o_field_widget[name=imap_host]", "imap.example.com",
                   "the IMAP server of the mailbox");
        await find(".o_breadcrumb", "Mailbox Accounts", "the breadcrumb back to the list");
        console.log("test successful");
    } catch (error) {
        console.error(`MailDesk browser smoke test: ${error.message}`);
    }
})();
"""


@tagged("post_install", "-at_install")
class TestBrowserSmoke(MailDeskFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_mailbox_admin_opens_the_mailbox_form_from_the_menus(self):
        self.browser_js("/odoo", OPEN_MAILBOX_FORM, ready="odoo.isReady", login="md_admin",
                        timeout=120)
