"""The workspace file: creation, migrations, transactions, reopening, and files it refuses."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from acctdesk.models import (
    MIGRATIONS, SCHEMA_VERSION, NotAWorkspaceError, Workspace, WorkspaceDamagedError,
    WorkspaceError, WorkspaceTooNewError, schema,
)
from acctdesk.models.workspace import APPLICATION_ID

DATA = Path(__file__).parent.parent / "data" / "workspaces"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_workspace_has_every_entity_table_and_records_its_migrations(workspace):
    tables = {r[0] for r in workspace.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for entity in ("accounts", "subscriptions", "usage", "tickets", "surveys", "contacts",
                   "activities", "score_history", "import_batches", "audit_log",
                   "external_ids", "rejected_rows", "row_history", "meta"):
        assert entity in tables
    assert workspace.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert workspace.applied_migrations() == [m.name for m in MIGRATIONS]
    assert workspace.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert workspace.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert workspace.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_workspace_file_is_private_to_the_user(workspace):
    mode = stat.S_IMODE(workspace.path.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_reopen_keeps_data(tmp_path):
    path = tmp_path / "w.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name", "arr"], [("a1", "Acme", 1200.0)])
    with Workspace(path) as ws:
        frame = ws.accounts()
        assert frame.loc[0, "name"] == "Acme"
        assert frame.loc[0, "arr"] == 1200.0


def test_missing_file_is_not_created_without_create(tmp_path):
    path = tmp_path / "typo.acctdesk"
    with pytest.raises(WorkspaceError, match="no such workspace"):
        Workspace(path)
    assert not path.exists()


def test_failed_transaction_leaves_nothing_behind(workspace):
    with pytest.raises(RuntimeError):
        with workspace.transaction():
            workspace.insert_rows("accounts", ["account_id", "name"], [("a1", "Acme")])
            workspace.insert_rows("accounts", ["account_id", "name"], [("a2", "Globex")])
            raise RuntimeError("boom")
    assert workspace.count("accounts") == 0


def test_constraint_error_midway_rolls_back_the_whole_batch(workspace):
    rows = [("a1", "Acme"), ("a2", "Globex"), ("a1", "Duplicate key")]
    with pytest.raises(sqlite3.IntegrityError):
        workspace.insert_rows("accounts", ["account_id", "name"], rows)
    assert workspace.count("accounts") == 0


def test_nested_transaction_is_a_savepoint(workspace):
    with workspace.transaction():
        workspace.insert_rows("accounts", ["account_id", "name"], [("a1", "Acme")])
        with pytest.raises(ValueError):
            with workspace.transaction():
                workspace.insert_rows("accounts", ["account_id", "name"], [("a2", "Globex")])
                raise ValueError("inner fails")
    assert list(workspace.accounts()["account_id"]) == ["a1"]


def test_each_thread_gets_its_own_connection(workspace):
    main = workspace.conn
    seen = []

    def worker():
        seen.append(workspace.conn)
        seen.append(workspace.count("accounts"))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen[0] is not main
    assert seen[1] == 0


def test_text_file_is_refused_and_unchanged(tmp_path):
    path = tmp_path / "notes.acctdesk"
    path.write_text("Customer,ARR\nAcme,1200\n")
    before = sha(path)
    with pytest.raises(NotAWorkspaceError, match="not a SQLite database"):
        Workspace(path)
    assert sha(path) == before


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.acctdesk"
    path.write_bytes(b"")
    with pytest.raises(NotAWorkspaceError, match="empty"):
        Workspace(path)
    assert path.read_bytes() == b""


def test_other_sqlite_database_is_refused_and_unchanged(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = sha(path)
    with pytest.raises(NotAWorkspaceError, match="not an acctdesk workspace"):
        Workspace(path)
    assert sha(path) == before


def test_newer_workspace_is_refused_and_unchanged(tmp_path):
    path = tmp_path / "future.acctdesk"
    Workspace(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = sha(path)
    with pytest.raises(WorkspaceTooNewError, match="newer acctdesk"):
        Workspace(path)
    assert sha(path) == before


def test_damaged_workspace_is_refused(tmp_path):
    path = tmp_path / "damaged.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"],
                       [(f"a{i}", f"Account {i}" * 20) for i in range(3000)])
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    for page in range(2, len(data) // 4096):  # scribble over every page but the header
        data[page * 4096 + 10: page * 4096 + 200] = b"\xff" * 190
    path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceDamagedError, match="damaged"):
        Workspace(path)


def _add_test_migration(monkeypatch, fail: bool = False):
    def m002(conn):
        conn.execute("ALTER TABLE accounts ADD COLUMN tier TEXT")
        if fail:
            raise sqlite3.OperationalError("disk on fire")
    migrations = MIGRATIONS + (schema.Migration("002_account_tier", m002),)
    monkeypatch.setattr("acctdesk.models.workspace.MIGRATIONS", migrations)
    monkeypatch.setattr("acctdesk.models.workspace.SCHEMA_VERSION", len(migrations))


def test_migration_backs_up_first_then_applies_and_records(tmp_path, monkeypatch):
    path = tmp_path / "old.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"], [("a1", "Acme")])
    _add_test_migration(monkeypatch)
    with Workspace(path) as ws:
        assert ws.schema_version == len(MIGRATIONS) + 1
        assert ws.applied_migrations()[-1] == "002_account_tier"
        cols = [r[1] for r in ws.conn.execute("PRAGMA table_info(accounts)")]
        assert "tier" in cols
        assert len(ws.backups) == 1
        backup = ws.backups[0]
    # the backup is the old file, complete and openable at its old version
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT name FROM accounts").fetchall() == [("Acme",)]
    conn.close()


def test_failed_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "old.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"], [("a1", "Acme")])
    _add_test_migration(monkeypatch, fail=True)
    with pytest.raises(WorkspaceDamagedError):
        Workspace(path)
    monkeypatch.undo()
    with Workspace(path) as ws:
        assert ws.schema_version == len(MIGRATIONS)
        cols = [r[1] for r in ws.conn.execute("PRAGMA table_info(accounts)")]
        assert "tier" not in cols
        assert ws.count("accounts") == 1


def test_released_workspace_fixture_still_opens(tmp_path):
    """Workspace files written by released versions must keep opening (tests/data/workspaces)."""
    fixtures = sorted(DATA.glob("*.acctdesk"))
    assert fixtures, "no workspace fixtures committed"
    for fixture in fixtures:
        path = tmp_path / fixture.name
        shutil.copy(fixture, path)
        with Workspace(path) as ws:
            assert ws.schema_version == SCHEMA_VERSION
            summary = ws.summary()
            assert summary["accounts"] == 12
            assert summary["data_date"] == "2026-06-30"


def test_data_date_is_the_latest_event_not_a_future_renewal(workspace):
    workspace.insert_rows("accounts", ["account_id", "name", "contract_start", "renewal_date"],
                          [("a1", "Acme", "2025-01-01", "2027-01-01")])
    workspace.insert_rows("usage", ["account_id", "metric", "date", "value"],
                          [("a1", "logins", "2026-09-30", 10)])
    workspace.insert_rows("tickets", ["source", "ticket_id", "account_id", "created_at"],
                          [("zendesk", "1", "a1", "2026-10-05T09:00:00")])
    assert workspace.data_date() == "2026-10-05"
    workspace.set_meta("data_date", "2026-10-31")
    assert workspace.data_date() == "2026-10-31"


def test_summary_counts_only_accounts_active_on_the_data_date(workspace):
    workspace.insert_rows(
        "accounts",
        ["account_id", "name", "arr", "status", "contract_start", "churn_date"],
        [("a1", "Active", 1000.0, "active", "2024-01-01", None),
         ("a2", "Churned before", 500.0, "churned", "2024-01-01", "2026-03-01"),
         ("a3", "Churns after data date", 300.0, "active", "2024-01-01", "2026-12-01"),
         ("a4", "Signs after data date", 700.0, "active", "2026-11-15", None)],
    )
    workspace.set_meta("data_date", "2026-10-31")
    s = workspace.summary()
    assert s["accounts"] == 4
    assert s["active_accounts"] == 2          # a1 and a3
    assert s["churned_accounts"] == 1         # a2
    assert s["arr_active"] == 1300.0


def test_fast_account_read_holds_the_same_rows_and_summary(workspace):
    """The app's table reads accounts unordered as plain Python values; same rows, same
    counts as the ordered, typed read and ``summary``."""
    workspace.insert_rows(
        "accounts", ["account_id", "name", "arr", "seats", "status", "contract_start",
                     "churn_date"],
        [("a1", "beta", 1000.5, 10, "active", "2024-01-01", None),
         ("a2", "Alpha", None, None, "churned", "2024-01-01", "2026-03-01"),
         ("a3", "gamma", 300.0, 3, "active", "2024-01-01", "2026-12-01")])
    workspace.set_meta("data_date", "2026-10-31")
    fast = workspace.accounts(ordered=False, objects=True)
    typed = workspace.accounts()
    assert list(typed["name"]) == ["Alpha", "beta", "gamma"]       # by name, any case
    assert list(fast["account_id"]) == ["a1", "a2", "a3"]         # as stored
    assert list(fast.columns) == list(typed.columns)
    assert all(dtype == object for dtype in fast.dtypes)
    assert fast.loc[1, "arr"] is None and fast.loc[0, "churn_date"] is None
    assert fast.loc[0, "arr"] == 1000.5 and fast.loc[0, "seats"] == 10
    quick = workspace.account_summary(fast)
    full = workspace.summary()
    for key in ("accounts", "active_accounts", "churned_accounts", "arr_active", "data_date"):
        assert quick[key] == full[key], key
    assert (quick["accounts"], quick["active_accounts"], quick["arr_active"]) == (3, 2, 1300.5)


def test_frames_built_in_pieces_equal_one_from_records(workspace, monkeypatch):
    """Big query results become a frame piece by piece (so a background read never holds the
    interpreter lock for long); values and dtypes must be what one from_records gives, also
    where a piece's column is all NULL."""
    import pandas as pd

    from acctdesk.models import workspace as workspace_module

    workspace.conn.execute("CREATE TABLE t (i INTEGER, n INTEGER, s TEXT, late TEXT, "
                           "f REAL, mixed, blank TEXT)")
    rows = [(k, None if k < 5 else k, f"s{k}", None if k < 7 else f"d{k}", k / 3,
             "x" if k % 4 else k, None) for k in range(11)]
    workspace.conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    sql = "SELECT i, n, s, late, f, mixed, blank, i AS i FROM t ORDER BY i"
    expected = pd.DataFrame.from_records(workspace.conn.execute(sql).fetchall(),
                                         columns=["i", "n", "s", "late", "f", "mixed",
                                                  "blank", "i"])
    for chunk in (2, 3, 5, 100):
        monkeypatch.setattr(workspace_module, "FRAME_CHUNK", chunk)
        got = workspace.frame(sql)
        pd.testing.assert_frame_equal(got, expected)
    assert str(got["n"].dtype) == "float64" and got["n"].isna().sum() == 5
    assert got["late"].isna().sum() == 7 and got["late"].iloc[-1] == "d10"


def test_old_workspace_fixture_migrates_to_the_safety_schema(tmp_path):
    """The committed schema-1 workspace gains usage.custom, the undo history columns, the
    audit chain and the account-id salt, with a backup made first (issue 16)."""
    from acctdesk.models.audit import verify_chain

    fixture = DATA / "schema1-demo12.acctdesk"
    path = tmp_path / fixture.name
    shutil.copy(fixture, path)
    with Workspace(path) as ws:
        assert "003_usage_custom_and_audit_chain" in ws.applied_migrations()
        cols = {t: {r[1] for r in ws.conn.execute(f"PRAGMA table_info({t})")}
                for t in ("usage", "row_history", "audit_log")}
        assert "custom" in cols["usage"] and "after" in cols["row_history"]
        assert {"prev_hash", "hash"} <= cols["audit_log"]
        assert len(ws.get_meta("id_salt")) == 32
        assert verify_chain(ws.conn).ok and ws.count("usage") == 375
        assert len(ws.backups) == 1 and ws.backups[0].exists()
        ws.insert_rows("usage", ["account_id", "metric", "date", "value", "custom"],
                       [("x", "logins", "2026-07-01", 1.0, '{"note": "kept"}')])
