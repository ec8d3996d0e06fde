import { describe, expect, test } from "@odoo/hoot";
import { click, waitFor } from "@odoo/hoot-dom";
import { Component, xml } from "@odoo/owl";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { onRpc } from "@web/../tests/web_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import {
    READING_PANE_EXTENSION_PROPS,
    draftsViewSections,
    readingPaneActions,
    readingPanePanels,
} from "@maildesk_mail_client/inbox/reading_pane/extensions";
import { TREES, fakeMailboxSync } from "./shell_test_helpers";
import { messageBody, mountPart, settle, threadMessage } from "./reader_test_helpers";

describe.current.tags("desktop");
defineMailModels();

/** What another addon's panel would read from its props. */
class ProbePanel extends Component {
    static template = xml`
        <div class="o_probe_panel">
            <span class="o_probe_open" t-esc="props.openMessage.id"/>
            <span class="o_probe_account" t-esc="props.accountId"/>
            <span class="o_probe_count" t-esc="props.messages.length"/>
            <span class="o_probe_body" t-esc="bodyText"/>
        </div>`;
    static props = READING_PANE_EXTENSION_PROPS;

    get bodyText() {
        return this.props.bodies[this.props.openMessage.id]?.body_text || "";
    }
}

class ProbeAction extends Component {
    static template = xml`<button class="btn btn-light o_probe_action" t-on-click="reply">probe</button>`;
    static props = READING_PANE_EXTENSION_PROPS;

    reply() {
        this.props.store.openComposer({ mode: "reply", indexId: this.props.openMessage.id, body: "From the probe" });
    }
}

function conversation(messages) {
    const byId = Object.fromEntries(messages.map((m) => [m.id, m]));
    return fakeMailboxSync({
        handlers: {
            get_thread: ({ index_id }) => ({ thread_id: "t-conv", messages: messages.filter((m) => m.id >= index_id) }),
            get_message: ({ index_id }) => messageBody(byId[index_id]),
        },
    });
}

test("registered panels show under the subject and actions in the toolbar, with the conversation", async () => {
    readingPanePanels.add("probe", ProbePanel);
    readingPaneActions.add("probe", ProbeAction);
    conversation([threadMessage(2, { account_id: 1 }), threadMessage(1, { account_id: 1, is_read: false })]);
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_probe_panel");
    await settle();
    expect(".o_maildesk_reading_toolbar .o_probe_action").toHaveCount(1);
    // the panel sits between the subject and the messages
    const subject = document.querySelector(".o_maildesk_thread_subject");
    const panel = document.querySelector(".o_probe_panel");
    const thread = document.querySelector(".o_maildesk_thread");
    const FOLLOWING = Node.DOCUMENT_POSITION_FOLLOWING;
    expect(subject.compareDocumentPosition(panel) & FOLLOWING).toBe(FOLLOWING);
    expect(panel.compareDocumentPosition(thread) & FOLLOWING).toBe(FOLLOWING);
    expect(".o_probe_open").toHaveText("1");
    expect(".o_probe_account").toHaveText("1");
    expect(".o_probe_count").toHaveText("2");
    expect(".o_probe_body").toHaveText("Body of 1");
    await click(".o_probe_action");
    expect(store.state.composer).toEqual({ mode: "reply", indexId: 1, draftId: null, body: "From the probe",
                                           notice: "", key: store.state.composer.key });
    // another conversation: the panel is mounted again for it
    store.state.openMessageId = 2;
    await waitFor(".o_probe_open:contains(2)");
    expect(".o_probe_count").toHaveText("1");
});

test("without a registered panel the reading pane is as before", async () => {
    conversation([threadMessage(1)]);
    await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_thread_subject");
    expect(".o_maildesk_panels").toHaveCount(0);
});

class ProbeSection extends Component {
    static template = xml`<div class="o_probe_section">Scheduled of <t t-esc="props.accountId"/></div>`;
    static props = ["store", "accountId"];
}

test("the Drafts folder view shows the registered sections under the drafts", async () => {
    draftsViewSections.add("probe", ProbeSection);
    fakeMailboxSync();
    onRpc("maildesk.draft", "search_read", () => []);
    const folders = { ...TREES, 1: [...TREES[1], { id: 14, name: "Drafts", folder_type: "drafts", unread_count: 0, children: [] }] };
    await mountPart(ReadingPane, { route: { folderId: 14 }, folders });
    await waitFor(".o_maildesk_drafts .o_probe_section");
    expect(".o_probe_section").toHaveText("Scheduled of 1");
});
