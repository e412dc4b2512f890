"""``acctdesk export``, run as a user runs it: a real subprocess on a real demo file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300,
                          stdin=subprocess.DEVNULL)


def test_export_pack_then_import_edits_and_undo(demo_copy, tmp_path):
    out = tmp_path / "pack.xlsx"
    res = run("export", str(demo_copy), "--view", "pack", "-o", str(out),
              "--risk-source", "health", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["view"] == "pack" and data["sheets"][0] == "Worklist" and data["rows"] > 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Worklist"]
    col = {c.value: c.column for c in ws[4]}
    ws.cell(5, col["Owner"]).value = "CLI Owner"
    aid = ws.cell(5, col["Account ID"]).value
    wb.save(out)
    res = run("import", str(demo_copy), str(out), "--json")
    assert res.returncode == 0, res.stderr
    f = json.loads(res.stdout)["files"][0]
    assert f["profile"] == "acctdesk-pack" and f["updated"] == 1, f
    res = run("undo", str(demo_copy), str(f["batch_ids"][0]))
    assert res.returncode == 0, res.stderr
    from acctdesk.models import Workspace

    with Workspace(demo_copy) as w:
        assert w.conn.execute("SELECT owner FROM accounts WHERE account_id = ?",
                              (aid,)).fetchone()[0] != "CLI Owner"


def test_export_view_to_csv_with_filters(demo_file, tmp_path):
    from acctdesk.models import Workspace

    with Workspace(demo_file) as w:
        acc = w.accounts()
    owner = acc["owner"].value_counts().index[0]
    segment = acc.loc[acc["owner"] == owner, "segment"].value_counts().index[0]
    expected = set(acc.loc[(acc["owner"] == owner) & (acc["segment"] == segment), "account_id"])
    out = tmp_path / "acc.csv"
    res = run("export", str(demo_file), "--view", "accounts", "-o", str(out), "--owner", owner,
              "--segment", segment, "--risk-source", "health")
    assert res.returncode == 0, res.stderr
    assert "Wrote" in res.stdout
    back = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert set(back["Account ID"]) == expected
    assert set(back["Owner"]) == {owner}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--view", "pack", "-o", "x.csv"], 2, "several sheets"),
    (["--view", "accounts", "-o", "x.ods"], 2, ".xlsx or .csv"),
    (["--view", "accounts", "-o", "x.xlsx", "--owner", "Nobody Here"], 1, "No account matches"),
    (["--view", "nope", "-o", "x.xlsx"], 2, "invalid choice"),
])
def test_export_errors_are_clear(demo_file, tmp_path, args, code, message):
    args = [a if a not in ("x.csv", "x.ods", "x.xlsx") else str(tmp_path / a) for a in args]
    res = run("export", str(demo_file), *args)
    assert res.returncode == code
    assert message in res.stderr
    assert list(tmp_path.iterdir()) == []
