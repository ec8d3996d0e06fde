import { describe, expect, test } from "@odoo/hoot";
import { click, queryAll, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { attachmentFiles } from "@maildesk_mail_client/inbox/reading_pane/attachments";
import { callsTo, fakeMailboxSync, refusal } from "./shell_test_helpers";
import { messageBody, mountPart, settle, threadMessage } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

/** A conversation: two read messages, the user's own reply from Sent, and the unread newest. */
function conversation(handlers = {}) {
    const messages = [
        threadMessage(4, { subject: "Plans", preview: "First one" }),
        threadMessage(3, { subject: "Re: Plans", preview: "Second one" }),
        threadMessage(2, { subject: "Re: Plans", preview: "My answer", is_own: true, folder_type: "sent",
                           folder_id: 11, from_addr: "support@example.com", sender_display_name: "Me" }),
        threadMessage(1, { subject: "Re: Plans", preview: "Newest", is_read: false }),
    ];
    const byId = Object.fromEntries(messages.map((m) => [m.id, m]));
    return fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages }),
            get_message: ({ index_id }) => messageBody(byId[index_id]),
            ...handlers,
        },
    });
}

test("the whole conversation shows, own replies included, read messages collapsed", async () => {
    const { calls } = conversation();
    await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_message[data-id='1'] iframe.o_maildesk_body");
    expect(queryAll(".o_maildesk_message").map((el) => Number(el.dataset.id))).toEqual([4, 3, 2, 1]);
    expect(".o_maildesk_message.o_maildesk_collapsed").toHaveCount(3);
    expect(".o_maildesk_message[data-id='1']").toHaveClass("o_maildesk_expanded");
    expect(".o_maildesk_message[data-id='4'] .o_maildesk_message_preview").toHaveText("First one");
    expect(".o_maildesk_message[data-id='2']").toHaveClass("o_maildesk_own");
    expect(".o_maildesk_message[data-id='2']").toHaveText(/You/);
    // bodies are asked for only when shown
    expect(callsTo(calls, "get_message").map((c) => c.kwargs.index_id)).toEqual([1]);
    await click(".o_maildesk_message[data-id='4'] .o_maildesk_message_header");
    await waitFor(".o_maildesk_message[data-id='4'] iframe.o_maildesk_body");
    expect(".o_maildesk_message[data-id='4']").toHaveClass("o_maildesk_expanded");
    expect(callsTo(calls, "get_message").map((c) => c.kwargs.index_id)).toEqual([1, 4]);
});

test("without get_thread the open message is shown alone", async () => {
    const card = threadMessage(7, { subject: "Alone" });
    fakeMailboxSync({
        handlers: {
            get_thread: () => {
                throw refusal("The method 'get_thread' does not exist");
            },
            get_message: () => messageBody(card),
        },
    });
    await mountPart(ReadingPane, { openMessageId: 7 });
    await waitFor(".o_maildesk_message[data-id='7'] iframe.o_maildesk_body");
    expect(".o_maildesk_message").toHaveCount(1);
    expect(".o_maildesk_thread_subject").toHaveText("Alone");
});

test("a message that cannot be opened says why", async () => {
    fakeMailboxSync({
        handlers: {
            get_thread: () => {
                throw refusal("You do not have access to some of these messages, or they no longer exist.");
            },
            get_message: () => {
                throw refusal("You do not have access to some of these messages, or they no longer exist.");
            },
        },
    });
    await mountPart(ReadingPane, { openMessageId: 99 });
    await waitFor(".o_maildesk_reading_pane .alert-warning");
    expect(".o_maildesk_reading_pane .alert-warning").toHaveText(/do not have access/);
});

test("reply, reply all and forward open the composer on the message; archive acts on the conversation", async () => {
    const { calls } = conversation();
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_reading_toolbar");
    await click(".o_maildesk_reading_toolbar button[data-action='reply_all']");
    await settle();
    expect(store.state.composer).toEqual({ mode: "reply_all", indexId: 1, draftId: null, body: null, notice: "",
                                           key: store.state.composer.key });
    await click(".o_maildesk_message[data-id='1'] button[data-action='forward']");
    await settle();
    expect(store.state.composer.mode).toBe("forward");
    store.closeComposer();
    await click(".o_maildesk_reading_toolbar button[data-action='archive']");
    await settle();
    // the conversation's messages in the open one's folder; the user's Sent copy stays
    expect(callsTo(calls, "archive_messages")[0].kwargs.index_ids).toEqual([4, 3, 1]);
});

