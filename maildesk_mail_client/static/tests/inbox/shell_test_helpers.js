import { getFixture } from "@odoo/hoot";
import { animationFrame } from "@odoo/hoot-dom";
import { makeServerError, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { MaildeskInbox } from "@maildesk_mail_client/inbox/inbox_action";

/** A card as message_search_load sends it; row n is n minutes older than row 1. */
export function makeRow(n, overrides = {}) {
    const date = new Date(Date.UTC(2026, 10, 30, 12, 0, 0) - n * 60000);
    return {
        id: n,
        account_id: 1,
        folder_id: 10,
        subject: `Subject ${n}`,
        from_addr: `sender${n}@example.com`,
        sender_display_name: `Sender ${n}`,
        to_addrs: "me@example.com",
        cc_addrs: "",
        date: date.toISOString().replace("T", " ").slice(0, 19),
        preview: `Preview of message ${n}`,
        is_read: n % 3 !== 1,
        is_starred: false,
        has_attachments: n % 5 === 0,
        message_id: `<m${n}@example.com>`,
        thread_id: `t${n}`,
        in_reply_to: false,
        thread_size: 1,
        thread_unread: 0,
        tags: [],
        ...overrides,
    };
}

export const ACCOUNTS = [
    { id: 1, name: "Support", email: "support@example.com", provider: "imap", is_shared: true,
      is_member: true, connection_state: "connected", last_error: false, last_sync_at: false,
      unread_inbox: 7, problem: false, first_sync: false },
    { id: 2, name: "Sales", email: "sales@example.com", provider: "imap", is_shared: false,
      is_member: true, connection_state: "unreachable", last_error: "Connection refused", last_sync_at: false,
      unread_inbox: 3, problem: { title: "Server unreachable", message: "MailDesk tries again by itself.",
                 action: "sync_now", action_label: "Sync Now" }, first_sync: { progress: 40 } },
];

export const TREES = {
    1: [
        { id: 10, name: "Inbox", folder_type: "inbox", unread_count: 7, children: [
            { id: 13, name: "Customers", folder_type: "other", unread_count: 1, children: [] },
        ] },
        { id: 11, name: "Sent", folder_type: "sent", unread_count: 0, children: [] },
        { id: 12, name: "Archive", folder_type: "archive", unread_count: 0, children: [] },
    ],
    2: [{ id: 20, name: "Inbox", folder_type: "inbox", unread_count: 3, children: [] }],
};

/**
 * Fake mailbox.sync over `total` rows (ids 1..total, newest first). Returns the log of calls
 * ({method, kwargs}) and the rows, which the fakes read, so a test can change them.
 * `handlers` replace a method's fake.
 */
export function fakeMailboxSync({ total = 30, handlers = {} } = {}) {
    const calls = [];
    const state = { total, overrides: {} };
    const rowAt = (i) => makeRow(i + 1, state.overrides[i + 1]);
    const fakes = {
        get_account_list: () => ACCOUNTS,
        get_folder_tree: ({ account_id }) => TREES[account_id] || [],
        poll_for_updates: () => ({ requested: true }),
        presence_ping: () => ({ others: [] }),
        get_presence: ({ index_ids }) => (index_ids.includes(2) ? { 2: [{ user_id: 9, name: "Marc Demo", mode: "viewing" }] } : {}),
        message_search_load: ({ offset = 0, limit = 40, search = "", filters = {} }) => {
            let records;
            let count;
            if (search || filters.unread) {
                const all = [];
                for (let i = 0; i < Math.min(state.total, 500); i++) {
                    all.push(rowAt(i));
                }
                const matching = all.filter((r) =>
                    (!search || r.subject.includes(search)) && (!filters.unread || !r.is_read));
                records = matching.slice(offset, offset + limit);
                count = matching.length;
            } else {
                records = [];
                for (let i = offset; i < Math.min(state.total, offset + limit); i++) {
                    records.push(rowAt(i));
                }
                count = state.total;
            }
            return { records, total: count, total_is_estimate: false, hasMore: offset + limit < count, offset, limit };
        },
        count_matching: () => ({ count: state.total }),
        apply_to_matching: ({ expected_count }) => ({ changed: expected_count, undo_token: "tok-all" }),
        set_flags: ({ index_ids }) => ({ changed: index_ids.length, undo_token: "tok-flags" }),
        archive_messages: ({ index_ids }) => ({ changed: index_ids.length, undo_token: "tok-archive" }),
        delete_messages: ({ index_ids }) => ({ changed: index_ids.length, undo_token: "tok-delete" }),
        move_messages: ({ index_ids }) => ({ changed: index_ids.length, undo_token: "tok-move" }),
        update_tags: ({ index_ids }) => ({ changed: index_ids.length, undo_token: "tok-tags", tags: [] }),
        undo_change: () => ({ undone: 1 }),
        search_server: () => ({ records: [], total: 0 }),
        get_message: ({ index_id }) => ({ ...makeRow(index_id), body_html: "", body_text: "", attachments: [] }),
        get_thread: ({ index_id }) => ({ thread_id: `t${index_id}`, messages: [makeRow(index_id)] }),
        get_inbox_settings: () => ({ undo_send_seconds: 10, remote_images_default: false }),
        composer_signatures: () => ({ signatures: [], default_id: false }),
        ...handlers,
    };
    for (const [method, fake] of Object.entries(fakes)) {
        onRpc("mailbox.sync", method, ({ kwargs }) => {
            const { context, ...rest } = kwargs;
            const values = JSON.parse(JSON.stringify(rest));
            calls.push({ method, kwargs: values });
            return fake(values, state);
        });
    }
    onRpc("mail.message.tag", "search_read", () => [{ id: 1, name: "Urgent", color: 1 }]);
    return { calls, state, rowAt };
}

export function refusal(message) {
    return makeServerError({ type: "UserError", message });
}

export function callsTo(calls, method) {
    return calls.filter((c) => c.method === method);
}

/** Mount the inbox in a fixture tall enough for a real viewport. */
export async function mountInbox(params = {}) {
    const fixture = getFixture();
    fixture.style.height = "800px";
    fixture.style.width = "1400px";
    const inbox = await mountWithCleanup(MaildeskInbox, { props: { action: { params } } });
    await animationFrame();
    return inbox;
}
