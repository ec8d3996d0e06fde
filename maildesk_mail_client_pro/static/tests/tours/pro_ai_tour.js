import { registry } from "@web/core/registry";
import { assertNothingRan, inboxShows, openRow, waitUntil } from "@maildesk_mail_client/../tests/tours/inbox_tour_helpers";

const PANEL = ".o_maildesk_reading_pane .o_maildesk_ai_panel";
const FEATURES = ["summarize", "ask", "draft_reply", "security_scan"];

/** No link anywhere in the page (the mail's own body frame aside) points at `host`. */
function assertNoLinkTo(host) {
    const links = [...document.querySelectorAll("a[href]")].filter((a) => a.href.includes(host));
    if (links.length) {
        throw new Error(`a link to ${host} is in the page: ${links[0].outerHTML}`);
    }
}

function assertPlainText(selector, host) {
    const el = document.querySelector(selector);
    if (el.children.length) {
        throw new Error(`model output holds markup: ${el.innerHTML}`);
    }
    if (el.textContent.includes(host)) {
        throw new Error(`model output holds the attacker's address: ${el.textContent}`);
    }
}

/** A hostile mail's hidden text tells the AI to send the reader to the attacker's site. */
registry.category("web_tour.tours").add("maildesk_pro_ai_hostile", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("November invoice"),
        ...openRow("November invoice"),
        { content: "the AI may run here", trigger: `${PANEL} .o_maildesk_ai_summarize:enabled` },
        { content: "Summarize", trigger: `${PANEL} .o_maildesk_ai_summarize`, run: "click" },
        {
            content: "the summary is plain text, without the attacker's link",
            trigger: `${PANEL} .o_maildesk_ai_summary_text`,
            run() {
                assertPlainText(`${PANEL} .o_maildesk_ai_summary_text`, "evil.example");
                assertNoLinkTo("evil.example");
            },
        },
        { content: "Security scan", trigger: `${PANEL} .o_maildesk_ai_scan`, run: "click" },
        {
            content: "the lying model did not make it safe",
            trigger: `${PANEL} .o_maildesk_ai_verdict`,
            run() {
                const verdict = document.querySelector(`${PANEL} .o_maildesk_ai_verdict`).dataset.verdict;
                if (!["suspicious", "phishing"].includes(verdict)) {
                    throw new Error(`verdict of the hostile mail: ${verdict}`);
                }
                assertNoLinkTo("evil.example");
                assertNothingRan();
            },
        },
        { content: "Draft a reply", trigger: `${PANEL} .o_maildesk_ai_draft`, run: "click" },
        {
            content: "the reply composer says the AI wrote it",
            trigger: ".o_maildesk_composer .o_maildesk_composer_notice:contains(Drafted by AI - check it before sending)",
        },
        {
            content: "the draft is there, addressed to the sender only, without the attacker's link",
            trigger: ".o_maildesk_composer .odoo-editor-editable .o_maildesk_ai_generated",
            async run() {
                // the quoted original below keeps the mail as it came; what the AI wrote is above it
                const drafted = document.querySelector(".o_maildesk_composer .odoo-editor-editable .o_maildesk_ai_generated");
                await waitUntil(() => drafted.textContent.includes("Dear Alice"), "the drafted text");
                if (drafted.textContent.includes("evil.example") || drafted.querySelector("a")) {
                    throw new Error(`the draft holds the attacker's link: ${drafted.innerHTML}`);
                }
                const to = document.querySelector(".o_maildesk_composer .o_maildesk_recipients[data-field=to]").textContent;
                if (!to.toLowerCase().includes("alice")) {
                    throw new Error(`the reply goes to: ${to}`);
                }
                const chips = document.querySelectorAll(".o_maildesk_composer .o_maildesk_chip");
                if (chips.length !== 1) {
                    throw new Error(`${chips.length} recipients in the drafted reply`);
                }
            },
        },
        { content: "the drafted reply is kept as a draft", trigger: ".o_maildesk_composer .o_maildesk_saved:contains(Draft saved)" },
    ],
});

/** AI switched off for the mailbox: every button is there, greyed out, with the gate's sentence. */
registry.category("web_tour.tours").add("maildesk_pro_ai_off", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Quiet mailbox"),
        ...openRow("Quiet mailbox"),
        {
            content: "the AI buttons are greyed out",
            // (a step with a run waits for an enabled button: the panel is the trigger)
            trigger: `${PANEL}:has(.o_maildesk_ai_summarize:disabled)`,
            run() {
                for (const feature of FEATURES) {
                    const button = document.querySelector(`${PANEL} button[data-feature=${feature}]`);
                    if (!button?.disabled) {
                        throw new Error(`${feature} is not greyed out`);
                    }
                }
            },
        },
        {
            content: "the reason is the gate's sentence",
            trigger: `${PANEL} .o_maildesk_ai_reason:contains(AI is disabled for this mailbox.)`,
        },
    ],
});
