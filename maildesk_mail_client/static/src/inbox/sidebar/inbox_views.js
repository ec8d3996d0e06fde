import { registry } from "@web/core/registry";

/**
 * Views other addons add to the inbox: a sidebar entry under All Mailboxes, and a component shown
 * in the list's place while it is open. Each value: `{title, icon, component, sequence}`; the
 * component gets `{store}`. Basic registers none.
 */
export const inboxViews = registry.category("maildesk.inbox.views");

/** [{key, title, icon, component}] in the registry's order. */
export function registeredViews() {
    return inboxViews.getEntries().map(([key, view]) => ({ key, ...view }));
}

export function viewComponent(store) {
    const key = store.state.view?.key;
    return key && inboxViews.contains(key) ? inboxViews.get(key).component : null;
}
