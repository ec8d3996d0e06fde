import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Dialog } from "@web/core/dialog/dialog";
import { fromLocalInput, presetTime, toLocalInput } from "./when";

/** "Pick a date and time": a future moment, for Send later and Snooze. */
export class PickDateTimeDialog extends Component {
    static template = "maildesk_mail_client_pro.PickDateTimeDialog";
    static components = { Dialog };
    static props = {
        title: String,
        confirmLabel: String,
        onPicked: Function,
        close: Function,
    };

    setup() {
        this.state = useState({ value: toLocalInput(presetTime("tomorrow")), error: "" });
    }

    confirm() {
        const when = fromLocalInput(this.state.value);
        if (!when || when <= luxon.DateTime.now()) {
            this.state.error = _t("Choose a date and time in the future.");
            return;
        }
        this.props.onPicked(when);
        this.props.close();
    }
}
