import { Component, onWillStart, useEffect, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { draftsViewSections } from "./extensions";

/** Drafts written in MailDesk that are not on their way yet (failed ones wait for the user). */
const OPEN_STATES = ["draft", "failed", "uncertain"];

/**
 * The user's drafts of a mailbox (maildesk.draft, read through the record rules), shown in the
 * reading pane while the Drafts folder is open; one click opens it in the composer again.
 */
export class DraftsList extends Component {
    static template = "maildesk_mail_client.DraftsList";
    static props = { store: { type: Object }, accountId: { optional: true } };

    setup() {
        this.orm = useService("orm");
        this.storeState = useState(this.props.store.state);
        this.state = useState({ drafts: [], loaded: false });
        onWillStart(() => this.load());
        // A composer that closes may have saved, sent or discarded one.
        useEffect(
            (composer) => {
                if (!composer && this.state.loaded) {
                    this.load();
                }
            },
            () => [this.storeState.composer]
        );
    }

    async load() {
        const domain = [["user_id", "=", user.userId], ["send_state", "in", OPEN_STATES]];
        if (this.props.accountId) {
            domain.push(["account_id", "=", this.props.accountId]);
        }
        try {
            this.state.drafts = await this.orm.searchRead(
                "maildesk.draft", domain, ["subject", "to_emails", "write_date", "send_state", "account_id"],
                { limit: 80, order: "write_date desc" }
            );
        } catch {
            this.state.drafts = [];
        }
        this.state.loaded = true;
    }

    /** What other addons show under the drafts (registry maildesk.drafts_view.sections). */
    get sections() {
        return draftsViewSections.getEntries();
    }

    open(draft) {
        this.props.store.openComposer({ mode: "draft", draftId: draft.id });
    }

    recipients(draft) {
        return (draft.to_emails || "").split("\n").filter(Boolean).join(", ") || _t("(no recipient)");
    }

    when(draft) {
        return draft.write_date ? deserializeDateTime(draft.write_date).toLocaleString(luxon.DateTime.DATETIME_MED) : "";
    }

    stateLabel(draft) {
        return { failed: _t("Not sent"), uncertain: _t("May have been sent") }[draft.send_state] || "";
    }
}
