import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, click, edit, press, queryAll, waitFor } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { ReadingPane } from "@maildesk_mail_client/inbox/reading_pane/reading_pane";
import { POLL_MS } from "@maildesk_mail_client_pro/inbox/ai/ai_jobs";
import { GATE_OFF, aiStatus, callsTo, done, mountPart, proFakes, refusal, settle } from "./pro_test_helpers";

describe.current.tags("desktop");
defineMailModels();

/** What a model might answer after reading a hostile mail: markup and a link it was told to add. */
const HOSTILE_OUTPUT = 'Pay now <img src="x" onerror="window.__pwned=1"> <a href="https://evil.example/steal">portal</a> https://evil.example/steal';

async function openPanel() {
    const store = await mountPart(ReadingPane, { openMessageId: 1 });
    await waitFor(".o_maildesk_ai_panel .o_maildesk_ai_summarize");
    await settle();
    return store;
}

function panelButtons() {
    return queryAll(".o_maildesk_ai_panel button[data-feature]").map((el) => ({
        feature: el.dataset.feature,
        disabled: el.disabled,
    }));
}

test("the AI panel asks the gate for the open message's mailbox and offers the features allowed", async () => {
    const { calls } = proFakes();
    await openPanel();
    expect(callsTo(calls, "ai_status").map((c) => c.kwargs)).toEqual([{ account_id: 1 }]);
    expect(panelButtons()).toEqual([
        { feature: "summarize", disabled: false },
        { feature: "ask", disabled: false },
        { feature: "draft_reply", disabled: false },
        { feature: "security_scan", disabled: false },
    ]);
    expect(".o_maildesk_ai_reason").toHaveCount(0);
    expect(".o_maildesk_ai_provider").toHaveText("via Local model");
});

test("AI switched off: every button is greyed out with the gate's sentence shown", async () => {
    const { calls } = proFakes({ status: aiStatus({ reason: GATE_OFF }), attachments: [{ part_id: "2", name: "a.pdf", mimetype: "application/pdf", size: 10 }] });
    await openPanel();
    expect(panelButtons().every((b) => b.disabled)).toBe(true);
    expect(".o_maildesk_ai_reason").toHaveCount(1);
    expect(".o_maildesk_ai_reason").toHaveText(GATE_OFF);
    expect(".o_maildesk_ai_reason").toHaveAttribute("data-features", "summarize ask draft_reply security_scan");
    const reasonId = document.querySelector(".o_maildesk_ai_reason").id;
    expect(".o_maildesk_ai_summarize").toHaveAttribute("aria-describedby", reasonId);
    expect(".o_maildesk_ai_summarize").toHaveAttribute("title", GATE_OFF);
    // attachment analysis is not even offered
    expect(".o_maildesk_ai_attachments").toHaveCount(0);
    await click(".o_maildesk_ai_summarize");
    await settle();
    expect(calls.filter((c) => c.method.startsWith("ai_") && c.method !== "ai_status")).toEqual([]);
});

test("one feature refused: only its button is greyed, with its own sentence", async () => {
    const status = aiStatus();
    status.features.security_scan = { allowed: false, reason: "The security scan is switched off. An administrator can turn it on in Settings." };
    proFakes({ status });
    await openPanel();
    expect(panelButtons().filter((b) => b.disabled).map((b) => b.feature)).toEqual(["security_scan"]);
    expect(".o_maildesk_ai_reason").toHaveText("The security scan is switched off. An administrator can turn it on in Settings.");
});

test("a summary is shown as plain text: no markup, no clickable link", async () => {
    const { calls } = proFakes({
        handlers: {
            ai_summarize: () => done({ text: `${HOSTILE_OUTPUT}\nSecond line`, removed: ["a link", "a phone number"], model: "m", generated_at: "2026-12-01 10:00:00" }),
        },
    });
    await openPanel();
    await click(".o_maildesk_ai_summarize");
    await waitFor(".o_maildesk_ai_summary_text");
    expect(callsTo(calls, "ai_summarize").map((c) => c.kwargs)).toEqual([{ index_id: 1, refresh: false }]);
    const text = document.querySelector(".o_maildesk_ai_summary_text");
    expect(text.textContent).toBe(`${HOSTILE_OUTPUT}\nSecond line`);
    expect(".o_maildesk_ai_panel img, .o_maildesk_ai_panel a").toHaveCount(0);
    expect(".o_maildesk_ai_removed").toHaveText("Left out because the mail does not hold them: a link, a phone number");
    expect(window.__pwned).toBe(undefined);
    await click(".o_maildesk_ai_summary .o_maildesk_ai_refresh");
    await settle();
    expect(callsTo(calls, "ai_summarize").at(-1).kwargs).toEqual({ index_id: 1, refresh: true });
});

