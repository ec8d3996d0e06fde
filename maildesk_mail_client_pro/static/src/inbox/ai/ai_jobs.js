import { errorMessage } from "@maildesk_mail_client/inbox/store";

/** A job another worker runs is asked about this often, this many times at most (~2 min). */
export const POLL_MS = 1000;
export const MAX_POLLS = 120;
const WAITING = new Set(["queued", "running"]);

export const AI_FEATURES = ["summarize", "ask", "draft_reply", "security_scan", "attachment_analysis"];

function wait(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One AI request: the feature RPC, then ai_job_status every second while the answer is
 * "queued" or "running". `onAnswer` sees each answer (so the panel can say "working");
 * `isGone()` stops the polling when the panel went away. Resolves with the last answer; a
 * refused RPC becomes a "refused" answer with the server's sentence, never an exception.
 */
export async function runAiFeature(store, method, kwargs, { onAnswer = () => {}, isGone = () => false } = {}) {
    let answer;
    try {
        answer = await store.rpc(method, kwargs);
    } catch (error) {
        return { state: "refused", job_id: false, error: errorMessage(error), cached: false, result: false };
    }
    for (let polls = 0; WAITING.has(answer?.state) && answer.job_id && polls < MAX_POLLS; polls++) {
        onAnswer(answer);
        await wait(POLL_MS);
        if (isGone()) {
            return answer;
        }
        try {
            answer = await store.rpc("ai_job_status", { job_id: answer.job_id });
        } catch (error) {
            return { state: "failed", job_id: answer.job_id, error: errorMessage(error), cached: false, result: false };
        }
    }
    return answer;
}
