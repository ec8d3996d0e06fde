import { registry } from "@web/core/registry";
import { inboxShows, openRow, rowLeaves } from "./inbox_tour_helpers";

/**
 * Read, unread, star, archive, move and delete from the list and the keyboard. The test then
 * runs the engine and finds each change on the Dovecot server.
 */
registry.category("web_tour.tours").add("maildesk_inbox_actions", {
    url: "/odoo/maildesk",
    steps: () => [
        ...inboxShows("Delete me"),
        // Opening reads it.
        ...openRow("Read me"),
        {
            content: "opened, so read",
            trigger: ".o_maildesk_row:not(.o_maildesk_unread):contains(Read me)",
        },
        // j: the next (older) conversation.
        { content: "j", trigger: ".o_maildesk_reading_pane", run: "press j" },
        {
            content: "j opened the next conversation",
            trigger: ".o_maildesk_reading_pane:contains(Unread me)",
        },
        {
            content: "Shift+U marks it unread",
            trigger: ".o_maildesk_reading_pane",
            run: "press Shift+U",
        },
        {
            content: "shown unread",
            trigger: ".o_maildesk_row.o_maildesk_unread:contains(Unread me)",
        },
        // s: star.
        ...openRow("Star me"),
        { content: "s", trigger: ".o_maildesk_reading_pane", run: "press s" },
        {
            content: "shown starred",
            trigger: ".o_maildesk_row.o_maildesk_starred:contains(Star me)",
        },
        // e: archive.
        ...openRow("Archive me"),
        { content: "e", trigger: ".o_maildesk_reading_pane", run: "press e" },
        ...rowLeaves("Archive me"),
        // Move, from the toolbar, to the server folder "Projects".
        ...openRow("Move me"),
        { content: "x selects it", trigger: ".o_maildesk_reading_pane", run: "press x" },
        {
            content: "selected",
            trigger: ".o_maildesk_row.o_maildesk_selected:contains(Move me)",
        },
        {
            content: "Move",
            trigger: ".o_maildesk_toolbar button[data-action=move]",
            run: "click",
        },
        {
            content: "to Projects",
            trigger: ".o_maildesk_folder_picker .dropdown-item:contains(Projects)",
            run: "click",
        },
        ...rowLeaves("Move me"),
        // #: delete.
        ...openRow("Delete me"),
        { content: "#", trigger: ".o_maildesk_reading_pane", run: "press #" },
        ...rowLeaves("Delete me"),
        {
            content: "what stays in the inbox",
            trigger: ".o_maildesk_row.o_maildesk_starred:contains(Star me)",
        },
    ],
});
