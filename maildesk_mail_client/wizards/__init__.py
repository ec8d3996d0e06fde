from . import mailbox_account_wizard
