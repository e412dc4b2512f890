"""Extra columns on every entity, one file's failure never stopping the others, and a UTF-8
file with a stretch of Windows-1252 (issue 16, points 6 and 7)."""
from __future__ import annotations

import json

import pytest

from acctdesk.cli import main
from acctdesk.importers import pipeline
from acctdesk.importers.pipeline import import_file, import_files
from acctdesk.models import Workspace

ACCOUNTS = "Customer,CSM,ARR\nAcme Corp,Maria,1000\nGlobex,Sam,2000\n"
USAGE = ("Account,Date,Metric,Value,Region note,Plan tier\n"
         "Acme Corp,2026-01-31,logins,5,north,gold\nGlobex,2026-01-31,logins,7,,silver\n")
USAGE_MORE = ("Account,Date,Metric,Value,Region note\n"
              "Acme Corp,2026-02-28,logins,6,east\nGlobex,2026-01-31,logins,9,west\n")


def test_usage_file_with_extra_columns_keeps_them_and_the_next_files_import(tmp_path, capsys):
    for name, text in {"crm.csv": ACCOUNTS, "usage.csv": USAGE, "usage-feb.csv": USAGE_MORE,
                       "crm-2.csv": "Customer,CSM,ARR\nInitech,Eve,300\n"}.items():
        (tmp_path / name).write_text(text)
    ws_path = tmp_path / "w.acctdesk"
    Workspace(ws_path, create=True).close()
    code = main(["import", str(ws_path), *(str(tmp_path / n) for n in
                                           ("crm.csv", "usage.csv", "usage-feb.csv", "crm-2.csv")),
                 "--json"])
    assert code == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert [f["error"] for f in files] == [None] * 4
    with Workspace(ws_path) as ws:
        rows = ws.frame("SELECT a.name, u.date, u.value, u.custom FROM usage u JOIN accounts a "
                        "USING (account_id) ORDER BY a.name, u.date")
        custom = [json.loads(c) if c else None for c in rows["custom"]]
        assert custom == [{"Region note": "north", "Plan tier": "gold"},
                          {"Region note": "east"}, {"Region note": "west"}]
        assert rows["value"].tolist() == [5.0, 6.0, 9.0]
        assert ws.count("accounts") == 3


def test_one_files_unexpected_failure_does_not_stop_the_others(tmp_path, monkeypatch, capsys):
    for name, text in {"a.csv": ACCOUNTS, "b.csv": USAGE,
                       "c.csv": "Customer,CSM,ARR\nInitech,Eve,300\n"}.items():
        (tmp_path / name).write_text(text)
    real = pipeline._write_plans

    def failing(ws, path, *args, **kw):        # a fault inside the write of one file
        if path.name == "b.csv":
            raise RuntimeError("simulated fault in the writer")
        return real(ws, path, *args, **kw)

    monkeypatch.setattr(pipeline, "_write_plans", failing)
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        results = import_files(ws, [tmp_path / n for n in ("a.csv", "b.csv", "c.csv")])
        assert [r.error is None for r in results] == [True, False, True]
        assert results[1].error.startswith("'b.csv' could not be imported (simulated fault")
        assert "Nothing from it was written" in results[1].error
        assert ws.count("accounts") == 3 and ws.count("usage") == 0
    ws2 = tmp_path / "w2.acctdesk"
    Workspace(ws2, create=True).close()
    assert main(["import", str(ws2), *(str(tmp_path / n) for n in ("a.csv", "b.csv", "c.csv"))]) == 1
    captured = capsys.readouterr()
    assert "b.csv: NOT IMPORTED: 'b.csv' could not be imported" in captured.err
    assert "c.csv: " in captured.out and "Traceback" not in captured.err


def test_utf8_file_with_a_windows_1252_stretch_keeps_both_and_says_where(tmp_path, capsys):
    lines = ["Customer,CSM,ARR,Notes"]
    body, n = [], 0
    note = "Réunion trimestrielle prévue; déjà renouvelé " * 5
    while sum(len(s) + 1 for s in body) < 520_000:       # the stretch starts after 500 KB
        body.append(f"{'Société Générale' if n == 0 else f'Client {n:05d}'},Zoë Müller,"
                    f"{1000 + n},{note}")
        n += 1
    data = ("\n".join(lines + body) + "\n").encode("utf-8")
    data += "Café Crème,René,77,x\nDéjà Vu Sàrl,Zoë,88,y\n".encode("cp1252")
    data += "Ünïcode Again,Zoë,99,z\n".encode("utf-8")
    path = tmp_path / "accounts.csv"
    path.write_bytes(data)
    ws_path = tmp_path / "w.acctdesk"
    Workspace(ws_path, create=True).close()
    assert main(["import", str(ws_path), str(path)]) == 0
    out = capsys.readouterr().out
    first_bad = len(body) + 2
    # the summary (not only --json) says which lines were not UTF-8 and how they were read
    assert f"note: lines {first_bad}, {first_bad + 1} of the file are not valid UTF-8" in out
    assert "read as Windows-1252" in out
    with Workspace(ws_path) as ws:
        names = {r[0] for r in ws.conn.execute("SELECT name FROM accounts")}
        owners = {r[0] for r in ws.conn.execute("SELECT owner FROM accounts")}
    assert {"Société Générale", "Café Crème", "Déjà Vu Sàrl", "Ünïcode Again"} <= names
    assert owners == {"Zoë Müller", "René", "Zoë"}
    assert not any("Ã" in name for name in names)         # no "SociÃ©tÃ©"
