"""Reader and coercion benchmark (run on demand; prints figures, asserts nothing).

    .venv/bin/python tests/benchmarks/bench_readers.py

Generates in /tmp (kept between runs): a 2.4M-row long usage CSV (account_id,date,metric,value)
and a 200k-row x 7-column xlsx. Times read_file against the raw fastest readers
(pyarrow.csv.read_csv with every column as string; fastexcel load_sheet) and the coercion of
2.4M ISO dates and 2.4M plain numbers.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd

TMP = Path("/tmp/acctdesk_bench")
CSV = TMP / "usage_2_4m.csv"
XLSX = TMP / "usage_200k.xlsx"
CSV_ROWS = 2_400_000
XLSX_ROWS = 200_000


def make_csv() -> None:
    if CSV.exists():
        return
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-01-01", periods=400).strftime("%Y-%m-%d").to_numpy()
    frame = pd.DataFrame({
        "account_id": np.char.add("ACC-", rng.integers(0, 20_000, CSV_ROWS).astype(str)),
        "date": days[rng.integers(0, len(days), CSV_ROWS)],
        "metric": np.array(["logins", "seats", "api_calls", "storage_gb"])[rng.integers(0, 4, CSV_ROWS)],
        "value": np.round(rng.random(CSV_ROWS) * 1000, 2),
    })
    frame.to_csv(CSV, index=False)


def make_xlsx() -> None:
    if XLSX.exists():
        return
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Usage")
    ws.append(["Account ID", "Account Name", "Date", "Metric", "Value", "Plan", "Active"])
    d0 = dt.datetime(2024, 1, 1)
    rnd = random.Random(1)
    for i in range(XLSX_ROWS):
        ws.append([f"ACC-{i % 5000:05d}", f"Company {i % 5000}", d0 + dt.timedelta(days=i % 400),
                   rnd.choice(["logins", "seats", "api_calls"]), rnd.random() * 1000,
                   rnd.choice(["Pro", "Team", "Enterprise"]), rnd.random() < 0.5])
    wb.save(XLSX)


def timed(label: str, fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<48} {best:7.2f} s")
    return best


def main() -> None:
    import fastexcel
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from acctdesk.importers.coerce import to_date, to_number
    from acctdesk.importers.readers import read_file

    TMP.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    make_csv()
    make_xlsx()
    print(f"inputs ready in {time.perf_counter() - t0:.1f} s: {CSV} ({CSV.stat().st_size / 1e6:.0f} MB), "
          f"{XLSX} ({XLSX.stat().st_size / 1e6:.0f} MB)")

    print(f"CSV {CSV_ROWS:,} rows x 4 columns")
    types = {c: pa.string() for c in ["account_id", "date", "metric", "value"]}
    raw = timed("pyarrow.csv.read_csv (all string) + to_pandas",
                lambda: pacsv.read_csv(CSV, convert_options=pacsv.ConvertOptions(column_types=types)).to_pandas())
    sheets = []
    ours = timed("read_file", lambda: sheets.append(read_file(CSV)[0]))
    print(f"  ratio read_file / raw: {ours / raw:.2f}")
    sheet = sheets[-1]
    assert len(sheet.frame) == CSV_ROWS, len(sheet.frame)

    print(f"coercion of {CSV_ROWS:,} values")
    timed("to_date (ISO dates)", lambda: to_date(sheet.frame["date"]))
    timed("to_number (plain numbers)", lambda: to_number(sheet.frame["value"]))

    print(f"XLSX {XLSX_ROWS:,} rows x 7 columns")
    raw = timed("fastexcel load_sheet + to_pandas",
                lambda: fastexcel.read_excel(XLSX).load_sheet(0).to_pandas())
    result = []
    ours = timed("read_file", lambda: result.append(read_file(XLSX)[0]))
    print(f"  ratio read_file / raw: {ours / raw:.2f}")
    assert len(result[-1].frame) == XLSX_ROWS


if __name__ == "__main__":
    main()
