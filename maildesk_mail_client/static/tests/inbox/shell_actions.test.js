import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, animationFrame, click, edit, keyDown, keyUp, press, queryAll, waitFor } from "@odoo/hoot-dom";
import { Deferred } from "@odoo/hoot-mock";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { contains } from "@web/../tests/web_test_helpers";
import { SEARCH_DEBOUNCE_MS } from "@maildesk_mail_client/inbox/search/search_box";
import { callsTo, fakeMailboxSync, mountInbox, refusal } from "./shell_test_helpers";

describe.current.tags("desktop");
defineMailModels();

async function settle() {
    for (let i = 0; i < 4; i++) {
        await animationFrame();
    }
}

function selectedIds() {
    return queryAll(".o_maildesk_row.o_maildesk_selected").map((el) => Number(el.dataset.id));
}

test("click opens, shift-click selects the range, the checkbox toggles one row", async () => {
    fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='3']");
    await click(".o_maildesk_row[data-id='3']");
    await animationFrame();
    expect(".o_maildesk_row[data-id='3']").toHaveClass("o_maildesk_open");
    await keyDown("Shift");
    await click(".o_maildesk_row[data-id='6']");
    await keyUp("Shift");
    await animationFrame();
    expect(selectedIds()).toEqual([3, 4, 5, 6]);
    await click(".o_maildesk_row[data-id='9'] .o_maildesk_check");
    await animationFrame();
    expect(selectedIds()).toEqual([3, 4, 5, 6, 9]);
    await click(".o_maildesk_row[data-id='4'] .o_maildesk_check");
    await animationFrame();
    expect(selectedIds()).toEqual([3, 5, 6, 9]);
    expect(".o_maildesk_selection_count").toHaveText("4 selected");
});

test("select all N matching asks first, naming N, then applies to all matching", async () => {
    const { calls } = fakeMailboxSync({ total: 1234 });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    await click(".o_maildesk_select_page");
    await animationFrame();
    expect(queryAll(".o_maildesk_row.o_maildesk_selected").length).toBe(queryAll(".o_maildesk_row").length);
    await click(".o_maildesk_select_all_matching");
    await waitFor(".modal");
    expect(".modal-body").toHaveText(/1,234/);
    await click(".modal-footer .btn-primary");
    await animationFrame();
    expect(".o_maildesk_all_matching").toHaveText(/1,234/);
    await click(".o_maildesk_toolbar button[data-action='read']");
    await settle();
    const call = callsTo(calls, "apply_to_matching").at(-1);
    expect(call.kwargs.action).toBe("read");
    expect(call.kwargs.expected_count).toBe(1234);
});

test("j/k move, x selects, s stars, e archives and # deletes the row under the cursor", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    await press("j");
    await press("j");
    await press("k");
    await animationFrame();
    expect(".o_maildesk_cursor").toHaveAttribute("data-id", "1");
    await press("j");
    await animationFrame();
    expect(".o_maildesk_cursor").toHaveAttribute("data-id", "2");
    await press("x");
    await animationFrame();
    expect(selectedIds()).toEqual([2]);
    await press("x");
    await press("s");
    await settle();
    expect(".o_maildesk_row[data-id='2']").toHaveClass("o_maildesk_starred");
    // a star is one message's, even in the conversation list
    expect(callsTo(calls, "set_flags").at(-1).kwargs).toEqual({ index_ids: [2], is_starred: true, conversations: false });
    await press("e");
    await settle();
    expect(".o_maildesk_row[data-id='2']").toHaveCount(0);
    expect(callsTo(calls, "archive_messages").at(-1).kwargs.index_ids).toEqual([2]);
    // archiving a row of the conversation list archives the whole conversation
    expect(callsTo(calls, "archive_messages").at(-1).kwargs.conversations).toBe(true);
    // the cursor stays at the same place: now on the next row
    expect(".o_maildesk_cursor").toHaveAttribute("data-id", "3");
    await press("#");
    await settle();
    expect(".o_maildesk_row[data-id='3']").toHaveCount(0);
    expect(callsTo(calls, "delete_messages").at(-1).kwargs.index_ids).toEqual([3]);
});

