import { htmlEscape } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { isMarkup } from "@web/core/utils/html";

/**
 * Components other addons put in the composer's footer, next to Send. Each is mounted with one
 * prop, `composer`, the object made by composerToolApi() below; nothing else of the composer is
 * theirs to touch.
 */
export const composerTools = registry.category("maildesk.composer.tools");

/**
 * Content for the editor, in Odoo's convention: a markup() value is HTML the caller vouches
 * for; a plain string is text, escaped, one paragraph per blank-line-separated block. So text
 * from a mail or a model can never become markup by mistake.
 */
export function contentToHtml(content, className = "") {
    if (isMarkup(content)) {
        return String(content);
    }
    const paragraphs = String(content ?? "")
        .replace(/\r\n?/g, "\n")
        .split(/\n\s*\n/)
        .map((block) => block.trim())
        .filter(Boolean)
        .map((block) => `<p>${block.split("\n").map((line) => htmlEscape(line)).join("<br>")}</p>`);
    const html = paragraphs.join("") || "<p><br></p>";
    return className ? `<div class="${htmlEscape(className)}">${html}</div>` : html;
}

/**
 * What a composer tool may use:
 * - `accountId`, `draftId` (false until saved), `mode`, `indexId` (the message answered), `busy`
 *   (true while the message is on its way);
 * - `getBodyHtml()`; `insertHtml(content)` (above the signature and the quote),
 *   `replaceBody(content)` (everything): content as contentToHtml() takes it;
 * - `markGenerated(notice)`: a notice shown above the editor for as long as it is open
 *   (what wrote the text, what to check);
 * - `saveDraft()` -> draft id; `readyToSend()` -> the values send_email takes ({draft_id}) once
 *   the checks Send makes pass and the draft is saved, else null (the composer shows why);
 * - `handedOver(message)`: the tool took the message on (scheduled it): the composer closes
 *   without keeping anything unsaved and says `message`; `close()`: as the close button.
 */
export function composerToolApi(composer) {
    return {
        get accountId() {
            return composer.state.accountId;
        },
        get draftId() {
            return composer.state.draftId;
        },
        get mode() {
            return composer.state.mode;
        },
        get indexId() {
            return composer.props.request.indexId || false;
        },
        get busy() {
            return composer.state.phase !== "edit";
        },
        getBodyHtml: () => composer.bodyHtml,
        insertHtml: (content) => composer.insertContent(content),
        replaceBody: (content) => composer.replaceBody(content),
        markGenerated: (notice) => {
            composer.state.notice = notice || "";
        },
        saveDraft: () => composer.save({ force: true }),
        readyToSend: () => composer.readyToSend(),
        handedOver: (message) => composer.handedOver(message),
        close: () => composer.close(),
    };
}
