import { registry } from "@web/core/registry";
import { inboxShows, openRow } from "./inbox_tour_helpers";

/**
 * A Gmail or Outlook mailbox in the inbox, as a member uses it: its folders (Gmail labels,
 * Outlook's folder tree) in the sidebar, its mail in the list, a body read from the service,
 * a star that the test then finds on the service. tests/test_inbox_services.py starts them.
 */
function serviceSteps(folder) {
    return [
        ...inboxShows("Hello from the service"),
        {
            content: `the sidebar lists the mailbox's folder ${folder}`,
            trigger: `.o_maildesk_sidebar :contains(${folder})`,
        },
        ...openRow("Hello from the service"),
        {
            content: "the body came from the service",
            trigger:
                ".o_maildesk_reading_pane iframe.o_maildesk_body:iframe body:contains(Hello from the service body)",
        },
        { content: "s stars it", trigger: ".o_maildesk_reading_pane", run: "press s" },
        {
            content: "shown starred",
            trigger: ".o_maildesk_row.o_maildesk_starred:contains(Hello from the service)",
        },
    ];
}

registry.category("web_tour.tours").add("maildesk_inbox_gmail", {
    url: "/odoo/maildesk",
    steps: () => serviceSteps("Projects"),
});

registry.category("web_tour.tours").add("maildesk_inbox_outlook", {
    url: "/odoo/maildesk",
    steps: () => serviceSteps("Archive"),
});

/** The mailbox's access was revoked: the sidebar says so and offers to sign in again. */
registry.category("web_tour.tours").add("maildesk_inbox_sign_in_again", {
    url: "/odoo/maildesk",
    steps: () => [
        {
            content: "the mailbox shows Sign in again",
            trigger: ".o_maildesk_account_problem:contains(Sign in again)",
        },
        {
            content: "with a button to sign in with Google",
            trigger: ".o_maildesk_problem_action:contains(Sign in with Google)",
        },
        ...inboxShows("Hello from the service"),
    ],
});
