import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, click, edit, press, queryAll, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { Composer } from "@maildesk_mail_client/inbox/composer/composer";
import { callsTo, fakeMailboxSync } from "./shell_test_helpers";
import { mountPart, settle } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const TO_INPUT = ".o_maildesk_recipients[data-field=to] input";

function chips(field = "to") {
    return queryAll(`.o_maildesk_recipients[data-field=${field}] .o_maildesk_chip`).map((el) => ({
        text: el.textContent.trim(),
        invalid: el.classList.contains("o_maildesk_chip_invalid"),
    }));
}

function composerFakes(handlers = {}) {
    return fakeMailboxSync({
        handlers: {
            save_draft: () => 77,
            send_email: () => ({ draft_id: 77, state: "queued", send_after: false }),
            ...handlers,
        },
    });
}

async function type(selector, text) {
    await click(selector);
    await edit(text, { confirm: false });
}

test("typed addresses become chips; an invalid one shows red and stops Send", async () => {
    const { calls } = composerFakes();
    await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(TO_INPUT);
    await type(TO_INPUT, "bob@example.org");
    await press("Enter");
    await settle();
    await type(TO_INPUT, "Ann <ann@example.org>, not-an-address");
    await press("Enter");
    await settle();
    expect(chips()).toEqual([
        { text: "bob@example.org", invalid: false },
        { text: "Ann", invalid: false },
        { text: "not-an-address", invalid: true },
    ]);
    await click(".o_maildesk_send");
    await settle();
    expect(".o_maildesk_composer_error").toHaveText(/not valid: not-an-address/);
    expect(callsTo(calls, "send_email")).toHaveLength(0);
    // removing the bad chip lets it go
    await click(".o_maildesk_chip_invalid .o_maildesk_chip_remove");
    await settle();
    expect(chips().map((c) => c.text)).toEqual(["bob@example.org", "Ann"]);
});

test("contacts are suggested by name or address; Cc and Bcc open on demand", async () => {
    composerFakes();
    onRpc("res.partner", "search_read", ({ kwargs, args }) => {
        const domain = JSON.stringify(kwargs.domain || args[0]);
        expect(domain).toInclude("ali");
        return [{ id: 3, display_name: "Alice Example", name: "Alice Example", email: "alice@example.org" }];
    });
    await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(TO_INPUT);
    await type(TO_INPUT, "ali");
    await advanceTime(250);
    await waitFor(".o_maildesk_suggestion");
    expect(".o_maildesk_suggestion").toHaveText("Alice Example <alice@example.org>");
    await press("Enter");
    await settle();
    expect(chips()).toEqual([{ text: "Alice Example", invalid: false }]);
    expect(".o_maildesk_recipients[data-field=cc]").toHaveCount(0);
    await click(".o_maildesk_show_cc");
    await click(".o_maildesk_show_bcc");
    await settle();
    expect(".o_maildesk_recipients[data-field=cc] input").toHaveCount(1);
    expect(".o_maildesk_recipients[data-field=bcc] input").toHaveCount(1);
    await type(".o_maildesk_recipients[data-field=bcc] input", "boss@example.org");
    await press("Tab");
    await settle();
    expect(chips("bcc")).toEqual([{ text: "boss@example.org", invalid: false }]);
});

test("Backspace in an empty field removes the last chip", async () => {
    composerFakes();
    await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(TO_INPUT);
    await type(TO_INPUT, "a@example.org;b@example.org;");
    await settle();
    expect(chips().map((c) => c.text)).toEqual(["a@example.org", "b@example.org"]);
    await press("Backspace");
    await settle();
    expect(chips().map((c) => c.text)).toEqual(["a@example.org"]);
});
