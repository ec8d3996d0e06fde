{
    "name": "MailDesk: Email Client & Shared Inbox",
    "summary": "Read, answer and organise Gmail, Outlook and IMAP mailboxes inside Odoo, "
               "with shared team mailboxes behind Odoo's access control.",
    "version": "19.0.1.0.0",
    "category": "Productivity/MailDesk",
    "license": "LGPL-3",
    "author": "MailDesk contributors",
    "website": "https://github.com/maildesk-odoo/maildesk",
    "depends": ["base", "mail", "web"],
    "external_dependencies": {"python": ["cryptography"]},
    "data": [
        "security/groups.xml",
        "security/ir.model.access.csv",
        "security/rules.xml",
        "views/mailbox_account_views.xml",
        "views/mailbox_folder_views.xml",
        "views/mail_message_tag_views.xml",
        "wizards/mailbox_account_wizard_views.xml",
        "views/menus.xml",
    ],
    "application": True,
    "installable": True,
}
