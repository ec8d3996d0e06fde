import { describe, expect, test } from "@odoo/hoot";
import { click, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { callsTo, fakeMailboxSync } from "./shell_test_helpers";
import { iframeLoaded, messageBody, mountPart, settle, threadMessage } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const BLOCKED = '<p>News</p><img data-maildesk-blocked="1" alt="">';
const SHOWN = '<p>News</p><img src="https://images.example/pixel.png" alt="">';

function newsletter() {
    const card = threadMessage(6, { is_read: false, from_addr: "news@shop.example", sender_display_name: "Shop" });
    return fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages: [card] }),
            get_message: ({ allow_remote_images }) => messageBody(card, allow_remote_images
                ? { body_html: SHOWN, remote_images_blocked: 0 }
                : { body_html: BLOCKED, remote_images_blocked: 2 }),
            allow_remote_images_from: () => true,
        },
    });
}

test("remote images are blocked with a banner; Show images asks for them once", async () => {
    const { calls } = newsletter();
    await mountPart(ReadingPane, { openMessageId: 6 });
    await waitFor(".o_maildesk_remote_banner");
    expect(".o_maildesk_remote_banner").toHaveText(/2 remote images blocked/);
    expect(".o_maildesk_show_images").toHaveCount(1);
    expect(".o_maildesk_always_sender").toHaveCount(1);
    await click(".o_maildesk_show_images");
    await settle();
    const last = callsTo(calls, "get_message").at(-1).kwargs;
    expect(last).toEqual({ index_id: 6, allow_remote_images: true, mark_read: false });
    expect(".o_maildesk_remote_banner").toHaveCount(0);
    const doc = await iframeLoaded(document.querySelector("iframe.o_maildesk_body"));
    expect(doc.querySelector("img").getAttribute("src")).toBe("https://images.example/pixel.png");
    expect(doc.querySelector("meta[http-equiv='Content-Security-Policy']").getAttribute("content")).toInclude("https:");
    expect(callsTo(calls, "allow_remote_images_from")).toHaveLength(0);
});

test("Always for this sender remembers the sender on the server and shows the images", async () => {
    const { calls } = newsletter();
    await mountPart(ReadingPane, { openMessageId: 6 });
    await waitFor(".o_maildesk_always_sender");
    await click(".o_maildesk_always_sender");
    await settle();
    expect(callsTo(calls, "allow_remote_images_from").map((c) => c.kwargs)).toEqual([{ index_id: 6 }]);
    expect(callsTo(calls, "get_message").at(-1).kwargs.allow_remote_images).toBe(true);
    expect(".o_maildesk_remote_banner").toHaveCount(0);
});

test("a message without remote images shows no banner", async () => {
    const card = threadMessage(9);
    fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages: [card] }),
            get_message: () => messageBody(card, { body_html: '<p>Logo <img src="/maildesk/attachment/9/2?download=0"></p>' }),
        },
    });
    await mountPart(ReadingPane, { openMessageId: 9 });
    const iframe = await waitFor("iframe.o_maildesk_body");
    const doc = await iframeLoaded(iframe);
    expect(".o_maildesk_remote_banner").toHaveCount(0);
    // inline (cid:) images come through Odoo's own checked route, which the policy allows
    expect(doc.querySelector("img").getAttribute("src")).toBe("/maildesk/attachment/9/2?download=0");
});
