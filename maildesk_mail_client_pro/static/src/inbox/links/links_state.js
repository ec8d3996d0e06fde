import { reactive, toRaw } from "@odoo/owl";
import { errorMessage } from "@maildesk_mail_client/inbox/store";

const byStore = new WeakMap();

/**
 * The records linked to each message (get_links), shared by the toolbar's "Link to record" and
 * the chips under the subject, so a new link shows at once: index id -> {links, error}.
 */
export function linksState(store) {
    // each component sees the store through a proxy of its own: the raw store is the key
    const key = toRaw(store);
    if (!byStore.has(key)) {
        byStore.set(key, reactive({}));
    }
    return byStore.get(key);
}

export async function loadLinks(store, indexId) {
    const state = linksState(store);
    try {
        state[indexId] = { links: await store.rpc("get_links", { index_id: indexId }), error: "" };
    } catch (error) {
        state[indexId] = { links: [], error: errorMessage(error) };
    }
}
