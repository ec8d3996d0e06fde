import { Component, onMounted, onWillUnmount, useEffect, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { user } from "@web/core/user";
import { useFileViewer } from "@web/core/file_viewer/file_viewer_hook";
import { MessageBody } from "./message_body";
import { DraftsList } from "./drafts_list";
import { flattenFolders } from "../store";
import { attachmentFiles, fileIcon, formatSize } from "./attachments";
import { readingPaneActions, readingPanePanels } from "./extensions";

/** Presence is told again this often while a conversation is open (the server forgets after 90 s). */
export const PRESENCE_INTERVAL_MS = 30000;

function errorText(error) {
    return error?.data?.message || error?.message || String(error);
}

/**
 * The open conversation: every message of the thread (the user's own replies from Sent too),
 * read ones collapsed to a line, the open and unread ones expanded with their body in a
 * sandboxed iframe. Bodies are asked for one by one (get_message), only when expanded.
 */
export class ReadingPane extends Component {
    static template = "maildesk_mail_client.ReadingPane";
    static components = { MessageBody, DraftsList };
    static props = { store: { type: Object } };

    setup() {
        this.store = this.props.store;
        this.storeState = useState(this.store.state);
        this.state = useState({
            loading: false,
            error: null,
            threadId: null,
            messages: [],
            expanded: {},
            bodies: {}, // index id -> get_message answer
            bodyLoading: {},
            bodyError: {},
            remoteAllowed: {},
            others: [],
            loadedId: null, // the open id whose conversation state.messages holds
        });
        this.loadSeq = 0;
        this.fileViewer = useFileViewer();
        this.services = this.env.services;
        this.bus = this.services.bus_service;
        this.onPresence = (payload) => this.receivePresence(payload);

        useEffect(
            (openId) => {
                this.load(openId);
            },
            () => [this.storeState.openMessageId]
        );
        // "replying" while the composer is open on this conversation, "viewing" otherwise.
        useEffect(
            () => {
                this.pingPresence();
            },
            () => [this.presenceMode]
        );
        onMounted(() => {
            this.bus?.subscribe("maildesk/presence", this.onPresence);
            this.presenceTimer = setInterval(() => this.pingPresence(), PRESENCE_INTERVAL_MS);
        });
        onWillUnmount(() => {
            clearInterval(this.presenceTimer);
            this.bus?.unsubscribe("maildesk/presence", this.onPresence);
        });
    }

    // -- loading ---------------------------------------------------------------------------------------
    async load(openId) {
        const seq = ++this.loadSeq;
        const state = this.state;
        Object.assign(state, {
            error: null, messages: [], expanded: {}, bodies: {}, bodyLoading: {}, bodyError: {},
            remoteAllowed: {}, others: [], threadId: null, loading: Boolean(openId), loadedId: null,
        });
        if (!openId) {
            return;
        }
        let thread = null;
        try {
            thread = await this.store.rpc("get_thread", { index_id: openId });
        } catch {
            // get_thread missing or refused: the message alone (get_message says which).
        }
        if (seq !== this.loadSeq) {
            return;
        }
        let messages = thread?.messages?.length ? thread.messages : null;
        if (!messages) {
            try {
                const body = await this.store.rpc("get_message", { index_id: openId });
                if (seq !== this.loadSeq) {
                    return;
                }
                state.bodies[openId] = body;
                messages = [{ ...body, is_read: true, is_own: false }];
            } catch (error) {
                if (seq === this.loadSeq) {
                    state.loading = false;
                    state.error = errorText(error);
                }
                return;
            }
        }
        state.threadId = thread?.thread_id || messages[0].thread_id || null;
        state.messages = messages;
        const expanded = {};
        for (const message of messages) {
            if (message.id === openId || !message.is_read) {
                expanded[message.id] = true;
            }
        }
        if (!Object.keys(expanded).length) {
            expanded[messages.at(-1).id] = true;
        }
        state.expanded = expanded;
        state.loading = false;
        state.loadedId = openId;
        this.pingPresence();
        await Promise.all(
            Object.keys(expanded).map((id) => this.loadBody(Number(id), { seq }))
        );
    }

    async loadBody(id, { seq = this.loadSeq, allowRemote = false, markRead = true } = {}) {
        const state = this.state;
        if (state.bodies[id] && !allowRemote) {
            return;
        }
        state.bodyLoading[id] = true;
        delete state.bodyError[id];
        try {
            const body = await this.store.rpc("get_message", {
                index_id: id,
                allow_remote_images: allowRemote,
                mark_read: markRead,
            });
            if (seq !== this.loadSeq) {
                return;
            }
            state.bodies[id] = body;
            if (allowRemote) {
                state.remoteAllowed[id] = true;
            }
            const message = this.messageById(id);
            if (message && markRead && !message.is_read) {
                message.is_read = true;
            }
        } catch (error) {
            if (seq === this.loadSeq) {
                state.bodyError[id] = errorText(error);
            }
        } finally {
            if (seq === this.loadSeq) {
                delete state.bodyLoading[id];
            }
        }
    }

    messageById(id) {
        return this.state.messages.find((m) => m.id === id) || null;
    }

    // -- what the template shows -------------------------------------------------------------------------
    /** Components other addons put under the subject and in the toolbar (./extensions.js). */
    get panels() {
        return readingPanePanels.getEntries();
    }

    get toolbarActions() {
        return readingPaneActions.getEntries();
    }

    /** Extensions are mounted once the open conversation is loaded, not on the previous one. */
    get extensionsShown() {
        return Boolean(this.openMessage) && this.state.loadedId === this.storeState.openMessageId;
    }

    get extensionProps() {
        const open = this.openMessage;
        return {
            store: this.store,
            messages: this.state.messages,
            openMessage: open,
            accountId: open?.account_id || false,
            bodies: this.state.bodies,
        };
    }

    get openMessage() {
        return this.messageById(this.storeState.openMessageId) || this.state.messages.at(-1) || null;
    }

    /** The Drafts folder when it is the one shown: the pane lists the drafts written here. */
    get draftsFolder() {
        const folderId = this.storeState.route?.folderId;
        const folder = folderId && this.store.folderById?.(folderId);
        return folder && folder.folder_type === "drafts" ? folder : null;
    }

    get draftsAccountId() {
        const folderId = this.storeState.route?.folderId;
        for (const [accountId, tree] of Object.entries(this.storeState.folders || {})) {
            if (flattenFolders(tree).some(({ folder }) => folder.id === folderId)) {
                return Number(accountId);
            }
        }
        return this.storeState.route?.accountId || null;
    }

    get subject() {
        const first = this.state.messages[0];
        return (first && first.subject) || _t("(no subject)");
    }

    get allExpanded() {
        return this.state.messages.every((m) => this.state.expanded[m.id]);
    }

    senderName(message) {
        const body = this.state.bodies[message.id];
        return body?.sender?.name || message.sender_display_name || message.from_addr || _t("Unknown sender");
    }

    senderEmail(message) {
        const body = this.state.bodies[message.id];
        return body?.sender?.email || message.from_addr || "";
    }

    formatDate(value) {
        if (!value) {
            return "";
        }
        try {
            return deserializeDateTime(value).toLocaleString(luxon.DateTime.DATETIME_MED);
        } catch {
            return value;
        }
    }

    visibleAttachments(message) {
        const body = this.state.bodies[message.id];
        return attachmentFiles(message.id, body?.attachments || []);
    }

    formatSize(size) {
        return formatSize(size);
    }

    fileIcon(mimetype) {
        return fileIcon(mimetype);
    }

    remoteBannerText(count) {
        return count === 1
            ? _t("1 remote image blocked")
            : _t("%s remote images blocked", count);
    }

    starTitle(message) {
        return message.is_starred ? _t("Unstar") : _t("Star");
    }

    receivedViaText(message) {
        return this.state.bodies[message.id]?.received_via || "";
    }

    // -- presence -------------------------------------------------------------------------------------------
    get threadIds() {
        return new Set(this.state.messages.map((m) => m.id));
    }

    get presenceMode() {
        const composer = this.storeState.composer;
        const open = this.storeState.openMessageId;
        if (!open) {
            return "none";
        }
        if (composer && composer.indexId && (composer.indexId === open || this.threadIds.has(composer.indexId))) {
            return "replying";
        }
        return "viewing";
    }

    async pingPresence() {
        const open = this.storeState.openMessageId;
        if (!open) {
            return;
        }
        const seq = this.loadSeq;
        try {
            const answer = await this.store.rpc("presence_ping", { index_id: open, mode: this.presenceMode });
            if (seq === this.loadSeq) {
                this.state.others = this.othersFrom(answer?.others || []);
            }
        } catch {
            // presence is a nicety: the conversation reads without it
        }
    }

    othersFrom(users) {
        return users.filter((u) => u.user_id !== user.userId && u.mode && u.mode !== "none");
    }

    receivePresence(payload) {
        if (!payload || !this.state.messages.length) {
            return;
        }
        const ids = this.threadIds;
        const sameThread =
            (payload.thread_id && payload.thread_id === this.state.threadId) ||
            (payload.index_ids || []).some((id) => ids.has(id));
        if (sameThread) {
            this.state.others = this.othersFrom(payload.users || []);
        }
    }

    presenceText(other) {
        return other.mode === "replying"
            ? _t("%s is replying", other.name)
            : _t("%s is viewing", other.name);
    }

    get someoneReplying() {
        return this.state.others.some((o) => o.mode === "replying");
    }

    // -- actions ---------------------------------------------------------------------------------------------
    toggle(message) {
        const expanded = !this.state.expanded[message.id];
        this.state.expanded[message.id] = expanded;
        if (expanded) {
            this.loadBody(message.id);
        }
    }

    toggleAll() {
        const expand = !this.allExpanded;
        for (const message of this.state.messages) {
            this.state.expanded[message.id] = expand;
            if (expand) {
                this.loadBody(message.id);
            }
        }
    }

    showImages(message) {
        return this.loadBody(message.id, { allowRemote: true, markRead: false });
    }

    async alwaysForSender(message) {
        try {
            await this.store.rpc("allow_remote_images_from", { index_id: message.id });
        } catch (error) {
            this.store.notify(errorText(error), "danger");
            return;
        }
        const email = this.senderEmail(message).toLowerCase();
        const same = this.state.messages.filter(
            (m) => this.state.bodies[m.id]?.remote_images_blocked && this.senderEmail(m).toLowerCase() === email
        );
        await Promise.all(same.map((m) => this.loadBody(m.id, { allowRemote: true, markRead: false })));
        this.store.notify(_t("Images from %s will always be shown.", email || this.senderName(message)), "success");
    }

    /** Reply, reply all and forward answer the message they are on (the newest by default). */
    compose(mode, message = null) {
        const target = message || this.replyTarget;
        if (target) {
            this.store.openComposer({ mode, indexId: target.id });
        }
    }

    /** The newest message someone else wrote: what "Reply" on the conversation answers. */
    get replyTarget() {
        const others = this.state.messages.filter((m) => !m.is_own);
        return others.at(-1) || this.state.messages.at(-1) || null;
    }

    /** Archive and delete act on the conversation as the list shows it: its messages in that folder. */
    get conversationIds() {
        const open = this.openMessage;
        if (!open) {
            return [];
        }
        return this.state.messages
            .filter((m) => m.id === open.id || (open.folder_id && m.folder_id === open.folder_id))
            .map((m) => m.id);
    }

    act(action) {
        const open = this.openMessage;
        if (!open) {
            return;
        }
        if (action === "archive" || action === "delete") {
            return this.store.applyChange(action, this.conversationIds);
        }
        if (action === "unread") {
            // "Not read yet": the conversation closes, as in Gmail.
            open.is_read = false;
            this.store.applyChange("unread", [open.id]);
            this.close();
            return;
        }
        return this.store.applyChange(action, [open.id]);
    }

    toggleStar(message) {
        const star = !message.is_starred;
        message.is_starred = star;
        this.store.applyChange(star ? "star" : "unstar", [message.id]);
    }

    preview(message, file, ev) {
        if (file.isViewable) {
            ev.preventDefault();
            const files = this.visibleAttachments(message);
            this.fileViewer.open(files.find((f) => f.key === file.key) || file, files);
        }
    }

    close() {
        if (this.store.closeMessage) {
            this.store.closeMessage();
        } else {
            this.store.openMessage(null);
        }
    }
}
