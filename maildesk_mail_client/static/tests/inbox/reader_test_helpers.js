import { getFixture } from "@odoo/hoot";
import { animationFrame, delay } from "@odoo/hoot-dom";
import { makeMockEnv, mountWithCleanup } from "@web/../tests/web_test_helpers";
import { InboxStore } from "@maildesk_mail_client/inbox/store";
import { ACCOUNTS, TREES, makeRow } from "./shell_test_helpers";

/** A card of a conversation as get_thread sends it. */
export function threadMessage(n, overrides = {}) {
    return { ...makeRow(n), thread_id: "t-conv", is_own: false, folder_type: "inbox", is_read: true, ...overrides };
}

/** A get_message answer for a card. */
export function messageBody(card, overrides = {}) {
    return {
        ...card,
        body_html: `<p>Body of ${card.id}</p>`,
        body_text: `Body of ${card.id}`,
        attachments: [],
        remote_images_blocked: 0,
        problems: [],
        sender: { name: card.sender_display_name, email: card.from_addr },
        received_via: "Support <support@example.com>",
        reply_to: "",
        ...overrides,
    };
}

/**
 * Mount one part of the inbox (ReadingPane, Composer) on a real store over the fakes, the way
 * the shell mounts it: `<Part store="store"/>`.
 */
export async function mountPart(Part, { openMessageId = null, composer = null, route = {}, folders = null } = {}) {
    const fixture = getFixture();
    fixture.style.height = "800px";
    fixture.style.width = "1200px";
    fixture.style.position = "relative";
    const env = await makeMockEnv();
    const store = new InboxStore({
        orm: env.services.orm,
        notification: env.services.notification,
        dialog: env.services.dialog,
    });
    store.state.accounts = ACCOUNTS;
    store.state.folders = folders || TREES;
    Object.assign(store.state.route, route);
    store.state.openMessageId = openMessageId;
    if (composer) {
        store.openComposer(composer);
    }
    const wrapper = document.createElement("div");
    wrapper.className = "o_maildesk_inbox position-relative";
    wrapper.style.height = "800px";
    fixture.append(wrapper);
    await mountWithCleanup(Part, { env, props: { store }, target: wrapper });
    await animationFrame();
    return store;
}

/** Let pending RPCs, renders and iframe loads finish. */
export async function settle(times = 5) {
    for (let i = 0; i < times; i++) {
        await animationFrame();
    }
}

/** Wait for an iframe's srcdoc document to be loaded (real browser event, not mocked time). */
export async function iframeLoaded(iframe) {
    for (let i = 0; i < 100; i++) {
        const doc = iframe.contentDocument;
        if (doc && doc.readyState === "complete" && doc.body && doc.body.childElementCount + doc.body.childNodes.length > 0) {
            return doc;
        }
        await delay(10);
    }
    return iframe.contentDocument;
}
