// The screens of scripts/screenshots, taken in headless Chromium with Playwright.
// Environment: MAILDESK_URL (a running demo), MAILDESK_OUT (folder for the PNGs),
// MAILDESK_PLAYWRIGHT_DIR (where playwright-core is installed), CHROMIUM.
// Selectors: docs/developer/inbox.md. A screen whose element never shows is still saved (to
// see why), named in the output, and makes the exit code 1.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.MAILDESK_PLAYWRIGHT_DIR, "/"));
const { chromium } = require("playwright-core");

const BASE = process.env.MAILDESK_URL;
const OUT = process.env.MAILDESK_OUT;
const WAIT = 20000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
// A demo conversation with replies (docker/demo_data.py, TICKETS).
const CONVERSATION = "Cannot sign in after the password reset";

const failures = [];

async function signIn(browser, login, viewport) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${BASE}/web/login`);
    await page.fill("input[name=login]", login);
    await page.fill("input[name=password]", login);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    return page;
}

async function shown(page, selector, what) {
    try {
        await page.locator(selector).first().waitFor({ state: "visible", timeout: WAIT });
        return true;
    } catch {
        failures.push(`${what}: ${selector} never showed`);
        return false;
    }
}

async function save(page, name) {
    await page.waitForTimeout(600); // let transitions and the body frame settle
    await page.screenshot({ path: path.join(OUT, `${name}.png`) });
    console.log(`saved ${name}.png`);
}

/** One screen: get there with `steps`, then save it, also when a step failed (to see why). */
async function screen(page, name, steps) {
    try {
        await steps();
    } catch (error) {
        failures.push(`${name}: ${error.message.split("\n")[0]}`);
    }
    await save(page, name);
}

async function openInbox(page) {
    await page.goto(`${BASE}/odoo/maildesk`);
    await shown(page, ".o_maildesk_inbox .o_maildesk_list .o_maildesk_row", "the inbox list");
}

async function main() {
    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
        const page = await signIn(browser, "alice", DESKTOP);
        // 1. The inbox: list and reading pane, the newest message open.
        await screen(page, "inbox", async () => {
            await openInbox(page);
            await page.locator(".o_maildesk_row").first().click({ timeout: WAIT });
            await shown(page, ".o_maildesk_reading_pane .o_maildesk_message", "the reading pane");
        });
        // 2. A conversation with replies.
        await screen(page, "conversation", async () => {
            await page.locator(".o_maildesk_search input").fill(CONVERSATION, { timeout: WAIT });
            await page.locator(".o_maildesk_search input").press("Enter");
            await page.locator(".o_maildesk_row", { hasText: CONVERSATION }).first()
                .click({ timeout: WAIT });
            await shown(page, ".o_maildesk_reading_pane .o_maildesk_message >> nth=1",
                        "a conversation of several messages");
        });
        // 3. The composer: a reply to that conversation.
        await screen(page, "composer", async () => {
            await page.locator(".o_maildesk_reading_pane").click({ position: { x: 5, y: 5 }, timeout: WAIT });
            await page.keyboard.press("r");
            await shown(page, ".o_maildesk_composer .o_maildesk_send", "the composer");
        });
        await page.keyboard.press("Escape");
        // 4. Search results, with the search syntax.
        await screen(page, "search", async () => {
            await openInbox(page);
            await page.locator(".o_maildesk_search input").fill("has:attachment", { timeout: WAIT });
            await page.locator(".o_maildesk_search input").press("Enter");
            await page.waitForTimeout(500);
            await page.locator(".o_maildesk_searching").waitFor({ state: "hidden", timeout: WAIT });
            await shown(page, ".o_maildesk_row", "search results");
        });
        // 5. The keyboard shortcuts.
        await screen(page, "shortcuts", async () => {
            await openInbox(page);
            await page.keyboard.press("?");
            await shown(page, ".o_maildesk_shortcuts", "the shortcuts dialog");
        });
        await page.keyboard.press("Escape");
        // 6. A mailbox in trouble (scripts/screenshots made its server refuse connections).
        await screen(page, "mailbox_in_trouble", async () => {
            await openInbox(page);
            await shown(page, ".o_maildesk_account_problem", "the mailbox in trouble");
            await page.locator(".o_maildesk_account_problem").first().scrollIntoViewIfNeeded();
        });
        await page.context().close();

        // 7. Settings, as an administrator.
        const admin = await signIn(browser, "admin", DESKTOP);
        await screen(admin, "settings", async () => {
            await admin.goto(`${BASE}/odoo/settings`);
            await admin.locator(".settings_tab .tab", { hasText: "MailDesk" }).first()
                .click({ timeout: WAIT });
            await shown(admin, ".app_settings_block:has-text('MailDesk')", "the MailDesk settings");
        });
        await admin.context().close();

        // 8. A small screen: one pane at a time.
        const phone = await signIn(browser, "alice", PHONE);
        await screen(phone, "small_screen_list", () => openInbox(phone));
        await screen(phone, "small_screen_message", async () => {
            await phone.locator(".o_maildesk_row").first().click({ timeout: WAIT });
            await shown(phone, ".o_maildesk_reading_pane .o_maildesk_message", "the message");
        });
        await phone.context().close();
    } finally {
        await browser.close();
    }
    if (failures.length) {
        console.log(`screens that did not show what they should:\n  ${failures.join("\n  ")}`);
        process.exitCode = 1;
    }
}

await main();
