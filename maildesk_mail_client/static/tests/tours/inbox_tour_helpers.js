/**
 * Steps and checks shared by the inbox tours (selectors: docs/developer/inbox.md).
 * The tours run against mail synced from a real Dovecot; tests/test_inbox_tours.py starts
 * them and then asks the servers whether each change reached them.
 */

/** Wait (up to 20 s) until `check()` is true, else fail the tour with `what`. */
export async function waitUntil(check, what) {
    for (let i = 0; i < 200; i++) {
        if (check()) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`still not true after 20 s: ${what}`);
}

export function rowsWith(subject) {
    return [...document.querySelectorAll(".o_maildesk_list .o_maildesk_row")].filter((row) =>
        row.textContent.includes(subject)
    );
}

/** The first steps of every tour: the inbox is up and shows `subject` in its list. */
export function inboxShows(subject) {
    return [
        { content: "the inbox is open", trigger: ".o_maildesk_inbox .o_maildesk_list" },
        {
            content: `the list shows "${subject}"`,
            trigger: `.o_maildesk_list .o_maildesk_row:contains(${subject})`,
        },
    ];
}

/** Search for `text`: the list then shows `subject`, wherever it was in the folder. */
export function searchFor(text, subject) {
    return [
        {
            content: `search for "${text}"`,
            trigger: ".o_maildesk_search input",
            run: `edit ${text} && press Enter`,
        },
        {
            content: `the results show "${subject}"`,
            trigger: `.o_maildesk_list .o_maildesk_row:contains(${subject})`,
        },
    ];
}

/** Open the conversation `subject` from the list, as a click on its row. */
export function openRow(subject) {
    return [
        {
            content: `open "${subject}"`,
            trigger: `.o_maildesk_list .o_maildesk_row:contains(${subject})`,
            run: "click",
        },
        {
            content: "the reading pane shows a message",
            trigger: ".o_maildesk_reading_pane .o_maildesk_message",
        },
        {
            content: `the reading pane shows "${subject}"`,
            trigger: `.o_maildesk_reading_pane:contains(${subject})`,
        },
    ];
}

/** The row `subject` leaves the list (archived, moved, deleted), with an undo toast. */
export function rowLeaves(subject) {
    return [
        { content: "an undo toast says what was done", trigger: ".o_maildesk_undo_toast" },
        {
            content: `"${subject}" left the list`,
            trigger: ".o_maildesk_list",
            async run() {
                await waitUntil(() => rowsWith(subject).length === 0, `"${subject}" left the list`);
            },
        },
    ];
}

/** Script from a mail never ran: nothing it could set is set, in the page or the body frame. */
export function assertNothingRan() {
    const frames = [...document.querySelectorAll("iframe")];
    const windows = [window, window.top, ...frames.map((f) => f.contentWindow).filter(Boolean)];
    for (const win of windows) {
        let value;
        try {
            value = win.__pwned;
        } catch {
            continue; // a cross-origin frame: mail cannot have reached it either
        }
        if (value !== undefined) {
            throw new Error(`script from a mail ran: __pwned = ${JSON.stringify(value)}`);
        }
    }
}

/** The document of the open message's body frame. */
export function bodyDocument() {
    const frame = document.querySelector(".o_maildesk_reading_pane iframe.o_maildesk_body");
    return frame && frame.contentDocument;
}
