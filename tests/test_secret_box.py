"""The credential encryption used for passwords and OAuth tokens (no Odoo needed)."""
import pytest
from cryptography.fernet import Fernet

from maildesk_mail_client.infrastructure.secret_box import (
    SecretBox,
    SecretKeyInvalid,
    SecretKeyMissing,
    SecretUndecryptable,
    parse_keys,
)

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_sealed_value_hides_the_plaintext_and_opens_again():
    box = SecretBox([OLD])
    sealed = box.encrypt("app-password-123")
    assert "app-password-123" not in sealed and sealed.startswith("mdk1:")
    assert box.decrypt(sealed) == "app-password-123"
    assert box.encrypt("same") != box.encrypt("same"), "each encryption is randomised"


def test_empty_values_stay_empty():
    box = SecretBox([OLD])
    assert box.encrypt("") is False and box.encrypt(None) is False and box.decrypt(False) is False


def test_no_key_and_a_bad_key_are_told_apart():
    with pytest.raises(SecretKeyMissing):
        SecretBox([])
    with pytest.raises(SecretKeyInvalid) as caught:
        SecretBox([OLD, "short"])
    assert caught.value.args == (2,)


def test_a_wrong_key_cannot_open_and_says_so():
    sealed = SecretBox([OLD]).encrypt("x")
    with pytest.raises(SecretUndecryptable):
        SecretBox([NEW]).decrypt(sealed)
    with pytest.raises(SecretUndecryptable):
        SecretBox([NEW]).decrypt("plain text from an old version")


def test_rotation_moves_values_to_the_first_key():
    sealed = SecretBox([OLD]).encrypt("token")
    ring = SecretBox([NEW, OLD])
    assert ring.decrypt(sealed) == "token"
    rotated = ring.rotate(sealed)
    assert SecretBox([NEW]).decrypt(rotated) == "token"


def test_keys_are_read_from_a_comma_or_space_separated_list():
    assert parse_keys(f" {NEW}, {OLD}\n") == [NEW, OLD]
    assert parse_keys("") == [] and parse_keys(None) == []
