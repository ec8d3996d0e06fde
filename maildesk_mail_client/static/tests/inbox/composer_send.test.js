import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, click, edit, press, queryAll, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { AUTOSAVE_DELAY_MS, Composer } from "@maildesk_mail_client/inbox/composer/composer";
import { callsTo, fakeMailboxSync } from "./shell_test_helpers";
import { mountPart, settle } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const REPLY = {
    account_id: 1,
    subject: "Re: Plans",
    to_emails: "Boss <boss@example.org>",
    cc_emails: "",
    reply_to_index_id: 5,
    reply_to_message_id: "<m5@example.com>",
    body_html: "<blockquote><p>Original words</p></blockquote>",
    client_token: "tok1234567890",
};

function composerFakes(handlers = {}) {
    return fakeMailboxSync({
        handlers: {
            composer_signatures: () => ({
                signatures: [{ id: "account", name: "Support", html: "<p>Support team</p>", is_shared: true }],
                default_id: "account",
            }),
            prepare_reply: () => REPLY,
            save_draft: () => 77,
            send_email: () => ({ draft_id: 77, state: "queued", send_after: false }),
            cancel_send: () => ({ draft_id: 77, state: "draft", cancelled: true }),
            send_status: () => ({ draft_id: 77, state: "sent" }),
            ...handlers,
        },
    });
}

async function openReply() {
    const store = await mountPart(Composer, { composer: { mode: "reply", indexId: 5 } });
    await waitFor(".o_maildesk_composer .odoo-editor-editable");
    await settle();
    return store;
}

test("a reply starts from the server's values, with the mailbox's signature above the quote", async () => {
    composerFakes();
    await openReply();
    expect(queryAll(".o_maildesk_recipients[data-field=to] .o_maildesk_chip").map((el) => el.textContent.trim())).toEqual(["Boss"]);
    expect(".o_maildesk_subject").toHaveValue("Re: Plans");
    expect(".o_maildesk_account_select").toHaveAttribute("disabled");
    const editable = document.querySelector(".odoo-editor-editable");
    expect(editable).toHaveText(/Support team/);
    expect(editable).toHaveText(/Original words/);
    const html = editable.innerHTML;
    expect(html.indexOf("Support team")).toBeLessThan(html.indexOf("Original words"));
});

test("Ctrl+Enter saves and sends; Undo asks the server to take the message back", async () => {
    const { calls } = composerFakes();
    const store = await openReply();
    await click(".o_maildesk_subject");
    await press(["ctrl", "Enter"]);
    await settle();
    const save = callsTo(calls, "save_draft").at(-1).kwargs;
    expect(save.client_token).toBe("tok1234567890");
    expect(save.to_emails).toBe("Boss <boss@example.org>");
    expect(save.reply_to_index_id).toBe(5);
    expect(save.body_html).toInclude("Original words");
    expect(callsTo(calls, "send_email").map((c) => c.kwargs)).toEqual([
        { draft_id: 77, confirm_unseen: false, resend_uncertain: false },
    ]);
    await waitFor(".o_maildesk_undo_send");
    expect(".o_maildesk_composer_form").toHaveClass("d-none");
    await click(".o_maildesk_undo_send");
    await settle();
    expect(callsTo(calls, "cancel_send").map((c) => c.kwargs)).toEqual([{ draft_id: 77 }]);
    expect(".o_maildesk_undo_send").toHaveCount(0);
    expect(".o_maildesk_composer_form").not.toHaveClass("d-none");
    expect(store.state.composer).not.toBe(null);
});

test("after the undo delay the composer closes once the server has sent it", async () => {
    const { calls } = composerFakes();
    const store = await openReply();
    await click(".o_maildesk_send");
    await waitFor(".o_maildesk_undo_send");
    await advanceTime(11000);
    await settle();
    expect(callsTo(calls, "send_status")).toHaveLength(1);
    expect(store.state.composer).toBe(null);
});

