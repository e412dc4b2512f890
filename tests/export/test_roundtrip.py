"""Round trip: edit a real pack like a user would, import it back, undo it."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from acctdesk.engine.pack import build_pack
from acctdesk.export.pack import write_pack
from acctdesk.importers.pack_marker import is_pack
from acctdesk.importers.pipeline import import_file, undo_batch
from acctdesk.models import Workspace

NOW = dt.datetime(2026, 11, 22, 10, 15)
OTHER_TABLES = ["subscriptions", "usage", "tickets", "surveys", "contacts", "external_ids"]


@pytest.fixture(scope="module")
def pack_of_demo(demo_file, tmp_path_factory):
    pack = tmp_path_factory.mktemp("rt") / "pack.xlsx"
    with Workspace(demo_file) as w:
        write_pack(build_pack(w, risk_source="health", now=NOW), pack)
    return pack


@pytest.fixture
def setup(demo_copy, pack_of_demo):
    """A private copy of the demo workspace and a pack written from the same data."""
    return demo_copy, pack_of_demo


def edit(pack: Path, out: Path, changes: dict[tuple[int, str], object]) -> dict[int, str]:
    """Change Worklist cells (data row index from 0, column title) with openpyxl; returns the
    account id of each edited row."""
    wb = openpyxl.load_workbook(pack)
    ws = wb["Worklist"]
    col = {c.value: c.column for c in ws[4]}
    ids = {}
    for (i, title), value in changes.items():
        cell = ws.cell(5 + i, col[title])
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # typed text, never a formula
        ids[i] = ws.cell(5 + i, col["Account ID"]).value
    wb.save(out)
    return ids


def snapshot(w: Workspace) -> dict:
    out = {}
    for t in ["accounts", "activities", *OTHER_TABLES]:
        f = w.frame(f"SELECT * FROM {t} ORDER BY 1, 2")
        out[t] = f.astype(object).where(f.notna(), None).to_dict("records")  # NaN != NaN
    return out


def test_edits_are_applied_as_one_batch_and_undo_restores_everything(setup, tmp_path):
    ws_path, pack = setup
    edited = tmp_path / "edited.xlsx"
    ids = edit(pack, edited, {
        (0, "Owner"): "Zoë New",
        (1, "Status"): "Done",
        (1, "Next step"): "Send renewal quote",
        (2, "Notes"): "=1+1 spoke to CFO; budget approved",
    })
    assert is_pack(edited)
    with Workspace(ws_path) as w:
        before = snapshot(w)
        data_date = w.data_date()
        result = import_file(w, edited)
        assert result.error is None, result.error
        assert (result.updated, result.inserted, result.rejected) == (1, 3, 0)
        assert result.unchanged == result.rows_read - 3
        (batch,) = result.batch_ids
        acc = w.conn.execute("SELECT owner, batch_id FROM accounts WHERE account_id = ?",
                             (ids[0],)).fetchone()
        assert acc == ("Zoë New", batch)
        notes = w.frame("SELECT account_id, date, kind, text, batch_id FROM activities "
                        "WHERE batch_id = ? ORDER BY text", (batch,))
        assert notes.to_dict("records") == [
            {"account_id": ids[2], "date": "2026-10-31", "kind": "note",
             "text": "=1+1 spoke to CFO; budget approved", "batch_id": batch},
            {"account_id": ids[1], "date": "2026-10-31", "kind": "note",
             "text": "Next step: Send renewal quote", "batch_id": batch},
            {"account_id": ids[1], "date": "2026-10-31", "kind": "note",
             "text": "Status: Done", "batch_id": batch},
        ]
        assert w.data_date() == data_date
        after = snapshot(w)
        for t in OTHER_TABLES:  # nothing else touched
            assert after[t] == before[t]
        changed = [a for a, b in zip(after["accounts"], before["accounts"]) if a != b]
        assert [c["account_id"] for c in changed] == [ids[0]]
        batch_row = w.conn.execute("SELECT profile, entity, status FROM import_batches "
                                   "WHERE batch_id = ?", (batch,)).fetchone()
        assert batch_row == ("acctdesk-pack", "accounts", "applied")

        again = import_file(w, edited)
        assert again.skipped and again.batch_ids == [batch]

        undo_batch(w, batch)
        assert snapshot(w) == before


def test_next_pack_shows_saved_edits_and_unchanged_pack_changes_nothing(setup, tmp_path):
    ws_path, pack = setup
    edited = tmp_path / "edited.xlsx"
    ids = edit(pack, edited, {(0, "Status"): "In progress", (0, "Notes"): "Waiting for PO"})
    with Workspace(ws_path) as w:
        assert import_file(w, edited).inserted == 2
        second = tmp_path / "second.xlsx"
        write_pack(build_pack(w, risk_source="health", now=NOW), second)
        ws = openpyxl.load_workbook(second)["Worklist"]
        col = {c.value: c.column for c in ws[4]}
        row = next(r for r in range(5, ws.max_row + 1)
                   if ws.cell(r, col["Account ID"]).value == ids[0])
        assert ws.cell(row, col["Status"]).value == "In progress"
        assert ws.cell(row, col["Notes"]).value == "Waiting for PO"
        before = snapshot(w)
        result = import_file(w, second)  # an untouched pack: no batch, nothing changed
        assert result.batch_ids == [] and result.inserted == result.updated == 0
        assert snapshot(w) == before


def test_owner_conflict_and_unknown_accounts_are_rejected_not_guessed(setup, tmp_path):
    ws_path, pack = setup
    edited = tmp_path / "edited.xlsx"
    ids = edit(pack, edited, {(0, "Owner"): "Sheet Owner", (1, "Owner"): "Fine Owner"})
    wb = openpyxl.load_workbook(edited)
    ws = wb["Worklist"]
    col = {c.value: c.column for c in ws[4]}
    ws.cell(7, col["Account ID"]).value = "NOPE-1"
    ws.cell(7, col["Notes"]).value = "lost"
    wb.save(edited)
    with Workspace(ws_path) as w:
        with w.transaction() as conn:  # someone else reassigned account 0 since the export
            conn.execute("UPDATE accounts SET owner = 'Moved Meanwhile' WHERE account_id = ?",
                         (ids[0],))
        result = import_file(w, edited)
        assert (result.updated, result.rejected) == (1, 2)
        assert any("owner changed in the workspace" in e for e in result.row_errors)
        assert any("not in the exported Worklist" in e for e in result.row_errors)
        owners = dict(w.conn.execute("SELECT account_id, owner FROM accounts WHERE account_id "
                                     "IN (?, ?)", (ids[0], ids[1])).fetchall())
        assert owners == {ids[0]: "Moved Meanwhile", ids[1]: "Fine Owner"}
        rej = w.frame("SELECT row_number, column_name FROM rejected_rows WHERE batch_id = ?",
                      (result.batch_ids[0],))
        assert sorted(rej["row_number"]) == [5, 7]


def test_a_damaged_pack_is_refused_with_a_message(setup, tmp_path):
    ws_path, pack = setup
    wb = openpyxl.load_workbook(pack)
    ws = wb["Worklist"]
    ws.cell(4, [c.value for c in ws[4]].index("Account ID") + 1).value = "Id"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with Workspace(ws_path) as w:
        result = import_file(w, bad)
    assert result.error and "no header with Account ID" in result.error
    assert result.batch_ids == []


def test_pipeline_import_file_recognises_the_pack(setup, tmp_path):
    """`acctdesk import` path: needs the pipeline hook (see the export report)."""
    ws_path, pack = setup
    edited = tmp_path / "edited.xlsx"
    ids = edit(pack, edited, {(0, "Owner"): "Via Pipeline"})
    with Workspace(ws_path) as w:
        result = import_file(w, edited)
        assert result.error is None and result.profile == "acctdesk-pack"
        assert result.updated == 1 and result.inserted == 0
        assert w.conn.execute("SELECT owner FROM accounts WHERE account_id = ?",
                              (ids[0],)).fetchone() == ("Via Pipeline",)
        undo_batch(w, result.batch_ids[0])
        assert w.conn.execute("SELECT count(*) FROM accounts WHERE owner = 'Via Pipeline'"
                              ).fetchone() == (0,)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pack_resaved_by_libreoffice_still_round_trips(setup, tmp_path):
    ws_path, pack = setup
    edited = tmp_path / "edited.xlsx"
    ids = edit(pack, edited, {(0, "Owner"): "LO Owner", (3, "Notes"): "+44 20 7946 0000"})
    outdir = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir),
                    str(edited)], check=True, capture_output=True, timeout=180)
    resaved = outdir / "edited.xlsx"
    assert is_pack(resaved)
    with Workspace(ws_path) as w:
        result = import_file(w, resaved)
        assert result.error is None and (result.updated, result.inserted) == (1, 1)
        assert w.conn.execute("SELECT text FROM activities WHERE account_id = ? AND batch_id "
                              "= ?", (ids[3], result.batch_ids[0])).fetchone() == (
                                  "+44 20 7946 0000",)
