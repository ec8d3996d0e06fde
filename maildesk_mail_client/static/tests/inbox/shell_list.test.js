import { describe, expect, test } from "@odoo/hoot";
import { animationFrame, press, queryAll, queryOne, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { contains, mockService } from "@web/../tests/web_test_helpers";
import { ROW_HEIGHT } from "@maildesk_mail_client/inbox/message_list/message_list";
import { callsTo, fakeMailboxSync, makeRow, mountInbox } from "./shell_test_helpers";

describe.current.tags("desktop");
defineMailModels();

/** A bus whose subscribers the test calls itself; returns them by notification type. */
function mockBus() {
    const subscribers = {};
    mockService("bus_service", {
        isActive: true,
        start() {},
        subscribe(type, callback) {
            subscribers[type] = callback;
        },
        unsubscribe() {},
    });
    return subscribers;
}

async function settle() {
    for (let i = 0; i < 4; i++) {
        await animationFrame();
    }
}

test("the list shows sender, subject, preview, marks, newest first", async () => {
    fakeMailboxSync({ total: 30 });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    const first = queryOne(".o_maildesk_row[data-index='0']");
    expect(first).toHaveAttribute("data-id", "1");
    expect(first.querySelector(".o_maildesk_sender")).toHaveText("Sender 1");
    expect(first.querySelector(".o_maildesk_subject")).toHaveText("Subject 1");
    expect(first.querySelector(".o_maildesk_preview")).toHaveText("— Preview of message 1");
    expect(first).toHaveClass("o_maildesk_unread"); // row 1 is unread in the fake
    expect(".o_maildesk_row[data-id='2']").not.toHaveClass("o_maildesk_unread");
    expect(".o_maildesk_row[data-id='5'] .o_maildesk_has_attachment").toHaveCount(1);
    expect(".o_maildesk_row[data-id='2'] .o_maildesk_presence").toHaveText("MD");
    expect(queryOne(".o_maildesk_row[data-index='1']")).toHaveAttribute("data-id", "2");
});

test("the sidebar shows All Mailboxes with the sum of the inboxes, folders and a mailbox's problem", async () => {
    fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_folder_all .o_maildesk_unread_count:contains(10)");
    expect(".o_maildesk_account[data-account-id='1'] .o_maildesk_folder[data-folder-id]").toHaveCount(4);
    expect(".o_maildesk_folder[data-folder-id='10'] .o_maildesk_unread_count").toHaveText("7");
    expect(".o_maildesk_account[data-account-id='2'] .o_maildesk_account_problem").toHaveText(/Server unreachable/);
    expect(".o_maildesk_account[data-account-id='2'] .o_maildesk_first_sync").toHaveText(/40%/);
    expect(".o_maildesk_account[data-account-id='1'] .o_maildesk_account_problem").toHaveCount(0);
    await waitFor(".o_maildesk_tag_link:contains(Urgent)");
});

test("a mailbox that cannot sync offers Sync Now, which asks the server for a sync", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_account[data-account-id='2'] .o_maildesk_problem_action");
    const before = callsTo(calls, "poll_for_updates").length;
    await contains(".o_maildesk_account[data-account-id='2'] .o_maildesk_problem_action:contains(Sync Now)").click();
    await settle();
    const polls = callsTo(calls, "poll_for_updates");
    expect(polls.length).toBe(before + 1);
    expect(polls.at(-1).kwargs).toEqual({ account_id: 2 });
});

test("opening a folder asks the server for that folder", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await contains(".o_maildesk_folder[data-folder-id='11']").click();
    await settle();
    const last = callsTo(calls, "message_search_load").at(-1);
    expect(last.kwargs.folder_id).toBe(11);
    expect(".o_maildesk_title").toHaveText("Sent");
});

test("the list is virtualised: a 20,000-row folder keeps few rows in the DOM at row 15,000", async () => {
    const { calls } = fakeMailboxSync({ total: 20000 });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    const list = queryOne(".o_maildesk_list");
    expect(list.scrollHeight).toBeGreaterThan(20000 * ROW_HEIGHT - 1);
    expect(queryAll(".o_maildesk_row").length).toBeLessThan(100);
    list.scrollTop = 15000 * ROW_HEIGHT;
    list.dispatchEvent(new Event("scroll"));
    await settle();
    await waitFor(".o_maildesk_row[data-index='15000']");
    expect(".o_maildesk_row[data-index='15000']").toHaveAttribute("data-id", "15001");
    expect(queryAll(".o_maildesk_row, .o_maildesk_row_placeholder").length).toBeLessThan(100);
    // only the pages under the view were asked for, never the 15,000 rows before
    const offsets = callsTo(calls, "message_search_load").map((c) => c.kwargs.offset);
    expect(offsets.every((o) => o === 0 || o >= 14900)).toBe(true);
});