test("a failed send comes back to the form with the server's words", async () => {
    composerFakes({
        send_status: () => ({ draft_id: 77, state: "failed", error: "The mail server refused boss@example.org" }),
    });
    await openReply();
    await click(".o_maildesk_send");
    await waitFor(".o_maildesk_undo_send");
    await advanceTime(11000);
    await settle();
    expect(".o_maildesk_composer_error").toHaveText(/refused boss@example.org/);
    expect(".o_maildesk_undo_send").toHaveCount(0);
});

test("traffic cop: new messages since the reply was started are confirmed first", async () => {
    let attempts = 0;
    const { calls } = composerFakes({
        send_email: ({ confirm_unseen }) => {
            attempts++;
            return confirm_unseen
                ? { draft_id: 77, state: "queued", send_after: false }
                : { needs_confirmation: "unseen_messages", unseen: 2, message: "2 new messages" };
        },
    });
    await openReply();
    await click(".o_maildesk_send");
    await waitFor(".modal");
    expect(".modal-body").toHaveText("2 new messages arrived in this conversation since you started. Send anyway?");
    expect(".o_maildesk_undo_send").toHaveCount(0);
    await click(".modal-footer .btn-primary");
    await waitFor(".o_maildesk_undo_send");
    expect(attempts).toBe(2);
    expect(callsTo(calls, "send_email").map((c) => c.kwargs.confirm_unseen)).toEqual([false, true]);
});

test("the draft is saved as you type, with the composer's token", async () => {
    const { calls } = composerFakes({ composer_signatures: () => ({ signatures: [], default_id: false }) });
    await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(".o_maildesk_subject");
    await click(".o_maildesk_subject");
    await edit("Lunch?", { confirm: false });
    expect(callsTo(calls, "save_draft")).toHaveLength(0);
    await advanceTime(AUTOSAVE_DELAY_MS + 10);
    await settle();
    const saves = callsTo(calls, "save_draft");
    expect(saves).toHaveLength(1);
    expect(saves[0].kwargs.subject).toBe("Lunch?");
    expect(saves[0].kwargs.account_id).toBe(1);
    expect(saves[0].kwargs.client_token).toMatch(/^[0-9a-f]{32}$/);
    await click(".o_maildesk_subject");
    await edit("Lunch on Friday?", { confirm: false });
    await advanceTime(AUTOSAVE_DELAY_MS + 10);
    await settle();
    expect(callsTo(calls, "save_draft").at(-1).kwargs.draft_id).toBe(77);
});

test("Escape closes the composer and keeps the draft", async () => {
    const { calls } = composerFakes();
    const store = await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(".o_maildesk_subject");
    await click(".o_maildesk_subject");
    await edit("Keep me", { confirm: false });
    await press("Escape");
    await settle();
    expect(callsTo(calls, "save_draft").at(-1).kwargs.subject).toBe("Keep me");
    expect(callsTo(calls, "delete_draft")).toHaveLength(0);
    expect(store.state.composer).toBe(null);
});

test("a forward carries the original's attachments; one can be removed", async () => {
    const { calls } = composerFakes({
        prepare_forward: () => ({
            account_id: 1, subject: "Fwd: Report", to_emails: "", body_html: "<p>---------- Forwarded message ----------</p>",
            forward_of_index_id: 5, client_token: "tokforward123",
            attachment_ids: [31, 32],
            attachments: [
                { id: 31, name: "report.pdf", mimetype: "application/pdf", size: 2048 },
                { id: 32, name: "photo.png", mimetype: "image/png", size: 1024 },
            ],
        }),
    });
    onRpc("ir.attachment", "unlink", () => true);
    await mountPart(Composer, { composer: { mode: "forward", indexId: 5 } });
    await waitFor(".o_maildesk_composer_attachment");
    expect(queryAll(".o_maildesk_composer_attachment .o_maildesk_attachment_name").map((el) => el.textContent)).toEqual(
        ["report.pdf", "photo.png"]
    );
    await click(".o_maildesk_composer_attachment:eq(1) .o_maildesk_attachment_remove");
    await advanceTime(AUTOSAVE_DELAY_MS + 10);
    await settle();
    const save = callsTo(calls, "save_draft").at(-1).kwargs;
    expect(save.attachment_ids).toEqual([31]);
    expect(save.forward_of_index_id).toBe(5);
});
