import { registry } from "@web/core/registry";
import { inboxShows, openRow, waitUntil } from "./inbox_tour_helpers";

const EDITOR = ".o_maildesk_composer .odoo-editor-editable";

/** Reply from the reading pane and send with Ctrl+Enter; the test finds it in Sent. */
registry.category("web_tour.tours").add("maildesk_inbox_reply", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Question about pricing"),
        ...openRow("Question about pricing"),
        { content: "r: reply", trigger: ".o_maildesk_reading_pane", run: "press r" },
        {
            content: "the reply is addressed to the sender",
            trigger: ".o_maildesk_composer .o_maildesk_recipients[data-field=to]",
            async run() {
                const field = document.querySelector(
                    ".o_maildesk_composer .o_maildesk_recipients[data-field=to]"
                );
                // a chip shows the name or the address; a typed one is still in the input
                const shown = () =>
                    [field.textContent, ...[...field.querySelectorAll("input")].map((i) => i.value)]
                        .join(" ")
                        .toLowerCase();
                await waitUntil(() => shown().includes("customer"), "the sender in To");
            },
        },
        {
            content: "the subject answers the conversation",
            trigger: ".o_maildesk_composer .o_maildesk_subject",
            run() {
                const el = document.querySelector(".o_maildesk_composer .o_maildesk_subject");
                const subject = el.value ?? el.textContent;
                if (!subject.includes("Re: Question about pricing")) {
                    throw new Error(`reply subject: ${subject}`);
                }
            },
        },
        { content: "write the answer", trigger: EDITOR, run: "editor Our prices are on page 4." },
        {
            content: "Ctrl+Enter sends",
            trigger: `${EDITOR}:contains(page 4)`,
            run: "press Control+Enter",
        },
        {
            content: "the server queued it: the composer says it is sending",
            trigger: ".o_maildesk_composer.o_maildesk_composer_queued",
        },
    ],
});

/** Send, then Undo within the delay: the draft comes back, and nothing is sent. */
registry.category("web_tour.tours").add("maildesk_inbox_undo_send", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Please confirm"),
        ...openRow("Please confirm"),
        { content: "r: reply", trigger: ".o_maildesk_reading_pane", run: "press r" },
        { content: "write", trigger: EDITOR, run: "editor Sent too fast, by mistake." },
        {
            content: "Ctrl+Enter sends",
            trigger: `${EDITOR}:contains(by mistake)`,
            run: "press Control+Enter",
        },
        { content: "Undo", trigger: ".o_maildesk_undo_send", run: "click" },
        {
            content: "the draft is back in the composer, as written",
            trigger: `${EDITOR}:contains(Sent too fast, by mistake)`,
        },
    ],
});
