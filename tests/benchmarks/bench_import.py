"""Benchmark: acctdesk's import against the floor (fastest reader + one executemany).

Run on demand: ``.venv/bin/python tests/benchmarks/bench_import.py [--rows N] [--xlsx-rows M]``.

For a long usage CSV (default 2.4M rows) and a usage XLSX (default 200k rows), each step runs
in its own subprocess so peak memory (ru_maxrss) is measured per step:

* floor: pyarrow.csv.read_csv / fastexcel, then one ``executemany`` of the parsed rows into
  an empty ``usage`` table of the same schema in one transaction;
* acctdesk: ``import_file`` into a workspace holding the accounts the rows belong to.

Targets (issue 3): CSV within 2x the floor, XLSX within 1.5x, the CSV import under 2 GB peak.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ACCOUNTS = 100_000


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    months = np.array([f"2025-{m:02d}-28" for m in range(1, 13)] +
                      [f"2026-{m:02d}-28" for m in range(1, 13)])
    metrics = np.array(["active_users", "logins", "features_adopted"])
    per = rows // ACCOUNTS or 1
    idx = np.arange(rows)
    acct = idx // per % ACCOUNTS
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({
        "account_id": pa.array(np.char.add("A", np.char.zfill((acct + 1).astype(str), 6))),
        "date": pa.array(months[(idx % per) // 3 % len(months)]),
        "metric": pa.array(metrics[idx % 3]),
        "value": pa.array(rng.integers(0, 500, rows).astype(float)),
    })
    pacsv.write_csv(table, path)


def make_xlsx(csv_path: Path, path: Path, rows: int) -> None:
    import pandas as pd

    frame = pd.read_csv(csv_path, nrows=rows, dtype={"value": float})
    try:
        import xlsxwriter  # noqa: F401
        frame.to_excel(path, index=False, engine="xlsxwriter")
    except ImportError:
        frame.to_excel(path, index=False)


def make_workspace(path: Path) -> None:
    from acctdesk.models import Workspace

    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name", "status"],
                       [(f"A{i:06d}", f"Account {i}", "active") for i in range(1, ACCOUNTS + 1)])


def floor(file: str) -> dict:
    t0 = time.perf_counter()
    if file.endswith(".csv"):
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(file)
    else:
        import fastexcel

        table = fastexcel.read_excel(file).load_sheet(0).to_arrow()
    t_read = time.perf_counter() - t0
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = list(zip(*cols))
    t_rows = time.perf_counter() - t0
    db = Path(tempfile.mkdtemp()) / "floor.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE usage (account_id TEXT NOT NULL, metric TEXT NOT NULL, "
                 "date TEXT NOT NULL, value REAL, batch_id INTEGER, "
                 "PRIMARY KEY (account_id, metric, date)) WITHOUT ROWID")
    conn.execute("BEGIN")
    conn.executemany("INSERT OR REPLACE INTO usage (account_id, date, metric, value) "
                     "VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    total = time.perf_counter() - t0
    return {"seconds": total, "read": t_read, "to_rows": t_rows - t_read, "rows": len(rows)}


def ours(file: str, workspace: str) -> dict:
    from acctdesk.importers.pipeline import import_file
    from acctdesk.models import Workspace

    with Workspace(workspace) as ws:
        t0 = time.perf_counter()
        r = import_file(ws, file)
        total = time.perf_counter() - t0
        assert r.error is None, r.error
        return {"seconds": total, "rows": r.rows_read, "inserted": r.inserted,
                "rejected": r.rejected, "profile": r.profile}


def child(kind: str, file: str, workspace: str | None) -> None:
    out = floor(file) if kind == "floor" else ours(file, workspace)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run(kind: str, file: Path, workspace: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(file)] + (
        [str(workspace)] if workspace else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_400_000)
    ap.add_argument("--xlsx-rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2] if len(args.child) > 2 else None)
        return
    tmp = Path(tempfile.mkdtemp(prefix="acctdesk-bench-"))
    csv_path = tmp / "usage.csv"
    xlsx_path = tmp / "usage.xlsx"
    t0 = time.perf_counter()
    make_csv(csv_path, args.rows)
    make_xlsx(csv_path, xlsx_path, args.xlsx_rows)
    print(f"inputs written in {time.perf_counter() - t0:.1f} s: {csv_path} "
          f"({csv_path.stat().st_size / 1e6:.0f} MB), {xlsx_path}")
    for label, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
        # best of N runs each (a fresh workspace every time): the machine is shared
        floors, oursl = [], []
        for i in range(args.repeat):
            ws = tmp / f"{label}-{i}.acctdesk"
            make_workspace(ws)
            floors.append(run("floor", path))
            oursl.append(run("ours", path, ws))
        f = min(floors, key=lambda r: r["seconds"])
        o = min(oursl, key=lambda r: r["seconds"])
        print(f"\n{label}: {o['rows']:,} rows ({o['profile']}; inserted {o['inserted']:,}, "
              f"rejected {o['rejected']})")
        print(f"  floor    {f['seconds']:7.2f} s  (read {f['read']:.2f} s)  peak {f['peak_mb']:6.0f} MB")
        print(f"  acctdesk {o['seconds']:7.2f} s                 peak {o['peak_mb']:6.0f} MB")
        print(f"  ratio    {o['seconds'] / f['seconds']:7.2f}x")


if __name__ == "__main__":
    main()
