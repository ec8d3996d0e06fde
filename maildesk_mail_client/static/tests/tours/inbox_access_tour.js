import { registry } from "@web/core/registry";
import { inboxShows, rowsWith } from "./inbox_tour_helpers";

/** Rita is on mailbox "Team Alpha" only: she sees it and its mail, nothing of "Bravo Sales". */
registry.category("web_tour.tours").add("maildesk_inbox_access", {
    url: "/odoo/maildesk",
    steps: () => [
        {
            content: "the sidebar lists Team Alpha",
            trigger: ".o_maildesk_sidebar .o_maildesk_account:contains(Team Alpha)",
        },
        { content: "open All Mailboxes", trigger: ".o_maildesk_folder_all", run: "click" },
        ...inboxShows("Alpha weekly news"),
        {
            content: "only mailbox A in the sidebar, only A's mail in the unified inbox",
            trigger: ".o_maildesk_list .o_maildesk_row:contains(Alpha weekly news)",
            run() {
                const accounts = [...document.querySelectorAll(".o_maildesk_account")];
                if (accounts.length !== 1 || !accounts[0].textContent.includes("Team Alpha")) {
                    throw new Error(
                        `sidebar mailboxes: ${accounts.map((a) => a.textContent.trim()).join(" | ")}`
                    );
                }
                if (document.querySelector(".o_maildesk_sidebar").textContent.includes("Bravo")) {
                    throw new Error("the sidebar names mailbox Bravo Sales");
                }
                if (rowsWith("Bravo").length) {
                    throw new Error("the unified inbox lists mail of Bravo Sales");
                }
            },
        },
    ],
});
