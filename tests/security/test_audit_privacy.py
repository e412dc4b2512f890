"""Audit trail (import, undo, erase, encrypt) and erasure / access requests."""
from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from acctdesk.cli import main
from acctdesk.importers.pipeline import import_file, undo_batch
from acctdesk.models import Workspace
from acctdesk.models.privacy import PrivacyError, erase_account, held_about


def _seed(path):
    """Two accounts with contacts, tickets (one unlinked, by e-mail), usage and history."""
    ws = Workspace(path, create=True)
    ws.insert_rows("accounts", ["account_id", "name", "domain", "status", "arr"], [
        ("A1", "Zyphora Analytics", "zyphora.io", "active", 1000.0),
        ("A2", "Other Corp", "other.com", "active", 2000.0)])
    ws.insert_rows("contacts", ["account_id", "email", "name", "title"], [
        ("A1", "jane.doe@zyphora.io", "Jane Doe", "CFO"),
        ("A2", "bob@other.com", "Bob Smith", "CTO")])
    ws.insert_rows("tickets", ["source", "ticket_id", "account_id", "subject", "requester_email"], [
        ("zendesk", "1", "A1", "Invoice for Jane", "jane.doe@zyphora.io"),
        ("zendesk", "2", None, "Unlinked from Zyphora", "max@zyphora.io"),
        ("zendesk", "3", "A2", "Other ticket", "bob@other.com")])
    ws.insert_rows("surveys", ["source", "response_id", "account_id", "contact_email", "score",
                               "comment"], [
        ("delighted", "r1", None, "jane.doe@zyphora.io", 3, "=HYPERLINK(\"http://x\",\"hi\")"),
        ("delighted", "r2", "A2", "bob@other.com", 9, "fine")])
    ws.insert_rows("usage", ["account_id", "date", "metric", "value"], [
        ("A1", "2026-01-31", "logins", 5), ("A2", "2026-01-31", "logins", 7)])
    ws.insert_rows("activities", ["activity_id", "account_id", "date", "kind", "text"], [
        ("x1", "A1", "2026-02-01", "call", "Jane said budget is cut"),
        ("x2", "A2", "2026-02-01", "call", "Bob happy")])
    ws.insert_rows("score_history", ["account_id", "scorecard", "as_of", "score"], [
        ("A1", "default", "2026-01-31", 40.0), ("A2", "default", "2026-01-31", 80.0)])
    ws.insert_rows("external_ids", ["source", "external_id", "account_id"], [
        ("salesforce", "001ZYPHORA", "A1"), ("salesforce", "001OTHER", "A2")])
    with ws.transaction() as conn:
        conn.execute("INSERT INTO import_batches(batch_id, file_name, sha256, status) "
                     "VALUES (9, 'crm.csv', 'x', 'applied')")
        conn.execute("INSERT INTO row_history(batch_id, table_name, row_key, op, before) "
                     "VALUES (9, 'accounts', json_array('A1'), 'update', json_object("
                     "'account_id', 'A1', 'name', 'Zyphora Old Name', 'domain', 'zyphora.io'))")
        conn.execute("INSERT INTO rejected_rows(batch_id, row_number, column_name, value, "
                     "reason, raw) VALUES (9, 4, 'Close date', '31/31/2026', 'is not a date', "
                     "'{\"Company\": \"Zyphora Analytics\", \"Close date\": \"31/31/2026\"}')")
        ws.audit("edit", "accounts", "A1", before={"owner": "Jane Doe"},
                 after={"owner": "Sam"})
        ws.audit("edit", "accounts", "A2", before={"owner": "x"}, after={"owner": "y"})
    return ws


PERSONAL = ["Zyphora", "zyphora", "Jane", "jane.doe", "max@zyphora", "budget is cut",
            "001ZYPHORA", "HYPERLINK"]


def test_held_about_finds_linked_and_email_matched_rows(tmp_path):
    with _seed(tmp_path / "w.acctdesk") as ws:
        held = held_about(ws, "A1")
        assert len(held["accounts"]) == 1
        assert sorted(held["tickets"]["ticket_id"]) == ["1", "2"]  # 2: by company domain
        assert held["surveys"]["response_id"].tolist() == ["r1"]   # by contact e-mail
        assert len(held["row_history"]) == 1 and len(held["rejected_rows"]) == 1
        assert held["audit_log"]["entity_id"].tolist() == ["A1"]
        with pytest.raises(PrivacyError, match="no account 'nope'"):
            held_about(ws, "nope")


