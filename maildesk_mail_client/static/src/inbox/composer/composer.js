import { Component, markup, onMounted, onWillStart, onWillUnmount, useRef, useState, xml } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { useExternalListener } from "@odoo/owl";
import { Wysiwyg } from "@html_editor/wysiwyg";
import { MAIN_PLUGINS } from "@html_editor/plugin_sets";
import { humanSize } from "@web/core/utils/binary";
import { RecipientsField } from "./recipients_field";
import { formatAddress, isValidEmail, parseAddressList } from "./addresses";
import { composerToolApi, composerTools, contentToHtml } from "./composer_tools";

/** Drafts are saved this long after the last change. */
export const AUTOSAVE_DELAY_MS = 1500;
export const DEFAULT_UNDO_SECONDS = 10;
/** After the undo window, the send is watched this many times, every few seconds. */
const STATUS_POLLS = 10;
const STATUS_POLL_MS = 3000;

/**
 * Odoo's editor with what an email can carry: media that would have to be uploaded to Odoo
 * (the recipient could not load it), banners, columns and star ratings are left out.
 */
const LEFT_OUT = new Set(["media", "imageSave", "file", "imageCrop", "mediaUrlPaste", "video",
    "youtube", "banner", "column", "star"]);
export const EMAIL_PLUGINS = MAIN_PLUGINS.filter((plugin) => !LEFT_OUT.has(plugin.id));

const SIGNATURE_CLASS = "o_maildesk_signature";
const DONE_STATES = new Set(["sent", "partly_sent"]);
const PROBLEM_STATES = new Set(["failed", "uncertain"]);

function errorText(error) {
    return error?.data?.message || error?.message || String(error);
}

/** A token per message, so a replayed save or send finds the same draft (save_draft). */
export function newClientToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function readAsBase64(file) {
    return new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(file);
    });
}

function many2oneId(value) {
    return Array.isArray(value) ? value[0] : value || false;
}

/**
 * One message being written. Starting values come from the server (prepare_reply,
 * prepare_forward, load_draft); every change is saved as a draft after a pause; Send queues it
 * on the server, which holds it for the undo delay: "Undo" asks the server to take it back.
 */
export class ComposerWindow extends Component {
    static template = "maildesk_mail_client.Composer";
    static components = { Wysiwyg, RecipientsField };
    static props = { store: { type: Object }, request: { type: Object } };

    setup() {
        this.store = this.props.store;
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.rootRef = useRef("root");
        this.fileRef = useRef("file");
        this.state = useState({
            ready: false,
            loadError: null,
            mode: this.props.request.mode || "new",
            accountId: false,
            to: [],
            cc: [],
            bcc: [],
            showCc: false,
            showBcc: false,
            subject: "",
            attachments: [],
            uploading: 0,
            draftId: this.props.request.draftId || false,
            saving: false,
            savedAt: null,
            error: null,
            phase: "edit", // edit | sending | queued | watching
            status: null,
            undoUntil: null,
            minimized: false,
            notice: this.props.request.notice || "", // e.g. who wrote the starting text
            signatures: [], // composer_signatures of the mailbox sending
            signatureId: false,
        });
        this.clientToken = null;
        this.references = {}; // reply_to_index_id, reply_to_message_id, forward_of_index_id
        this.initialBody = "";
        this.signaturesByAccount = {}; // account id -> composer_signatures answer
        this.toolApi = composerToolApi(this);
        this.undoSeconds = DEFAULT_UNDO_SECONDS;
        this.dirty = false;
        this.saveChain = Promise.resolve();
        this.timers = [];
        this.autosave = useDebounced(() => this.save(), AUTOSAVE_DELAY_MS);

        onWillStart(() => this.start());
        onMounted(() => this.focusFirst());
        onWillUnmount(() => {
            for (const timer of this.timers) {
                clearTimeout(timer);
            }
            if (this.dirty && this.state.phase === "edit") {
                this.save(); // the composer goes away (Escape, another conversation): keep the words
            }
        });
        useExternalListener(window, "beforeunload", (ev) => this.onBeforeUnload(ev));
    }

