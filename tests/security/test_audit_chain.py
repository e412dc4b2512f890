"""The audit trail as a hash chain (issue 16, point 15): ``acctdesk audit --verify`` finds
an entry edited, added or removed outside acctdesk and names the first one."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from acctdesk.cli import main
from acctdesk.importers.pipeline import import_file
from acctdesk.models.batch_undo import undo_batch
from acctdesk.models import Workspace
from acctdesk.models.audit import GENESIS, verify_chain

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def trail(tmp_path):
    """A workspace with twelve audit entries written by acctdesk itself."""
    path = tmp_path / "w.acctdesk"
    csv = tmp_path / "crm.csv"
    csv.write_text("Customer,CSM,ARR\nAcme Corp,Maria,1000\nGlobex,Sam,2000\n")
    with Workspace(path, create=True) as ws:
        batch = import_file(ws, csv).batch_ids[0]
        undo_batch(ws, batch)
        for i in range(10):
            ws.audit("edit", "accounts", f"A{i}", before={"owner": "a"}, after={"owner": f"b{i}"})
    return path


def _sql(path, *statements):
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def test_an_untouched_trail_verifies(trail, capsys):
    assert main(["audit", str(trail), "--verify"]) == 0
    assert "intact: 12 entries" in capsys.readouterr().out
    with Workspace(trail) as ws:
        rows = ws.conn.execute("SELECT id, prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    assert rows[0][1] == GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))


@pytest.mark.parametrize("tamper, first, words", [
    (["UPDATE audit_log SET after = '{\"owner\": \"x\"}' WHERE id = 5"], 5,
     "entry 5 (edit, "),
    (["UPDATE audit_log SET user = 'someone-else' WHERE id = 2"], 2, "entry 2 (undo, "),
    (["DELETE FROM audit_log WHERE id = 7"], 7, "entry 7 was removed"),
    (["DELETE FROM audit_log WHERE id IN (4, 5, 6)"], 4, "entries 4-6 were removed"),
    (["DELETE FROM audit_log WHERE id >= 11"], 11, "the newest entries (after entry 10, up to "
                                                     "entry 12) were removed"),
    (["INSERT INTO audit_log(at, user, action) VALUES ('2026-01-01T00:00:00', 'x', 'edit')"],
     13, "entry 13 (edit, 2026-01-01 00:00:00) was added outside acctdesk"),
    (["DELETE FROM audit_log", "DELETE FROM meta WHERE key = 'audit_head'"], None,
     None),
])
def test_edited_added_or_removed_entries_are_named(trail, capsys, tamper, first, words):
    _sql(trail, *tamper)
    if first is None:          # everything removed, the end marker too: nothing to compare
        assert main(["audit", str(trail), "--verify"]) == 0
        assert "intact: 0 entries" in capsys.readouterr().out
        return
    assert main(["audit", str(trail), "--verify"]) == 1
    err = capsys.readouterr().err
    assert "was changed outside acctdesk" in err and words in err, err
    assert "Traceback" not in err
    assert main(["audit", str(trail), "--verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["first_broken"] == first


def test_a_rewritten_hash_is_caught_by_the_next_entry(trail, capsys):
    with Workspace(trail) as ws:
        from acctdesk.models.audit import entry_hash

        row = ws.conn.execute("SELECT id, at, user, action, entity, entity_id, before, after, "
                              "detail, prev_hash FROM audit_log WHERE id = 6").fetchone()
    forged = entry_hash(row[-1], (row[0], row[1], "mallory", *row[3:-1]))
    _sql(trail, f"UPDATE audit_log SET user = 'mallory', hash = '{forged}' WHERE id = 6")
    assert main(["audit", str(trail), "--verify"]) == 1
    assert "entry 6 was changed outside acctdesk" in capsys.readouterr().err


def test_old_workspace_gets_a_chain_when_migrated(tmp_path):
    fixture = next(DATA.glob("workspaces/*.acctdesk"))
    path = tmp_path / fixture.name
    shutil.copy(fixture, path)
    with Workspace(path) as ws:
        report = verify_chain(ws.conn)
        assert report.ok and report.entries == ws.count("audit_log") >= 1
        ws.audit("edit", "accounts", "x")
        assert verify_chain(ws.conn).ok