test("star and mark unread go through the store", async () => {
    const { calls } = conversation();
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_message[data-id='1'] .o_maildesk_star");
    await click(".o_maildesk_message[data-id='1'] .o_maildesk_star");
    await settle();
    expect(callsTo(calls, "set_flags")[0].kwargs).toEqual({ index_ids: [1], is_starred: true, conversations: false });
    expect(".o_maildesk_message[data-id='1'] .o_maildesk_star i").toHaveClass("fa-star");
    await click(".o_maildesk_reading_toolbar button[data-action='unread']");
    await settle();
    // "not read yet" is said of the conversation, as in Gmail
    expect(callsTo(calls, "set_flags")[1].kwargs).toEqual({ index_ids: [1], is_read: false, conversations: true });
    expect(store.state.openMessageId).toBe(null);
});

test("attachments are listed with preview and download; inline images are not listed again", async () => {
    const card = threadMessage(8, { has_attachments: true });
    fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages: [card] }),
            get_message: () => messageBody(card, {
                attachments: [
                    { part_id: "2", name: "report.pdf", mimetype: "application/pdf", size: 2048 },
                    { part_id: "3", name: "photo.png", mimetype: "image/png", size: 4096 },
                    { part_id: "4", name: "logo.png", mimetype: "image/png", size: 100, inline: true, content_id: "logo@x" },
                    { part_id: "5", name: "data.zip", mimetype: "application/zip", size: 999 },
                ],
            }),
        },
    });
    await mountPart(ReadingPane, { openMessageId: 8 });
    await waitFor(".o_maildesk_attachment");
    expect(queryAll(".o_maildesk_attachment .o_maildesk_attachment_name").map((el) => el.textContent)).toEqual(
        ["report.pdf", "photo.png", "data.zip"]
    );
    expect(".o_maildesk_attachment:eq(2) .o_maildesk_attachment_download").toHaveAttribute(
        "href", "/maildesk/attachment/8/5?download=1"
    );
    expect(".o_maildesk_attachment:eq(1) img.o_maildesk_attachment_thumb").toHaveCount(1);
    expect(".o_maildesk_attachment:eq(1) .o_maildesk_attachment_preview").toHaveAttribute(
        "href", "/maildesk/attachment/8/3?download=0"
    );
    await click(".o_maildesk_attachment:eq(0) .o_maildesk_attachment_preview");
    await waitFor(".o-FileViewer");
    expect(".o-FileViewer iframe").toHaveCount(1);
    expect(".o-FileViewer").toHaveText(/report\.pdf/);
    // PDF goes through Odoo's pdf.js viewer, which reads the checked attachment route
    const [pdf] = attachmentFiles(8, [{ part_id: "2", name: "report.pdf", mimetype: "application/pdf" }]);
    expect(pdf.defaultSource).toBe("/web/static/lib/pdfjs/web/viewer.html?file=%2Fmaildesk%2Fattachment%2F8%2F2#pagemode=none");
});

test("who else is viewing or replying shows in a banner, live", async () => {
    conversation({
        presence_ping: () => ({ others: [{ user_id: 42, name: "Marc Demo", mode: "viewing" }] }),
    });
    await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_presence");
    expect(".o_maildesk_presence").toHaveText("Marc Demo is viewing");
    expect(".o_maildesk_presence").toHaveClass("alert-info");
});

test("the presence ping says replying while the composer is open on the conversation", async () => {
    const { calls } = conversation();
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_message[data-id='1']");
    await settle();
    expect(callsTo(calls, "presence_ping").at(-1).kwargs).toEqual({ index_id: 1, mode: "viewing" });
    store.openComposer({ mode: "reply", indexId: 3 });
    await settle();
    expect(callsTo(calls, "presence_ping").at(-1).kwargs).toEqual({ index_id: 1, mode: "replying" });
});
