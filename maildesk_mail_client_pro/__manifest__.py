{
    "name": "MailDesk Pro: AI, Signatures, Email Links, Send Later",
    "summary": "AI on the open conversation behind one server-side gate, personal and shared "
               "signatures, email links to any record, send later, snooze and bulk changes.",
    "version": "19.0.1.0.0",
    "category": "Productivity/MailDesk",
    "license": "LGPL-3",
    "author": "MailDesk contributors",
    "website": "https://github.com/maildesk-odoo/maildesk",
    "depends": ["maildesk_mail_client"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/maildesk_ai_rules.xml",
        "security/mailbox_signature_rules.xml",
        "security/rules.xml",
        "data/ai_cron.xml",
        "data/update_queue_cron.xml",
        "views/maildesk_ai_provider_views.xml",
        "views/maildesk_ai_job_views.xml",
        "views/mailbox_account_ai_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/maildesk_ai_set_key_wizard_views.xml",
        "views/mailbox_signature_views.xml",
        "views/maildesk_email_link_views.xml",
        "views/maildesk_update_queue_views.xml",
        "views/mailbox_account_pro_views.xml",
        "wizards/mailbox_signature_wizard_views.xml",
        "wizards/maildesk_account_remove_wizard_views.xml",
    ],
    "assets": {
        # Pro's parts of the inbox, registered in the Basic inbox's extension registries.
        "web.assets_backend": [
            "maildesk_mail_client_pro/static/src/**/*",
        ],
        "web.assets_tests": [
            "maildesk_mail_client_pro/static/tests/tours/**/*",
        ],
        "web.assets_unit_tests": [
            "maildesk_mail_client_pro/static/tests/**/*",
            ("remove", "maildesk_mail_client_pro/static/tests/tours/**/*"),
        ],
    },
    "installable": True,
}
