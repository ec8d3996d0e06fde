import { describe, expect, test } from "@odoo/hoot";
import { click, queryAllTexts, waitFor } from "@odoo/hoot-dom";
import { mockDate } from "@odoo/hoot-mock";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { fakeMailboxSync, makeRow, mountInbox } from "@maildesk_mail_client/../tests/inbox/shell_test_helpers";
import { callsTo, refusal, settle } from "./pro_test_helpers";

describe.current.tags("desktop");
defineMailModels();

const SNOOZED = [
    makeRow(4, { subject: "Renewal quote", sender_display_name: "Ana", thread_size: 3 }),
    makeRow(7, { subject: "Conference call", sender_display_name: "Bob" }),
];
const WAKE_AT = { 4: "2026-12-02 08:00:00", 7: "2026-12-07 08:00:00" };

/** The inbox over Basic's fakes, whose list answers `filters.snoozed` with SNOOZED. */
function snoozeFakes(handlers = {}) {
    const fakes = fakeMailboxSync({
        handlers: {
            message_search_load: ({ filters = {} }) => filters.snoozed
                ? { records: SNOOZED, total: SNOOZED.length, total_is_estimate: false }
                : { records: [makeRow(1)], total: 1, total_is_estimate: false },
            unsnooze_messages: ({ index_ids }) => ({ count: index_ids.length }),
            ...handlers,
        },
    });
    onRpc("maildesk.message_index", "read", ({ args }) =>
        args[0].map((id) => ({ id, snoozed_until: WAKE_AT[id] || false })));
    return fakes;
}

async function openSnoozed() {
    await mountInbox();
    await click(".o_maildesk_view_link[data-view=snoozed]");
    await waitFor(".o_maildesk_snoozed_row");
    await settle();
}

test("Snoozed, under All Mailboxes, lists the snoozed conversations of every mailbox with the time each comes back", async () => {
    mockDate("2026-12-01 10:00:00", 0);
    const { calls } = snoozeFakes();
    await openSnoozed();
    const asked = callsTo(calls, "message_search_load").at(-1).kwargs;
    expect([asked.account_id, asked.folder_id, asked.filters, asked.threaded]).toEqual([null, null, { snoozed: true }, true]);
    expect(".o_maildesk_title").toHaveText("Snoozed");
    expect(".o_maildesk_view_link[data-view=snoozed]").toHaveClass("active");
    expect(".o_maildesk_folder_all").not.toHaveClass("active");
    expect(queryAllTexts(".o_maildesk_snoozed_row .o_maildesk_subject")).toEqual(["Renewal quote", "Conference call"]);
    expect(queryAllTexts(".o_maildesk_snoozed_until")).toEqual(["until Wed 2 Dec, 08:00", "until Mon 7 Dec, 08:00"]);
    expect(".o_maildesk_list").toHaveCount(0);
});

test("Unsnooze brings the conversation back at once and it leaves the Snoozed view", async () => {
    mockDate("2026-12-01 10:00:00", 0);
    const { calls } = snoozeFakes();
    await openSnoozed();
    await click(".o_maildesk_snoozed_row[data-id='4'] .o_maildesk_unsnooze");
    await settle();
    expect(callsTo(calls, "unsnooze_messages").map((c) => c.kwargs)).toEqual([{ index_ids: [4], conversations: true }]);
    expect(queryAllTexts(".o_maildesk_snoozed_row .o_maildesk_subject")).toEqual(["Conference call"]);
    expect(".o_notification:contains(Back in the inbox.)").toHaveCount(1);
    await click(".o_maildesk_snoozed_row[data-id='7'] .o_maildesk_unsnooze");
    await settle();
    expect(".o_maildesk_snoozed_empty").toHaveText("Nothing is snoozed.");
});

test("A refused Unsnooze keeps the row and says why", async () => {
    snoozeFakes({
        unsnooze_messages: () => {
            throw refusal("You are not a member of the mailbox Support.");
        },
    });
    await openSnoozed();
    await click(".o_maildesk_snoozed_row[data-id='4'] .o_maildesk_unsnooze");
    await settle();
    expect(".o_maildesk_snoozed_row").toHaveCount(2);
    expect(".o_notification:contains(You are not a member of the mailbox Support.)").toHaveCount(1);
});

test("A snoozed conversation opens in the reading pane; a folder leaves the Snoozed view", async () => {
    snoozeFakes();
    await openSnoozed();
    await click(".o_maildesk_snoozed_row[data-id='7'] .o_maildesk_snoozed_open");
    await waitFor(".o_maildesk_reading_pane:contains(Subject 7)");
    await settle();
    expect(".o_maildesk_snoozed_row[data-id='7']").toHaveClass("bg-primary-subtle");
    await click(".o_maildesk_folder[data-folder-id='10']");
    await waitFor(".o_maildesk_list .o_maildesk_row");
    expect(".o_maildesk_snoozed_view").toHaveCount(0);
    expect(".o_maildesk_view_link[data-view=snoozed]").not.toHaveClass("active");
});

test("Nothing snoozed: the view says so", async () => {
    snoozeFakes({ message_search_load: () => ({ records: [], total: 0 }) });
    await mountInbox();
    await click(".o_maildesk_view_link[data-view=snoozed]");
    await waitFor(".o_maildesk_snoozed_empty");
    expect(".o_maildesk_snoozed_empty").toHaveText("Nothing is snoozed.");
});
