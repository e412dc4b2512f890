"""Undo of overlapping import batches: the workspace as if the file had never been imported,
while the files imported after it had been (issue 16, point 1).

The oracle is a second workspace (same id salt) into which only the files that were not
undone are imported, in the same order: every entity table must hold exactly the same rows.
"""
from __future__ import annotations

import itertools
import json

import pytest

from acctdesk.cli import main
from acctdesk.importers.pipeline import import_file
from acctdesk.models.batch_undo import UndoNeedsConfirmation, undo_batch
from acctdesk.models import ENTITY_KEYS, Workspace
from acctdesk.models import edits

ACCOUNTS = {
    # a, b, c, d: monthly CRM exports that overlap (b shares Globex with a, c shares Initech
    # with b with a new ARR, d brings Acme again with b's ARR and Globex unchanged)
    "a.csv": "Customer,CSM,ARR,Segment\nAcme Corp,Maria,1000,SMB\nGlobex,Sam,2000,\n",
    "b.csv": "Customer,CSM,ARR,Segment\nGlobex,Sam,2000,\nInitech,Sam,3000,MM\n"
             "Acme Corp,Maria,2500,\n",
    "c.csv": "Customer,CSM,ARR,Segment\nInitech,Sam,3500,\nUmbrella,Eve,4000,ENT\n",
    "d.csv": "Customer,CSM,ARR,Segment\nAcme Corp,Maria,2500,\nGlobex,Sam,2000,\n",
}
USAGE = {
    # usage exports of overlapping months (the same sample twice, once with a new value)
    "u1.csv": "Account,Date,Metric,Value,Region note\nAcme Corp,2026-01-31,logins,5,north\n"
              "Globex,2026-01-31,logins,7,\nAcme Corp,2026-02-28,logins,6,\n",
    "u2.csv": "Account,Date,Metric,Value,Region note\nAcme Corp,2026-02-28,logins,6,\n"
              "Globex,2026-02-28,logins,9,\nGlobex,2026-01-31,logins,8,south\n",
    "u3.csv": "Account,Date,Metric,Value,Region note\nGlobex,2026-02-28,logins,9,\n"
              "Acme Corp,2026-03-31,logins,4,\n",
}
ORDER = ["a.csv", "b.csv", "u1.csv", "c.csv", "u2.csv", "d.csv", "u3.csv"]


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, text in {**ACCOUNTS, **USAGE}.items():
        (folder / name).write_text(text)
    return folder


def content(ws: Workspace) -> dict[str, list[tuple]]:
    """Every entity table's rows (all columns but batch_id), sorted."""
    out = {}
    for table in [*ENTITY_KEYS, "external_ids"]:
        cols = [r[1] for r in ws.conn.execute(f"PRAGMA table_info({table})")
                if r[1] != "batch_id"]
        out[table] = sorted(ws.conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(),
                            key=repr)
    return out


def oracle(tmp_path, files, names: list[str], salt: str, tag: str) -> dict:
    """The workspace into which only ``names`` were imported (same order, same id salt)."""
    path = tmp_path / f"oracle-{tag}.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.set_meta("id_salt", salt)
        for name in names:
            r = import_file(ws, files / name)
            assert r.error is None, r.error
        return content(ws)


def test_undo_of_a_middle_batch_keeps_what_later_files_also_brought(tmp_path, files):
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        ids = {}
        for name in ["a.csv", "b.csv", "c.csv"]:
            r = import_file(ws, files / name)
            assert r.error is None
            ids[name] = r.batch_ids[0]
        undo_batch(ws, ids["b.csv"])
        salt = ws.get_meta("id_salt")
        names = dict(ws.conn.execute("SELECT name, arr FROM accounts").fetchall())
        # Initech came with b and again (new ARR) with c: it stays, with c's values;
        # Globex came with a and b: it stays; Acme gets a's ARR back
        assert names == {"Acme Corp": 1000.0, "Globex": 2000.0, "Initech": 3500.0,
                         "Umbrella": 4000.0}
        assert content(ws) == oracle(tmp_path, files, ["a.csv", "c.csv"], salt, "ac")
        # c.csv is still applied: importing it again changes nothing, and says so
        again = import_file(ws, files / "c.csv")
        assert again.skipped and "already imported" in again.notes[-1]
        # undoing c now removes what only c brought; Initech goes (b was undone)
        undo_batch(ws, ids["c.csv"])
        assert content(ws) == oracle(tmp_path, files, ["a.csv"], salt, "a")


def test_undo_where_a_later_file_brought_the_row_unchanged(tmp_path, files):
    """b raised Acme's ARR; d brought Acme again with that ARR (unchanged, no history of a
    change). Without b, d would have raised it: undoing b keeps 2500."""
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        ids = {n: import_file(ws, files / n).batch_ids[0] for n in ["a.csv", "b.csv", "d.csv"]}
        undo_batch(ws, ids["b.csv"])
        arr = ws.conn.execute("SELECT arr FROM accounts WHERE name = 'Acme Corp'").fetchone()[0]
        assert arr == 2500.0
        assert content(ws) == oracle(tmp_path, files, ["a.csv", "d.csv"],
                                     ws.get_meta("id_salt"), "ad")
        undo_batch(ws, ids["d.csv"])
        assert content(ws) == oracle(tmp_path, files, ["a.csv"],
                                     ws.get_meta("id_salt"), "a")


