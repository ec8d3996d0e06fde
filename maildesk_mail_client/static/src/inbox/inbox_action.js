import { Component, xml } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { ReadingPane } from "./reading_pane/reading_pane";
import { Composer } from "./composer/composer";

/** The inbox client action (placeholder: the shell is built by issue 8's work). */
export class MaildeskInbox extends Component {
    static template = xml`<div class="o_maildesk_inbox"><ReadingPane/><Composer/></div>`;
    static components = { ReadingPane, Composer };
    static props = ["*"];
}

registry.category("actions").add("maildesk_mail_client.inbox", MaildeskInbox);
