import { registry } from "@web/core/registry";
import { inboxShows, openRow } from "@maildesk_mail_client/../tests/tours/inbox_tour_helpers";

const PANEL = ".o_maildesk_reading_pane .o_maildesk_ai_panel";
// A real model on two CPU cores: a few seconds per answer, more when the machine is busy.
const MODEL_TIMEOUT = 60000; // the longest a tour step may wait

function assertText(selector) {
    const el = document.querySelector(selector);
    if (!el || !el.textContent.trim()) {
        throw new Error(`no text from the model in ${selector}`);
    }
    if (el.children.length) {
        throw new Error(`model output holds markup: ${el.innerHTML}`);
    }
}

/** The features from the inbox, end to end against the real small model (llama.cpp's server). */
registry.category("web_tour.tours").add("maildesk_pro_ai_real_model", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Pallets for order 4711"),
        ...openRow("Pallets for order 4711"),
        { content: "Summarize", trigger: `${PANEL} .o_maildesk_ai_summarize:enabled`, run: "click" },
        {
            content: "the model's summary, as plain text",
            trigger: `${PANEL} .o_maildesk_ai_summary_text`,
            timeout: MODEL_TIMEOUT,
            run: () => assertText(`${PANEL} .o_maildesk_ai_summary_text`),
        },
        { content: "Ask AI", trigger: `${PANEL} .o_maildesk_ai_ask`, run: "click" },
        { content: "a question", trigger: `${PANEL} .o_maildesk_ai_question`, run: "edit When do the pallets leave?" },
        { content: "ask it", trigger: `${PANEL} .o_maildesk_ai_ask_send:enabled`, run: "click" },
        {
            content: "the model's answer, under the question",
            trigger: `${PANEL} .o_maildesk_ai_chat_message[data-role=assistant] .o_maildesk_ai_content`,
            timeout: MODEL_TIMEOUT,
            run: () => assertText(`${PANEL} .o_maildesk_ai_chat_message[data-role=assistant] .o_maildesk_ai_content`),
        },
        { content: "Security scan", trigger: `${PANEL} .o_maildesk_ai_scan:enabled`, run: "click" },
        {
            content: "a verdict",
            trigger: `${PANEL} .o_maildesk_ai_verdict`,
            timeout: MODEL_TIMEOUT,
        },
        { content: "Draft a reply", trigger: `${PANEL} .o_maildesk_ai_draft:enabled`, run: "click" },
        {
            content: "the reply composer holds the model's draft, marked as generated",
            trigger: ".o_maildesk_composer .odoo-editor-editable .o_maildesk_ai_generated",
            timeout: MODEL_TIMEOUT,
        },
        {
            content: "the composer says the AI wrote it",
            trigger: ".o_maildesk_composer .o_maildesk_composer_notice:contains(Drafted by AI - check it before sending)",
        },
    ],
});
