"""Connect Mailbox: joining a shared mailbox with its address and password."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from .common import SUPPORT_PASSWORD, MailDeskFixture

SERVICE_LOGGER = "odoo.addons.maildesk_mail_client.application.services.personal_connection"

# A person in the web client: Connect Mailbox from the menu, a wrong password (refused, the
# dialog stays open), then the right one.
CONNECT_IN_THE_BROWSER = r"""
(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    async function find(selector, text, what) {
        for (let i = 0; i < 300; i++) {
            const found = [...document.querySelectorAll(selector)].find(
                (el) => !text || el.textContent.includes(text));
            if (found) {
                return found;
            }
            await sleep(100);
        }
        throw new Error(`not shown after 30 s: ${what} (${selector} ${text || ""})`);
    }
    async function type(name, value) {
        const input = await find(`.modal .o_field_widget[name=${name}] input`, "", name);
        input.value = value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    try {
        (await find(".o_navbar_apps_menu button", "", "the apps menu")).click();
        (await find('.o_app[data-menu-xmlid="maildesk_mail_client.menu_maildesk_root"]', "MailDesk",
                    "the MailDesk app")).click();
        (await find('.o_menu_sections [data-menu-xmlid="maildesk_mail_client.menu_maildesk_connect"]',
                    "Connect Mailbox", "the Connect Mailbox menu")).click();
        await type("email", "support@example.com");
        await type("password", "browser-guess-7");
        (await find(".modal button[name=action_connect_mailbox]", "Connect", "Connect")).click();
        await find(".modal .modal-body", "No mailbox open to personal connection", "the refusal");
        (await find(".modal .modal-footer button", "Close", "Close on the refusal")).click();
        await type("password", "PASSWORD");
        (await find(".modal button[name=action_connect_mailbox]", "Connect", "Connect")).click();
        await find(".o_notification", "You now have access to Support", "the success notification");
        console.log("test successful");
    } catch (error) {
        console.error(`MailDesk Connect Mailbox browser test: ${error.message}`);
    }
})();
"""


def wizard_table_text(env):
    """Every wizard row as the database holds it, and the table's column names."""
    env.flush_all()
    env.cr.execute("SELECT coalesce(json_agg(w)::text, '') FROM mailbox_account_wizard w")
    rows = env.cr.fetchone()[0]
    env.cr.execute("""SELECT column_name FROM information_schema.columns
                      WHERE table_name = 'mailbox_account_wizard'""")
    return rows, {name for (name,) in env.cr.fetchall()}


