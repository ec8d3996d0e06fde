import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { router } from "@web/core/browser/router";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Composer } from "./composer/composer";
import { ShortcutsDialog, useInboxHotkeys } from "./hotkeys/hotkeys";
import { MessageList } from "./message_list/message_list";
import { ReadingPane } from "./reading_pane/reading_pane";
import { SearchBox } from "./search/search_box";
import { Sidebar } from "./sidebar/sidebar";
import { InboxStore } from "./store";
import { UndoToasts } from "./toasts/undo_toasts";

/** While the inbox is open the server is told every so often (presence, "who has it open"). */
export const PRESENCE_INTERVAL_MS = 30000;

function toId(value) {
    const id = parseInt(value, 10);
    return Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * The inbox client action: sidebar, message list and reading pane around one store. Folder and
 * message are kept in the URL (/odoo/maildesk?folder=3&message=42) so reload and back work.
 */
export class MaildeskInbox extends Component {
    static template = "maildesk_mail_client.Inbox";
    static components = { Sidebar, MessageList, SearchBox, ReadingPane, Composer, UndoToasts };
    static props = ["*"];

    setup() {
        this.ui = useService("ui");
        this.dialogService = useService("dialog");
        this.bus = useService("bus_service");
        this.searchRef = useRef("search");
        this.layout = useState({ dialogOpen: false });
        const store = new InboxStore({
            orm: useService("orm"),
            notification: useService("notification"),
            dialog: this.dialogService,
            onRouteChange: (route) => this.pushRoute(route),
        });
        this.store = useState(store);
        this.rawStore = store;

        const params = { ...router.current, ...(this.props.action?.params || {}) };
        Object.assign(store.state.route, {
            accountId: toId(params.account),
            folderId: toId(params.folder),
            messageId: toId(params.message),
        });
        store.state.openMessageId = store.state.route.messageId;
        if (store.state.openMessageId) {
            store.state.pane = "reading";
        }

        onWillStart(async () => {
            await Promise.all([store.loadAccounts(), store.reload()]);
        });

        this.onChanged = (payload) => this.onBusChanged(payload);
        this.onPresence = (payload) => store.applyPresence(payload || {});
        onMounted(() => {
            this.bus.subscribe("maildesk/changed", this.onChanged);
            this.bus.subscribe("maildesk/presence", this.onPresence);
            if (!this.bus.isActive) {
                this.bus.start?.();
            }
            this.pollForUpdates();
            this.ping();
            this.pingTimer = setInterval(() => this.ping(), PRESENCE_INTERVAL_MS);
        });
        onWillUnmount(() => {
            clearInterval(this.pingTimer);
            this.bus.unsubscribe("maildesk/changed", this.onChanged);
            this.bus.unsubscribe("maildesk/presence", this.onPresence);
        });

        const whenList = () => !this.store.state.composer;
        const onRow = (fn) => () => {
            const row = this.store.cursorRow || this.openRow;
            if (row) {
                fn(row);
            }
        };
        useInboxHotkeys(
            {
                j: () => store.nextMessage(),
                k: () => store.previousMessage(),
                o: onRow((row) => store.openMessage(row.id)),
                enter: onRow((row) => store.openMessage(row.id)),
                u: () => store.closeMessage(),
                x: () => store.state.cursor >= 0 && store.toggleSelect(store.state.cursor),
                s: onRow((row) => store.applyChange(row.is_starred ? "unstar" : "star", [row.id])),
                e: () => this.actOnTarget("archive"),
                "#": () => this.actOnTarget("delete"),
                "shift+i": () => this.actOnTarget("read"),
                "shift+u": () => this.actOnTarget("unread"),
                r: onRow((row) => store.openComposer({ mode: "reply", indexId: row.id })),
                a: onRow((row) => store.openComposer({ mode: "reply_all", indexId: row.id })),
                f: onRow((row) => store.openComposer({ mode: "forward", indexId: row.id })),
                c: () => store.openComposer({ mode: "new" }),
                "/": () => this.focusSearch(),
                "?": () => this.openShortcuts(),
            },
            { isAvailable: whenList }
        );
    }

    get state() {
        return this.store.state;
    }

    get isSmall() {
        return this.ui.isSmall;
    }

    /** The open message's row, when it is loaded in the list. */
    get openRow() {
        const index = this.store.indexOf(this.state.openMessageId);
        return index >= 0 ? this.store.rowAt(index) : null;
    }

    /** A bulk action acts on the selection; without one, on the row under the keyboard. */
    actOnTarget(action) {
        if (this.store.hasSelection) {
            return this.store.applyChange(action);
        }
        const row = this.store.cursorRow || this.openRow;
        if (row) {
            const next = this.state.openMessageId === row.id;
            const index = this.store.indexOf(row.id);
            this.store.applyChange(action, [row.id]);
            if (next && ["archive", "delete"].includes(action)) {
                const following = this.store.rowAt(index);
                if (following) {
                    this.store.openMessage(following.id);
                }
            }
        }
    }

    focusSearch() {
        const input = document.querySelector(".o_maildesk_search input");
        input?.focus();
        input?.select();
    }

    pushRoute(route) {
        const patch = {
            account: route.folderId ? undefined : route.accountId || undefined,
            folder: route.folderId || undefined,
            message: route.messageId || undefined,
        };
        if (this.props.updateActionState) {
            this.props.updateActionState(patch);
        } else {
            router.pushState(patch);
        }
    }

    onBusChanged(payload = {}) {
        const { folderId, accountId } = this.state.route;
        const folders = payload.folder_ids || [];
        const shown = folderId
            ? folders.includes(folderId)
            : !accountId || accountId === payload.account_id;
        if (shown) {
            this.store.refresh();
        } else {
            this.store.refreshCounts();
        }
    }

    /** The inbox is open: ask each mailbox the user is on for a sync now. */
    pollForUpdates() {
        for (const account of this.state.accounts) {
            if (account.is_member !== false) {
                this.store.rpc("poll_for_updates", { account_id: account.id }).catch(() => {});
            }
        }
    }

    /** Heartbeat of the open inbox. While a conversation is open its reading pane pings
     * instead (with its viewing / replying mode): two pingers would disagree on the mode and
     * announce a change to the teammates every time. */
    ping() {
        if (this.state.openMessageId) {
            return;
        }
        this.store.rpc("presence_ping", { index_id: false, mode: "viewing" }).catch(() => {});
    }

    get title() {
        return this.store.currentTitle;
    }

    openShortcuts() {
        this.dialogService.add(ShortcutsDialog, {});
    }

    showPane(pane) {
        this.state.pane = pane;
    }
}

registry.category("actions").add("maildesk_mail_client.inbox", MaildeskInbox);