def test_erase_removes_every_linked_row_and_audits_without_personal_data(tmp_path, capsys):
    path = tmp_path / "w.acctdesk"
    with _seed(path) as ws:
        other_before = {t: ws.frame(f"SELECT * FROM {t} WHERE account_id = 'A2'")
                        for t in ("accounts", "contacts", "usage", "activities", "tickets")}
    assert main(["erase", str(path), "A1", "--reason", "DSR-2026-17", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["deleted"] == {"row_history": 1, "activities": 1, "external_ids": 1,
                                 "score_history": 1, "surveys": 1, "tickets": 2, "usage": 1,
                                 "contacts": 1, "accounts": 1, "rejected_rows": 1}
    assert result["compacted"] is True
    with Workspace(path) as ws:
        for table in ("accounts", "contacts", "usage", "activities", "score_history",
                      "external_ids", "subscriptions"):
            assert ws.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE account_id = 'A1'"
                                   ).fetchone()[0] == 0
        assert ws.count("tickets") == 1 and ws.count("surveys") == 1
        assert ws.count("row_history") == 0 and ws.count("rejected_rows") == 0
        # the other account is untouched
        for t, frame in other_before.items():
            assert ws.frame(f"SELECT * FROM {t} WHERE account_id = 'A2'").equals(frame)
        log = ws.audit_log()
        erase = log[log["action"] == "erase"].iloc[0]
        assert erase["entity_id"] == "A1" and pd.isna(erase["before"])
        assert "DSR-2026-17" in erase["detail"]
        assert json.loads(erase["after"])["rows_deleted"]["accounts"] == 1
        # the earlier audit entry about A1 is redacted, the one about A2 kept
        edits = log[log["action"] == "edit"]
        assert edits["entity_id"].isna().tolist() == [True, False]
        assert edits["entity_id"].iloc[1] == "A2"
        dump = "\n".join(" ".join(map(str, r)) for t in
                         [r[0] for r in ws.conn.execute(
                             "SELECT name FROM sqlite_master WHERE type='table'")]
                         for r in ws.conn.execute(f"SELECT * FROM {t}"))
    for word in PERSONAL:
        assert word not in dump
    # not even in the file's free pages or the write-ahead log
    raw = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    for word in PERSONAL:
        assert word.encode() not in raw, word


def test_erase_unknown_account_fails_cleanly(tmp_path, capsys):
    path = tmp_path / "w.acctdesk"
    _seed(path).close()
    assert main(["erase", str(path), "NOPE"]) == 1
    assert "no account 'NOPE'" in capsys.readouterr().err


def test_subject_export_workbook_holds_everything_and_no_formula(tmp_path, capsys):
    path = tmp_path / "w.acctdesk"
    _seed(path).close()
    out = tmp_path / "dsr.xlsx"
    assert main(["subject-export", str(path), "A1", "-o", str(out)]) == 0
    assert "Wrote" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Contents"
    assert {"Account", "Contacts", "Tickets", "Surveys", "Usage", "Activities",
            "Health scores", "External ids", "Earlier values", "Rejected import rows",
            "Audit trail"} <= set(wb.sheetnames)
    values = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value}
    assert {"Zyphora Analytics", "jane.doe@zyphora.io", "Unlinked from Zyphora",
            "Jane said budget is cut", "001ZYPHORA"} <= values
    assert not any("Other Corp" in v or "bob@other.com" in v for v in values)
    # a formula-like comment is text, never a formula
    cell = next(c for row in wb["Surveys"].iter_rows() for c in row
                if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    with Workspace(path) as ws:
        assert ws.audit_log()["action"].tolist()[-1] == "subject_export"


def test_audit_records_import_undo_erase_encrypt(tmp_path, capsys):
    path = tmp_path / "w.acctdesk"
    _seed(path).close()
    csv = tmp_path / "usage.csv"
    csv.write_text("account_id,date,metric,value\nA2,2026-03-31,logins,9\n"
                   "A2,2026-04-30,logins,11\n")
    with Workspace(path) as ws:
        result = import_file(ws, csv)
        assert result.error is None and result.inserted == 2
        undo_batch(ws, result.batch_ids[0])
        erase_account(ws, "A1", compact=False)
    from acctdesk.models import crypto

    crypto.encrypt_workspace(path)
    assert main(["audit", str(path), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    actions = [e["action"] for e in entries]
    assert actions[-4:] == ["import", "undo", "erase", "encrypt"]
    for e in entries:
        assert list(e) == ["at", "user", "action", "entity", "detail"]
        assert e["at"] and e["user"]
    imp = entries[actions.index("import")]
    assert imp["entity"] == f"import_batches {result.batch_ids[0]}"
    assert '"file": "usage.csv"' in imp["detail"] and '"inserted": 2' in imp["detail"]
    assert "Zyphora" not in json.dumps(entries)
    out = tmp_path / "audit.xlsx"
    assert main(["audit", str(path), "-o", str(out)]) == 0
    assert "encrypt" in capsys.readouterr().out
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in next(sheet.iter_rows(min_row=3, max_row=3))] == [
        "At", "User", "Action", "Entity", "Detail"]


# ------------------------------------------------------------------ issue 16, point 14
def test_audit_user_is_the_operating_system_account_not_the_user_variable(tmp_path):
    import os
    import pwd
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "w.acctdesk"
    _seed(path).close()
    csv = tmp_path / "usage.csv"
    csv.write_text("account_id,date,metric,value\nA2,2026-03-31,logins,9\n")
    env = dict(os.environ, USER="mallory", LOGNAME="mallory", LNAME="mallory",
               USERNAME="mallory", PYTHONPATH=str(root / "src"))
    p = subprocess.run([sys.executable, "-m", "acctdesk", "import", str(path), str(csv)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    me = pwd.getpwuid(os.geteuid()).pw_name
    with Workspace(path) as ws:
        users = [r[0] for r in ws.conn.execute(
            "SELECT user FROM audit_log WHERE action = 'import'")]
        batch_user = ws.conn.execute("SELECT user FROM import_batches WHERE file_name = "
                                     "'usage.csv'").fetchone()[0]
    assert users == [me] and batch_user == me and me != "mallory"


def test_erase_leaves_no_snooze_no_file_name_and_no_guessable_id(tmp_path):
    from acctdesk.models import edits
    from acctdesk.models.audit import verify_chain

    ws = Workspace(tmp_path / "w.acctdesk", create=True)
    crm = tmp_path / "quillfeather-labs-renewal.csv"     # the file name carries the name
    crm.write_text("Customer,Website,ARR\nQuillfeather Labs,quillfeather.io,500\n"
                   "Plain Co,plain.com,10\n")
    other = tmp_path / "plain-usage.csv"
    other.write_text("Account,Date,Metric,Value\nPlain Co,2026-01-31,logins,4\n")
    result = import_file(ws, crm)
    assert result.error is None and import_file(ws, other).error is None
    new_id = ws.conn.execute("SELECT account_id FROM accounts WHERE name = "
                             "'Quillfeather Labs'").fetchone()[0]
    # the id is not a plain hash of the name: the same file in a workspace without the salt,
    # or with another salt, gives another id; in this workspace, the same id again
    def id_in(salt: str | None, name: str) -> str:
        path = tmp_path / name
        with Workspace(path, create=True) as other:
            if salt is not None:
                other.set_meta("id_salt", salt)
            import_file(other, crm)
            return other.conn.execute("SELECT account_id FROM accounts WHERE name = "
                                      "'Quillfeather Labs'").fetchone()[0]

    assert id_in("", "unsalted.acctdesk") != new_id
    assert id_in(None, "other.acctdesk") != new_id
    assert id_in(ws.get_meta("id_salt"), "same-salt.acctdesk") == new_id
    # a snooze on the worklist, then the erasure
    edits.set_worklist_state(ws, new_id, "snoozed", until="2099-12-31")
    plain = ws.conn.execute("SELECT account_id FROM accounts WHERE name = 'Plain Co'"
                            ).fetchone()[0]
    edits.set_worklist_state(ws, plain, "done")
    erase_account(ws, new_id)
    states = edits.worklist_states(ws)
    assert new_id not in states and plain in states      # the other account's state stays
    dump = "\n".join(" ".join(map(str, r)) for t in
                     [r[0] for r in ws.conn.execute(
                         "SELECT name FROM sqlite_master WHERE type='table'")]
                     for r in ws.conn.execute(f"SELECT * FROM {t}"))
    for trace in ("quillfeather", "Quillfeather"):
        assert trace not in dump, trace
    # only the erase entry names the id (salted, so it confirms no guessed name)
    assert dump.count(new_id) == 1
    # the other file's name and the other account are untouched
    assert "plain-usage.csv" in dump and ws.count("usage") == 1
    assert verify_chain(ws.conn).ok                 # redacted by the app: still a chain
    ws.close()


def test_subject_export_includes_the_worklist_state(tmp_path):
    from acctdesk.models import edits

    path = tmp_path / "w.acctdesk"
    with _seed(path) as ws:
        edits.set_worklist_state(ws, "A1", "snoozed", until="2099-01-01")
        held = held_about(ws, "A1")
        assert held["worklist_state"]["until"].tolist() == ["2099-01-01"]
