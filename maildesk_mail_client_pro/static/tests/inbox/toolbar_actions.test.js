import { describe, expect, test } from "@odoo/hoot";
import { click, edit, queryAll, queryOne, select, waitFor } from "@odoo/hoot-dom";
import { advanceTime, mockDate } from "@odoo/hoot-mock";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { mockService } from "@web/../tests/web_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { SEARCH_DELAY_MS } from "@maildesk_mail_client_pro/inbox/links/link_dialog";
import { callsTo, mountPart, proFakes, refusal, settle } from "./pro_test_helpers";

describe.current.tags("desktop");
defineMailModels();

/** hoot's edit() reads a datetime-local input through valueAsDate, which Chrome leaves null. */
async function pickValue(value) {
    const input = queryOne(".o_maildesk_pick_input");
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await settle();
}

async function openMessage() {
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_reading_toolbar .o_maildesk_snooze button");
    await settle();
    return store;
}

test("Snooze: tomorrow morning sends that time (UTC) for the conversation; the message closes; Undo takes it back", async () => {
    mockDate("2026-12-01 10:00:00", 0); // a Tuesday
    const { calls } = proFakes({
        handlers: {
            snooze_messages: ({ until }) => ({ count: 2, until }),
            unsnooze_messages: () => ({ count: 2 }),
        },
    });
    const store = await openMessage();
    store.state.query.threaded = true;
    await click(".o_maildesk_snooze button");
    await waitFor(".o_maildesk_time_choice[data-choice=tomorrow]");
    expect(queryAll(".o_maildesk_time_choice").map((el) => el.dataset.choice)).toEqual(
        ["later_today", "tomorrow", "next_week", "pick"]
    );
    await click(".o_maildesk_time_choice[data-choice=tomorrow]");
    await settle();
    expect(callsTo(calls, "snooze_messages").map((c) => c.kwargs)).toEqual([
        { index_ids: [1], until: "2026-12-02 08:00:00", conversations: true },
    ]);
    expect(store.state.openMessageId).toBe(null);
    await waitFor(".o_maildesk_snoozed_toast");
    expect(".o_maildesk_snoozed_toast").toHaveText(/Snoozed until/);
    await click(".o_maildesk_snoozed_toast button:contains(Undo)");
    await settle();
    expect(callsTo(calls, "unsnooze_messages").map((c) => c.kwargs)).toEqual([{ index_ids: [1] }]);
});

test("Snooze: next week is Monday morning; a picked time must be in the future", async () => {
    mockDate("2026-12-01 10:00:00", 0);
    const { calls } = proFakes({ handlers: { snooze_messages: ({ until }) => ({ count: 1, until }) } });
    await openMessage();
    await click(".o_maildesk_snooze button");
    await waitFor(".o_maildesk_time_choice[data-choice=next_week]");
    await click(".o_maildesk_time_choice[data-choice=next_week]");
    await settle();
    expect(callsTo(calls, "snooze_messages")[0].kwargs.until).toBe("2026-12-07 08:00:00");
});

test("Snooze: pick a date and time", async () => {
    mockDate("2026-12-01 10:00:00", 0);
    const { calls } = proFakes({ handlers: { snooze_messages: ({ until }) => ({ count: 1, until }) } });
    await openMessage();
    await click(".o_maildesk_snooze button");
    await waitFor(".o_maildesk_time_choice[data-choice=pick]");
    await click(".o_maildesk_time_choice[data-choice=pick]");
    await waitFor(".o_maildesk_pick_input");
    await pickValue("2026-11-30T09:00");
    await click(".o_maildesk_pick_confirm");
    await settle();
    expect(".o_maildesk_pick_error").toHaveText("Choose a date and time in the future.");
    expect(callsTo(calls, "snooze_messages")).toHaveLength(0);
    await pickValue("2026-12-24T17:30");
    await click(".o_maildesk_pick_confirm");
    await settle();
    expect(callsTo(calls, "snooze_messages")[0].kwargs.until).toBe("2026-12-24 17:30:00");
    expect(".o_maildesk_pick_input").toHaveCount(0);
});

test("a refused snooze keeps the message open and shows the server's sentence", async () => {
    proFakes({ handlers: { snooze_messages: () => {
        throw refusal("You do not have access to some of these messages, or they no longer exist.");
    } } });
    const store = await openMessage();
    await click(".o_maildesk_snooze button");
    await waitFor(".o_maildesk_time_choice[data-choice=tomorrow]");
    await click(".o_maildesk_time_choice[data-choice=tomorrow]");
    await waitFor(".o_notification:contains(no longer exist)");
    expect(store.state.openMessageId).toBe(1);
});

test("Link to record: pick a kind, search, link; the record shows as a chip that opens it", async () => {
    const links = [];
    const opened = [];
    mockService("action", { doAction: (action) => opened.push(action) });
    const { calls } = proFakes({
        handlers: {
            get_links: () => links,
            link_models: () => [{ model: "res.partner", name: "Contact" }, { model: "crm.lead", name: "Lead" }],
            link_search_records: ({ model, term }) => (model === "crm.lead"
                ? [{ id: 5, name: `Lead ${term || "all"}` }]
                : [{ id: 9, name: "Ana <script>x</script> Customer" }]),
            link_to_record: ({ res_model, res_id }) => {
                const link = { id: 40, res_model, res_id, res_name: "Lead Big deal", model_name: "Lead", link_type: "message", url: "javascript:alert(1)" };
                links.push(link);
                return link;
            },
            remove_link: () => {
                links.splice(0);
                return { removed: true };
            },
        },
    });
    await openMessage();
    expect(".o_maildesk_link_chip").toHaveCount(0);
    await click(".o_maildesk_link_record");
    await waitFor(".o_maildesk_link_result");
    expect(".o_maildesk_link_result").toHaveText("Ana <script>x</script> Customer");
    await click(".o_maildesk_link_model");
    await select("crm.lead", { target: ".o_maildesk_link_model" });
    await settle();
    await click(".o_maildesk_link_search");
    await edit("Big deal", { confirm: false });
    await advanceTime(SEARCH_DELAY_MS + 10);
    await waitFor(".o_maildesk_link_result:contains(Lead Big deal)");
    await click(".o_maildesk_link_whole");
    await click(".o_maildesk_link_result:contains(Lead Big deal)");
    await waitFor(".o_maildesk_link_chip");
    expect(callsTo(calls, "link_to_record").map((c) => c.kwargs)).toEqual([
        { index_id: 1, res_model: "crm.lead", res_id: 5, whole_conversation: true },
    ]);
    expect(".o_maildesk_link_dialog").toHaveCount(0);
    expect(".o_maildesk_link_chip").toHaveText("Lead: Lead Big deal");
    // the chip opens the record by model and id; the link's URL is not used
    expect(".o_maildesk_links a").toHaveCount(0);
    await click(".o_maildesk_link_open");
    expect(opened).toEqual([{ type: "ir.actions.act_window", res_model: "crm.lead", res_id: 5, views: [[false, "form"]], target: "current" }]);
    await click(".o_maildesk_link_remove");
    await settle();
    expect(callsTo(calls, "remove_link").map((c) => c.kwargs)).toEqual([{ link_id: 40 }]);
    expect(".o_maildesk_link_chip").toHaveCount(0);
});
