import { registry } from "@web/core/registry";
import { inboxShows, openRow } from "./inbox_tour_helpers";

/** Colin has the conversation open (his ping comes from the test): Rita sees it. */
registry.category("web_tour.tours").add("maildesk_inbox_presence", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Shared question"),
        ...openRow("Shared question"),
        {
            content: "Colin Colleague is said to be viewing it",
            trigger: ".o_maildesk_reading_pane .o_maildesk_presence:contains(Colin Colleague)",
        },
    ],
});
