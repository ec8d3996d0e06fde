import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { READING_PANE_EXTENSION_PROPS } from "@maildesk_mail_client/inbox/reading_pane/extensions";
import { LinkRecordDialog } from "./link_dialog";
import { loadLinks } from "./links_state";

/** "Link to record" in the reading pane's toolbar. */
export class LinkAction extends Component {
    static template = "maildesk_mail_client_pro.LinkAction";
    static props = READING_PANE_EXTENSION_PROPS;

    setup() {
        this.dialog = useService("dialog");
    }

    open() {
        const { store, openMessage } = this.props;
        this.dialog.add(LinkRecordDialog, {
            store,
            indexId: openMessage.id,
            onLinked: () => loadLinks(store, openMessage.id),
        });
    }
}

registry.category("maildesk.reading_pane.actions").add("maildesk_link", LinkAction, { sequence: 20 });
