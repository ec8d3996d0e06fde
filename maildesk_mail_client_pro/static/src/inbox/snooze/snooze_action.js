import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { READING_PANE_EXTENSION_PROPS } from "@maildesk_mail_client/inbox/reading_pane/extensions";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { TimeMenu } from "../common/time_menu";
import { readable, toServer } from "../common/when";

export const SNOOZE_PRESETS = ["later_today", "tomorrow", "next_week"];

/**
 * Snooze in the reading pane's toolbar: the conversation leaves the inbox and comes back,
 * unread, at the time chosen (the server's update queue brings it back).
 */
export class SnoozeAction extends Component {
    static template = "maildesk_mail_client_pro.SnoozeAction";
    static components = { TimeMenu };
    static props = READING_PANE_EXTENSION_PROPS;

    setup() {
        this.notification = useService("notification");
        this.presets = SNOOZE_PRESETS;
    }

    async snooze(when) {
        const store = this.props.store;
        const ids = [this.props.openMessage.id];
        let answer;
        try {
            answer = await store.rpc("snooze_messages", {
                index_ids: ids,
                until: toServer(when),
                conversations: Boolean(store.state.query?.threaded),
            });
        } catch (error) {
            store.notify(errorMessage(error), "danger");
            return;
        }
        this.notification.add(_t("Snoozed until %s.", readable(answer?.until || when)), {
            type: "success",
            className: "o_maildesk_snoozed_toast",
            buttons: [{ name: _t("Undo"), onClick: () => this.unsnooze(ids) }],
        });
        store.closeMessage();
        store.refresh();
    }

    async unsnooze(ids) {
        const store = this.props.store;
        try {
            await store.rpc("unsnooze_messages", { index_ids: ids });
        } catch (error) {
            store.notify(errorMessage(error), "danger");
            return;
        }
        store.notify(_t("Back in the inbox."), "success");
        store.refresh();
    }
}

registry.category("maildesk.reading_pane.actions").add("maildesk_snooze", SnoozeAction, { sequence: 10 });
