import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { uniqueId } from "@web/core/utils/functions";
import { formatAddress, isValidEmail, parseAddress, sameAddress, splitAddressText } from "./addresses";

export const SUGGESTION_LIMIT = 8;
const SEPARATOR_KEYS = new Set([",", ";"]);

/**
 * To, Cc or Bcc as chips: contacts (res.partner by name or address, as Odoo's
 * recipients_input.js looks them up) and free addresses, checked as they are added; an
 * address the server would refuse shows red before Send is pressed.
 */
export class RecipientsField extends Component {
    static template = "maildesk_mail_client.RecipientsField";
    static props = {
        field: { type: String },
        label: { type: String },
        recipients: { type: Array },
        onAdd: { type: Function },
        onRemove: { type: Function },
        autofocus: { type: Boolean, optional: true },
        slots: { type: Object, optional: true },
    };

    setup() {
        this.orm = useService("orm");
        this.inputRef = useRef("input");
        this.inputId = uniqueId("o_maildesk_recipients_");
        this.state = useState({ text: "", suggestions: [], active: -1 });
        this.searchSeq = 0;
        this.search = useDebounced(this.searchContacts, 200);
    }

    isValid(recipient) {
        return isValidEmail(recipient.email);
    }

    chipText(recipient) {
        return recipient.name || recipient.email;
    }

    chipTitle(recipient) {
        if (!this.isValid(recipient)) {
            return _t("This address is not valid: %s", recipient.email || recipient.name);
        }
        return formatAddress(recipient);
    }

    suggestionLabel(partner) {
        return _t("%(name)s <%(email)s>", { name: partner.name || partner.display_name, email: partner.email });
    }

    // -- contacts ---------------------------------------------------------------------------------
    async searchContacts() {
        const term = this.state.text.trim();
        const seq = ++this.searchSeq;
        if (term.length < 2) {
            this.closeSuggestions();
            return;
        }
        let partners = [];
        try {
            partners = await this.orm.searchRead(
                "res.partner",
                [
                    ["email", "!=", false],
                    "|",
                    ["display_name", "ilike", term],
                    ["email", "ilike", term],
                ],
                ["display_name", "name", "email"],
                { limit: SUGGESTION_LIMIT }
            );
        } catch {
            partners = []; // contacts are a help: a free address still works
        }
        if (seq !== this.searchSeq) {
            return;
        }
        const taken = this.props.recipients;
        this.state.suggestions = partners.filter((p) => !taken.some((r) => sameAddress(r, p)));
        this.state.active = this.state.suggestions.length ? 0 : -1;
    }

    closeSuggestions() {
        this.searchSeq++;
        this.state.suggestions = [];
        this.state.active = -1;
    }

    /** The field's text, in the state and at once in the input: keys typed before the next
     * render must land in the emptied field, not after a committed address. */
    setText(text) {
        this.state.text = text;
        if (this.inputRef.el) {
            this.inputRef.el.value = text;
        }
    }

    pick(partner) {
        this.props.onAdd([{ name: partner.name || partner.display_name || "", email: partner.email, partnerId: partner.id }]);
        this.setText("");
        this.closeSuggestions();
        this.inputRef.el?.focus();
    }

    /** What was typed becomes chips (valid or not: an invalid one shows red). */
    commit(text = this.state.text) {
        const parts = splitAddressText(text).map(parseAddress).filter((r) => r.email);
        const fresh = parts.filter(
            (r, i) =>
                !this.props.recipients.some((x) => sameAddress(x, r)) &&
                parts.findIndex((y) => sameAddress(y, r)) === i
        );
        if (fresh.length) {
            this.props.onAdd(fresh);
        }
        this.setText("");
        this.closeSuggestions();
        return parts.length > 0;
    }

    // -- events ----------------------------------------------------------------------------------
    onInput(ev) {
        const value = ev.target.value;
        // A pasted list, or a separator typed: everything before the last separator is done.
        if (/[,;\n]/.test(value)) {
            const parts = splitAddressText(value);
            const endsOpen = !/[,;\n]\s*$/.test(value);
            const rest = endsOpen ? parts.pop() || "" : "";
            this.commit(parts.join(","));
            this.setText(rest);
        } else {
            this.state.text = value;
        }
        this.search();
    }

    onKeydown(ev) {
        const { suggestions, active } = this.state;
        const hasText = this.state.text.trim().length > 0;
        switch (ev.key) {
            case "ArrowDown":
            case "ArrowUp":
                if (suggestions.length) {
                    const step = ev.key === "ArrowDown" ? 1 : -1;
                    this.state.active = (active + step + suggestions.length) % suggestions.length;
                    ev.preventDefault();
                }
                return;
            case "Enter":
                if (ev.ctrlKey || ev.metaKey) {
                    this.commit(); // Ctrl+Enter sends: what was typed goes with it
                    return;
                }
                if (suggestions.length && active >= 0 && !isValidEmail(this.state.text.trim())) {
                    this.pick(suggestions[active]);
                    ev.preventDefault();
                } else if (hasText) {
                    this.commit();
                    ev.preventDefault();
                }
                return;
            case "Tab":
                if (hasText) {
                    if (suggestions.length && active >= 0 && !isValidEmail(this.state.text.trim())) {
                        this.pick(suggestions[active]);
                    } else {
                        this.commit();
                    }
                    ev.preventDefault();
                }
                return;
            case "Escape":
                if (suggestions.length) {
                    this.closeSuggestions();
                    ev.preventDefault();
                    ev.stopPropagation(); // closes the list, not the composer
                }
                return;
            case "Backspace":
                if (!this.state.text && this.props.recipients.length) {
                    this.props.onRemove(this.props.recipients.length - 1);
                    ev.preventDefault();
                }
                return;
        }
        if (SEPARATOR_KEYS.has(ev.key) && hasText && !this.state.text.includes('"')) {
            this.commit();
            ev.preventDefault();
        }
    }

    onBlur() {
        if (this.state.text.trim()) {
            this.commit();
        }
        this.closeSuggestions();
    }

    focus() {
        this.inputRef.el?.focus();
    }
}
