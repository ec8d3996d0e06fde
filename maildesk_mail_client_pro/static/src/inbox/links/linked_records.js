import { Component, onMounted, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { READING_PANE_EXTENSION_PROPS } from "@maildesk_mail_client/inbox/reading_pane/extensions";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { linksState, loadLinks } from "./links_state";

/** The records the open message is linked to, as chips: a click opens the record. */
export class LinkedRecords extends Component {
    static template = "maildesk_mail_client_pro.LinkedRecords";
    static props = READING_PANE_EXTENSION_PROPS;

    setup() {
        this.action = useService("action");
        this.links = useState(linksState(this.props.store));
        onMounted(() => loadLinks(this.props.store, this.props.openMessage.id));
    }

    get entry() {
        return this.links[this.props.openMessage.id] || { links: [], error: "" };
    }

    /** Opened by model and id through the action service: a link's URL is never followed. */
    openRecord(link) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: link.res_model,
            res_id: link.res_id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    async remove(link) {
        const store = this.props.store;
        try {
            await store.rpc("remove_link", { link_id: link.id });
        } catch (error) {
            store.notify(errorMessage(error), "danger");
            return;
        }
        await loadLinks(store, this.props.openMessage.id);
    }
}

registry.category("maildesk.reading_pane.panels").add("maildesk_links", LinkedRecords, { sequence: 5 });
