import { describe, expect, test } from "@odoo/hoot";
import { click, edit, press, queryAll, waitFor } from "@odoo/hoot-dom";
import { mockDate } from "@odoo/hoot-mock";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { Composer } from "@maildesk_mail_client/inbox/composer/composer";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { TREES, fakeMailboxSync } from "@maildesk_mail_client/../tests/inbox/shell_test_helpers";
import { callsTo, mountPart, refusal, settle } from "./pro_test_helpers";

describe.current.tags("desktop");
defineMailModels();

function composerFakes(handlers = {}) {
    return fakeMailboxSync({
        handlers: {
            composer_signatures: () => ({
                signatures: [
                    { id: 3, name: "Rita", html: "<p>Rita</p>", is_shared: false },
                    { id: 8, name: "Support team", html: "<p>The support team</p>", is_shared: true },
                ],
                default_id: 8,
            }),
            save_draft: () => 77,
            schedule_send: ({ send_at, draft_id }) => ({ queue_id: 12, scheduled_at: send_at, draft_id }),
            cancel_scheduled: () => ({ cancelled: true }),
            ...handlers,
        },
    });
}

async function newMessageTo(address) {
    const store = await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(".o_maildesk_composer .odoo-editor-editable");
    await click(".o_maildesk_recipients[data-field=to] input");
    await edit(address, { confirm: false });
    await press("Enter");
    await click(".o_maildesk_subject");
    await edit("Quarterly figures", { confirm: false });
    await settle();
    return store;
}

test("Send later sits next to Send with the signature picker; tomorrow morning schedules the saved draft", async () => {
    mockDate("2026-12-01 10:00:00", 0);
    const { calls } = composerFakes();
    const store = await newMessageTo("boss@example.org");
    expect(".o_maildesk_composer_footer .o_maildesk_send_later button").toHaveCount(1);
    expect(".o_maildesk_composer_footer .o_maildesk_signature_select").toHaveValue("8");
    await click(".o_maildesk_send_later button");
    await waitFor(".o_maildesk_time_choice[data-choice=tomorrow]");
    expect(queryAll(".o_maildesk_time_choice").map((el) => el.dataset.choice)).toEqual(["tomorrow", "monday", "pick"]);
    await click(".o_maildesk_time_choice[data-choice=tomorrow]");
    await settle();
    const save = callsTo(calls, "save_draft").at(-1).kwargs;
    expect([save.to_emails, save.subject]).toEqual(["boss@example.org", "Quarterly figures"]);
    expect(callsTo(calls, "schedule_send").map((c) => c.kwargs)).toEqual([{ send_at: "2026-12-02 08:00:00", draft_id: 77 }]);
    expect(callsTo(calls, "send_email")).toHaveLength(0);
    expect(store.state.composer).toBe(null);
    await waitFor(".o_maildesk_scheduled_toast");
    expect(".o_maildesk_scheduled_toast").toHaveText(/Scheduled for/);
    await click(".o_maildesk_scheduled_toast button:contains(Cancel)");
    await settle();
    expect(callsTo(calls, "cancel_scheduled").map((c) => c.kwargs)).toEqual([{ queue_id: 12 }]);
    await waitFor(".o_notification:contains(back in Drafts)");
});

test("Monday morning from a Friday is three days later", async () => {
    mockDate("2026-12-04 16:00:00", 0);
    const { calls } = composerFakes();
    await newMessageTo("boss@example.org");
    await click(".o_maildesk_send_later button");
    await waitFor(".o_maildesk_time_choice[data-choice=monday]");
    await click(".o_maildesk_time_choice[data-choice=monday]");
    await settle();
    expect(callsTo(calls, "schedule_send")[0].kwargs.send_at).toBe("2026-12-07 08:00:00");
});

test("Send later makes the checks Send makes: without a recipient nothing is scheduled", async () => {
    const { calls } = composerFakes();
    const store = await mountPart(Composer, { composer: { mode: "new" }, route: { accountId: 1 } });
    await waitFor(".o_maildesk_send_later button");
    await click(".o_maildesk_send_later button");
    await waitFor(".o_maildesk_time_choice[data-choice=tomorrow]");
    await click(".o_maildesk_time_choice[data-choice=tomorrow]");
    await settle();
    expect(".o_maildesk_composer_error").toHaveText("Add at least one recipient.");
    expect(callsTo(calls, "schedule_send")).toHaveLength(0);
    expect(store.state.composer).not.toBe(null);
});

test("a refused schedule keeps the composer open and says why", async () => {
    composerFakes({ schedule_send: () => {
        throw refusal("Choose a time in the future to send the message.");
    } });
    const store = await newMessageTo("boss@example.org");
    await click(".o_maildesk_send_later button");
    await waitFor(".o_maildesk_time_choice[data-choice=tomorrow]");
    await click(".o_maildesk_time_choice[data-choice=tomorrow]");
    await waitFor(".o_notification:contains(time in the future)");
    expect(store.state.composer).not.toBe(null);
});

test("the Drafts folder lists the scheduled sends; Cancel takes one back", async () => {
    let pending = [
        { queue_id: 12, draft_id: 77, subject: "Quarterly figures", to: "boss@example.org", scheduled_at: "2026-12-02 08:00:00", state: "pending" },
        { queue_id: 13, draft_id: 78, subject: "Done already", to: "x@example.org", scheduled_at: "2026-11-30 08:00:00", state: "done" },
    ];
    const { calls } = fakeMailboxSync({
        handlers: {
            list_scheduled: () => pending,
            cancel_scheduled: ({ queue_id }) => {
                pending = pending.filter((row) => row.queue_id !== queue_id);
                return { cancelled: true };
            },
        },
    });
    onRpc("maildesk.draft", "search_read", () => []);
    const folders = { ...TREES, 1: [...TREES[1], { id: 14, name: "Drafts", folder_type: "drafts", unread_count: 0, children: [] }] };
    await mountPart(ReadingPane, { route: { folderId: 14 }, folders });
    await waitFor(".o_maildesk_scheduled_row");
    expect(callsTo(calls, "list_scheduled").map((c) => c.kwargs)).toEqual([{ account_id: 1 }]);
    expect(queryAll(".o_maildesk_scheduled_row").map((el) => el.dataset.queueId)).toEqual(["12"]);
    expect(".o_maildesk_scheduled_row").toHaveText(/Quarterly figures/);
    expect(".o_maildesk_scheduled_row").toHaveText(/boss@example.org/);
    await click(".o_maildesk_cancel_scheduled");
    await settle();
    expect(callsTo(calls, "cancel_scheduled").map((c) => c.kwargs)).toEqual([{ queue_id: 12 }]);
    expect(".o_maildesk_scheduled_row").toHaveCount(0);
    expect(".o_maildesk_scheduled").toHaveText(/Nothing is waiting to be sent later/);
});
