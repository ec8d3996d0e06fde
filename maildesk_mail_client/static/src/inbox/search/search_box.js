import { Component, onWillUnmount, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

/** Wait this long after the last key press before asking the server. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * The search box. The raw text goes to the server, which parses the syntax (from:, is:unread,
 * "quoted phrases"...); a new search aborts the one still running.
 */
export class SearchBox extends Component {
    static template = "maildesk_mail_client.SearchBox";
    static props = ["store"];

    setup() {
        this.inputRef = useRef("input");
        this.local = useState({ text: this.props.store.state.query.search, typing: false });
        this.timer = null;
        onWillUnmount(() => clearTimeout(this.timer));
    }

    get state() {
        return this.props.store.state;
    }

    get placeholder() {
        return _t("Search mail (from: to: subject: is:unread has:attachment tag: ...)");
    }

    get busy() {
        return this.local.typing || this.state.searching;
    }

    onInput(ev) {
        this.local.text = ev.target.value;
        this.local.typing = true;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.submit(), SEARCH_DEBOUNCE_MS);
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            this.submit();
        } else if (ev.key === "Escape") {
            if (this.local.text) {
                this.clear();
            } else {
                ev.target.blur();
            }
        }
    }

    submit() {
        clearTimeout(this.timer);
        this.local.typing = false;
        if (this.local.text !== this.state.query.search) {
            this.props.store.setSearch(this.local.text);
        }
    }

    clear() {
        this.local.text = "";
        this.submit();
    }

    focus() {
        this.inputRef.el?.focus();
        this.inputRef.el?.select();
    }
}
