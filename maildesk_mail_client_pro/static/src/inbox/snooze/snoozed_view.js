import { Component, onMounted, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { inboxViews } from "@maildesk_mail_client/inbox/sidebar/inbox_views";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { readable } from "../common/when";

/** Snoozed conversations shown at once; past that, the view says how many more wait. */
export const SNOOZED_LIMIT = 200;

/**
 * The Snoozed view (sidebar, under All Mailboxes): every snoozed conversation of the user's
 * mailboxes with the time it comes back, each with Unsnooze. Opening one reads it as usual.
 */
export class SnoozedView extends Component {
    static template = "maildesk_mail_client_pro.SnoozedView";
    static props = ["store"];

    setup() {
        this.orm = useService("orm");
        this.state = useState({ rows: [], total: 0, wakeAt: {}, loaded: false, error: "" });
        onMounted(() => this.load());
    }

    get store() {
        return this.props.store;
    }

    async load() {
        try {
            const page = await this.store.rpc("message_search_load", {
                account_id: null, folder_id: null, filters: { snoozed: true }, search: "",
                offset: 0, limit: SNOOZED_LIMIT, order: "date_desc", threaded: true,
            });
            this.state.rows = page.records || [];
            this.state.total = page.total ?? this.state.rows.length;
            this.state.error = "";
            await this.loadWakeTimes();
        } catch (error) {
            this.state.error = errorMessage(error);
        }
        this.state.loaded = true;
    }

    /** The list's cards carry no snooze time: it is read from the rows themselves. */
    async loadWakeTimes() {
        const ids = this.state.rows.map((row) => row.id);
        if (!ids.length) {
            return;
        }
        const read = await this.orm.read("maildesk.message_index", ids, ["snoozed_until"]);
        this.state.wakeAt = Object.fromEntries(read.map((r) => [r.id, r.snoozed_until]));
    }

    wakeUp(row) {
        const when = this.state.wakeAt[row.id];
        return when ? _t("until %s", readable(when)) : "";
    }

    sender(row) {
        return row.sender_display_name || row.from_addr || _t("(unknown sender)");
    }

    isOpen(row) {
        return this.store.state.openMessageId === row.id;
    }

    async unsnooze(row) {
        try {
            await this.store.rpc("unsnooze_messages", { index_ids: [row.id], conversations: true });
        } catch (error) {
            this.store.notify(errorMessage(error), "danger");
            return;
        }
        this.state.rows = this.state.rows.filter((r) => r.id !== row.id);
        this.state.total = Math.max(0, this.state.total - 1);
        this.store.notify(_t("Back in the inbox."), "success");
        this.store.refreshCounts();
    }
}

inboxViews.add("snoozed", {
    title: _t("Snoozed"),
    icon: "fa-clock-o",
    component: SnoozedView,
}, { sequence: 10 });
