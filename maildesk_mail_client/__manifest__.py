{
    "name": "MailDesk: Email Client & Shared Inbox",
    "summary": "Read, answer and organise Gmail, Outlook and IMAP mailboxes inside Odoo, "
               "with shared team mailboxes behind Odoo's access control.",
    "version": "19.0.1.2.0",
    "category": "Productivity/MailDesk",
    "license": "LGPL-3",
    "author": "MailDesk contributors",
    "website": "https://github.com/maildesk-odoo/maildesk",
    "depends": ["base", "mail", "web"],
    "external_dependencies": {"python": ["cryptography", "imapclient", "google-api-python-client",
                                        "google-auth-oauthlib", "msal", "requests"]},
    "data": [
        "security/groups.xml",
        "security/ir.model.access.csv",
        "security/rules.xml",
        "data/ir_cron.xml",
        "views/mailbox_account_views.xml",
        "views/mailbox_folder_views.xml",
        "views/mail_message_tag_views.xml",
        "views/maildesk_ingest_queue_views.xml",
        "wizards/mailbox_account_wizard_views.xml",
        "views/inbox_action.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        # The inbox (an OWL client action, /odoo/maildesk).
        "web.assets_backend": [
            "maildesk_mail_client/static/src/**/*",
        ],
        # Tours, run by HttpCase.start_tour in headless Chromium.
        "web.assets_tests": [
            "maildesk_mail_client/static/tests/tours/**/*",
        ],
        # Hoot unit tests of the inbox components (/web/tests, suite @maildesk_mail_client).
        "web.assets_unit_tests": [
            "maildesk_mail_client/static/tests/**/*",
            ("remove", "maildesk_mail_client/static/tests/tours/**/*"),
        ],
    },
    "application": True,
    "installable": True,
}
