"""Restoring a damaged workspace from its newest good backup (issue 16, point 10): the
backups are listed and checked, the newest good one is offered and restored, the damaged
file is kept beside it; plain and encrypted."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from acctdesk.cli import main
from acctdesk.models import Workspace, WorkspaceDamagedError
from acctdesk.models import crypto
from acctdesk.models.restore import RestoreError, check_backup, list_backups, restore_backup

from .conftest import PASSPHRASE


def _scribble(path) -> None:
    """Damage every page but the header, as a failing disk would."""
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096):
        data[page * 4096 + 10: page * 4096 + 200] = b"\xff" * 190
    path.write_bytes(bytes(data))


def _seed(path, n: int, key=None) -> None:
    with Workspace(path, create=not path.exists(), key=key) as ws:
        ws.insert_rows("accounts", ["account_id", "name"],
                       [(f"a{i}", f"Account {i}" * 20) for i in range(n)])
        ws.checkpoint()


def test_cli_lists_checks_offers_and_restores_the_newest_good_backup(tmp_path, capsys):
    ws = tmp_path / "w.acctdesk"
    _seed(ws, 2000)
    with Workspace(ws) as w:
        older = w.backup("auto")
        time.sleep(1.1)
        w.insert_rows("accounts", ["account_id", "name"], [("late", "Added later")])
        newer = w.backup("auto")
        w.checkpoint()
    _scribble(newer)                      # the newest backup is damaged too
    import os
    os.utime(newer, (time.time() + 5, time.time() + 5))
    _scribble(ws)
    with pytest.raises(WorkspaceDamagedError, match=f"acctdesk restore {ws.name}"):
        Workspace(ws)
    # the message when opening names the way out
    assert main(["info", str(ws)]) == 1
    assert "Restore the newest good backup with 'acctdesk restore w.acctdesk'" in \
        capsys.readouterr().err
    # listing: both checked, newest first, the good one offered; nothing changed
    damaged = ws.read_bytes()
    assert main(["restore", str(ws)]) == 0
    out = capsys.readouterr().out
    assert out.index(newer.name) < out.index(older.name)
    assert f"{newer.name} (made" in out and "NOT usable: damaged" in out
    assert f"{older.name} (made" in out and "good" in out
    assert f"acctdesk restore {ws} {older.name}" in out
    assert ws.read_bytes() == damaged
    # restoring it: the damaged file is kept beside it, the workspace opens with its data
    assert main(["restore", str(ws), "--newest", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["backup"]["name"] == older.name
    kept = tmp_path / result["kept_as"].split("/")[-1]
    assert kept.name.startswith("w.acctdesk.damaged-") and kept.read_bytes() == damaged
    with Workspace(ws) as w:
        assert w.count("accounts") == 2000 and w.integrity_check() == []
        entry = w.conn.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
                               ).fetchone()
        assert entry[0] == "restore" and older.name in entry[1] and kept.name in entry[1]
    # a damaged backup named explicitly is refused, and nothing changes
    before = ws.read_bytes()
    with pytest.raises(RestoreError, match="cannot be restored: it is damaged"):
        restore_backup(ws, newer.name)
    assert ws.read_bytes() == before


def test_no_good_backup_is_said(tmp_path, capsys):
    ws = tmp_path / "w.acctdesk"
    _seed(ws, 2000)
    _scribble(ws)
    assert main(["restore", str(ws)]) == 1
    assert "has no backups beside it" in capsys.readouterr().err
    with pytest.raises(RestoreError, match="no backups beside it"):
        restore_backup(ws)


def test_restore_is_refused_while_another_command_has_it_open(tmp_path):
    ws = tmp_path / "w.acctdesk"
    _seed(ws, 10)
    with Workspace(ws) as w:
        backup = w.backup("auto")
        from acctdesk.models.workspace import WorkspaceBusyError

        with pytest.raises(WorkspaceBusyError, match="still open in this acctdesk window"):
            restore_backup(ws, backup)
        assert w.count("accounts") == 10


def test_encrypted_workspace_restores_from_its_encrypted_backup(tmp_path, no_keychain,
                                                               passphrase_file, capsys):
    ws = tmp_path / "w.acctdesk"
    crypto.create_workspace(ws, encrypted=True, passphrase=PASSPHRASE,
                            key_store="passphrase").close()
    key, _ = crypto.load_key(ws, passphrase=PASSPHRASE)
    _seed(ws, 2000, key=key)
    with Workspace(ws, key=key) as w:
        backup = w.backup("auto")
    info = check_backup(backup, keys={})
    assert info.encrypted and not info.ok  # no passphrase at hand: it cannot be checked
    crypto.use_passphrase_file(passphrase_file)
    try:
        assert check_backup(backup).ok
        _scribble(ws)
        assert list_backups(ws) == [backup]
        result = restore_backup(ws)
    finally:
        crypto.set_passphrase_provider(None)
    assert result.backup.path == backup and result.kept_as.exists()
    with Workspace(ws, key=key) as w:
        assert w.encrypted and w.count("accounts") == 2000
    raw = ws.read_bytes()
    assert not raw.startswith(b"SQLite format 3") and b"Account 1" not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(ws).execute("SELECT 1 FROM accounts").fetchone()
