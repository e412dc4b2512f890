"""Fixtures for the security tests: a failing keyring (no keychain) and passphrase files."""
from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def no_keychain():
    """The machine has no keychain: keyring's fail backend (priority 0, raises on use)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def passphrase_file(tmp_path):
    p = tmp_path / "passphrase.txt"
    p.write_text(PASSPHRASE + "\n")
    return p


@pytest.fixture(autouse=True)
def _no_passphrase_provider(monkeypatch):
    from acctdesk.models import crypto

    monkeypatch.delenv(crypto.PASSPHRASE_ENV, raising=False)
    crypto.set_passphrase_provider(None)
    yield
    crypto.set_passphrase_provider(None)
