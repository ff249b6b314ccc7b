"""Mailbox passwords at rest (ADR 8)."""

import pytest
from cryptography.fernet import Fernet

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.integrations.credentials import (
    CredentialError,
    check_env_name,
    decrypt_password,
    encrypt_password,
    mailbox_password,
)


def test_round_trip_and_the_token_does_not_contain_the_password():
    token = encrypt_password("correct horse")
    assert "correct horse" not in token
    assert decrypt_password(token) == "correct horse"


def test_a_changed_secret_key_is_reported_not_crashing(settings):
    token = encrypt_password("pw")
    settings.SECRET_KEY = "another secret key entirely, fifty characters long!!"
    with pytest.raises(CredentialError, match="enter the password again"):
        decrypt_password(token)


def test_a_dedicated_key_wins_over_secret_key(settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "MAILBOX_SECRET_KEY": Fernet.generate_key().decode()}
    token = encrypt_password("pw")
    settings.SECRET_KEY = "changing this does not matter now, the dedicated key is used"
    assert decrypt_password(token) == "pw"


def test_the_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("CRM_TEST_IMAP_PASSWORD", "from-env")
    stored = encrypt_password("stored")
    assert (
        mailbox_password(password_encrypted=stored, password_env="CRM_TEST_IMAP_PASSWORD")
        == "from-env"
    )
    assert mailbox_password(password_encrypted=stored, password_env="") == "stored"
    with pytest.raises(CredentialError):
        mailbox_password(password_encrypted="", password_env="")


@pytest.mark.parametrize("name", ["1ABC", "A-B", "PASSWÖRD", "A B"])
def test_environment_variable_names_are_checked(name):
    with pytest.raises(ValidationFailed):
        check_env_name(name)
    assert check_env_name(" IMAP_PASSWORD_2 ") == "IMAP_PASSWORD_2"
