"""Benchmark: export 10k and 100k rows x 15 formatted columns to xlsx (and csv).

Not a test (``tests/benchmarks`` is excluded from pytest). Run:

    .venv/bin/python tests/benchmarks/bench_export.py [--rows 10000 100000] [--profile]

Each measurement runs in a fresh child process so its peak memory (max RSS) is its own. The
baselines write the same values without any formatting: openpyxl write-only with plain
values, and xlsxwriter in constant-memory mode when it is installed (issue 9's target is
within 1.5x of the fastest plain writer).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()


def make_frame(n: int, seed: int = 7) -> pd.DataFrame:
    """15 columns like an accounts view: 5 text, 1 band, 1 url, 3 currency, 2 percent, 1 int, 2 dates."""
    rng = np.random.default_rng(seed)
    segments = np.array(["Enterprise", "Mid-Market", "SMB", "Strategic"])
    owners = np.array(["Ana Souza", "Ben Okafor", "Chloé Martin", "Dev Patel", "Eve Li"])
    bands = np.array(["Red", "Amber", "Green"])
    base = np.datetime64("2026-01-01")
    ids = np.arange(n)
    return pd.DataFrame({
        "account": pd.array([f"Account {i:06d} GmbH" for i in ids], dtype="str"),
        "segment": segments[rng.integers(0, 4, n)],
        "owner": owners[rng.integers(0, 5, n)],
        "band": bands[rng.integers(0, 3, n)],
        "next_step": pd.array([f"Call about renewal #{i % 97}" for i in ids], dtype="str"),
        "notes": pd.array([("-" if i % 50 == 0 else "") + f"note {i}" for i in ids], dtype="str"),
        "website": pd.array([f"https://acct{i}.example.com" for i in ids], dtype="str"),
        "arr": rng.normal(50_000, 20_000, n).round(2),
        "expansion": rng.normal(5_000, 3_000, n).round(2),
        "contraction": -rng.gamma(2, 800, n).round(2),
        "usage": rng.random(n),
        "churn_risk": rng.random(n),
        "seats": rng.integers(1, 5_000, n),
        "renewal": base + rng.integers(0, 365, n).astype("timedelta64[D]"),
        "last_touch": pd.Series(base - rng.integers(0, 90, n).astype("timedelta64[D]")).dt.strftime("%Y-%m-%d"),
    })


def columns():
    from acctdesk.export import ColumnSpec as C
    return [
        C("account", "Account"), C("segment", "Segment"), C("owner", "Owner"),
        C("band", "Health", "band"), C("next_step", "Next step"), C("notes", "Notes"),
        C("website", "Website", "url"), C("arr", "ARR", "currency"),
        C("expansion", "Expansion", "currency"), C("contraction", "Contraction", "currency"),
        C("usage", "Usage", "percent"), C("churn_risk", "Churn risk", "percent"),
        C("seats", "Seats", "int"), C("renewal", "Renewal", "date"),
        C("last_touch", "Last touch", "date"),
    ]


def plain_rows(frame: pd.DataFrame):
    """The same values as Python objects, converted up front (not timed as writing)."""
    cols = []
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            cols.append(s.dt.date.tolist())
        else:
            cols.append(s.tolist())
    return list(zip(*cols))


def run_one(what: str, n: int, out: Path, profile: bool) -> dict:
    frame = make_frame(n)
    t0 = time.perf_counter()
    if what == "acctdesk-xlsx":
        from acctdesk.export import SheetSpec, write_xlsx
        sheet = SheetSpec("Accounts", frame, columns(), title="Bench workspace",
                          subtitle="Exported 2026-11-22 10:15")
        if profile:
            import cProfile, pstats
            prof = cProfile.Profile()
            prof.enable()
        write_xlsx(out, [sheet])
        if profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    elif what == "acctdesk-csv":
        from acctdesk.export import SheetSpec, write_csv
        write_csv(out, SheetSpec("Accounts", frame, columns()))
    elif what == "openpyxl-plain":
        from openpyxl import Workbook
        rows = plain_rows(frame)
        t0 = time.perf_counter()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Accounts")
        ws.append(list(frame.columns))
        for row in rows:
            ws.append(row)
        wb.save(out)
    elif what == "xlsxwriter-plain":
        import xlsxwriter
        rows = plain_rows(frame)
        t0 = time.perf_counter()
        wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
        ws = wb.add_worksheet("Accounts")
        ws.write_row(0, 0, list(frame.columns))
        for r, row in enumerate(rows, 1):
            ws.write_row(r, 0, row)
        wb.close()
    else:
        raise SystemExit(f"unknown measurement {what}")
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"what": what, "rows": n, "seconds": round(seconds, 2), "peak_rss_mb": round(rss_mb),
            "size_mb": round(out.stat().st_size / 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--profile", action="store_true", help="cProfile the acctdesk xlsx export")
    ap.add_argument("--child", nargs=2, metavar=("WHAT", "ROWS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            suffix = ".csv" if args.child[0].endswith("csv") else ".xlsx"
            print(json.dumps(run_one(args.child[0], int(args.child[1]), Path(tmp) / f"out{suffix}",
                                     args.profile)))
        return
    try:
        import xlsxwriter  # noqa: F401
        have_xlsxwriter = True
    except ImportError:
        have_xlsxwriter = False
    whats = ["acctdesk-xlsx", "openpyxl-plain", "acctdesk-csv"]
    if have_xlsxwriter:
        whats.insert(1, "xlsxwriter-plain")
    print(f"{'measurement':<18} {'rows':>8} {'seconds':>8} {'peak RSS MB':>12} {'file MB':>8}")
    results = {}
    for n in args.rows:
        for what in whats:
            cmd = [sys.executable, str(HERE), "--child", what, str(n)]
            if args.profile and what == "acctdesk-xlsx":
                cmd.append("--profile")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            lines = proc.stdout.strip().splitlines()
            if args.profile and what == "acctdesk-xlsx":
                print("\n".join(lines[:-1]))
            r = json.loads(lines[-1])
            results[(what, n)] = r
            print(f"{what:<18} {n:>8} {r['seconds']:>8.2f} {r['peak_rss_mb']:>12} {r['size_mb']:>8}")
        fastest = min(results[(w, n)]["seconds"] for w in whats if w.endswith("plain"))
        ratio = results[("acctdesk-xlsx", n)]["seconds"] / fastest
        print(f"  acctdesk xlsx / fastest plain writer at {n} rows: {ratio:.2f}x")
    if not have_xlsxwriter:
        print("(xlsxwriter not installed: baseline is openpyxl write-only plain)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
