import { describe, expect, test } from "@odoo/hoot";
import { click, queryAll, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { TREES, fakeMailboxSync } from "./shell_test_helpers";
import { mountPart, settle } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

test("with the Drafts folder open, the drafts written here are listed and open in the composer", async () => {
    fakeMailboxSync();
    const domains = [];
    onRpc("maildesk.draft", "search_read", ({ kwargs }) => {
        domains.push(kwargs.domain);
        return [
            { id: 41, subject: "Offer for ACME", to_emails: "Boss <boss@acme.example>", write_date: "2026-11-30 09:00:00", send_state: "draft", account_id: [1, "Support"] },
            { id: 42, subject: "", to_emails: "", write_date: "2026-11-30 08:00:00", send_state: "failed", account_id: [1, "Support"] },
        ];
    });
    const folders = { ...TREES, 1: [...TREES[1], { id: 14, name: "Drafts", folder_type: "drafts", unread_count: 0, children: [] }] };
    const store = await mountPart(ReadingPane, { route: { folderId: 14 }, folders });
    await waitFor(".o_maildesk_draft");
    expect(queryAll(".o_maildesk_draft strong").map((el) => el.textContent)).toEqual(["Offer for ACME", "(no subject)"]);
    expect(".o_maildesk_draft[data-id='42'] .badge").toHaveText("Not sent");
    expect(JSON.stringify(domains[0])).toInclude('["account_id","=",1]');
    await click(".o_maildesk_draft[data-id='41']");
    await settle();
    expect(store.state.composer.mode).toBe("draft");
    expect(store.state.composer.draftId).toBe(41);
});
