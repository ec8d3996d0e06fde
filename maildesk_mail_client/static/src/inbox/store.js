import { reactive } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

/** Rows per page fetched from the server; the list keeps a sparse cache of such pages. */
export const PAGE_SIZE = 50;
/** How long an undo toast stays (the server keeps the change undoable a little longer). */
export const UNDO_SECONDS = 6;

const ACTION_METHODS = {
    read: ["set_flags", { is_read: true }],
    unread: ["set_flags", { is_read: false }],
    star: ["set_flags", { is_starred: true }],
    unstar: ["set_flags", { is_starred: false }],
    archive: ["archive_messages", {}],
    delete: ["delete_messages", {}],
    move: ["move_messages", {}],
    tag: ["update_tags", {}],
};
const STAR_ACTIONS = new Set(["star", "unstar"]);
/** Actions after which the row leaves the folder shown. */
const REMOVING = new Set(["archive", "delete", "move"]);

export function errorMessage(error) {
    return error?.data?.message || error?.message || String(error);
}

function isAbort(error) {
    return error?.name === "AbortError" || error?.constructor?.name === "ConnectionAbortedError"
        || /abort/i.test(error?.message || "");
}

/** Flatten a folder tree into [{folder, depth}] in sidebar order. */
export function flattenFolders(tree, depth = 0, out = []) {
    for (const node of tree || []) {
        out.push({ folder: node, depth });
        flattenFolders(node.children, depth + 1, out);
    }
    return out;
}

/**
 * The inbox's one store: what is shown (mailboxes, folders, the list as a sparse page cache,
 * the selection, toasts) and every action on it. Everything comes from the mailbox.sync facade;
 * the store only mirrors what the server answered, plus optimistic changes it takes back when
 * the server refuses them.
 */
export class InboxStore {
    constructor({ orm, notification, dialog, onRouteChange } = {}) {
        this.orm = orm;
        this.notificationService = notification;
        this.dialog = dialog;
        this.onRouteChange = onRouteChange || (() => {});
        this.listSeq = 0;
        this.pending = {}; // page index -> promise, so a page is asked for once
        this.searchController = null;
        this.toastSeq = 0;
        this.state = reactive({
            accounts: [],
            folders: {}, // account id -> folder tree
            tags: [],
            route: { accountId: null, folderId: null, messageId: null },
            view: null, // {key, title}: a view another addon registered (inbox_views.js), shown instead of a folder
            openMessageId: null,
            composer: null,
            pane: "list", // on small screens: sidebar | list | reading
            query: { search: "", filters: { unread: false, starred: false, has_attachments: false }, threaded: true },
            list: { total: 0, estimate: false, pages: {}, loaded: false, loading: false, version: 0 },
            searching: false,
            serverSearch: null, // {loading, records, total, error}
            cursor: -1, // row index the keyboard is on
            selection: { ids: {}, anchor: null, allMatching: false, matchingCount: 0 },
            toasts: [],
            presence: {}, // index id -> [{user_id, name, mode}]
            error: null,
        });
    }

    // -- server -------------------------------------------------------------------------------
    /** One facade call; with a signal, aborting it aborts the request. */
    rpc(method, kwargs = {}, { signal } = {}) {
        const promise = this.orm.call("mailbox.sync", method, [], kwargs);
        if (signal) {
            if (signal.aborted) {
                promise.abort?.(false);
            }
            signal.addEventListener("abort", () => promise.abort?.(false), { once: true });
        }
        return promise;
    }

    notify(message, type = "info") {
        this.notificationService?.add(message, { type });
    }

    // -- sidebar ---------------------------------------------------------------------------------
    async loadAccounts() {
        let accounts = [];
        try {
            accounts = await this.rpc("get_account_list");
        } catch (error) {
            this.state.error = errorMessage(error);
            return;
        }
        this.state.accounts = accounts;
        await Promise.all(accounts.map((account) => this.loadFolders(account.id)));
        this.loadTags();
    }

    async loadFolders(accountId) {
        try {
            this.state.folders[accountId] = await this.rpc("get_folder_tree", { account_id: accountId });
        } catch {
            this.state.folders[accountId] = [];
        }
    }

    async loadTags() {
        try {
            this.state.tags = await this.orm.searchRead("mail.message.tag", [], ["name", "color"]);
        } catch {
            this.state.tags = [];
        }
    }

