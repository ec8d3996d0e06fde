import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { TimeMenu } from "../common/time_menu";
import { readable, toServer } from "../common/when";
import { cancelScheduled } from "./scheduled_sends";

export const SEND_LATER_PRESETS = ["tomorrow", "monday"];

/**
 * "Send later" next to Send: the draft is saved and handed to the server's update queue,
 * which sends it at the time through the normal sending path. A toast offers Cancel; the
 * Drafts folder lists what is scheduled.
 */
export class SendLater extends Component {
    static template = "maildesk_mail_client_pro.SendLater";
    static components = { TimeMenu };
    static props = { composer: Object };

    setup() {
        // the services themselves, not useService's: the toast's Cancel runs after this
        // component is gone with the composer, when a component-bound call would be refused
        this.orm = this.env.services.orm;
        this.notification = this.env.services.notification;
        this.presets = SEND_LATER_PRESETS;
    }

    async schedule(when) {
        const composer = this.props.composer;
        const values = await composer.readyToSend();
        if (!values) {
            return; // the composer says what is missing
        }
        let answer;
        try {
            answer = await this.orm.call("mailbox.sync", "schedule_send", [], { send_at: toServer(when), ...values });
        } catch (error) {
            this.notification.add(errorMessage(error), { type: "danger" });
            return;
        }
        const queueId = answer?.queue_id;
        composer.handedOver();
        this.notification.add(_t("Scheduled for %s.", readable(answer?.scheduled_at || when)), {
            type: "success",
            className: "o_maildesk_scheduled_toast",
            buttons: queueId ? [{ name: _t("Cancel"), onClick: () => cancelScheduled(this.orm, this.notification, queueId) }] : [],
        });
    }
}

registry.category("maildesk.composer.tools").add("maildesk_send_later", SendLater, { sequence: 10 });