test("a scan another worker runs: the panel polls ai_job_status every second until it is done", async () => {
    const verdict = {
        verdict: "phishing", verdict_label: "Phishing", score: 90,
        indicators: [{ code: "reply_to_mismatch", label: "Replies go to another domain" },
                     { code: "ai_instructions", label: "Instructions aimed at an AI" }],
        evidence: ["Your account will be closed <b>today</b>"],
        explanation: "Urgency and a foreign reply address.", injection_detected: true, model_ok: true,
    };
    const answers = [
        { state: "running", job_id: 31, error: false, cached: false, result: false },
        done(verdict),
    ];
    const { calls } = proFakes({
        handlers: {
            ai_security_scan: () => ({ state: "queued", job_id: 31, error: false, cached: false, result: false }),
            ai_job_status: () => answers.shift(),
        },
    });
    await openPanel();
    await click(".o_maildesk_ai_scan");
    await settle();
    expect(".o_maildesk_ai_working[data-feature=security_scan]").toHaveCount(1);
    expect(".o_maildesk_ai_scan").toHaveAttribute("disabled");
    expect(callsTo(calls, "ai_job_status")).toHaveLength(0);
    await advanceTime(POLL_MS);
    await settle();
    expect(callsTo(calls, "ai_job_status").map((c) => c.kwargs)).toEqual([{ job_id: 31 }]);
    expect(".o_maildesk_ai_working[data-feature=security_scan]").toHaveCount(1);
    await advanceTime(POLL_MS);
    await waitFor(".o_maildesk_ai_verdict");
    expect(callsTo(calls, "ai_job_status")).toHaveLength(2);
    expect(".o_maildesk_ai_verdict").toHaveText("Phishing");
    expect(".o_maildesk_ai_verdict").toHaveAttribute("data-verdict", "phishing");
    expect(".o_maildesk_ai_verdict").toHaveClass("text-bg-danger");
    expect(queryAll(".o_maildesk_ai_indicator").map((el) => el.textContent)).toEqual(
        ["Replies go to another domain", "Instructions aimed at an AI"]
    );
    expect(".o_maildesk_ai_evidence").toHaveText("Your account will be closed <b>today</b>");
    expect(".o_maildesk_ai_evidence b").toHaveCount(0);
    expect(".o_maildesk_ai_injection").toHaveCount(1);
    expect(".o_maildesk_ai_working").toHaveCount(0);
    // nothing more is asked once it is done
    await advanceTime(POLL_MS * 3);
    expect(callsTo(calls, "ai_job_status")).toHaveLength(2);
});

test("a feature refused when it runs shows the server's sentence, and a failed one says so", async () => {
    proFakes({
        handlers: {
            ai_summarize: () => {
                throw refusal(GATE_OFF);
            },
            ai_security_scan: () => ({ state: "failed", job_id: 4, error: "The AI provider did not answer in time. Try again later.", cached: false, result: false }),
        },
    });
    await openPanel();
    await click(".o_maildesk_ai_summarize");
    await waitFor(".o_maildesk_ai_error[data-feature=summarize]");
    expect(".o_maildesk_ai_error[data-feature=summarize]").toHaveText(GATE_OFF);
    await click(".o_maildesk_ai_scan");
    await waitFor(".o_maildesk_ai_error[data-feature=security_scan]");
    expect(".o_maildesk_ai_error[data-feature=security_scan]").toHaveText("The AI provider did not answer in time. Try again later.");
    expect(".o_maildesk_ai_verdict").toHaveCount(0);
});

test("Draft a reply opens the reply composer with the text, escaped, and marked as drafted by AI", async () => {
    const { calls } = proFakes({
        handlers: {
            ai_draft_reply: () => done({ text: "Dear Ana,\n<b>paid</b> https://evil.example\n\nBest", body_html: "<p>ignored</p>", model: "m" }),
        },
    });
    const store = await openPanel();
    await click(".o_maildesk_ai_draft");
    await settle();
    expect(callsTo(calls, "ai_draft_reply").map((c) => c.kwargs)).toEqual([{ index_id: 1, instructions: "" }]);
    const request = store.state.composer;
    expect([request.mode, request.indexId, request.notice]).toEqual(["reply", 1, "Drafted by AI - check it before sending"]);
    expect(String(request.body)).toBe(
        '<div class="o_maildesk_ai_generated"><p>Dear Ana,<br>&lt;b&gt;paid&lt;/b&gt; https://evil.example</p><p>Best</p></div>'
    );
    // the recipients are not the AI's: the composer asks prepare_reply as for any reply
    expect(Object.keys(request)).not.toInclude("to_emails");
});

