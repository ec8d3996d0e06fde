"""The account lease: one holder at a time, never a wait, expiry and reaping."""
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import MailDeskFixture


@tagged("post_install", "-at_install")
class TestAccountLease(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        # Leases run on their own cursor: let it see this test's uncommitted accounts.
        cls.registry_enter_test_mode_cls()
        cls.Lease = cls.env["maildesk.account_lease"]

    def expire(self, account):
        self.env.cr.execute("""UPDATE maildesk_account_lease
                                  SET lease_until = (now() AT TIME ZONE 'UTC') - interval '1 second'
                                WHERE account_id = %s""", [account.id])

    def test_only_one_worker_holds_a_lease(self):
        self.assertTrue(self.Lease.try_acquire(self.support.id, 300, owner="worker-a"))
        self.assertFalse(self.Lease.try_acquire(self.support.id, 300, owner="worker-b"))
        self.assertTrue(self.Lease.try_acquire(self.personal.id, 300, owner="worker-b"))
        lease = self.Lease.search([("account_id", "=", self.support.id)])
        self.assertEqual(lease.owner, "worker-a")

    def test_an_expired_lease_can_be_taken_over(self):
        self.assertTrue(self.Lease.try_acquire(self.support.id, 300, owner="crashed"))
        self.expire(self.support)
        self.assertTrue(self.Lease.try_acquire(self.support.id, 300, owner="next"))
        self.assertFalse(self.Lease.renew(self.support.id, 300, owner="crashed"))
        self.assertTrue(self.Lease.renew(self.support.id, 300, owner="next"))

    def test_release_by_owner_only(self):
        self.Lease.try_acquire(self.support.id, 300, owner="worker-a")
        self.assertFalse(self.Lease.release(self.support.id, owner="worker-b"))
        self.assertTrue(self.Lease.release(self.support.id, owner="worker-a"))
        self.assertTrue(self.Lease.try_acquire(self.support.id, 300, owner="worker-b"))

    def test_an_expired_lease_cannot_be_renewed(self):
        self.Lease.try_acquire(self.support.id, 300, owner="worker-a")
        self.expire(self.support)
        self.assertFalse(self.Lease.renew(self.support.id, 300, owner="worker-a"))

    def test_reaping_removes_only_expired_leases(self):
        self.Lease.try_acquire(self.support.id, 300, owner="a")
        self.Lease.try_acquire(self.personal.id, 300, owner="b")
        self.expire(self.support)
        self.assertEqual(self.Lease.reap_expired(), 1)
        self.assertEqual(self.Lease.search([]).account_id, self.personal)

    def test_zero_ttl_means_the_default(self):
        self.assertTrue(self.Lease.try_acquire(self.support.id, 0))
        lease = self.Lease.search([("account_id", "=", self.support.id)])
        self.assertEqual(lease.owner, f"uid:{self.env.uid}")
        self.assertGreater(lease.lease_until, lease.create_date)

    def test_mailbox_users_cannot_touch_leases(self):
        for method, args in (("try_acquire", (self.support.id,)), ("renew", (self.support.id,)),
                             ("release", (self.support.id,)), ("reap_expired", ())):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(self.Lease.with_user(self.member), method)(*args)