test("the first load fills the viewport when one page is not enough", async () => {
    const { calls } = fakeMailboxSync({ total: 200 });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    const list = queryOne(".o_maildesk_list");
    const visibleRows = Math.ceil(list.clientHeight / ROW_HEIGHT);
    await settle();
    const offsets = callsTo(calls, "message_search_load").map((c) => c.kwargs.offset);
    expect(Math.max(...offsets) + 50).toBeGreaterThan(Math.min(visibleRows, 200) - 1);
    expect(`.o_maildesk_row[data-index='${visibleRows - 1}']`).toHaveCount(1);
});

test("quick filters and the conversation switch go to the server", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await contains(".o_maildesk_quick_filters [data-filter='unread']").click();
    await settle();
    expect(callsTo(calls, "message_search_load").at(-1).kwargs.filters).toEqual({ unread: true });
    await contains(".o_maildesk_threaded").click();
    await settle();
    expect(callsTo(calls, "message_search_load").at(-1).kwargs.threaded).toBe(false);
});

test("200,000 rows: at row 150,000 no more than 200 rows are in the DOM", async () => {
    fakeMailboxSync({ total: 200000 });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    const list = queryOne(".o_maildesk_list");
    list.scrollTop = 150000 * ROW_HEIGHT;
    list.dispatchEvent(new Event("scroll"));
    await settle();
    await waitFor(".o_maildesk_row[data-index='150000']");
    expect(queryAll(".o_maildesk_row, .o_maildesk_row_placeholder").length).toBeLessThan(201);
});

test("folder and message come from the URL, so a reload opens the same place", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox({ folder: "11", message: "3" });
    await waitFor(".o_maildesk_row[data-id='3'].o_maildesk_open");
    expect(callsTo(calls, "message_search_load")[0].kwargs.folder_id).toBe(11);
    expect(".o_maildesk_folder[data-folder-id='11']").toHaveClass("active");
});

test("opening the inbox asks each mailbox for a sync and tells the server who is here", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await settle();
    expect(callsTo(calls, "poll_for_updates").map((c) => c.kwargs.account_id)).toEqual([1, 2]);
    expect(callsTo(calls, "presence_ping")[0].kwargs).toEqual({ index_id: false, mode: "viewing" });
    expect(callsTo(calls, "get_presence")[0].kwargs.index_ids.slice(0, 3)).toEqual([1, 2, 3]);
});

test("a maildesk/changed notification for the folder shown refreshes the list and the counts", async () => {
    const subscribers = mockBus();
    const { calls, state } = fakeMailboxSync({ total: 30 });
    await mountInbox({ folder: "10" });
    await waitFor(".o_maildesk_row[data-id='1']");
    const before = callsTo(calls, "get_account_list").length;
    state.overrides[1] = { subject: "Changed on the server" };
    subscribers["maildesk/changed"]({ account_id: 1, folder_ids: [10] });
    await waitFor(".o_maildesk_row[data-id='1'] .o_maildesk_subject:contains(Changed on the server)");
    expect(callsTo(calls, "get_account_list").length).toBe(before + 1);
    // another folder changed: only the counts are asked again
    const loads = callsTo(calls, "message_search_load").length;
    subscribers["maildesk/changed"]({ account_id: 1, folder_ids: [12] });
    await settle();
    expect(callsTo(calls, "message_search_load").length).toBe(loads);
    expect(callsTo(calls, "get_account_list").length).toBe(before + 2);
});

test("the keyboard's row stays the same message when the list changes under it", async () => {
    const subscribers = mockBus();
    const gone = new Set();
    const { calls } = fakeMailboxSync({
        handlers: {
            // mail archived elsewhere (another client, a teammate) leaves the top of the list
            message_search_load: ({ offset = 0, limit = 40 }) => {
                const ids = [];
                for (let id = 1; id <= 30; id++) {
                    if (!gone.has(id)) {
                        ids.push(id);
                    }
                }
                const records = ids.slice(offset, offset + limit).map((id) => makeRow(id));
                return { records, total: ids.length, total_is_estimate: false,
                         hasMore: offset + limit < ids.length, offset, limit };
            },
        },
    });
    await mountInbox({ folder: "10" });
    await waitFor(".o_maildesk_row[data-id='1']");
    await press("j");
    await press("j");
    await press("j");
    await animationFrame();
    expect(".o_maildesk_cursor").toHaveAttribute("data-id", "3");
    gone.add(1);
    subscribers["maildesk/changed"]({ account_id: 1, folder_ids: [10] });
    await waitFor(".o_maildesk_row[data-index='0'][data-id='2']");
    await settle();
    expect(".o_maildesk_cursor").toHaveAttribute("data-id", "3");
    await press("x");
    await settle();
    expect(queryAll(".o_maildesk_row.o_maildesk_selected").map((r) => r.dataset.id)).toEqual(["3"]);
    expect(callsTo(calls, "message_search_load").length).toBeGreaterThan(1);
});