test("Draft a reply sends the one-line instruction typed above it; Enter in it drafts too", async () => {
    const { calls } = proFakes({
        handlers: { ai_draft_reply: () => done({ text: "No, thank you.", model: "m" }) },
    });
    const store = await openPanel();
    expect(".o_maildesk_ai_draft_instructions").toHaveAttribute("placeholder", /polite no, propose Tuesday/);
    await click(".o_maildesk_ai_draft_instructions");
    await edit("  polite no, propose Tuesday  ");
    await click(".o_maildesk_ai_draft");
    await settle();
    store.closeComposer();
    await click(".o_maildesk_ai_draft_instructions");
    await edit("shorter");
    await press("Enter");
    await settle();
    expect(callsTo(calls, "ai_draft_reply").map((c) => c.kwargs)).toEqual([
        { index_id: 1, instructions: "polite no, propose Tuesday" },
        { index_id: 1, instructions: "shorter" },
    ]);
    expect(store.state.composer.mode).toBe("reply");
});

test("No instruction field when drafting is refused", async () => {
    proFakes({ status: aiStatus({ reason: GATE_OFF }) });
    await openPanel();
    expect(".o_maildesk_ai_draft").toHaveAttribute("disabled");
    expect(".o_maildesk_ai_draft_instructions").toHaveCount(0);
});

test("Ask AI: the chat shows who asked what, and a new question is answered in it", async () => {
    const earlier = [
        { id: 1, role: "user", content: "Who pays?", author: "Colin Colleague", date: "2026-12-01 09:00:00" },
        { id: 2, role: "assistant", content: "The customer <i>pays</i>.", author: false, date: "2026-12-01 09:00:05" },
    ];
    const { calls } = proFakes({
        handlers: {
            ai_get_conversation: () => done({ conversation_id: 7, messages: earlier }),
            ai_ask: ({ question }) => done({
                conversation_id: 7,
                messages: [...earlier,
                    { id: 3, role: "user", content: question, author: "Mitchell Admin", date: "2026-12-01 10:00:00" },
                    { id: 4, role: "assistant", content: "By Friday.", author: false, date: "2026-12-01 10:00:03" }],
            }),
        },
    });
    await openPanel();
    await click(".o_maildesk_ai_ask");
    await waitFor(".o_maildesk_ai_chat_message");
    expect(queryAll(".o_maildesk_ai_chat_message .o_maildesk_ai_author").map((el) => el.textContent)).toEqual(["Colin Colleague", "AI"]);
    expect(".o_maildesk_ai_chat_message[data-role=assistant] .o_maildesk_ai_content").toHaveText("The customer <i>pays</i>.");
    await click(".o_maildesk_ai_question");
    await edit("When is it due?", { confirm: false });
    await press("Enter");
    await waitFor(".o_maildesk_ai_chat_message:contains(By Friday.)");
    expect(callsTo(calls, "ai_ask").map((c) => c.kwargs)).toEqual([{ index_id: 1, question: "When is it due?" }]);
    expect(queryAll(".o_maildesk_ai_chat_message .o_maildesk_ai_author").map((el) => el.textContent)).toEqual(
        ["Colin Colleague", "AI", "Mitchell Admin", "AI"]
    );
    expect(".o_maildesk_ai_question").toHaveValue("");
});

test("attachment analysis, when allowed, is offered per attachment and asked for one file", async () => {
    const { calls } = proFakes({
        status: aiStatus({ attachments: true }),
        attachments: [
            { part_id: "2", name: "invoice.pdf", mimetype: "application/pdf", size: 2048 },
            { part_id: "3", name: "notes.txt", mimetype: "text/plain", size: 100 },
        ],
        handlers: {
            ai_analyse_attachment: ({ attachment_key }) => done({ attachment_key, name: "notes.txt", text: "A list of <u>tasks</u>.", model: "m" }),
        },
    });
    await openPanel();
    await waitFor(".o_maildesk_ai_attachment");
    expect(queryAll(".o_maildesk_ai_attachment").map((el) => el.dataset.key)).toEqual(["2", "3"]);
    await click(".o_maildesk_ai_attachment[data-key='3'] .o_maildesk_ai_analyse");
    await waitFor(".o_maildesk_ai_attachment_text");
    expect(callsTo(calls, "ai_analyse_attachment").map((c) => c.kwargs)).toEqual([{ index_id: 1, attachment_key: "3" }]);
    expect(".o_maildesk_ai_attachment[data-key='3'] .o_maildesk_ai_attachment_text").toHaveText("A list of <u>tasks</u>.");
    expect(".o_maildesk_ai_attachment[data-key='2'] .o_maildesk_ai_attachment_text").toHaveCount(0);
});
