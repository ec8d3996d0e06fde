/**
 * Addresses as the composer holds them: {name, email}. The check is the server's own
 * (infrastructure/addresses.py is_plain_address), so what shows red is what it refuses.
 */
const PLAIN_ADDRESS = /^[^@\s<>"(),;:]+@[^@\s<>"(),;:]+\.[^@\s<>"(),;:.]+$/;

export function isValidEmail(value) {
    return Boolean(value) && PLAIN_ADDRESS.test(value);
}

/** Split "A <a@x.org>, b@y.org; c@z.org" at separators outside quotes and angle brackets. */
export function splitAddressText(text) {
    const parts = [];
    let current = "";
    let quoted = false;
    let angle = false;
    for (const char of text || "") {
        if (char === '"') {
            quoted = !quoted;
        } else if (char === "<" && !quoted) {
            angle = true;
        } else if (char === ">" && !quoted) {
            angle = false;
        }
        if (!quoted && !angle && [",", ";", "\n", "\r"].includes(char)) {
            parts.push(current);
            current = "";
        } else {
            current += char;
        }
    }
    parts.push(current);
    return parts.map((p) => p.trim()).filter(Boolean);
}

/** "Name <email>" or "email" -> {name, email}. */
export function parseAddress(text) {
    const value = (text || "").trim();
    const match = value.match(/^(.*?)\s*<([^<>]*)>\s*$/);
    if (match) {
        const name = match[1].trim().replace(/^"(.*)"$/, "$1").replace(/\\(.)/g, "$1");
        return { name, email: match[2].trim() };
    }
    return { name: "", email: value };
}

export function parseAddressList(text) {
    return splitAddressText(text).map(parseAddress);
}

/** {name, email} -> one line the server reads back with email.utils.getaddresses. */
export function formatAddress({ name, email }) {
    if (!name || name === email) {
        return email;
    }
    const safe = name.replace(/[\r\n]+/g, " ");
    const quoted = /[^\w\s.'-]/.test(safe) ? `"${safe.replace(/(["\\])/g, "\\$1")}"` : safe;
    return `${quoted} <${email}>`;
}

export function sameAddress(a, b) {
    return (a.email || "").toLowerCase() === (b.email || "").toLowerCase();
}
