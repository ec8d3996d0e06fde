import { fakeMailboxSync } from "@maildesk_mail_client/../tests/inbox/shell_test_helpers";
import { messageBody, threadMessage } from "@maildesk_mail_client/../tests/inbox/reader_test_helpers";

export { callsTo, refusal } from "@maildesk_mail_client/../tests/inbox/shell_test_helpers";
export { mountPart, settle } from "@maildesk_mail_client/../tests/inbox/reader_test_helpers";

export const GATE_OFF = "AI is switched off for the mailbox Support. An administrator can turn on “Enable AI features” on the mailbox.";

/** ai_status with every feature allowed, or refused with `reason` (attachments: `attachments`). */
export function aiStatus({ reason = false, attachments = false } = {}) {
    const features = {};
    for (const name of ["summarize", "ask", "draft_reply", "security_scan"]) {
        features[name] = { allowed: !reason, reason };
    }
    features.attachment_analysis = attachments
        ? { allowed: true, reason: false }
        : { allowed: false, reason: reason || "Attachment analysis is off for this mailbox." };
    return { features, provider: reason ? false : "Local model" };
}

/** An AI feature's answer, done, with `result`. */
export function done(result, extra = {}) {
    return { state: "done", job_id: 31, error: false, cached: false, result, ...extra };
}

/** One open message (id 1, mailbox 1) with a body and `attachments`, and the Pro fakes. */
export function proFakes({ handlers = {}, attachments = [], status = aiStatus() } = {}) {
    const card = threadMessage(1, { subject: "Invoice overdue", account_id: 1 });
    return fakeMailboxSync({
        handlers: {
            get_thread: () => ({ thread_id: "t-conv", messages: [card] }),
            get_message: () => messageBody(card, { attachments }),
            ai_status: () => status,
            get_links: () => [],
            ...handlers,
        },
    });
}
