from odoo import api, models

from ..application.services import mailbox_access


class MailboxSync(models.AbstractModel):
    """The RPC facade the inbox calls. Every method acts as the calling user."""
    _name = "mailbox.sync"
    _description = "Mailbox Sync Service"

    @api.model
    def get_account_list(self):
        """The mailboxes the user may open, for the sidebar."""
        self.check_access("read")
        return [
            {
                "id": account.id,
                "name": account.name,
                "email": account.email,
                "provider": account.provider,
                "is_shared": account.is_shared,
                "connection_state": account.connection_state,
                "last_sync_at": account.last_sync_at,
            }
            for account in mailbox_access.accessible_accounts(self.env)
        ]

    @api.model
    def get_folder_tree(self, account_id):
        """The visible folders of one mailbox as a tree, special folders first."""
        self.check_access("read")
        account = mailbox_access.require_account(self.env, account_id)
        folders = self.env["mailbox.folder"].search(
            [("account_id", "=", account.id), ("is_visible", "=", True)])
        nodes = {
            folder.id: {
                "id": folder.id,
                "name": folder.name,
                "imap_name": folder.imap_name,
                "folder_type": folder.folder_type,
                "unread_count": folder.unread_count,
                "children": [],
            }
            for folder in folders
        }
        roots = []
        for folder in folders:  # already in sidebar order
            parent = nodes.get(folder.parent_id.id)
            (parent["children"] if parent else roots).append(nodes[folder.id])
        return roots
