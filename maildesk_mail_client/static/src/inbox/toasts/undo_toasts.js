import { Component } from "@odoo/owl";

/** The change toasts at the bottom of the inbox, each with Undo while the server allows it. */
export class UndoToasts extends Component {
    static template = "maildesk_mail_client.UndoToasts";
    static props = ["store"];
}
