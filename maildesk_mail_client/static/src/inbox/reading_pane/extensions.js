import { registry } from "@web/core/registry";

/**
 * Where other addons add to the reading pane, without the pane knowing them. Each registry holds
 * OWL components (ordered by the registry's sequence), mounted with the props below.
 *
 * - `maildesk.reading_pane.panels`: under the conversation's subject.
 * - `maildesk.reading_pane.actions`: in the toolbar, after the built-in buttons.
 *   Both get {store, messages, openMessage, accountId, bodies}: the inbox store, the
 *   conversation's cards (get_thread), the card the user opened, its mailbox, and the
 *   get_message answers loaded so far (index id -> answer). They are mounted again for each
 *   conversation opened.
 * - `maildesk.drafts_view.sections`: under the list of drafts when the Drafts folder is open,
 *   with {store, accountId}.
 */
export const readingPanePanels = registry.category("maildesk.reading_pane.panels");
export const readingPaneActions = registry.category("maildesk.reading_pane.actions");
export const draftsViewSections = registry.category("maildesk.drafts_view.sections");

/** The props every reading-pane extension gets (documented above). */
export const READING_PANE_EXTENSION_PROPS = {
    store: { type: Object },
    messages: { type: Array },
    openMessage: { type: Object },
    accountId: { optional: true },
    bodies: { type: Object },
};
