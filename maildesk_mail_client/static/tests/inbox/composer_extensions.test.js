import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, click, edit, press, queryAll, select, waitFor } from "@odoo/hoot-dom";
import { Component, markup, xml } from "@odoo/owl";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { AUTOSAVE_DELAY_MS, Composer } from "@maildesk_mail_client/inbox/composer/composer";
import { composerTools, contentToHtml } from "@maildesk_mail_client/inbox/composer/composer_tools";
import { callsTo, fakeMailboxSync } from "./shell_test_helpers";
import { mountPart, settle } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const SIGNATURES = {
    signatures: [
        { id: "account", name: "Support", html: "<p>Support team</p>", is_shared: true },
        { id: 4, name: "Rita", html: "<p>Rita, account manager</p>", is_shared: false },
    ],
    default_id: 4,
};

const REPLY = {
    account_id: 1,
    subject: "Re: Plans",
    to_emails: "Boss <boss@example.org>",
    reply_to_index_id: 5,
    body_html: "<blockquote><p>Original words</p></blockquote>",
    client_token: "tok1234567890",
};

function fakes(handlers = {}) {
    return fakeMailboxSync({
        handlers: {
            composer_signatures: () => SIGNATURES,
            prepare_reply: () => REPLY,
            save_draft: () => 77,
            ...handlers,
        },
    });
}

function editable() {
    return document.querySelector(".o_maildesk_composer .odoo-editor-editable");
}

async function openComposer(request) {
    const store = await mountPart(Composer, { composer: request, route: { accountId: 1 } });
    await waitFor(".o_maildesk_composer .odoo-editor-editable");
    await settle();
    return store;
}

test("several signatures: the mailbox's default is in the message, the picker swaps it in place", async () => {
    const { calls } = fakes();
    await openComposer({ mode: "reply", indexId: 5 });
    expect(callsTo(calls, "composer_signatures").map((c) => c.kwargs)).toEqual([{ account_id: 1 }]);
    expect(queryAll(".o_maildesk_signature_select option").map((o) => o.textContent)).toEqual(
        ["No signature", "Support (shared)", "Rita"]
    );
    expect(".o_maildesk_signature_select").toHaveValue("4");
    expect(".o_maildesk_signature").toHaveText(/Rita, account manager/);
    await select("account", { target: ".o_maildesk_signature_select" });
    await settle();
    expect(".o_maildesk_signature").toHaveCount(1);
    expect(".o_maildesk_signature").toHaveText(/Support team/);
    const html = editable().innerHTML;
    expect(html.indexOf("Support team")).toBeLessThan(html.indexOf("Original words"));
    await select("", { target: ".o_maildesk_signature_select" });
    await settle();
    expect(".o_maildesk_signature").toHaveCount(0);
    expect(editable()).toHaveText(/Original words/);
});

test("one signature: no picker, the signature is simply there", async () => {
    fakes({ composer_signatures: () => ({ signatures: [SIGNATURES.signatures[0]], default_id: "account" }) });
    await openComposer({ mode: "new" });
    expect(".o_maildesk_signature_select").toHaveCount(0);
    expect(".o_maildesk_signature").toHaveText(/Support team/);
});

test("a reply opened with a body and a notice: the text is escaped, above signature and quote, and kept as a draft", async () => {
    const { calls } = fakes();
    await openComposer({
        mode: "reply",
        indexId: 5,
        body: "Thanks <b>Boss</b>,\n<img src=x onerror=\"window.__pwned=1\">\n\nSee you.",
        notice: "Written for you - check it",
    });
    expect(".o_maildesk_composer_notice").toHaveText("Written for you - check it");
    // the recipients are the server's, untouched by the body
    expect(queryAll(".o_maildesk_recipients[data-field=to] .o_maildesk_chip").map((el) => el.textContent.trim())).toEqual(["Boss"]);
    const root = editable();
    expect(root.querySelector("img, b")).toBe(null);
    expect(root).toHaveText(/Thanks <b>Boss<\/b>/);
    const html = root.innerHTML;
    expect(html.indexOf("See you.")).toBeLessThan(html.indexOf("Rita, account manager"));
    expect(html.indexOf("Rita, account manager")).toBeLessThan(html.indexOf("Original words"));
    expect(window.__pwned).toBe(undefined);
    // words the user did not type are saved all the same, without waiting for a change
    await advanceTime(AUTOSAVE_DELAY_MS + 10);
    await settle();
    expect(callsTo(calls, "save_draft").at(-1).kwargs.body_html).toInclude("See you.");
});

test("contentToHtml: text is escaped into paragraphs, markup is taken as HTML", () => {
    expect(contentToHtml("a <i>b</i>\nc\n\nd", "o_generated")).toBe(
        '<div class="o_generated"><p>a &lt;i&gt;b&lt;/i&gt;<br>c</p><p>d</p></div>'
    );
    expect(contentToHtml(markup("<p><b>kept</b></p>"))).toBe("<p><b>kept</b></p>");
});

/** A tool as another addon would write it: it only uses the `composer` prop's API. */
class ProbeTool extends Component {
    static template = xml`
        <span class="o_probe_tool">
            <button class="o_probe_insert" t-on-click="() => props.composer.insertHtml('Inserted &lt;text&gt;')">insert</button>
            <button class="o_probe_mark" t-on-click="() => props.composer.markGenerated('Made by the probe')">mark</button>
            <button class="o_probe_hand_over" t-on-click="handOver">hand over</button>
            <span class="o_probe_account" t-esc="props.composer.accountId"/>
        </span>`;
    static props = ["composer"];

    async handOver() {
        const values = await this.props.composer.readyToSend();
        ProbeTool.seen.push(values);
        if (values) {
            this.props.composer.handedOver("Taken over by the probe.");
        }
    }
}

test("a composer tool gets the composer's API: insert, mark, the values to send, hand over", async () => {
    ProbeTool.seen = [];
    composerTools.add("probe", ProbeTool);
    const { calls } = fakes();
    const store = await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(".o_maildesk_composer_footer .o_probe_tool");
    await settle();
    expect(".o_probe_account").toHaveText("1");
    await click(".o_probe_insert");
    expect(editable().firstElementChild).toHaveText("Inserted <text>");
    await click(".o_probe_mark");
    await settle();
    expect(".o_maildesk_composer_notice").toHaveText("Made by the probe");
    // no recipient yet: the tool is told no, and the composer says why
    await click(".o_probe_hand_over");
    await settle();
    expect(ProbeTool.seen).toEqual([null]);
    expect(".o_maildesk_composer_error").toHaveText("Add at least one recipient.");
    await click(".o_maildesk_recipients[data-field=to] input");
    await typeAddress("boss@example.org");
    await click(".o_probe_hand_over");
    await settle();
    expect(ProbeTool.seen.at(-1)).toEqual({ draft_id: 77 });
    expect(callsTo(calls, "save_draft").at(-1).kwargs.to_emails).toBe("boss@example.org");
    expect(callsTo(calls, "send_email")).toHaveLength(0);
    expect(store.state.composer).toBe(null);
    expect(".o_notification").toHaveText("Taken over by the probe.");
});

async function typeAddress(address) {
    await edit(address, { confirm: false });
    await press("Enter");
    await settle();
}
