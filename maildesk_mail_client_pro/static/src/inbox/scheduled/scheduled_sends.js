import { Component, onMounted, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { readable } from "../common/when";

/** Cancel a scheduled send (the queue keeps the cancellation as an entry of its own). */
export async function cancelScheduled(orm, notification, queueId) {
    try {
        await orm.call("mailbox.sync", "cancel_scheduled", [], { queue_id: queueId });
    } catch (error) {
        notification.add(errorMessage(error), { type: "danger" });
        return false;
    }
    notification.add(_t("Not sent: the message is back in Drafts."), { type: "info" });
    return true;
}

/** Under the Drafts folder's drafts: the messages waiting to be sent later, each with Cancel. */
export class ScheduledSends extends Component {
    static template = "maildesk_mail_client_pro.ScheduledSends";
    static props = { store: Object, accountId: { optional: true } };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ rows: [], loaded: false, error: "" });
        onMounted(() => this.load());
    }

    async load() {
        try {
            const rows = await this.props.store.rpc("list_scheduled", { account_id: this.props.accountId || false });
            this.state.rows = rows.filter((row) => row.state === "pending");
            this.state.error = "";
        } catch (error) {
            this.state.error = errorMessage(error);
        }
        this.state.loaded = true;
    }

    async cancel(row) {
        if (await cancelScheduled(this.orm, this.notification, row.queue_id)) {
            await this.load();
        }
    }

    when(row) {
        return readable(row.scheduled_at);
    }

    recipients(row) {
        const to = Array.isArray(row.to) ? row.to.join(", ") : String(row.to || "").split("\n").join(", ");
        return to || _t("(no recipient)");
    }
}

registry.category("maildesk.drafts_view.sections").add("maildesk_scheduled", ScheduledSends, { sequence: 10 });
