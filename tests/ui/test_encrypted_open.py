"""Opening an encrypted workspace in the app: the passphrase is asked for in a dialog."""
from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QApplication, QInputDialog

from acctdesk.models import crypto
from acctdesk.ui.main_window import MainWindow
from acctdesk.ui.passphrase import install_passphrase_dialog


@pytest.fixture
def encrypted(tmp_path, monkeypatch):
    keyring.set_keyring(keyring.backends.fail.Keyring())     # no keychain on this machine
    path = tmp_path / "secret.acctdesk"
    ws = crypto.create_workspace(path, encrypted=True, passphrase="correct horse",
                                 key_store="passphrase")
    ws.insert_rows("accounts", ["account_id", "name", "status", "arr", "contract_start"],
                   [("a1", "Acme", "active", 1200.0, "2025-01-01")])
    ws.close()
    monkeypatch.delenv("ACCTDESK_NO_DIALOGS", raising=False)
    yield path
    crypto.set_passphrase_provider(None)


def test_the_passphrase_dialog_opens_an_encrypted_workspace(qtbot, encrypted, monkeypatch):
    asked = []
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (asked.append(a[2]) or "correct horse", True)))
    install_passphrase_dialog(QApplication.instance())
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.workspace_loaded, timeout=30_000):
        w.open_workspace(encrypted)
    assert asked, "the passphrase was not asked for"
    assert w.workspace.encrypted
    assert "encrypted" in w.status_label.text() and "passphrase" in w.status_label.text()
    w.close()


def test_a_wrong_passphrase_is_refused_and_changes_nothing(qtbot, encrypted, monkeypatch):
    before = encrypted.read_bytes()
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("battery staple", True)))
    install_passphrase_dialog(QApplication.instance())
    monkeypatch.setenv("ACCTDESK_NO_DIALOGS", "0")
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.load_failed, timeout=30_000) as failed:
        w.open_workspace(encrypted)
    assert "passphrase" in failed.args[0].lower()
    assert w.workspace is None
    assert encrypted.read_bytes() == before
    w.close()
