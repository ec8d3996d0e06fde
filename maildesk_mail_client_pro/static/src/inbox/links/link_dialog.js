import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Dialog } from "@web/core/dialog/dialog";
import { useDebounced } from "@web/core/utils/timing";
import { errorMessage } from "@maildesk_mail_client/inbox/store";

export const SEARCH_DELAY_MS = 300;

/**
 * Link a message to a record: pick the kind of record (link_models), search it by name
 * (link_search_records, the user's own read rights), choose; the server checks both sides.
 */
export class LinkRecordDialog extends Component {
    static template = "maildesk_mail_client_pro.LinkRecordDialog";
    static components = { Dialog };
    static props = { store: Object, indexId: Number, onLinked: Function, close: Function };

    setup() {
        this.state = useState({
            models: [], model: "", term: "", results: [], searching: false, wholeConversation: false, error: "",
        });
        this.searchSeq = 0;
        this.debouncedSearch = useDebounced(() => this.search(), SEARCH_DELAY_MS);
        onWillStart(() => this.loadModels());
    }

    async loadModels() {
        try {
            this.state.models = await this.props.store.rpc("link_models");
            this.state.model = this.state.models[0]?.model || "";
        } catch (error) {
            this.state.error = errorMessage(error);
        }
        if (this.state.model) {
            await this.search();
        }
    }

    onModelChange(ev) {
        this.state.model = ev.target.value;
        this.state.results = [];
        this.search();
    }

    onTermInput(ev) {
        this.state.term = ev.target.value;
        this.debouncedSearch();
    }

    async search() {
        const seq = ++this.searchSeq;
        this.state.searching = true;
        try {
            const results = await this.props.store.rpc("link_search_records", {
                model: this.state.model, term: this.state.term, limit: 8,
            });
            if (seq === this.searchSeq) {
                this.state.results = results;
                this.state.error = "";
            }
        } catch (error) {
            if (seq === this.searchSeq) {
                this.state.results = [];
                this.state.error = errorMessage(error);
            }
        } finally {
            if (seq === this.searchSeq) {
                this.state.searching = false;
            }
        }
    }

    async link(record) {
        try {
            await this.props.store.rpc("link_to_record", {
                index_id: this.props.indexId,
                res_model: this.state.model,
                res_id: record.id,
                whole_conversation: this.state.wholeConversation,
            });
        } catch (error) {
            this.state.error = errorMessage(error);
            return;
        }
        this.props.store.notify(_t("Linked to %s.", record.name), "success");
        await this.props.onLinked();
        this.props.close();
    }
}