    // -- starting values ------------------------------------------------------------------------------
    async start() {
        const { mode, indexId, draftId } = this.props.request;
        this.loadSettings();
        let values = {};
        try {
            if (mode === "reply" || mode === "reply_all") {
                values = await this.store.rpc("prepare_reply", { index_id: indexId, reply_all: mode === "reply_all" });
            } else if (mode === "forward") {
                values = await this.store.rpc("prepare_forward", { index_id: indexId });
            } else if (mode === "draft" && draftId) {
                values = await this.store.rpc("load_draft", { draft_id: draftId });
            }
        } catch (error) {
            this.state.loadError = errorText(error);
            return;
        }
        this.clientToken = values.client_token || (mode === "draft" ? null : newClientToken());
        const state = this.state;
        state.accountId = many2oneId(values.account_id) || this.defaultAccountId(indexId);
        state.subject = values.subject || "";
        state.to = parseAddressList(values.to_emails || "");
        state.cc = parseAddressList(values.cc_emails || "");
        state.bcc = parseAddressList(values.bcc_emails || "");
        state.showCc = state.cc.length > 0;
        state.showBcc = state.bcc.length > 0;
        for (const key of ["reply_to_index_id", "reply_to_message_id", "forward_of_index_id"]) {
            const value = many2oneId(values[key]);
            if (value) {
                this.references[key] = value;
            }
        }
        state.attachments = await this.startingAttachments(values);
        const body = values.body_html || "";
        await this.useSignaturesOf(state.accountId);
        if (mode === "draft") {
            this.initialBody = body;
        } else {
            // A text the caller brought (store.openComposer({body})) goes where the user writes.
            const start = this.props.request.body ? contentToHtml(this.props.request.body) : "<p><br></p>";
            this.initialBody = `${start}${this.signatureBlock()}${body}`;
        }
        state.ready = true;
        if (this.props.request.body) {
            this.changed(); // words the user did not type yet are kept as a draft all the same
        }
    }

    async loadSettings() {
        try {
            const settings = await this.store.rpc("get_inbox_settings");
            if (Number.isFinite(settings?.undo_send_seconds)) {
                this.undoSeconds = settings.undo_send_seconds;
            }
        } catch {
            // settings not there yet: the default delay, which the server also uses
        }
    }

    async startingAttachments(values) {
        if (Array.isArray(values.attachments)) {
            return values.attachments.map((a) => ({ id: a.id, name: a.name, mimetype: a.mimetype, size: a.size || a.file_size || 0 }));
        }
        const ids = (values.attachment_ids || []).filter((id) => typeof id === "number");
        if (!ids.length) {
            return [];
        }
        try {
            const records = await this.orm.read("ir.attachment", ids, ["name", "mimetype", "file_size"]);
            return records.map((a) => ({ id: a.id, name: a.name, mimetype: a.mimetype, size: a.file_size }));
        } catch {
            return ids.map((id) => ({ id, name: _t("Attachment"), mimetype: "", size: 0 }));
        }
    }

    defaultAccountId(indexId) {
        const accounts = this.accounts;
        const route = this.store.state.route || {};
        const ids = new Set(accounts.map((a) => a.id));
        if (route.accountId && ids.has(route.accountId)) {
            return route.accountId;
        }
        const folder = route.folderId && this.store.folderById?.(route.folderId);
        if (folder?.account_id && ids.has(folder.account_id)) {
            return folder.account_id;
        }
        return accounts[0]?.id || false;
    }

    /** The mailboxes one may send from: those the user is on (an admin's others only if none). */
    get accounts() {
        const all = this.store.state.accounts || [];
        const member = all.filter((a) => a.is_member !== false);
        return member.length ? member : all;
    }

    get fromLocked() {
        // A reply or forward goes out of the mailbox that holds the original (the server insists).
        return Boolean(this.references.reply_to_index_id || this.references.forward_of_index_id);
    }

