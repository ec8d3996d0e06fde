from maildesk_mail_client.infrastructure.addresses import is_plain_address


def test_plain_addresses():
    assert is_plain_address("support@example.com")
    assert is_plain_address("first.last+tag@sub.example.co.uk")
    for bad in ("", None, "a@", "@example.com", "two@@example.com", "no-at.example.com",
                "a@b", "a b@example.com", "<a@example.com>"):
        assert not is_plain_address(bad), bad
