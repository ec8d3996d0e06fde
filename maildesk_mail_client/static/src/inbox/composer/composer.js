import { Component, xml } from "@odoo/owl";

/** The composer (placeholder until it is built). */
export class Composer extends Component {
    static template = xml`<div class="o_maildesk_composer"/>`;
    static props = ["*"];
}