    /**
     * The signatures the server offers for a mailbox (composer_signatures: sanitised HTML), the
     * mailbox's default chosen.
     */
    async useSignaturesOf(accountId) {
        let answer = { signatures: [], default_id: false };
        if (accountId) {
            if (!(accountId in this.signaturesByAccount)) {
                try {
                    this.signaturesByAccount[accountId] = await this.store.rpc("composer_signatures", { account_id: accountId });
                } catch {
                    this.signaturesByAccount[accountId] = answer; // written without a signature
                }
            }
            answer = this.signaturesByAccount[accountId] || answer;
        }
        const signatures = answer.signatures || [];
        this.state.signatures = signatures;
        const byDefault = signatures.find((sig) => sig.id === answer.default_id);
        this.state.signatureId = byDefault ? byDefault.id : false;
    }

    get chosenSignature() {
        return this.state.signatures.find((sig) => sig.id === this.state.signatureId) || null;
    }

    /** The chosen signature in a block the composer can swap when another one is chosen. */
    signatureBlock() {
        const html = this.chosenSignature?.html;
        return html ? `<div class="${SIGNATURE_CLASS}"><p>-- </p>${html}</div>` : "";
    }

    signatureLabel(signature) {
        return signature.is_shared ? _t("%s (shared)", signature.name) : signature.name;
    }

    onSignatureChange(ev) {
        const value = ev.target.value;
        const chosen = this.state.signatures.find((sig) => String(sig.id) === value);
        this.state.signatureId = chosen ? chosen.id : false;
        this.swapSignature();
        this.changed();
    }

    /** Components of other addons in the footer (registry maildesk.composer.tools). */
    get tools() {
        return composerTools.getEntries();
    }

    get title() {
        switch (this.state.mode) {
            case "reply":
                return _t("Reply");
            case "reply_all":
                return _t("Reply all");
            case "forward":
                return _t("Forward");
            case "draft":
                return _t("Draft");
            default:
                return _t("New message");
        }
    }

    get wysiwygConfig() {
        return {
            content: markup(this.initialBody),
            placeholder: _t("Write your message…"),
            Plugins: EMAIL_PLUGINS,
            onChange: () => this.changed(),
            classList: ["o_maildesk_editor_content"],
        };
    }

    onEditorLoad(editor) {
        this.editor = editor;
    }

    focusFirst() {
        const root = this.rootRef.el;
        if (!root) {
            return;
        }
        const editable = this.editor?.editable;
        if (this.state.to.length && editable) {
            // A reply: the cursor goes above the quote, where the answer is written.
            editable.focus();
            if (editable.firstElementChild) {
                this.editor.shared?.selection?.setCursorStart(editable.firstElementChild);
            }
            return;
        }
        root.querySelector(".o_maildesk_recipients[data-field=to] input")?.focus();
    }

    // -- values ------------------------------------------------------------------------------------------
    get bodyHtml() {
        if (this.editor) {
            return this.editor.getContent();
        }
        return this.initialBody;
    }

    get allRecipients() {
        return [...this.state.to, ...this.state.cc, ...this.state.bcc];
    }

    get invalidRecipients() {
        return this.allRecipients.filter((r) => !isValidEmail(r.email));
    }

    values() {
        const state = this.state;
        const lines = (list) => list.map(formatAddress).join("\n");
        const values = {
            account_id: state.accountId,
            subject: state.subject,
            body_html: this.bodyHtml,
            to_emails: lines(state.to),
            cc_emails: lines(state.cc),
            bcc_emails: lines(state.bcc),
            attachment_ids: state.attachments.map((a) => a.id),
            ...this.references,
        };
        if (this.clientToken) {
            values.client_token = this.clientToken;
        }
        if (state.draftId) {
            values.draft_id = state.draftId;
        }
        return values;
    }

    changed() {
        this.dirty = true;
        this.autosave();
    }

