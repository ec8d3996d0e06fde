import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { runAiFeature } from "./ai_jobs";

/**
 * Ask AI about one conversation: the questions asked so far (by whom: the chat is shared
 * with the mailbox's members) and the answers, as plain text.
 */
export class AiChat extends Component {
    static template = "maildesk_mail_client_pro.AiChat";
    static props = { store: Object, indexId: Number };

    setup() {
        this.state = useState({ messages: [], loading: true, asking: false, question: "", error: "" });
        this.gone = false;
        onMounted(() => this.load());
        onWillUnmount(() => {
            this.gone = true;
        });
    }

    async load() {
        const answer = await runAiFeature(this.props.store, "ai_get_conversation", { index_id: this.props.indexId },
            { isGone: () => this.gone });
        this.take(answer);
        this.state.loading = false;
    }

    take(answer) {
        if (this.gone) {
            return;
        }
        if (answer?.state === "done") {
            this.state.messages = answer.result?.messages || [];
            this.state.error = "";
        } else {
            this.state.error = answer?.error || _t("The AI could not answer; try again later.");
        }
    }

    async ask() {
        const question = this.state.question.trim();
        if (!question || this.state.asking) {
            return;
        }
        this.state.asking = true;
        this.state.error = "";
        const answer = await runAiFeature(this.props.store, "ai_ask", { index_id: this.props.indexId, question },
            { isGone: () => this.gone });
        if (answer?.state === "done") {
            this.state.question = "";
        }
        this.take(answer);
        this.state.asking = false;
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey) {
            ev.preventDefault();
            this.ask();
        }
    }

    authorOf(message) {
        return message.role === "assistant" ? _t("AI") : message.author || _t("Someone");
    }

    when(message) {
        try {
            return message.date ? formatDateTime(deserializeDateTime(message.date)) : "";
        } catch {
            return "";
        }
    }
}
