import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime, serializeDateTime } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/** Mornings start at 8: what "tomorrow morning" and "Monday morning" mean. */
export const MORNING_HOUR = 8;

function morning(day) {
    return day.set({ hour: MORNING_HOUR, minute: 0, second: 0, millisecond: 0 });
}

/** The times offered by Send later and Snooze, from `now` (a luxon DateTime in the user's zone). */
export const PRESETS = {
    later_today: {
        label: () => _t("Later today"),
        at: (now) => now.plus({ hours: 3 }).startOf("hour"),
    },
    tomorrow: {
        label: () => _t("Tomorrow morning"),
        at: (now) => morning(now.plus({ days: 1 })),
    },
    monday: {
        label: () => _t("Monday morning"),
        // the next Monday, a week away when today is one
        at: (now) => morning(now.plus({ days: (8 - now.weekday) % 7 || 7 })),
    },
    next_week: {
        label: () => _t("Next week"),
        at: (now) => PRESETS.monday.at(now),
    },
};

export function presetTime(name, now = DateTime.now()) {
    return PRESETS[name].at(now);
}

/** What the server takes: UTC "YYYY-MM-DD HH:MM:SS", as Odoo's datetime fields. */
export function toServer(when) {
    return serializeDateTime(when);
}

/** A server datetime (UTC) or a luxon DateTime, as the user reads it. */
export function readable(when) {
    if (!when) {
        return "";
    }
    const value = typeof when === "string" ? deserializeDateTime(when) : when;
    return formatDateTime(value, { format: "ccc d LLL, HH:mm" });
}

/** The value of an <input type="datetime-local">, or null when it is empty or malformed. */
export function fromLocalInput(value) {
    const parsed = value ? DateTime.fromISO(value) : null;
    return parsed?.isValid ? parsed : null;
}

export function toLocalInput(when) {
    return when.toFormat("yyyy-MM-dd'T'HH:mm");
}
