import { Component, markup, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { contentToHtml } from "@maildesk_mail_client/inbox/composer/composer_tools";
import { READING_PANE_EXTENSION_PROPS } from "@maildesk_mail_client/inbox/reading_pane/extensions";
import { attachmentFiles } from "@maildesk_mail_client/inbox/reading_pane/attachments";
import { errorMessage } from "@maildesk_mail_client/inbox/store";
import { AI_FEATURES, runAiFeature } from "./ai_jobs";
import { AiChat } from "./ai_chat";

export const DRAFTED_NOTICE = () => _t("Drafted by AI - check it before sending");
const WAITING = new Set(["queued", "running"]);
const VERDICT_CLASS = {
    safe: "text-bg-success",
    unknown: "text-bg-secondary",
    suspicious: "text-bg-warning",
    phishing: "text-bg-danger",
};

/**
 * The AI of the open conversation, under its subject. What may run is the server's answer
 * (ai_status: the gate's four switches); a refused feature is greyed out with the gate's
 * sentence. Everything a model wrote is shown as plain text (t-esc): no markup, no links.
 */
export class AiPanel extends Component {
    static template = "maildesk_mail_client_pro.AiPanel";
    static components = { AiChat };
    static props = READING_PANE_EXTENSION_PROPS;

    setup() {
        this.store = this.props.store;
        this.state = useState({
            status: null,
            statusError: "",
            runs: {}, // what -> {busy, answer}
            chatOpen: false,
            draftInstructions: "", // optional: what the drafted reply should say
        });
        this.gone = false;
        // once mounted: a panel OWL drops before mounting it (the pane re-rendered) asks nothing
        onMounted(() => this.loadStatus());
        onWillUnmount(() => {
            this.gone = true;
        });
    }

    async loadStatus() {
        if (!this.props.accountId) {
            return;
        }
        try {
            this.state.status = await this.store.rpc("ai_status", { account_id: this.props.accountId });
        } catch (error) {
            this.state.statusError = errorMessage(error);
        }
    }

    // -- the gate's answer ------------------------------------------------------------------------------
    feature(name) {
        return this.state.status?.features?.[name] || { allowed: false, reason: false };
    }

    allowed(name) {
        return Boolean(this.feature(name).allowed);
    }

    /** Refused features grouped by the gate's sentence, so each reason is said once. */
    get refusals() {
        const byReason = new Map();
        for (const name of AI_FEATURES) {
            const { allowed, reason } = this.feature(name);
            // attachment analysis is not offered at all unless allowed
            if (!allowed && name !== "attachment_analysis") {
                const text = reason || _t("Not available.");
                byReason.set(text, [...(byReason.get(text) || []), name]);
            }
        }
        return [...byReason].map(([reason, features]) => ({ reason, features: features.join(" ") }));
    }

    reasonId(name) {
        const index = this.refusals.findIndex((r) => r.features.split(" ").includes(name));
        return index >= 0 ? `o_maildesk_ai_reason_${this.props.openMessage.id}_${index}` : null;
    }

    featureLabel(name) {
        return {
            summarize: _t("Summarize"),
            ask: _t("Ask AI"),
            draft_reply: _t("Draft a reply"),
            security_scan: _t("Security scan"),
        }[name];
    }

    // -- running ------------------------------------------------------------------------------------------
    run(what) {
        return this.state.runs[what] || { busy: false, answer: null };
    }

    busy(what) {
        const run = this.run(what);
        return run.busy || WAITING.has(run.answer?.state);
    }

    result(what) {
        const answer = this.run(what).answer;
        return answer?.state === "done" ? answer.result : null;
    }

    problem(what) {
        const answer = this.run(what).answer;
        if (!answer || answer.state === "done" || this.busy(what)) {
            return "";
        }
        if (WAITING.has(answer.state)) {
            return _t("The AI is still working on it; try again in a minute.");
        }
        return answer.error || _t("The AI could not answer; try again later.");
    }

    async start(what, method, kwargs) {
        const runs = this.state.runs;
        runs[what] = { busy: true, answer: null };
        const answer = await runAiFeature(this.store, method, { index_id: this.props.openMessage.id, ...kwargs }, {
            onAnswer: (progress) => {
                if (!this.gone) {
                    runs[what] = { busy: true, answer: progress };
                }
            },
            isGone: () => this.gone,
        });
        if (!this.gone) {
            runs[what] = { busy: false, answer };
        }
        return answer;
    }

    summarize(refresh = false) {
        return this.start("summarize", "ai_summarize", { refresh });
    }

    scan(refresh = false) {
        return this.start("security_scan", "ai_security_scan", { refresh });
    }

    /** The reply composer with the model's text (escaped: plain text only), marked as generated. */
    async draftReply() {
        const instructions = this.state.draftInstructions.trim();
        const answer = await this.start("draft_reply", "ai_draft_reply", { instructions });
        if (answer?.state === "done" && !this.gone) {
            this.store.openComposer({
                mode: "reply",
                indexId: this.props.openMessage.id,
                body: markup(contentToHtml(answer.result.text || "", "o_maildesk_ai_generated")),
                notice: DRAFTED_NOTICE(),
            });
        }
    }

    /** Enter in the instruction drafts at once, as the button would. */
    onInstructionsKeydown(ev) {
        if (ev.key === "Enter" && !this.busy("draft_reply")) {
            ev.preventDefault();
            this.draftReply();
        }
    }

    toggleChat() {
        this.state.chatOpen = !this.state.chatOpen;
    }

    // -- attachments -----------------------------------------------------------------------------------------
    get attachments() {
        const body = this.props.bodies[this.props.openMessage.id];
        return attachmentFiles(this.props.openMessage.id, body?.attachments || []);
    }

    analyse(file) {
        return this.start(`attachment:${file.key}`, "ai_analyse_attachment", { attachment_key: file.key });
    }

    // -- what the scan shows ------------------------------------------------------------------------------------
    verdictClass(verdict) {
        return VERDICT_CLASS[verdict] || VERDICT_CLASS.unknown;
    }

    removedText(removed) {
        return removed?.length ? _t("Left out because the mail does not hold them: %s", removed.join(", ")) : "";
    }
}

registry.category("maildesk.reading_pane.panels").add("maildesk_ai", AiPanel, { sequence: 10 });