    folderById(folderId) {
        for (const tree of Object.values(this.state.folders)) {
            const found = flattenFolders(tree).find(({ folder }) => folder.id === folderId);
            if (found) {
                return found.folder;
            }
        }
        return null;
    }

    accountById(accountId) {
        return this.state.accounts.find((a) => a.id === accountId) || null;
    }

    /** Unread in a mailbox's inbox: the server's figure, else the inbox folder's count. */
    accountUnread(account) {
        if (typeof account.unread_inbox === "number") {
            return account.unread_inbox;
        }
        const inbox = flattenFolders(this.state.folders[account.id]).find(
            ({ folder }) => folder.folder_type === "inbox"
        );
        return inbox ? inbox.folder.unread_count || 0 : 0;
    }

    /** The unified inbox counts only the mailboxes the user is on (not those an admin may open). */
    get unifiedUnread() {
        return this.state.accounts
            .filter((a) => a.is_member !== false)
            .reduce((sum, a) => sum + this.accountUnread(a), 0);
    }

    get currentTitle() {
        const { folderId, accountId } = this.state.route;
        if (this.state.view) {
            return this.state.view.title;
        }
        if (folderId) {
            return this.folderById(folderId)?.name || _t("Folder");
        }
        if (accountId) {
            return this.accountById(accountId)?.name || _t("Inbox");
        }
        return _t("All Mailboxes");
    }

    // -- navigation ------------------------------------------------------------------------------
    setRoute(patch) {
        Object.assign(this.state.route, patch);
        this.onRouteChange({ ...this.state.route });
    }

    openFolder(folderId, accountId = null) {
        const folder = folderId ? this.folderById(folderId) : null;
        this.state.view = null;
        this.setRoute({ folderId: folderId || null, accountId: accountId || folder?.account_id || null, messageId: null });
        this.state.openMessageId = null;
        this.state.serverSearch = null;
        this.state.pane = "list";
        this.clearSelection();
        return this.reload();
    }

    /** Show a registered view (`key`, titled `title`) in the list's place, over all mailboxes. */
    openView(key, title) {
        this.state.view = { key, title };
        this.setRoute({ folderId: null, accountId: null, messageId: null });
        this.state.openMessageId = null;
        this.state.serverSearch = null;
        this.state.pane = "list";
        this.clearSelection();
    }

    openMessage(id) {
        this.state.openMessageId = id || null;
        const index = this.indexOf(id);
        if (index >= 0) {
            this.setCursor(index);
            const row = this.rowAt(index);
            if (row && !row.is_read) {
                row.is_read = true; // get_message marks it read on the server (members only)
            }
        }
        this.state.pane = id ? "reading" : "list";
        this.setRoute({ messageId: id || null });
    }

    closeMessage() {
        this.openMessage(null);
    }

    moveCursor(delta) {
        const total = this.state.list.total;
        if (!total) {
            return;
        }
        const next = Math.min(total - 1, Math.max(0, this.state.cursor + delta));
        this.setCursor(next);
        const row = this.rowAt(next);
        if (this.state.openMessageId && row) {
            this.openMessage(row.id);
        }
        return row;
    }

    nextMessage() {
        return this.moveCursor(1);
    }

    previousMessage() {
        return this.moveCursor(-1);
    }

    /** The keyboard's row, remembered by id too: rows move when others leave or arrive. */
    setCursor(index) {
        this.state.cursor = index;
        this.cursorId = index >= 0 ? this.rowAt(index)?.id ?? null : null;
    }

    /** After the list changed under it, the cursor goes back to its row, wherever it is now. */
    realignCursor() {
        const id = this.cursorId ?? this.state.openMessageId;
        if (id) {
            const index = this.indexOf(id);
            if (index >= 0) {
                this.state.cursor = index;
            }
        }
    }

    get cursorRow() {
        return this.state.cursor >= 0 ? this.rowAt(this.state.cursor) : null;
    }

    /**
     * Open the composer. `body` is where the user writes (a plain string is text and gets
     * escaped; markup() is HTML), the recipients and quote still come from the server;
     * `notice` is shown above the editor (e.g. who wrote that text).
     */
    openComposer({ mode = "new", indexId = null, draftId = null, body = null, notice = "" } = {}) {
        this.state.composer = { mode, indexId, draftId, body, notice, key: Date.now() + Math.random() };
    }

    closeComposer() {
        this.state.composer = null;
    }

