import { Component, useExternalListener } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { useHotkey } from "@web/core/hotkeys/hotkey_hook";
import { _t } from "@web/core/l10n/translation";

/** The shortcuts (Gmail's set), as shown by "?". */
export function shortcutList() {
    return [
        ["j / k", _t("Next / previous conversation")],
        ["o / Enter", _t("Open the conversation")],
        ["u", _t("Back to the list")],
        ["x", _t("Select the conversation")],
        ["s", _t("Star or remove the star")],
        ["e", _t("Archive")],
        ["#", _t("Delete")],
        ["Shift+I / Shift+U", _t("Mark as read / unread")],
        ["r", _t("Reply")],
        ["a", _t("Reply all")],
        ["f", _t("Forward")],
        ["c", _t("Compose")],
        ["/", _t("Search")],
        ["?", _t("This list of shortcuts")],
    ];
}

export class ShortcutsDialog extends Component {
    static template = "maildesk_mail_client.ShortcutsDialog";
    static components = { Dialog };
    static props = ["close"];

    get shortcuts() {
        return shortcutList();
    }
}

/** Whether a key press belongs to a field the user is typing in. */
export function isEditable(target) {
    if (!target || !target.closest) {
        return false;
    }
    return Boolean(
        target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")
    );
}

/**
 * The inbox's keyboard. Letters go through Odoo's hotkey service; symbols (#, /, ?) cannot be
 * hotkeys there, so a window listener takes them, with the same guard for editable fields.
 * `handlers` maps a key name to a function.
 */
export function useInboxHotkeys(handlers, { isAvailable = () => true } = {}) {
    const letters = ["j", "k", "o", "enter", "u", "e", "s", "r", "a", "f", "c", "x", "shift+i", "shift+u"];
    for (const key of letters) {
        if (handlers[key]) {
            // Enter on a focused button or link is that button's, not "open the conversation"
            const available = key === "enter"
                ? (target) => isAvailable() && !target?.closest?.("button, a, [role=button]")
                : isAvailable;
            useHotkey(key, () => handlers[key](), { isAvailable: available });
        }
    }
    const symbols = { "#": handlers["#"], "/": handlers["/"], "?": handlers["?"] };
    useExternalListener(window, "keydown", (ev) => {
        const handler = symbols[ev.key];
        if (!handler || ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) {
            return;
        }
        if (isEditable(ev.target) || !isAvailable()) {
            return;
        }
        ev.preventDefault();
        handler();
    });
}
