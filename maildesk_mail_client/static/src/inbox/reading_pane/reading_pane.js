import { Component, xml } from "@odoo/owl";

/** The reading pane (placeholder until it is built): the open conversation. */
export class ReadingPane extends Component {
    static template = xml`<div class="o_maildesk_reading_pane"/>`;
    static props = ["*"];
}