    addRecipients(field, recipients) {
        this.state[field].push(...recipients);
        this.changed();
    }

    removeRecipient(field, index) {
        this.state[field].splice(index, 1);
        this.changed();
    }

    onSubjectInput(ev) {
        this.state.subject = ev.target.value;
        this.changed();
    }

    async onAccountChange(ev) {
        const previous = this.state.accountId;
        this.state.accountId = Number(ev.target.value) || false;
        if (previous !== this.state.accountId) {
            await this.useSignaturesOf(this.state.accountId);
            this.swapSignature();
            this.changed();
        }
    }

    swapSignature() {
        const block = this.signatureBlock();
        const editable = this.editor?.editable;
        if (!editable) {
            return;
        }
        const current = editable.querySelector(`.${SIGNATURE_CLASS}`);
        if (current && block) {
            current.outerHTML = block;
        } else if (current) {
            current.remove();
        } else if (block) {
            const quote = editable.querySelector("blockquote, .o_mail_reply_quote");
            const holder = document.createElement("div");
            holder.innerHTML = block;
            editable.insertBefore(holder.firstChild, quote || null);
        }
        this.editor.shared?.history?.addStep();
    }

    // -- what composer tools change -------------------------------------------------------------------
    /** Content (see contentToHtml) at the top, above the signature and the quoted message. */
    insertContent(content) {
        const editable = this.editor?.editable;
        if (!editable) {
            return;
        }
        const holder = document.createElement("template"); // inert until inserted
        holder.innerHTML = contentToHtml(content);
        const before = editable.firstChild;
        for (const node of [...holder.content.childNodes]) {
            editable.insertBefore(node, before);
        }
        this.editor.shared?.history?.addStep();
        this.changed();
    }

    replaceBody(content) {
        const editable = this.editor?.editable;
        if (!editable) {
            return;
        }
        editable.innerHTML = contentToHtml(content);
        this.editor.shared?.history?.addStep();
        this.changed();
    }

    /** A tool took the message on (e.g. scheduled it): nothing is left to save here. */
    handedOver(message) {
        this.autosave.cancel?.();
        this.dirty = false;
        if (message) {
            this.store.notify(message, "success");
        }
        this.finish();
    }

    // -- drafts ------------------------------------------------------------------------------------------
    /** Save now (after any save in flight); answers the draft id. */
    save({ force = false } = {}) {
        this.saveChain = this.saveChain.then(() => this.saveNow(force));
        return this.saveChain;
    }

    async saveNow(force) {
        if (this.state.phase !== "edit" || (!this.dirty && !force && this.state.draftId)) {
            return this.state.draftId;
        }
        if (!this.dirty && !force) {
            return this.state.draftId;
        }
        if (!this.state.accountId) {
            this.state.error = _t("Choose the mailbox to send from.");
            return false;
        }
        this.dirty = false;
        this.state.saving = true;
        try {
            const id = await this.store.rpc("save_draft", this.values());
            this.state.draftId = id;
            this.state.savedAt = new Date();
            if (this.state.error && !this.state.status) {
                this.state.error = null;
            }
            return id;
        } catch (error) {
            this.dirty = true;
            this.state.error = errorText(error);
            return false;
        } finally {
            this.state.saving = false;
        }
    }

    onBeforeUnload(ev) {
        if (this.dirty || this.state.saving || this.state.uploading) {
            this.save();
            ev.preventDefault();
            ev.returnValue = "";
        }
    }

    // -- attachments -------------------------------------------------------------------------------------
    chooseFiles() {
        this.fileRef.el?.click();
    }

