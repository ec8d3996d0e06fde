import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { errorMessage } from "../store";
import { registeredViews } from "./inbox_views";

const FOLDER_ICONS = {
    inbox: "fa-inbox",
    sent: "fa-paper-plane-o",
    drafts: "fa-file-text-o",
    trash: "fa-trash-o",
    junk: "fa-ban",
    spam: "fa-ban",
    archive: "fa-archive",
    all: "fa-envelope-o",
    flagged: "fa-star-o",
};
const PROBLEM_STATES = new Set(["auth_failed", "reauth_required", "unreachable", "error"]);

/** The sidebar: All Mailboxes, each mailbox with its folder tree and unread counts, then tags. */
export class Sidebar extends Component {
    static template = "maildesk_mail_client.Sidebar";
    static props = ["store"];

    setup() {
        this.action = useService("action");
        this.collapsed = useState({});
    }

    get store() {
        return this.props.store;
    }

    get state() {
        return this.props.store.state;
    }

    folderIcon(folder) {
        return FOLDER_ICONS[folder.folder_type] || "fa-folder-o";
    }

    isActiveFolder(folder) {
        return this.state.route.folderId === folder.id;
    }

    get unifiedActive() {
        return !this.state.route.folderId && !this.state.route.accountId && !this.state.view;
    }

    get extraViews() {
        return registeredViews();
    }

    isActiveView(view) {
        return this.state.view?.key === view.key;
    }

    /** The server's problem, or one read from the connection state when it sends none. */
    problem(account) {
        if (account.problem) {
            return account.problem;
        }
        if (account.problem === undefined && PROBLEM_STATES.has(account.connection_state)) {
            return {
                title: _t("This mailbox cannot sync."),
                message: account.last_error || "",
                action: false,
            };
        }
        return false;
    }

    async runProblemAction(account, problem) {
        if (problem.action === "sync_now") {
            try {
                await this.props.store.rpc("poll_for_updates", { account_id: account.id });
                this.props.store.notify(_t("MailDesk is trying %s again now.", account.name), "info");
            } catch (error) {
                this.props.store.notify(errorMessage(error), "danger");
            }
        } else if (problem.action === "open_account") {
            this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "mailbox.account",
                res_id: account.id,
                views: [[false, "form"]],
            });
        }
    }

    toggle(accountId) {
        this.collapsed[accountId] = !this.collapsed[accountId];
    }

    openTag(tag) {
        const name = /\s/.test(tag.name) ? `"${tag.name}"` : tag.name;
        this.store.setSearch(`tag:${name}`);
        this.store.state.pane = "list";
    }
}