test("? shows the shortcuts, / focuses the search box", async () => {
    fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    await press("?");
    await waitFor(".o_maildesk_shortcuts");
    expect(".o_maildesk_shortcuts").toHaveText(/Archive/);
    await click(".modal-footer .btn-primary");
    await animationFrame();
    await press("/");
    await animationFrame();
    expect(".o_maildesk_search input").toBeFocused();
});

test("the undo toast calls undo_change with the change's token", async () => {
    const { calls } = fakeMailboxSync();
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='4']");
    await click(".o_maildesk_row[data-id='4'] .o_maildesk_check");
    await animationFrame();
    await click(".o_maildesk_toolbar button[data-action='archive']");
    await settle();
    expect(".o_maildesk_row[data-id='4']").toHaveCount(0);
    await waitFor(".o_maildesk_undo_toast .o_maildesk_undo");
    await click(".o_maildesk_undo_toast .o_maildesk_undo");
    await settle();
    expect(callsTo(calls, "undo_change").map((c) => c.kwargs)).toEqual([{ undo_token: "tok-archive" }]);
    expect(".o_maildesk_undo_toast").toHaveCount(0);
    await waitFor(".o_maildesk_row[data-id='4']"); // the list was asked again
});

test("a refused change puts the row back and shows the server's message", async () => {
    fakeMailboxSync({
        handlers: {
            archive_messages: () => {
                throw refusal("These messages cannot be archived now.");
            },
        },
    });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='5']");
    await click(".o_maildesk_row[data-id='5'] .o_maildesk_check");
    await animationFrame();
    await click(".o_maildesk_toolbar button[data-action='archive']");
    await settle();
    expect(".o_maildesk_row[data-id='5']").toHaveCount(1);
    await waitFor(".o_notification:contains(cannot be archived now)");
    expect(".o_maildesk_undo_toast").toHaveCount(0);
});

test("search is debounced, shows Searching..., and the previous search is dropped", async () => {
    const first = new Deferred();
    let searches = 0;
    const { calls } = fakeMailboxSync({
        handlers: {
            message_search_load: async (kwargs, state) => {
                if (!kwargs.search) {
                    return { records: [{ id: 1, subject: "Everything", is_read: true, tags: [] }], total: 1 };
                }
                searches++;
                if (searches === 1) {
                    await first; // the first search hangs until the second one has answered
                    return { records: [{ id: 77, subject: "Stale answer", is_read: true, tags: [] }], total: 1 };
                }
                return { records: [{ id: 88, subject: "Invoice 2026", is_read: true, tags: [] }], total: 1 };
            },
        },
    });
    await mountInbox();
    await waitFor(".o_maildesk_row[data-id='1']");
    await contains(".o_maildesk_search input").edit("inv", { confirm: false });
    await contains(".o_maildesk_search input").edit("invo", { confirm: false });
    await animationFrame();
    expect(".o_maildesk_searching").toHaveCount(1);
    expect(callsTo(calls, "message_search_load").filter((c) => c.kwargs.search)).toHaveLength(0);
    await advanceTime(SEARCH_DEBOUNCE_MS + 10);
    await animationFrame();
    const asked = callsTo(calls, "message_search_load").filter((c) => c.kwargs.search);
    expect(asked.map((c) => c.kwargs.search)).toEqual(["invo"]);
    await waitFor(".o_maildesk_searching_label:contains(Searching...)");
    await edit("invoice", { confirm: false });
    await advanceTime(SEARCH_DEBOUNCE_MS + 10);
    await settle();
    await waitFor(".o_maildesk_row[data-id='88']");
    first.resolve();
    await settle();
    expect(".o_maildesk_row[data-id='77']").toHaveCount(0);
    expect(".o_maildesk_searching").toHaveCount(0);
    expect(".o_maildesk_search_server").toHaveCount(1);
});
