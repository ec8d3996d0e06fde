# Run inside `odoo shell`: creates the demo mailbox and drops a few messages into it.
# Demo only: the mail server of docker-compose.yml accepts any password.
import smtplib
from email.message import EmailMessage

Account = env["mailbox.account"]
if not Account.search([("email", "=", "demo@maildesk.test")]):
    admin = env.ref("base.user_admin")
    Account.create({
        "name": "Demo mailbox",
        "email": "demo@maildesk.test",
        "is_shared": True,
        "owner_id": admin.id,
        "imap_host": "mail", "imap_port": 3143, "imap_security": "none", "imap_login": "demo",
        "smtp_host": "mail", "smtp_port": 3025, "smtp_security": "none",
        "password": "demo",
    })
    env.cr.commit()
    with smtplib.SMTP("mail", 3025, timeout=10) as smtp:
        for number, subject in enumerate(["Welcome to MailDesk", "Your invoice", "Team meeting"], 1):
            message = EmailMessage()
            message["From"] = f"sender{number}@example.org"
            message["To"] = "demo@maildesk.test"
            message["Subject"] = subject
            message.set_content(f"Demo message {number}.")
            smtp.send_message(message)
    print("MailDesk demo mailbox created: demo@maildesk.test")
