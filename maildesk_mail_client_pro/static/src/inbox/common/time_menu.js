import { Component } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { PickDateTimeDialog } from "./pick_datetime_dialog";
import { PRESETS, presetTime, readable } from "./when";

/**
 * A button opening "when?": a few preset times (each with the moment it means) and
 * "Pick a date and time…". Send later and Snooze are this menu with their own action.
 * Choices carry `data-choice` (a preset's name, or "pick") for tours and tests.
 */
export class TimeMenu extends Component {
    static template = "maildesk_mail_client_pro.TimeMenu";
    static components = { Dropdown, DropdownItem };
    static props = {
        presets: Array,
        label: String,
        buttonClass: String,
        pickTitle: String,
        pickConfirm: String,
        onChosen: Function,
        position: { type: String, optional: true },
        disabled: { type: Boolean, optional: true },
    };

    setup() {
        this.dialog = useService("dialog");
    }

    get choices() {
        return this.props.presets.map((name) => ({ name, label: PRESETS[name].label(), when: readable(presetTime(name)) }));
    }

    choose(name) {
        return this.props.onChosen(presetTime(name));
    }

    pick() {
        this.dialog.add(PickDateTimeDialog, {
            title: this.props.pickTitle,
            confirmLabel: this.props.pickConfirm,
            onPicked: (when) => this.props.onChosen(when),
        });
    }
}
