"""Files acctdesk writes with the workspace's data are private to the user (issue 16, point
13): exports, the subject-access workbook, ``audit -o`` and rejected rows are mode 0600 like
the workspace, whatever the umask, also when they replace an existing file."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from acctdesk.cli import main
from acctdesk.export.tables import ColumnSpec, SheetSpec, write_csv, write_xlsx
from acctdesk.importers.pipeline import export_rejected, import_file
from acctdesk.models import Workspace

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def usual_umask():
    old = os.umask(0o022)            # the usual desktop umask: new files 0644
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_exports_audit_and_access_workbook_are_0600(demo_copy, tmp_path, capsys):
    # an export replacing a world-readable file of the same name becomes private too
    old = tmp_path / "audit.csv"
    old.write_text("stale")
    old.chmod(0o644)
    assert main(["audit", str(demo_copy), "-o", str(old)]) == 0
    assert main(["audit", str(demo_copy), "-o", str(tmp_path / "audit.xlsx")]) == 0
    with Workspace(demo_copy) as ws:
        account = ws.accounts()["account_id"].iloc[0]
    assert main(["subject-export", str(demo_copy), account, "-o",
                 str(tmp_path / "access.xlsx")]) == 0
    frame = pd.DataFrame({"a": [1, 2]})
    spec = SheetSpec("S", frame, [ColumnSpec("a", "A", "int")])
    write_xlsx(tmp_path / "view.xlsx", [spec])     # Edit > Export View
    write_csv(tmp_path / "view.csv", spec)
    capsys.readouterr()
    for name in ("audit.csv", "audit.xlsx", "access.xlsx", "view.xlsx", "view.csv"):
        assert mode(tmp_path / name) == 0o600, name
    assert (tmp_path / "audit.csv").read_text(encoding="utf-8-sig") != "stale"


def test_priority_pack_export_is_0600(demo_copy, tmp_path):
    out = tmp_path / "pack.xlsx"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    res = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); "
                          "from acctdesk.cli import main; sys.exit(main(sys.argv[1:]))",
                          "export", str(demo_copy), "--view", "pack", "-o", str(out),
                          "--risk-source", "health"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert mode(out) == 0o600


def test_rejected_rows_export_is_0600(tmp_path):
    csv = tmp_path / "book.csv"
    csv.write_text("Customer,ARR\nAcme,12000\nGlobex,lots\n")
    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        r = import_file(ws, csv)
        out = tmp_path / "rejected.csv"
        assert export_rejected(ws, r.batch_ids[0], out) == 1
    assert mode(out) == 0o600
    assert "Globex" in out.read_text(encoding="utf-8-sig")
    assert not list(tmp_path.glob(".rejected.csv*"))
