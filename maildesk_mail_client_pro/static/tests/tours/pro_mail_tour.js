import { registry } from "@web/core/registry";
import { inboxShows, openRow, rowsWith, waitUntil } from "@maildesk_mail_client/../tests/tours/inbox_tour_helpers";

const EDITOR = ".o_maildesk_composer .odoo-editor-editable";

/** Reply, then Send later > Tomorrow morning: the test finds the entry and sends it at its time. */
registry.category("web_tour.tours").add("maildesk_pro_send_later", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Quarterly figures"),
        ...openRow("Quarterly figures"),
        { content: "r: reply", trigger: ".o_maildesk_reading_pane", run: "press r" },
        { content: "write the answer", trigger: EDITOR, run: "editor The figures follow tomorrow." },
        { content: "Send later", trigger: `${EDITOR}:contains(follow tomorrow)` },
        { content: "open Send later", trigger: ".o_maildesk_composer .o_maildesk_send_later button", run: "click" },
        { content: "tomorrow morning", trigger: ".o_maildesk_time_choice[data-choice=tomorrow]", run: "click" },
        { content: "the toast says when, with Cancel", trigger: ".o_maildesk_scheduled_toast:contains(Scheduled for)" },
        {
            content: "the composer is gone",
            trigger: ".o_maildesk_inbox",
            async run() {
                await waitUntil(() => !document.querySelector(".o_maildesk_composer"), "the composer closed");
            },
        },
    ],
});

/** The Drafts folder lists what waits to be sent later; Cancel takes it back. */
registry.category("web_tour.tours").add("maildesk_pro_cancel_scheduled", {
    url: "/odoo/maildesk",
    steps: () => [
        { content: "the inbox is open", trigger: ".o_maildesk_inbox .o_maildesk_sidebar" },
        { content: "open Drafts", trigger: ".o_maildesk_folder:contains(Drafts)", run: "click" },
        { content: "the scheduled message is listed", trigger: ".o_maildesk_scheduled_row:contains(Re: Quarterly figures)" },
        { content: "Cancel", trigger: ".o_maildesk_scheduled_row .o_maildesk_cancel_scheduled", run: "click" },
        { content: "nothing waits any more", trigger: ".o_maildesk_scheduled:contains(Nothing is waiting to be sent later)" },
    ],
});

const SNOOZED_VIEW = ".o_maildesk_sidebar .o_maildesk_view_link[data-view=snoozed]";
const SNOOZED_ROW = ".o_maildesk_snoozed_row:contains(Snooze me)";

/** Snooze > Tomorrow: the conversation leaves the inbox, and waits in the Snoozed view. */
registry.category("web_tour.tours").add("maildesk_pro_snooze", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Snooze me"),
        ...openRow("Snooze me"),
        { content: "open Snooze", trigger: ".o_maildesk_reading_toolbar .o_maildesk_snooze button", run: "click" },
        { content: "tomorrow morning", trigger: ".o_maildesk_time_choice[data-choice=tomorrow]", run: "click" },
        { content: "the toast says until when", trigger: ".o_maildesk_snoozed_toast:contains(Snoozed until)" },
        {
            content: "the message left the inbox",
            trigger: ".o_maildesk_list",
            async run() {
                await waitUntil(() => rowsWith("Snooze me").length === 0, "Snooze me left the list");
                if (!rowsWith("Stay here").length) {
                    throw new Error("the other message left too");
                }
            },
        },
        { content: "open Snoozed", trigger: SNOOZED_VIEW, run: "click" },
        { content: "it waits there until tomorrow 08:00", trigger: `${SNOOZED_ROW} .o_maildesk_snoozed_until:contains(08:00)` },
        {
            content: "only the snoozed message is there",
            trigger: ".o_maildesk_snoozed_view",
            run() {
                if (document.querySelectorAll(".o_maildesk_snoozed_row").length !== 1) {
                    throw new Error("the Snoozed view lists more than the snoozed message");
                }
            },
        },
    ],
});

/** From the Snoozed view, Unsnooze: the message is back in the inbox now. */
registry.category("web_tour.tours").add("maildesk_pro_unsnooze", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Stay here"),
        { content: "open Snoozed", trigger: SNOOZED_VIEW, run: "click" },
        { content: "Unsnooze", trigger: `${SNOOZED_ROW} .o_maildesk_unsnooze`, run: "click" },
        { content: "nothing is snoozed any more", trigger: ".o_maildesk_snoozed_empty:contains(Nothing is snoozed)" },
        { content: "back to All Mailboxes", trigger: ".o_maildesk_folder_all", run: "click" },
        ...inboxShows("Snooze me"),
    ],
});

/** Link to record: a contact found by name; its chip shows and opens the contact. */
registry.category("web_tour.tours").add("maildesk_pro_link", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Order question"),
        ...openRow("Order question"),
        { content: "Link", trigger: ".o_maildesk_reading_toolbar .o_maildesk_link_record", run: "click" },
        { content: "contacts can be linked", trigger: ".o_maildesk_link_model:has(option[value='res.partner'])" },
        { content: "choose Contact", trigger: ".o_maildesk_link_model", run: "select res.partner" },
        { content: "search the contact", trigger: ".o_maildesk_link_search", run: "edit Ana Linkable" },
        { content: "link it", trigger: ".o_maildesk_link_result:contains(Ana Linkable)", run: "click" },
        { content: "the chip shows the contact", trigger: ".o_maildesk_link_chip:contains(Ana Linkable)" },
        { content: "the chip opens the contact", trigger: ".o_maildesk_link_chip .o_maildesk_link_open", run: "click" },
        {
            content: "the contact's form is open",
            trigger: ".o_form_view .o_field_widget[name=name]",
            async run() {
                // read-only for a user who may not edit contacts, an input for one who may
                const field = document.querySelector(".o_form_view .o_field_widget[name=name]");
                const shown = () => field.querySelector("input")?.value || field.textContent;
                await waitUntil(() => shown().includes("Ana Linkable"), "the linked contact's form");
            },
        },
    ],
});
