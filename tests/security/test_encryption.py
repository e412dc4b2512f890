"""Encryption at rest: create, encrypt, decrypt, keys in the keychain or passphrase-wrapped."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import keyring
import keyring.errors
import pytest

from acctdesk.cli import main
from acctdesk.models import Workspace
from acctdesk.models import crypto
from acctdesk.models.workspace import (
    NotAWorkspaceError, WorkspaceEncryptedError, WorkspaceKeyError,
)

from .conftest import PASSPHRASE


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _dump(path: Path) -> list:
    """Every row of every table (the content, whatever the file's header bytes say)."""
    with Workspace(path) as ws:
        tables = [r[0] for r in ws.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, sorted(map(repr, ws.conn.execute(f'SELECT * FROM "{t}"')))) for t in tables]


def _counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.count(t) for t in ("accounts", "subscriptions", "usage", "tickets",
                                      "contacts", "activities", "surveys")}


def test_encrypt_keychain_then_every_command_opens_it(demo_copy, _private_environment, capsys):
    memory = _private_environment  # the in-memory keychain of tests/conftest.py
    with Workspace(demo_copy) as ws:
        before = _counts(ws)
        name = ws.accounts()["name"].iloc[0]
    assert main(["encrypt", str(demo_copy)]) == 0
    out = capsys.readouterr().out
    assert "system keychain" in out and "bak-pre-encrypt" in out

    # the file is no longer readable as SQLite, and holds no plaintext
    raw = demo_copy.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert name.encode() not in raw
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(demo_copy).execute("SELECT * FROM accounts").fetchall()

    # the key is in the keychain; the key file holds only the reference
    kf = json.loads(crypto.key_file_path(demo_copy).read_text())
    assert kf["store"] == "keychain" and "ciphertext" not in kf
    secret = memory.secrets[(crypto.SERVICE, kf["account"])]
    assert len(bytes.fromhex(secret)) == 32
    assert secret not in crypto.key_file_path(demo_copy).read_text()
    assert (crypto.key_file_path(demo_copy).stat().st_mode & 0o777) == 0o600
    assert (demo_copy.stat().st_mode & 0o777) == 0o600

    # the plain backup was made first and has the same data
    backup = next(demo_copy.parent.glob("demo.acctdesk.bak-pre-encrypt-*"))
    with Workspace(backup) as ws:
        assert _counts(ws) == before

    # Workspace (and so every existing command) finds the key in the keychain by itself
    with Workspace(demo_copy) as ws:
        assert ws.encrypted and ws.key_location.store == "keychain"
        assert _counts(ws) == before
        assert ws.integrity_check() == []
        assert ws.audit_log()["action"].tolist()[-1] == "encrypt"
    assert main(["info", str(demo_copy), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accounts"] == before["accounts"]


def test_encrypt_without_keychain_wraps_key_with_passphrase(demo_copy, no_keychain,
                                                            passphrase_file, capsys):
    with Workspace(demo_copy) as ws:
        before = _counts(ws)
    # no keychain and no passphrase: refused, nothing changed
    digest, files = _digest(demo_copy), _names(demo_copy.parent)
    assert main(["encrypt", str(demo_copy)]) == 1
    err = capsys.readouterr().err
    assert "passphrase is needed" in err and "--passphrase-file" in err
    assert _digest(demo_copy) == digest and _names(demo_copy.parent) == files

    assert main(["encrypt", str(demo_copy), "--passphrase-file", str(passphrase_file),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["key"]["store"] == "passphrase"
    assert "wrapped with your passphrase" in result["key"]["description"]
    kf_text = crypto.key_file_path(demo_copy).read_text()
    kf = json.loads(kf_text)
    assert kf["kdf"] == "scrypt" and kf["n"] >= 2 ** 17 and kf["cipher"] == "AES-256-GCM"
    assert PASSPHRASE not in kf_text

    # opening needs the passphrase: a clear message without it
    with pytest.raises(WorkspaceEncryptedError, match="passphrase is needed"):
        Workspace(demo_copy)
    with crypto.open_workspace(demo_copy, passphrase_file) as ws:
        assert ws.encrypted and _counts(ws) == before
    assert main(["audit", str(demo_copy), "--passphrase-file", str(passphrase_file),
                 "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[-1]["action"] == "encrypt"
    assert set(entries[-1]) == {"at", "user", "action", "entity", "detail"}


def test_wrong_passphrase_is_a_clear_message_and_changes_nothing(demo_copy, no_keychain,
                                                                 passphrase_file, tmp_path,
                                                                 capsys):
    crypto.encrypt_workspace(demo_copy, passphrase=PASSPHRASE)
    digest, kf_digest = _digest(demo_copy), _digest(crypto.key_file_path(demo_copy))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n")
    files = _names(demo_copy.parent)
    for argv in (["info", str(demo_copy)], ["decrypt", str(demo_copy)],
                 ["audit", str(demo_copy)], ["erase", str(demo_copy), "x"]):
        code = main(argv + (["--passphrase-file", str(wrong)] if argv[0] != "info" else []))
        assert code == 1
    err = capsys.readouterr().err
    assert "wrong passphrase for demo.acctdesk" in err and "Nothing was changed" in err
    with pytest.raises(WorkspaceKeyError, match="wrong passphrase"):
        crypto.decrypt_workspace(demo_copy, passphrase="nope nope nope")
    assert _digest(demo_copy) == digest
    assert _digest(crypto.key_file_path(demo_copy)) == kf_digest
    assert _names(demo_copy.parent) == files  # no backup, no temporary file


def test_wrong_raw_key_is_refused_without_change(tmp_path):
    path = tmp_path / "w.acctdesk"
    key = crypto.new_key()
    Workspace(path, create=True, key=key).close()
    digest = _digest(path)
    with pytest.raises(WorkspaceKeyError, match="the key does not open this workspace"):
        Workspace(path, key=crypto.new_key())
    assert _digest(path) == digest
    with Workspace(path, key=key) as ws:
        assert ws.schema_version >= 1


def test_keychain_entry_missing_or_keychain_locked(demo_copy, _private_environment):
    crypto.encrypt_workspace(demo_copy)
    account = json.loads(crypto.key_file_path(demo_copy).read_text())["account"]
    memory = _private_environment
    secret = memory.secrets.pop((crypto.SERVICE, account))
    with pytest.raises(WorkspaceKeyError, match="not in this computer's keychain"):
        Workspace(demo_copy)
    memory.secrets[(crypto.SERVICE, account)] = secret

    class Locked(type(memory)):
        def get_password(self, service, username):
            raise keyring.errors.KeyringLocked("the keychain is locked")

    keyring.set_keyring(Locked())
    with pytest.raises(WorkspaceEncryptedError, match="Unlock the keychain"):
        Workspace(demo_copy)
    keyring.set_keyring(memory)
    with Workspace(demo_copy) as ws:
        assert ws.encrypted


def test_failing_keychain_on_store_falls_back_to_passphrase(demo_copy, _private_environment):
    class Broken(type(_private_environment)):
        def set_password(self, service, username, password):
            raise keyring.errors.PasswordSetError("keychain refused")

    keyring.set_keyring(Broken())
    result = crypto.encrypt_workspace(demo_copy, passphrase=PASSPHRASE)
    assert result.location.store == "passphrase"
    assert any("keychain failed" in n for n in result.notes)
    key, _ = crypto.load_key(demo_copy, passphrase=PASSPHRASE)
    with Workspace(demo_copy, key=key) as ws:
        assert ws.count("accounts") == 300


def test_fail_backend_is_not_a_keychain(no_keychain):
    assert not crypto.keychain_available()


def test_plaintext_keyring_backend_is_not_trusted(_private_environment):
    class Plaintext(type(_private_environment)):
        priority = 0.5

    keyring.set_keyring(Plaintext())
    assert not crypto.keychain_available()


def test_decrypt_backs_up_first_and_returns_a_plain_file(demo_copy, capsys):
    with Workspace(demo_copy) as ws:
        before = _counts(ws)
    crypto.encrypt_workspace(demo_copy)
    assert main(["decrypt", str(demo_copy)]) == 0
    assert "Decrypted demo.acctdesk" in capsys.readouterr().out
    assert demo_copy.read_bytes().startswith(b"SQLite format 3\x00")
    assert not crypto.key_file_path(demo_copy).exists()
    with Workspace(demo_copy) as ws:
        assert not ws.encrypted and _counts(ws) == before
        actions = ws.audit_log()["action"].tolist()
        assert actions[-2:] == ["encrypt", "decrypt"]
    # the encrypted backup opens with its own copy of the key file
    backup = next(demo_copy.parent.glob("demo.acctdesk.bak-pre-decrypt-*[0-9]"))
    assert crypto.is_encrypted(backup) and crypto.key_file_path(backup).exists()
    with Workspace(backup) as ws:
        assert ws.encrypted and _counts(ws) == before


def test_create_encrypted_workspace_and_back_it_up(tmp_path, no_keychain):
    path = tmp_path / "new.acctdesk"
    with crypto.create_workspace(path, encrypted=True, passphrase=PASSPHRASE) as ws:
        ws.insert_rows("accounts", ["account_id", "name"], [("A1", "Secret Co")])
        made, removed = ws.rotate_backups(keep=2)
    assert crypto.is_encrypted(path) and b"Secret Co" not in path.read_bytes()
    assert crypto.is_encrypted(made) and b"Secret Co" not in made.read_bytes()
    key, loc = crypto.load_key(made, passphrase=PASSPHRASE)
    assert loc.store == "passphrase"
    with Workspace(made, key=key) as ws:
        assert ws.accounts()["name"].tolist() == ["Secret Co"]
    with pytest.raises(WorkspaceKeyError, match="too short"):
        crypto.create_workspace(tmp_path / "short.acctdesk", encrypted=True, passphrase="abc")
    assert not (tmp_path / "short.acctdesk").exists()


def test_encrypted_file_without_key_file_says_so(tmp_path):
    path = tmp_path / "w.acctdesk"
    crypto.create_workspace(path, encrypted=True).close()
    crypto.key_file_path(path).rename(tmp_path / "elsewhere.key")
    with pytest.raises(NotAWorkspaceError, match="key file w.acctdesk.key is missing"):
        Workspace(path)


def test_encrypt_refused_while_another_process_has_it_open(demo_copy):
    import subprocess
    import sys

    from acctdesk.models.workspace import WorkspaceBusyError

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(demo_copy)!r}, isolation_level=None)\n"
         "c.execute('BEGIN'); c.execute('SELECT COUNT(*) FROM accounts').fetchone()\n"
         "print('ready', flush=True); sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceBusyError, match="open in another acctdesk window"):
            crypto.encrypt_workspace(demo_copy, key_store="keychain")
    finally:
        holder.communicate("\n", timeout=30)
    with Workspace(demo_copy) as ws:  # still a plain workspace with its data
        assert not ws.encrypted and ws.count("accounts") == 300
    assert not crypto.key_file_path(demo_copy).exists()
    assert not list(demo_copy.parent.glob(".demo.acctdesk*"))
    # "nothing was changed" is true: no plain copy of the workspace was left behind
    assert not list(demo_copy.parent.glob("demo.acctdesk.bak-*"))


def test_encrypt_failing_after_its_checks_removes_every_copy(demo_copy, _private_environment,
                                                             monkeypatch):
    """A failure late in the conversion (the converted copy does not verify): the plain
    backup, the encrypted copy, the staged key file and the keychain entry all go."""
    memory = _private_environment
    files = _names(demo_copy.parent)
    real = crypto._table_counts
    calls = []

    def counts(conn):
        calls.append(1)
        got = real(conn)
        return {**got, "accounts": got["accounts"] + 1} if len(calls) == 2 else got

    before = _dump(demo_copy)
    monkeypatch.setattr(crypto, "_table_counts", counts)
    with pytest.raises(crypto.WorkspaceError, match="differs from it.*nothing was changed"):
        crypto.encrypt_workspace(demo_copy, key_store="keychain")
    assert len(calls) == 2                       # it failed after the backup was made
    assert _names(demo_copy.parent) == files and _dump(demo_copy) == before
    assert not [k for k in memory.secrets if k[0] == crypto.SERVICE]
    with Workspace(demo_copy) as ws:
        assert not ws.encrypted and ws.count("accounts") == 300


def test_decrypt_failing_leaves_no_plain_copy(demo_copy, _private_environment, monkeypatch):
    crypto.encrypt_workspace(demo_copy, key_store="keychain")
    before, files = _dump(demo_copy), _names(demo_copy.parent)

    def refuse(tmp, ws_path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(crypto, "_swap", refuse)
    with pytest.raises(OSError, match="No space left"):
        crypto.decrypt_workspace(demo_copy)
    assert _dump(demo_copy) == before and _names(demo_copy.parent) == files
    with Workspace(demo_copy) as ws:              # still encrypted, still whole
        assert ws.encrypted and ws.integrity_check() == [] and ws.count("accounts") == 300
    # no decrypted copy beside it (the only plain file is the backup made before encrypting)
    plain = [p.name for p in demo_copy.parent.iterdir()
             if p.is_file() and p.read_bytes().startswith(b"SQLite format 3")]
    assert [n for n in plain if "bak-pre-encrypt" not in n] == []


def test_rotate_backups_keeps_n_and_spares_other_tags(demo_copy):
    with Workspace(demo_copy) as ws:
        manual = ws.backup("manual")
        made = [ws.rotate_backups(keep=3)[0] for _ in range(5)]
        left = ws.list_backups("auto")
        assert left == made[-3:]
        assert manual.exists()
        _, removed = ws.rotate_backups(keep=0)
        assert removed == made[-3:] and ws.list_backups("auto") == []
        assert ws.list_backups() == [manual]


def test_open_workspace_checks_integrity_and_rotates(demo_copy):
    with crypto.open_workspace(demo_copy, full_check=True, keep_backups=2) as ws:
        assert len(ws.list_backups("auto")) == 1
    with crypto.open_workspace(demo_copy, full_check=True, keep_backups=2) as ws:
        assert len(ws.list_backups("auto")) == 2