@pytest.mark.parametrize("undone", [
    ("b.csv",), ("u1.csv",), ("u2.csv",), ("a.csv", "u2.csv"), ("u2.csv", "b.csv"),
    ("c.csv", "u1.csv", "d.csv"), ("d.csv", "u3.csv", "b.csv"),
])
def test_any_undo_order_equals_importing_only_the_rest(tmp_path, files, undone):
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        ids = {}
        for name in ORDER:
            r = import_file(ws, files / name)
            assert r.error is None, r.error
            ids[name] = r.batch_ids[0]
        for name in undone:
            undo_batch(ws, ids[name], force=True)
        rest = [n for n in ORDER if n not in undone]
        expected = oracle(tmp_path, files, rest, ws.get_meta("id_salt"), "rest")
        assert content(ws) == expected
        assert ws.conn.execute("SELECT COUNT(*) FROM usage WHERE account_id NOT IN "
                               "(SELECT account_id FROM accounts)").fetchone()[0] == 0


def test_undo_of_accounts_that_later_data_depends_on_asks_first(tmp_path, files, capsys):
    path = tmp_path / "w.acctdesk"
    with Workspace(path, create=True) as ws:
        ids = {n: import_file(ws, files / n).batch_ids[0] for n in ["b.csv", "u1.csv"]}
        acme = ws.conn.execute("SELECT account_id FROM accounts WHERE name = 'Acme Corp'"
                               ).fetchone()[0]
        edits.add_activity(ws, acme, "call", "renewal call")
        edits.set_worklist_state(ws, acme, "snoozed", until="2099-01-01")
        before = content(ws)
    # the CLI refuses without --force and names what depends on the accounts
    assert main(["undo", str(path), str(ids["b.csv"])]) == 1
    err = capsys.readouterr().err
    assert "Acme Corp" in err and "usage rows from u1.csv" in err
    assert "1 note or call logged in acctdesk" in err and "snoozed on the worklist" in err
    assert "--force" in err
    with Workspace(path) as ws:
        assert content(ws) == before            # nothing changed
        with pytest.raises(UndoNeedsConfirmation) as info:
            undo_batch(ws, ids["b.csv"])
        assert {d["name"] for d in info.value.dependents} == {"Acme Corp", "Globex"}
    # with --force: undone, and the accounts other rows point at stay
    assert main(["undo", str(path), str(ids["b.csv"]), "--force", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["accounts_kept"] == 2
    with Workspace(path) as ws:
        names = {r[0] for r in ws.conn.execute("SELECT name FROM accounts")}
        assert names == {"Acme Corp", "Globex"}          # Initech (only b's) is gone
        for table in ("usage", "activities"):
            assert ws.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE account_id NOT IN "
                                   "(SELECT account_id FROM accounts)").fetchone()[0] == 0
        assert ws.count("usage") == 3 and ws.count("activities") == 1
        assert edits.worklist_states(ws)[acme]["state"] == "snoozed"
        status = ws.conn.execute("SELECT status FROM import_batches WHERE batch_id = ?",
                                 (ids["b.csv"],)).fetchone()[0]
        assert status == "undone"


def test_undo_is_one_transaction_and_audited(tmp_path, files):
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        ids = [import_file(ws, files / n).batch_ids[0] for n in ["a.csv", "b.csv", "d.csv"]]
        undo_batch(ws, ids[1])
        entry = ws.conn.execute("SELECT action, entity_id, detail FROM audit_log "
                                "ORDER BY id DESC LIMIT 1").fetchone()
        assert entry == ("undo", str(ids[1]), "b.csv")
        with pytest.raises(Exception, match="already undone"):
            undo_batch(ws, ids[1])


def test_every_order_of_undoing_three_overlapping_files(tmp_path, files):
    """a, b, c undone one after the other in every order: each step equals the oracle."""
    salt = None
    for order in itertools.permutations(["a.csv", "b.csv", "c.csv"]):
        tag = "-".join(n[0] for n in order)
        with Workspace(tmp_path / f"w-{tag}.acctdesk", create=True) as ws:
            if salt is None:
                salt = ws.get_meta("id_salt")
            ws.set_meta("id_salt", salt)
            ids = {n: import_file(ws, files / n).batch_ids[0] for n in ["a.csv", "b.csv", "c.csv"]}
            left = ["a.csv", "b.csv", "c.csv"]
            for name in order:
                undo_batch(ws, ids[name])
                left.remove(name)
                assert content(ws) == oracle(tmp_path, files, left, salt,
                                             f"{tag}-{len(left)}"), (order, name)