    async onFilesChosen(ev) {
        const files = [...(ev.target.files || [])];
        ev.target.value = "";
        if (!files.length) {
            return;
        }
        const draftId = await this.save({ force: true });
        if (!draftId) {
            return;
        }
        this.state.uploading += files.length;
        for (const file of files) {
            try {
                const datas = await readAsBase64(file);
                const [id] = await this.orm.create("ir.attachment", [{
                    name: file.name,
                    datas,
                    mimetype: file.type || "application/octet-stream",
                    res_model: "maildesk.draft",
                    res_id: draftId,
                }]);
                this.state.attachments.push({ id, name: file.name, mimetype: file.type, size: file.size });
                this.changed();
            } catch (error) {
                this.store.notify(_t("%(name)s could not be attached: %(reason)s", { name: file.name, reason: errorText(error) }), "danger");
            } finally {
                this.state.uploading--;
            }
        }
    }

    removeAttachment(index) {
        const [removed] = this.state.attachments.splice(index, 1);
        this.changed();
        if (removed?.id) {
            // the draft no longer holds it; the file itself goes too (the user made or forwarded it)
            this.save().then(() => this.orm.unlink("ir.attachment", [removed.id]).catch(() => {}));
        }
    }

    formatSize(size) {
        return size ? humanSize(size) : "";
    }

    // -- sending -----------------------------------------------------------------------------------------
    /**
     * The checks a message passes before it may go (uploads done, valid recipients), then the
     * draft saved: {draft_id}, the values send_email takes; null with the reason shown if not.
     */
    async readyToSend() {
        const state = this.state;
        if (state.phase !== "edit") {
            return null;
        }
        state.error = null;
        if (state.uploading) {
            state.error = _t("Wait until the attachments are uploaded.");
            return null;
        }
        const invalid = this.invalidRecipients;
        if (invalid.length) {
            state.error = _t("These addresses are not valid: %s. Correct them and send again.",
                invalid.map((r) => r.email || r.name).join(", "));
            return null;
        }
        if (!this.allRecipients.length) {
            state.error = _t("Add at least one recipient.");
            return null;
        }
        this.autosave.cancel?.();
        const draftId = await this.save({ force: true });
        return draftId ? { draft_id: draftId } : null;
    }

    async send({ confirmUnseen = false, resendUncertain = false } = {}) {
        const state = this.state;
        const ready = await this.readyToSend();
        if (!ready) {
            return;
        }
        const draftId = ready.draft_id;
        state.phase = "sending";
        let answer;
        try {
            answer = await this.store.rpc("send_email", {
                draft_id: draftId,
                confirm_unseen: confirmUnseen,
                resend_uncertain: resendUncertain,
            });
        } catch (error) {
            state.phase = "edit";
            state.error = errorText(error);
            return;
        }
        if (answer?.needs_confirmation) {
            state.phase = "edit";
            this.askToSendAnyway(answer);
            return;
        }
        this.queued(answer || {});
    }

    /** Traffic cop: someone wrote in this conversation since the reply was started. */
    askToSendAnyway(answer) {
        const count = answer.unseen || 0;
        const body = count === 1
            ? _t("1 new message arrived in this conversation since you started. Send anyway?")
            : _t("%s new messages arrived in this conversation since you started. Send anyway?", count);
        this.dialog.add(ConfirmationDialog, {
            title: _t("New messages in this conversation"),
            body,
            confirmLabel: _t("Send anyway"),
            cancelLabel: _t("Go back"),
            confirm: () => this.send({ confirmUnseen: true }),
            cancel: () => {},
        });
    }

    queued(status) {
        const state = this.state;
        state.status = status;
        this.dirty = false;
        if (status.state === "queued") {
            state.phase = "queued";
            const serverUntil = status.send_after ? Date.parse(status.send_after.replace(" ", "T") + "Z") : NaN;
            const until = Number.isFinite(serverUntil) ? serverUntil : Date.now() + this.undoSeconds * 1000;
            state.undoUntil = until;
            // The hold is on the server; this only decides when the button stops being offered.
            const wait = Math.max(0, Math.min(until - Date.now(), (this.undoSeconds + 5) * 1000));
            this.later(() => this.watch(STATUS_POLLS), wait);
        } else {
            this.settle(status, STATUS_POLLS);
        }
    }

