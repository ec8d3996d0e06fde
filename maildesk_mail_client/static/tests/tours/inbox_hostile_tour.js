import { registry } from "@web/core/registry";
import {
    assertNothingRan,
    bodyDocument,
    openRow,
    searchFor,
    waitUntil,
} from "./inbox_tour_helpers";

// The remote images of these mails point at the test's loopback listener.
const REMOTE = "127.0.0.1";

function remoteImages(doc) {
    return [...doc.querySelectorAll("img")].filter((img) => (img.src || "").includes(REMOTE));
}

/** Nothing a hostile body holds can run in the frame, whatever the sanitiser left. */
function assertInertBody() {
    const doc = bodyDocument();
    if (!doc) {
        throw new Error("no body frame");
    }
    const frame = document.querySelector("iframe.o_maildesk_body");
    const sandbox = frame.getAttribute("sandbox");
    if (sandbox === null || sandbox.includes("allow-scripts")) {
        throw new Error(`the body frame may run scripts (sandbox="${sandbox}")`);
    }
    for (const el of doc.querySelectorAll("*")) {
        for (const attr of el.attributes) {
            if (/^on/i.test(attr.name)) {
                throw new Error(`event handler left in the body: <${el.tagName} ${attr.name}>`);
            }
            if (/^\s*javascript:/i.test(attr.value)) {
                throw new Error(`javascript: URL left in the body: <${el.tagName} ${attr.name}>`);
            }
        }
    }
    assertNothingRan();
}

function openHostile(subject, text) {
    return [
        ...openRow(subject),
        {
            content: `the body of "${subject}" is shown`,
            trigger: `.o_maildesk_reading_pane iframe.o_maildesk_body:iframe body:contains(${text})`,
        },
        {
            content: `"${subject}": no script ran, nothing remote loaded`,
            trigger: `.o_maildesk_reading_pane iframe.o_maildesk_body:iframe body:contains(${text})`,
            async run() {
                // give any handler the sanitiser missed its chance to fire
                await new Promise((resolve) => setTimeout(resolve, 500));
                assertInertBody();
                const remote = remoteImages(bodyDocument());
                if (remote.length) {
                    throw new Error(`remote image in the body before Show images: ${remote[0].src}`);
                }
            },
        },
    ];
}

/** Open the hostile corpus's mails: no script, no remote request (the test counts them). */
registry.category("web_tour.tours").add("maildesk_inbox_hostile", {
    url: "/odoo/maildesk",
    steps: () => [
        { content: "the inbox is open", trigger: ".o_maildesk_inbox .o_maildesk_list" },
        // the corpus fills the first screen: find them as a person would
        ...searchFor("Hostile", "Hostile newsletter"),
        ...openHostile("Hostile vectors", "Vectors end here"),
        ...openHostile("Hostile newsletter", "Hi"),
        {
            content: "the remote images are said to be blocked",
            trigger: ".o_maildesk_remote_banner .o_maildesk_show_images",
        },
    ],
});

/** Show images loads them (the listener is hit), and still nothing runs. */
registry.category("web_tour.tours").add("maildesk_inbox_show_images", {
    url: "/odoo/maildesk",
    steps: () => [
        { content: "the inbox is open", trigger: ".o_maildesk_inbox .o_maildesk_list" },
        ...searchFor("Hostile newsletter", "Hostile newsletter"),
        ...openHostile("Hostile newsletter", "Hi"),
        { content: "Show images", trigger: ".o_maildesk_show_images", run: "click" },
        {
            content: "the remote image is loaded",
            trigger: ".o_maildesk_reading_pane iframe.o_maildesk_body",
            async run() {
                await waitUntil(() => {
                    const doc = bodyDocument();
                    return doc && remoteImages(doc).some((img) => img.complete && img.naturalWidth);
                }, "the remote image loaded after Show images");
                assertInertBody();
            },
        },
    ],
});
