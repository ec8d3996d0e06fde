import { describe, expect, test } from "@odoo/hoot";
import { queryOne, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { BODY_SANDBOX } from "@maildesk_mail_client/inbox/reading_pane/message_body";
import { fakeMailboxSync } from "./shell_test_helpers";
import { iframeLoaded, messageBody, mountPart, settle, threadMessage } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const HOSTILE = [
    "<p>Hello</p>",
    "<script>window.top.__maildesk_pwned = 'script';</script>",
    '<img src="x" onerror="window.top.__maildesk_pwned = \'onerror\'">',
    '<svg onload="window.top.__maildesk_pwned = \'svg\'"></svg>',
    '<a href="javascript:window.top.__maildesk_pwned = \'link\'">click</a>',
    '<a href="https://example.org/page">a link</a>',
].join("");

function oneMessage(body_html) {
    const card = threadMessage(5, { is_read: false });
    return fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages: [card] }),
            get_message: () => messageBody(card, { body_html }),
        },
    });
}

test("the body is in a sandboxed iframe that cannot run scripts, links open in a new tab", async () => {
    oneMessage(HOSTILE);
    await mountPart(ReadingPane, { openMessageId: 5 });
    const iframe = await waitFor("iframe.o_maildesk_body");
    expect(iframe.getAttribute("sandbox")).toBe("allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    expect(iframe.getAttribute("sandbox")).not.toInclude("allow-scripts");
    expect(iframe).not.toHaveAttribute("src");
    const doc = await iframeLoaded(iframe);
    await settle();
    expect(window.__maildesk_pwned).toBe(undefined);
    expect(doc.querySelector("script")).toBe(null);
    const link = doc.querySelector("a[href^='https']");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(doc.body.textContent).toInclude("Hello");
    // a Content-Security-Policy in the document stops remote loads before "Show images"
    const csp = doc.querySelector("meta[http-equiv='Content-Security-Policy']").getAttribute("content");
    expect(csp).toInclude("script-src 'none'");
    expect(csp).not.toInclude("https:");
});

test("the sandbox alone stops a hostile body (no help from the client-side clean-up)", async () => {
    const iframe = document.createElement("iframe");
    iframe.setAttribute("sandbox", BODY_SANDBOX);
    iframe.srcdoc = `<!DOCTYPE html><html><body>${HOSTILE}</body></html>`;
    const loaded = new Promise((resolve) => iframe.addEventListener("load", resolve, { once: true }));
    document.body.append(iframe);
    try {
        await loaded;
        await settle();
        expect(iframe.contentDocument.querySelector("script")).not.toBe(null);
        expect(window.__maildesk_pwned).toBe(undefined);
    } finally {
        iframe.remove();
    }
});

test("keys pressed inside the body reach the window, so the inbox shortcuts work", async () => {
    oneMessage("<p>Press j</p>");
    await mountPart(ReadingPane, { openMessageId: 5 });
    const iframe = await waitFor("iframe.o_maildesk_body");
    const doc = await iframeLoaded(iframe);
    await settle();
    const seen = [];
    const listener = (ev) => seen.push([ev.key, ev.shiftKey, ev.target === iframe]);
    window.addEventListener("keydown", listener);
    try {
        doc.body.dispatchEvent(new KeyboardEvent("keydown", { key: "j", bubbles: true }));
        doc.body.dispatchEvent(new KeyboardEvent("keydown", { key: "#", shiftKey: true, bubbles: true }));
    } finally {
        window.removeEventListener("keydown", listener);
    }
    expect(seen).toEqual([["j", false, true], ["#", true, true]]);
});

test("the sender's address and how the message reached the user are shown", async () => {
    oneMessage("<p>Hi</p>");
    await mountPart(ReadingPane, { openMessageId: 5 });
    await waitFor(".o_maildesk_message[data-id='5'] .o_maildesk_received_via");
    expect(".o_maildesk_message[data-id='5'] .o_maildesk_sender").toHaveText("Sender 5");
    expect(".o_maildesk_message[data-id='5'] .o_maildesk_sender_email").toHaveText("<sender5@example.com>");
    expect(".o_maildesk_received_via").toHaveText("Support <support@example.com>");
    expect(queryOne(".o_maildesk_thread_subject")).toHaveText("Subject 5");
});