    later(fn, ms) {
        this.timers.push(setTimeout(fn, ms));
    }

    async undoSend() {
        const state = this.state;
        if (state.phase !== "queued") {
            return;
        }
        let answer;
        try {
            answer = await this.store.rpc("cancel_send", { draft_id: state.draftId });
        } catch (error) {
            this.store.notify(errorText(error), "danger");
            return;
        }
        if (answer?.cancelled) {
            this.clearTimers();
            Object.assign(state, { phase: "edit", status: null, undoUntil: null, minimized: false });
            this.store.notify(_t("Sending undone: the message is back in the composer."), "info");
        } else {
            this.store.notify(_t("Too late to undo: the message is already on its way."), "warning");
            this.settle(answer || {}, STATUS_POLLS);
        }
    }

    clearTimers() {
        for (const timer of this.timers.splice(0)) {
            clearTimeout(timer);
        }
    }

    async watch(pollsLeft) {
        let status;
        try {
            status = await this.store.rpc("send_status", { draft_id: this.state.draftId });
        } catch {
            status = this.state.status || {};
        }
        this.settle(status, pollsLeft - 1);
    }

    settle(status, pollsLeft) {
        const state = this.state;
        state.status = status;
        if (DONE_STATES.has(status.state)) {
            if (status.state === "partly_sent") {
                this.store.notify(_t("Sent, but some recipients were refused: %s", (status.refused || []).join("; ")), "warning");
            } else {
                this.store.notify(_t("Message sent."), "success");
            }
            this.finish();
        } else if (PROBLEM_STATES.has(status.state)) {
            // Back to the form, with the server's words: the user corrects or sends again.
            Object.assign(state, { phase: "edit", undoUntil: null, minimized: false,
                error: status.error || _t("The message could not be sent.") });
        } else if (pollsLeft > 0) {
            state.phase = "watching";
            this.later(() => this.watch(pollsLeft), STATUS_POLL_MS);
        } else {
            this.store.notify(_t("The message is queued and will be sent shortly."), "info");
            this.finish();
        }
    }

    finish() {
        this.store.closeComposer();
        this.store.refreshCounts?.();
    }

    get undoLabel() {
        return _t("Undo");
    }

    get uncertain() {
        return this.state.status?.state === "uncertain";
    }

    // -- closing ------------------------------------------------------------------------------------------
    /** Escape and the close button: the composer goes, the draft stays (saved first). */
    async close() {
        if (this.state.phase !== "edit") {
            return;
        }
        this.autosave.cancel?.();
        if (this.dirty) {
            await this.save();
        }
        if (this.state.draftId) {
            this.store.notify(_t("Draft saved."), "info");
        }
        this.store.closeComposer();
    }

    async discard() {
        this.autosave.cancel?.();
        this.dirty = false;
        await this.saveChain;
        const draftId = this.state.draftId;
        if (draftId) {
            try {
                await this.store.rpc("delete_draft", { draft_id: draftId });
            } catch (error) {
                this.store.notify(errorText(error), "danger");
                return;
            }
        }
        this.store.closeComposer();
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            ev.stopPropagation();
            // A recipient still being typed becomes a chip first (RecipientsField commits on
            // the same key press, before this handler).
            this.send();
        } else if (ev.key === "Escape" && !ev.defaultPrevented) {
            ev.preventDefault();
            ev.stopPropagation();
            this.close();
        }
    }

    get savedText() {
        if (this.state.saving) {
            return _t("Saving…");
        }
        return this.state.savedAt ? _t("Draft saved") : "";
    }
}

/** What the shell mounts: the composer for store.state.composer, fresh for each request. */
export class Composer extends Component {
    static template = xml`
        <t t-if="composerState.composer">
            <ComposerWindow t-key="composerState.composer.key" store="props.store" request="composerState.composer"/>
        </t>`;
    static components = { ComposerWindow };
    static props = { store: { type: Object } };

    setup() {
        this.composerState = useState(this.props.store.state);
    }
}
