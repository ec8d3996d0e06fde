# Run inside `odoo shell` (docker-compose.yml's init service, and scripts/demo): the demo users,
# the two demo mailboxes, their mail on the mail server, and a first sync so the inbox opens
# full. Safe to run again: what exists is kept, nothing is doubled.
#
#   alice / alice   Mailbox User: her own mailbox alice@maildesk.test, and the shared support@
#   bob / bob       Mailbox User: the shared support@maildesk.test
#   admin / admin   Mailbox Admin: on support@ too, sees every mailbox
#
# The mail server is told by MAILDESK_DEMO_IMAP_HOST / _IMAP_PORT / _SMTP_HOST / _SMTP_PORT /
# _MAIL_PASSWORD (defaults: the `mail` and `smtp` services of docker-compose.yml), and
# docker/demo_data.py is looked for in MAILDESK_DEMO_DIR (default /opt/maildesk).
# ruff: noqa: F821  (``env`` comes from odoo shell)
import os
import sys

sys.path.insert(0, os.environ.get("MAILDESK_DEMO_DIR", "/opt/maildesk"))
import demo_data  # noqa: E402

from odoo.addons.maildesk_mail_client.application.services import sync  # noqa: E402

IMAP_HOST = os.environ.get("MAILDESK_DEMO_IMAP_HOST", "mail")
IMAP_PORT = int(os.environ.get("MAILDESK_DEMO_IMAP_PORT", "143"))
SMTP_HOST = os.environ.get("MAILDESK_DEMO_SMTP_HOST", "smtp")
SMTP_PORT = int(os.environ.get("MAILDESK_DEMO_SMTP_PORT", "2525"))
MAIL_PASSWORD = os.environ.get("MAILDESK_DEMO_MAIL_PASSWORD", "demo")

mailbox_user = env.ref("maildesk_mail_client.group_mailbox_user")
admin = env.ref("base.user_admin")


def demo_user(login, name):
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    if not user:
        user = env["res.users"].create({
            "login": login, "name": name, "email": f"{login}@{demo_data.DOMAIN}",
            "password": login, "group_ids": [(4, env.ref("base.group_user").id),
                                             (4, mailbox_user.id)]})
    return user


alice = demo_user("alice", demo_data.ALICE.display_name)
bob = demo_user("bob", demo_data.BOB.display_name)

Account = env["mailbox.account"].with_context(active_test=False)
server = {"imap_host": IMAP_HOST, "imap_port": IMAP_PORT, "imap_security": "none",
          "smtp_host": SMTP_HOST, "smtp_port": SMTP_PORT, "smtp_security": "none",
          "password": MAIL_PASSWORD}
wanted = [
    ("alice", {"name": "Alice Martin", "sender_name": "Alice Martin", "owner_id": alice.id,
               "is_shared": False}),
    ("support", {"name": "Support", "sender_name": "Acme Support", "owner_id": admin.id,
                 "is_shared": True, "access_user_ids": [(4, alice.id), (4, bob.id)]}),
]
accounts = Account.browse()
for login, values in wanted:
    email = f"{login}@{demo_data.DOMAIN}"
    account = Account.search([("email", "=", email)], limit=1)
    if account:
        account.write({key: value for key, value in server.items()
                       if key != "password" and account[key] != value})  # the host may move
    else:
        account = Account.create({"email": email, "imap_login": login, **server, **values})
    accounts |= account
env.cr.commit()

added = demo_data.load(IMAP_HOST, IMAP_PORT, MAIL_PASSWORD, demo_data.build())

# The first sync runs here, a mailbox at a time, until its history is all in; after it, Odoo's
# sync cron keeps the mailboxes up to date.
for account in accounts:
    for _attempt in range(20):
        result = sync.sync_account(env, account.id)
        if result.get("status") != "ok" or result.get("complete"):
            break
    env.cr.commit()  # a new snapshot: the sync committed on cursors of its own
    indexed = env["maildesk.message_index"].search_count([("account_id", "=", account.id)])
    print(f"MailDesk demo: {account.email}: {indexed} messages indexed "
          f"(sync {result.get('status')}{', ' + str(result.get('error')) if result.get('error') else ''})")
    if result.get("status") != "ok":
        raise SystemExit(f"the first sync of {account.email} failed: {account.last_error}")
env.cr.commit()
print("MailDesk demo ready: sign in as alice / alice, bob / bob or admin / admin")