@tagged("post_install", "-at_install")
class TestConnectWizard(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def connect(self, user, email, password):
        wizard = self.env["mailbox.account.wizard"].with_user(user).create(
            {"email": email, "password": password})
        return wizard, wizard.action_connect_mailbox()

    def test_the_right_password_grants_access(self):
        wizard, action = self.connect(self.outsider, " Support@Example.com ", SUPPORT_PASSWORD)
        self.assertIn(self.outsider, self.support.access_user_ids)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(self.support, self.env["mailbox.account"].with_user(self.outsider).search([]))
        self.assertNotEqual(wizard.sudo().password, SUPPORT_PASSWORD)

    def test_a_wrong_password_is_refused_and_grants_nothing(self):
        with self.assertRaises(UserError) as caught:
            self.connect(self.outsider, "support@example.com", "guess")
        self.assertIn("No mailbox open to personal connection", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(self):
        with self.assertRaises(UserError) as unknown:
            self.connect(self.outsider, "nobody@example.com", SUPPORT_PASSWORD)
        with self.assertRaises(UserError) as wrong:
            self.connect(self.outsider, "support@example.com", "guess")
        self.assertEqual(str(unknown.exception), str(wrong.exception))

    def test_a_mailbox_closed_to_personal_connection_is_refused(self):
        self.support.allow_personal_connection = False
        with self.assertRaises(UserError):
            self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_a_member_is_told_they_already_have_access(self):
        with self.assertRaises(UserError) as caught:
            self.connect(self.member, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn("already have access", str(caught.exception))

    def test_a_user_without_a_maildesk_group_cannot_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self.connect(self.plain, "support@example.com", SUPPORT_PASSWORD)

    @mute_logger("odoo.addons.maildesk_mail_client.application.services.personal_connection")
    def test_repeated_guessing_is_stopped_even_with_the_right_password(self):
        Wizard = self.env["mailbox.account.wizard"].with_user(self.outsider)
        for _attempt in range(10):
            Wizard.create({"email": "support@example.com", "password": "guess"})
        with self.assertRaises(UserError) as caught:
            self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn("Too many connection attempts", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)
        # another user is not affected
        self.connect(self.admin, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn(self.admin, self.support.access_user_ids)

    @mute_logger(SERVICE_LOGGER)
    def test_resubmitting_one_row_does_not_reset_the_limit(self):
        wizard = self.env["mailbox.account.wizard"].with_user(self.outsider).create(
            {"email": "support@example.com", "password": "guess 0"})
        for attempt in range(1, 10):
            wizard.write({"password": f"guess {attempt}"})
            with self.assertRaises(UserError):
                wizard.action_connect_mailbox()
        wizard.write({"password": SUPPORT_PASSWORD})
        with self.assertRaises(UserError) as caught:
            wizard.action_connect_mailbox()
        self.assertIn("Too many connection attempts", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    @mute_logger(SERVICE_LOGGER)
    def test_deleting_the_rows_does_not_reset_the_limit(self):
        Wizard = self.env["mailbox.account.wizard"].with_user(self.outsider)
        for attempt in range(10):
            Wizard.create({"email": "support@example.com", "password": f"guess {attempt}"})
        Wizard.search([]).unlink()
        self.assertFalse(self.env["mailbox.account.wizard"].search(
            [("create_uid", "=", self.outsider.id)]))
        with self.assertRaises(UserError) as caught:
            self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn("Too many connection attempts", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_the_typed_password_is_not_stored_after_success_or_failure(self):
        with self.assertRaises(UserError):
            self.connect(self.outsider, "support@example.com", "typed-wrong-pw-5521")
        self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        rows, columns = wizard_table_text(self.env)
        self.assertNotIn("password", columns)
        self.assertIn("support@example.com", rows)
        self.assertNotIn("typed-wrong-pw-5521", rows)
        self.assertNotIn(SUPPORT_PASSWORD, rows)


@tagged("post_install", "-at_install", "maildesk_security")
class TestConnectWizardJsonRpc(MailDeskFixture, HttpCase):
    """The form's own calls (web_save, then the button) as a logged-in Mailbox User."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def submit(self, wizard_ids, password, email="support@example.com"):
        """Save the form as the browser does, then press Connect. Returns (ids, error)."""
        vals = {"password": password} if wizard_ids else {"email": email, "password": password}
        saved, error = self.rpc("mailbox.account.wizard", "web_save", wizard_ids, vals,
                                specification={"email": {}, "password": {}})
        self.assertIsNone(error)
        self.assertFalse(saved[0]["password"], "the typed password came back to the browser")
        ids = [saved[0]["id"]]
        with mute_logger(SERVICE_LOGGER):
            _result, error = self.rpc("mailbox.account.wizard", "action_connect_mailbox", ids)
        return ids, error and error[1]

    def test_guessing_through_the_form_is_bounded_and_leaves_no_password(self):
        self.authenticate("md_outsider", "md_outsider")
        ids, error = self.submit([], "rpc-guess-0")
        self.assertIn("No mailbox open to personal connection", error)
        rows, columns = wizard_table_text(self.env)
        self.assertNotIn("password", columns)
        self.assertNotIn("rpc-guess-0", rows)
        for attempt in range(1, 5):  # the same row, resubmitted
            _ids, error = self.submit(ids, f"rpc-guess-{attempt}")
            self.assertIn("No mailbox open to personal connection", error)
        _result, error = self.rpc("mailbox.account.wizard", "unlink", ids)
        self.assertIsNone(error)
        for attempt in range(5, 10):  # new rows
            _ids, error = self.submit([], f"rpc-guess-{attempt}")
            self.assertIn("No mailbox open to personal connection", error)
        _ids, error = self.submit([], SUPPORT_PASSWORD)
        self.assertIn("Too many connection attempts", error)
        self.assertNotIn(self.outsider, self.support.access_user_ids)
        rows, _columns = wizard_table_text(self.env)
        for attempt in range(10):
            self.assertNotIn(f"rpc-guess-{attempt}", rows)
        self.assertNotIn(SUPPORT_PASSWORD, rows)

    def test_a_successful_connection_leaves_no_password_either(self):
        self.authenticate("md_outsider", "md_outsider")
        _ids, error = self.submit([], SUPPORT_PASSWORD)
        self.assertIsNone(error)
        self.assertIn(self.outsider, self.support.access_user_ids)
        rows, _columns = wizard_table_text(self.env)
        self.assertNotIn(SUPPORT_PASSWORD, rows)

    def test_connecting_in_the_browser(self):
        """The real web client saves the form before the button runs: that is when the attempt
        is made; after a refusal the dialog stays open for the next try."""
        with mute_logger(SERVICE_LOGGER):
            self.browser_js("/odoo", CONNECT_IN_THE_BROWSER.replace("PASSWORD", SUPPORT_PASSWORD),
                            ready="odoo.isReady", login="md_outsider", timeout=120)
        self.assertIn(self.outsider, self.support.access_user_ids)
        rows, columns = wizard_table_text(self.env)
        self.assertNotIn("password", columns)
        self.assertNotIn("browser-guess-7", rows)
        self.assertNotIn(SUPPORT_PASSWORD, rows)
