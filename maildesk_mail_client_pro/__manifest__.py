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
    ],
    "assets": {
    },
    "installable": True,
}
