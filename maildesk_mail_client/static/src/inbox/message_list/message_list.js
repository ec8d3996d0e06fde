import { Component, onMounted, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { useService } from "@web/core/utils/hooks";
import { errorMessage, flattenFolders } from "../store";
import { viewComponent } from "../sidebar/inbox_views";

/** Every row has this height (px): the list places rows by index, never measures them. */
export const ROW_HEIGHT = 64;
/** Rows rendered above and below the visible ones. */
export const ROW_BUFFER = 8;

const { DateTime } = luxon;

/** "14:05" today, "3 Nov" this year, "03/11/2025" before. */
export function shortDate(value) {
    if (!value) {
        return "";
    }
    let date;
    try {
        date = deserializeDateTime(value);
    } catch {
        date = DateTime.fromISO(value);
    }
    if (!date?.isValid) {
        return "";
    }
    const now = DateTime.local();
    if (date.hasSame(now, "day")) {
        return date.toLocaleString(DateTime.TIME_SIMPLE);
    }
    if (date.hasSame(now, "year")) {
        return date.toLocaleString({ day: "numeric", month: "short" });
    }
    return date.toLocaleString(DateTime.DATE_SHORT);
}

export class MessageRow extends Component {
    static template = "maildesk_mail_client.MessageRow";
    static props = ["store", "row", "index", "top"];

    get store() {
        return this.props.store;
    }

    get classes() {
        const { row, index } = this.props;
        const state = this.store.state;
        return {
            o_maildesk_unread: !row.is_read,
            o_maildesk_starred: row.is_starred,
            o_maildesk_selected: this.store.isSelected(row.id),
            o_maildesk_cursor: state.cursor === index,
            o_maildesk_open: state.openMessageId === row.id,
        };
    }

    get sender() {
        const row = this.props.row;
        return row.sender_display_name || row.from_addr || _t("(unknown sender)");
    }

    get subject() {
        return this.props.row.subject || _t("(no subject)");
    }

    get starTitle() {
        return this.props.row.is_starred ? _t("Remove star") : _t("Star");
    }

    get date() {
        return shortDate(this.props.row.date);
    }

    get presence() {
        return this.store.state.presence[this.props.row.id] || [];
    }

    initials(name) {
        return (name || "?")
            .split(/\s+/)
            .filter(Boolean)
            .slice(0, 2)
            .map((w) => w[0].toUpperCase())
            .join("");
    }

    presenceTitle(user) {
        return user.mode === "replying"
            ? _t("%s is replying", user.name)
            : _t("%s is viewing", user.name);
    }

    onClick(ev) {
        const { index, row } = this.props;
        if (ev.shiftKey || ev.ctrlKey || ev.metaKey) {
            ev.preventDefault();
            this.store.toggleSelect(index, { range: ev.shiftKey });
            return;
        }
        this.store.state.selection.anchor = index;
        this.store.openMessage(row.id);
    }

    onCheck(ev) {
        ev.stopPropagation();
        this.store.toggleSelect(this.props.index, { range: ev.shiftKey });
    }

    onStar(ev) {
        ev.stopPropagation();
        const row = this.props.row;
        this.store.applyChange(row.is_starred ? "unstar" : "star", [row.id]);
    }
}

/**
 * The message list: a virtualised list of fixed-height rows over the store's sparse page cache.
 * Only the rows in view (plus a small buffer) are in the DOM; the scroll height spans the whole
 * total, and the pages under the view are fetched as the user scrolls.
 */
export class FolderMessageList extends Component {
    static template = "maildesk_mail_client.MessageList";
    static components = { MessageRow };
    static props = ["store"];

    setup() {
        this.dialog = useService("dialog");
        this.scrollRef = useRef("scroller");
        this.view = useState({ start: 0, end: 20, menu: null });
        this.frame = null;
        this.onScroll = () => {
            if (!this.frame) {
                this.frame = requestAnimationFrame(() => {
                    this.frame = null;
                    this.updateRange();
                });
            }
        };
        onMounted(() => {
            this.resizeObserver = new ResizeObserver(() => this.updateRange());
            this.resizeObserver.observe(this.scrollRef.el);
            this.updateRange();
        });
        onWillUnmount(() => {
            this.resizeObserver?.disconnect();
            if (this.frame) {
                cancelAnimationFrame(this.frame);
            }
        });
        // A new list starts at the top; once the first page is in, fill the whole viewport.
        useEffect(
            () => {
                if (this.scrollRef.el && !this.state.list.loaded) {
                    this.scrollRef.el.scrollTop = 0;
                }
                this.updateRange();
            },
            () => [this.state.list.loaded, this.state.list.total]
        );
        // Keep the keyboard's row in view.
        useEffect(
            (cursor) => this.scrollToIndex(cursor),
            () => [this.state.cursor]
        );
    }

    get store() {
        return this.props.store;
    }

    get state() {
        return this.props.store.state;
    }

    updateRange() {
        const el = this.scrollRef.el;
        if (!el) {
            return;
        }
        // never more than the window: a list without a bounded height still renders a screenful
        const height = Math.min(el.clientHeight || window.innerHeight, window.innerHeight);
        const total = this.state.list.total;
        const first = Math.floor(el.scrollTop / ROW_HEIGHT);
        const start = Math.max(0, first - ROW_BUFFER);
        const end = Math.min(total, first + Math.ceil(height / ROW_HEIGHT) + ROW_BUFFER);
        if (start !== this.view.start || end !== this.view.end) {
            Object.assign(this.view, { start, end });
        }
        this.store.setVisibleRange(start, end);
        if (this.state.list.loaded && total) {
            this.store.ensureRows(start, Math.max(start, end - 1));
        }
    }

    scrollToIndex(index) {
        const el = this.scrollRef.el;
        if (!el || index < 0) {
            return;
        }
        const top = index * ROW_HEIGHT;
        if (top < el.scrollTop) {
            el.scrollTop = top;
        } else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
            el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
        }
        this.updateRange();
    }

    /** The rows to render: [{index, row (or null while its page loads), top}]. */
    get visibleRows() {
        const rows = [];
        const end = Math.min(this.view.end, this.state.list.total);
        for (let i = this.view.start; i < end; i++) {
            rows.push({ index: i, row: this.store.rowAt(i), top: i * ROW_HEIGHT });
        }
        return rows;
    }

    get spacerHeight() {
        return this.state.list.total * ROW_HEIGHT;
    }

    get totalLabel() {
        const { total, estimate } = this.state.list;
        return estimate ? _t("about %s", total.toLocaleString()) : total.toLocaleString();
    }

    // -- toolbar ---------------------------------------------------------------------------------
    get pageAllSelected() {
        const rows = this.store.loadedRows();
        return rows.length > 0 && rows.every((r) => this.store.isSelected(r.id));
    }

    get selectionCount() {
        const sel = this.state.selection;
        return sel.allMatching ? sel.matchingCount : this.store.selectedIds.length;
    }

    get moveTargets() {
        const { folderId, accountId } = this.state.route;
        const account = this.store.folderById(folderId)?.account_id || accountId;
        const trees = account
            ? [[this.store.accountById(account), this.state.folders[account]]]
            : this.state.accounts.map((a) => [a, this.state.folders[a.id]]);
        const out = [];
        for (const [acc, tree] of trees) {
            for (const { folder, depth } of flattenFolders(tree)) {
                if (folder.id !== folderId) {
                    out.push({ folder, depth, account: acc?.name || "" });
                }
            }
        }
        return out;
    }

    toggleSelectPage() {
        if (this.pageAllSelected) {
            this.store.clearSelection();
        } else {
            this.store.selectPage();
        }
    }

    async selectAllMatching() {
        let count;
        try {
            count = await this.store.countMatching();
        } catch (error) {
            this.store.notify(errorMessage(error), "danger");
            return;
        }
        this.dialog.add(ConfirmationDialog, {
            title: _t("Select all matching messages"),
            body: _t(
                "Select all %s messages matching this view? Actions will apply to all of them, including those not loaded in the list.",
                count.toLocaleString()
            ),
            confirmLabel: _t("Select all %s", count.toLocaleString()),
            confirm: () => this.store.selectAllMatching(count),
            cancel: () => {},
        });
    }

    act(action, extra = {}) {
        this.view.menu = null;
        this.store.applyChange(action, null, extra);
    }

    /** Tags for the selection with this one added (or removed when every selected row has it). */
    tagIdsWith(tagId) {
        const selected = new Set(this.store.selectedIds);
        const rows = this.store.loadedRows().filter((r) => selected.has(r.id));
        const ids = new Set(rows.flatMap((r) => (r.tags || []).map((t) => t.id)));
        const everyHas = rows.length && rows.every((r) => (r.tags || []).some((t) => t.id === tagId));
        if (everyHas) {
            ids.delete(tagId);
        } else {
            ids.add(tagId);
        }
        return [...ids];
    }

    toggleMenu(name) {
        this.view.menu = this.view.menu === name ? null : name;
    }

    toggleFilter(name) {
        this.store.toggleFilter(name);
    }
}

/** The list pane: a folder's list, or the registered view the sidebar opened (inbox_views.js). */
export class MessageList extends Component {
    static template = "maildesk_mail_client.ListPane";
    static components = { FolderMessageList };
    static props = ["store"];

    get viewComponent() {
        return viewComponent(this.props.store);
    }
}
