import { Component, onWillUnmount, useRef, xml } from "@odoo/owl";

/**
 * The sandbox of every mail body: no `allow-scripts`, so nothing the sender wrote can run
 * (the server has sanitised the HTML already; this is the second wall). `allow-same-origin`
 * lets this component measure the document and forward its key presses; popups let links
 * open in a new tab outside the sandbox. Same attribute as Odoo's HtmlViewer (hasFullHtml).
 */
export const BODY_SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";

/** Keys forwarded from the body to the window, so the shell's shortcuts work while reading. */
const FORWARDED_KEY_PROPS = ["key", "code", "ctrlKey", "shiftKey", "altKey", "metaKey", "repeat"];

function contentSecurityPolicy(remoteAllowed) {
    // A third wall: even markup that slipped through cannot fetch remote content before the
    // reader allowed it. 'self' keeps inline (cid:) images, served by Odoo's checked route.
    const remote = remoteAllowed ? " https: http:" : "";
    return [
        "default-src 'none'",
        "script-src 'none'",
        "object-src 'none'",
        "frame-src 'none'",
        "form-action 'none'",
        `img-src 'self' data:${remote}`,
        `style-src 'unsafe-inline'${remote}`,
        `font-src 'self' data:${remote}`,
    ].join("; ");
}

const BASE_STYLE = `
html, body { margin: 0; padding: 0; overflow: hidden; }
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; font-size: 14px; line-height: 1.5; color: #212529; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; }
blockquote { margin: 0 0 0 .5em; padding-left: .75em; border-left: 2px solid #ced4da; color: #495057; }
a { color: #017e84; }
table { max-width: 100%; }
`;

/**
 * The document put in `srcdoc`: the body's HTML with links retargeted to a new tab.
 * Parsed with DOMParser, which neither runs scripts nor loads images.
 */
export function buildBodyDocument(html, { remoteAllowed = false } = {}) {
    const doc = new DOMParser().parseFromString(html || "", "text/html");
    // Belt and braces over the server's sanitiser: no script, no handler, no base, no refresh.
    for (const el of doc.querySelectorAll("script, base, meta, link, iframe, object, embed")) {
        el.remove();
    }
    for (const el of doc.querySelectorAll("*")) {
        for (const attr of [...el.attributes]) {
            if (/^on/i.test(attr.name) || /^\s*javascript:/i.test(attr.value)) {
                el.removeAttribute(attr.name);
            }
        }
    }
    for (const link of doc.querySelectorAll("a[href]")) {
        link.setAttribute("target", "_blank");
        link.setAttribute("rel", "noopener noreferrer");
    }
    const styles = [...doc.head.querySelectorAll("style")].map((s) => s.outerHTML).join("");
    const csp = contentSecurityPolicy(remoteAllowed);
    return (
        `<!DOCTYPE html><html><head><meta charset="utf-8">` +
        `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
        `<base target="_blank"><style>${BASE_STYLE}</style>${styles}</head>` +
        `<body>${doc.body.innerHTML}</body></html>`
    );
}

/** One message body in a sandboxed, auto-sized srcdoc iframe. */
export class MessageBody extends Component {
    static template = xml`
        <iframe class="o_maildesk_body w-100 border-0 d-block" t-ref="frame"
                t-att-sandbox="sandbox" t-att-srcdoc="srcdoc" t-att-title="props.title or ''"
                referrerpolicy="no-referrer" style="height: 40px;" t-on-load="onLoad"/>`;
    static props = {
        html: { type: String },
        remoteAllowed: { type: Boolean, optional: true },
        title: { type: String, optional: true },
    };

    setup() {
        this.sandbox = BODY_SANDBOX;
        this.frame = useRef("frame");
        this.cleanups = [];
        onWillUnmount(() => this.detach());
    }

    get srcdoc() {
        return buildBodyDocument(this.props.html, { remoteAllowed: this.props.remoteAllowed });
    }

    detach() {
        for (const cleanup of this.cleanups.splice(0)) {
            cleanup();
        }
    }

    onLoad() {
        this.detach();
        const frame = this.frame.el;
        const doc = frame?.contentDocument;
        if (!doc || !doc.body) {
            return;
        }
        const fit = () => {
            const height = Math.max(doc.documentElement.scrollHeight, doc.body.scrollHeight);
            frame.style.height = `${Math.max(height, 20)}px`;
        };
        fit();
        if (window.ResizeObserver) {
            const observer = new ResizeObserver(fit);
            observer.observe(doc.body);
            this.cleanups.push(() => observer.disconnect());
        }
        // Images arriving late change the height; load events do not bubble, so capture.
        doc.addEventListener("load", fit, true);
        const forward = (ev) => {
            const init = { bubbles: true, cancelable: true };
            for (const prop of FORWARDED_KEY_PROPS) {
                init[prop] = ev[prop];
            }
            const copy = new KeyboardEvent("keydown", init);
            frame.dispatchEvent(copy);
            if (copy.defaultPrevented) {
                ev.preventDefault();
            }
        };
        doc.addEventListener("keydown", forward);
        this.cleanups.push(() => {
            doc.removeEventListener("load", fit, true);
            doc.removeEventListener("keydown", forward);
        });
    }
}
