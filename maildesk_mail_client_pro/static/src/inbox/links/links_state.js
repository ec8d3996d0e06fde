import { reactive } from "@odoo/owl";
import { errorMessage } from "@maildesk_mail_client/inbox/store";

const byStore = new WeakMap();

/**
 * The records linked to each message (get_links), shared by the toolbar's "Link to record" and
 * the chips under the subject, so a new link shows at once: index id -> {links, error}.
 */
export function linksState(store) {
    if (!byStore.has(store)) {
        byStore.set(store, reactive({}));
    }
    return byStore.get(store);
}

export async function loadLinks(store, indexId) {
    const state = linksState(store);
    try {
        state[indexId] = { links: await store.rpc("get_links", { index_id: indexId }), error: "" };
    } catch (error) {
        state[indexId] = { links: [], error: errorMessage(error) };
    }
}