    // -- list -----------------------------------------------------------------------------------------
    get listParams() {
        const { route, query } = this.state;
        const filters = {};
        for (const [key, on] of Object.entries(query.filters)) {
            if (on) {
                filters[key] = true;
            }
        }
        return {
            account_id: route.folderId ? null : route.accountId,
            folder_id: route.folderId,
            filters,
            search: query.search,
        };
    }

    rowAt(index) {
        const page = this.state.list.pages[Math.floor(index / PAGE_SIZE)];
        return page ? page[index % PAGE_SIZE] || null : null;
    }

    indexOf(id) {
        for (const [pageIndex, page] of Object.entries(this.state.list.pages)) {
            const i = page.findIndex((r) => r && r.id === id);
            if (i >= 0) {
                return Number(pageIndex) * PAGE_SIZE + i;
            }
        }
        return -1;
    }

    loadedRows() {
        return Object.values(this.state.list.pages).flat().filter(Boolean);
    }

    /** Start the list again (new folder, filter or search): the first page, then as scrolled. */
    async reload() {
        this.listSeq++;
        this.pending = {};
        this.searchController?.abort();
        this.searchController = new AbortController();
        const list = this.state.list;
        list.pages = {};
        list.loaded = false;
        list.version++;
        this.setCursor(-1);
        await this.fetchPage(0, { signal: this.searchController.signal });
    }

    /** Make sure the pages covering rows [start, end] are loaded (or asked for). */
    ensureRows(start, end) {
        const promises = [];
        const last = Math.max(start, end);
        for (let p = Math.floor(Math.max(0, start) / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) {
            if (!this.state.list.pages[p] && (p === 0 || p * PAGE_SIZE < this.state.list.total)) {
                promises.push(this.fetchPage(p));
            }
        }
        return Promise.all(promises);
    }

    fetchPage(pageIndex, { signal } = {}) {
        if (this.pending[pageIndex]) {
            return this.pending[pageIndex];
        }
        const seq = this.listSeq;
        const isFirst = pageIndex === 0;
        const list = this.state.list;
        if (isFirst) {
            list.loading = true;
            this.state.searching = Boolean(this.state.query.search);
        }
        const kwargs = {
            ...this.listParams,
            offset: pageIndex * PAGE_SIZE,
            limit: PAGE_SIZE,
            order: "date_desc",
            threaded: this.state.query.threaded,
        };
        const promise = this.rpc("message_search_load", kwargs, { signal })
            .then((result) => {
                if (seq !== this.listSeq) {
                    return; // an answer to a list the user has left
                }
                list.pages[pageIndex] = result.records || [];
                list.total = result.total ?? (result.records || []).length;
                list.estimate = Boolean(result.total_is_estimate);
                list.loaded = true;
                list.version++;
                this.state.error = null;
                this.loadPresence(result.records || []);
            })
            .catch((error) => {
                if (seq !== this.listSeq || isAbort(error)) {
                    return;
                }
                this.state.error = errorMessage(error);
                list.loaded = true;
            })
            .finally(() => {
                if (seq === this.listSeq) {
                    delete this.pending[pageIndex];
                    if (isFirst) {
                        list.loading = false;
                        this.state.searching = false;
                    }
                }
            });
        this.pending[pageIndex] = promise;
        return promise;
    }

    /** The list tells the store which rows are in view, so a refresh asks only for those. */
    setVisibleRange(start, end) {
        this.visibleRange = [start, end];
    }

    /**
     * The visible pages and the counts again (bus notification, undo). Other pages are dropped
     * from the cache and fetched again when scrolled to, so a refresh costs one or two pages
     * however far the user has scrolled.
     */
    async refresh() {
        const [start, end] = this.visibleRange || [0, PAGE_SIZE];
        const keep = new Set();
        for (let p = Math.floor(start / PAGE_SIZE); p <= Math.floor(Math.max(start, end - 1) / PAGE_SIZE); p++) {
            keep.add(p);
        }
        this.listSeq++;
        this.pending = {};
        this.state.list.loading = false;
        this.state.searching = false;
        for (const p of Object.keys(this.state.list.pages).map(Number)) {
            if (!keep.has(p)) {
                delete this.state.list.pages[p];
            }
        }
        await Promise.all([...keep].map((p) => this.fetchPage(p)));
        this.realignCursor();
        await this.refreshCounts();
    }

    async refreshCounts() {
        try {
            const accounts = await this.rpc("get_account_list");
            this.state.accounts = accounts;
            await Promise.all(accounts.map((a) => this.loadFolders(a.id)));
        } catch {
            // counts stay as they were; the next notification tries again
        }
    }

    setSearch(text) {
        this.state.query.search = text;
        this.state.serverSearch = null;
        this.clearSelection();
        return this.reload();
    }

    toggleFilter(name) {
        this.state.query.filters[name] = !this.state.query.filters[name];
        this.clearSelection();
        return this.reload();
    }

    setThreaded(threaded) {
        this.state.query.threaded = threaded;
        this.clearSelection();
        return this.reload();
    }

    async searchServer() {
        const text = this.state.query.search.trim();
        if (!text) {
            return;
        }
        this.state.serverSearch = { loading: true, records: [], total: 0, error: null };
        try {
            const { folderId, accountId } = this.state.route;
            const result = await this.rpc("search_server", {
                text,
                folder_id: folderId || null,
                account_id: folderId ? null : accountId,
            });
            this.state.serverSearch = { loading: false, records: result.records || [], total: result.total || 0, error: null };
        } catch (error) {
            this.state.serverSearch = { loading: false, records: [], total: 0, error: errorMessage(error) };
        }
    }

    // -- presence ------------------------------------------------------------------------------------
    async loadPresence(records) {
        const ids = records.map((r) => r.id);
        if (!ids.length) {
            return;
        }
        try {
            const presence = await this.rpc("get_presence", { index_ids: ids });
            for (const [id, users] of Object.entries(presence || {})) {
                this.state.presence[id] = users;
            }
        } catch {
            // presence is a nicety: without it the list still works
        }
    }

    applyPresence({ index_ids = [], users = [] }) {
        for (const id of index_ids) {
            this.state.presence[id] = users;
        }
    }

    // -- selection -----------------------------------------------------------------------------------
    get selectedIds() {
        return Object.keys(this.state.selection.ids).map(Number);
    }

    get hasSelection() {
        return this.state.selection.allMatching || this.selectedIds.length > 0;
    }

    isSelected(id) {
        return this.state.selection.allMatching || Boolean(this.state.selection.ids[id]);
    }

    clearSelection() {
        this.state.selection.ids = {};
        this.state.selection.anchor = null;
        this.state.selection.allMatching = false;
        this.state.selection.matchingCount = 0;
    }

    toggleSelect(index, { range = false } = {}) {
        const selection = this.state.selection;
        selection.allMatching = false;
        const row = this.rowAt(index);
        if (!row) {
            return;
        }
        if (range && selection.anchor !== null) {
            const [from, to] = [Math.min(selection.anchor, index), Math.max(selection.anchor, index)];
            for (let i = from; i <= to; i++) {
                const r = this.rowAt(i);
                if (r) {
                    selection.ids[r.id] = true;
                }
            }
        } else if (selection.ids[row.id]) {
            delete selection.ids[row.id];
        } else {
            selection.ids[row.id] = true;
        }
        selection.anchor = index;
    }

    /** Select the rows loaded in the list ("on the page": what the user can see). */
    selectPage() {
        this.state.selection.allMatching = false;
        for (const row of this.loadedRows()) {
            this.state.selection.ids[row.id] = true;
        }
    }

    async countMatching() {
        const { count } = await this.rpc("count_matching", this.listParams);
        return count;
    }

    /** After the user confirmed N: the next bulk action goes to apply_to_matching. */
    selectAllMatching(count) {
        this.selectPage();
        this.state.selection.allMatching = true;
        this.state.selection.matchingCount = count;
    }

    // -- changes -------------------------------------------------------------------------------------
    /**
     * Show the change at once, send it, and offer an undo; when the server refuses, put the rows
     * back as they were and show its message.
     */
    async applyChange(action, ids = null, extra = {}) {
        const [method, values] = ACTION_METHODS[action] || [];
        if (!method) {
            return;
        }
        const selection = this.state.selection;
        const allMatching = !ids && selection.allMatching;
        ids = ids || this.selectedIds;
        if (!allMatching && !ids.length) {
            return;
        }
        const undoRestore = this.applyLocally(action, ids, extra);
        const params = this.listParams;
        let answer;
        try {
            if (allMatching) {
                answer = await this.rpc("apply_to_matching", {
                    action,
                    expected_count: selection.matchingCount,
                    ...params,
                    target_folder_id: extra.targetFolderId || null,
                    tag_ids: extra.tagIds || null,
                });
            } else {
                // A row of the conversation list stands for its conversation in that folder
                // (archiving it archives all of it); a star belongs to one message, as in Gmail.
                const conversations =
                    extra.conversations ?? (this.state.query.threaded && !STAR_ACTIONS.has(action));
                const kwargs = { index_ids: ids, ...values, conversations };
                if (action === "move") {
                    kwargs.target_folder_id = extra.targetFolderId;
                }
                if (action === "tag") {
                    kwargs.tag_ids = extra.tagIds || [];
                }
                answer = await this.rpc(method, kwargs);
            }
        } catch (error) {
            undoRestore();
            this.notify(errorMessage(error), "danger");
            return;
        }
        if (allMatching || REMOVING.has(action)) {
            this.clearSelection();
        }
        if (allMatching) {
            this.refresh();
        }
        this.refreshCounts();
        const n = answer?.changed ?? ids.length;
        this.addToast(changeMessage(action, n), answer?.undo_token || false);
        return answer;
    }

    /** The optimistic part; returns a function that takes it back. */
    applyLocally(action, ids, extra) {
        const wanted = new Set(ids);
        const rows = this.loadedRows().filter((r) => wanted.has(r.id));
        const before = rows.map((r) => ({ row: r, is_read: r.is_read, is_starred: r.is_starred, tags: r.tags }));
        const flag = { read: ["is_read", true], unread: ["is_read", false], star: ["is_starred", true], unstar: ["is_starred", false] }[action];
        if (flag) {
            for (const r of rows) {
                r[flag[0]] = flag[1];
            }
        }
        if (action === "tag") {
            const tagIds = new Set(extra.tagIds || []);
            for (const r of rows) {
                r.tags = this.state.tags.filter((t) => tagIds.has(t.id));
            }
        }
        if (REMOVING.has(action) && !this.state.selection.allMatching) {
            const pages = this.state.list.pages;
            const snapshot = { pages: { ...pages }, total: this.state.list.total };
            for (const key of Object.keys(pages)) {
                pages[key] = pages[key].filter((r) => !wanted.has(r.id));
            }
            // Rows after a removed one moved up: pages that are not fully loaded are asked again.
            this.state.list.total = Math.max(0, this.state.list.total - rows.length);
            this.state.list.version++;
            this.realignCursor();
            if (wanted.has(this.state.openMessageId)) {
                this.state.openMessageId = null;
                this.setRoute({ messageId: null });
            }
            return () => {
                Object.assign(this.state.list.pages, snapshot.pages);
                this.state.list.total = snapshot.total;
                this.state.list.version++;
            };
        }
        return () => {
            for (const b of before) {
                Object.assign(b.row, { is_read: b.is_read, is_starred: b.is_starred, tags: b.tags });
            }
        };
    }

    // -- toasts ----------------------------------------------------------------------------------------
    addToast(message, undoToken) {
        const id = ++this.toastSeq;
        this.state.toasts.push({ id, message, undoToken });
        setTimeout(() => this.dismissToast(id), UNDO_SECONDS * 1000);
        return id;
    }

    dismissToast(id) {
        const i = this.state.toasts.findIndex((t) => t.id === id);
        if (i >= 0) {
            this.state.toasts.splice(i, 1);
        }
    }

    async undo(toastId) {
        const toast = this.state.toasts.find((t) => t.id === toastId);
        if (!toast?.undoToken) {
            return;
        }
        this.dismissToast(toastId);
        try {
            await this.rpc("undo_change", { undo_token: toast.undoToken });
            this.notify(_t("Undone."), "success");
        } catch (error) {
            this.notify(errorMessage(error), "warning");
        }
        await this.refresh();
    }
}

function changeMessage(action, n) {
    switch (action) {
        case "read":
            return _t("%s marked as read.", n);
        case "unread":
            return _t("%s marked as unread.", n);
        case "star":
            return _t("%s starred.", n);
        case "unstar":
            return _t("%s unstarred.", n);
        case "archive":
            return _t("%s archived.", n);
        case "delete":
            return _t("%s moved to Trash.", n);
        case "move":
            return _t("%s moved.", n);
        default:
            return _t("Tags updated on %s.", n);
    }
}
