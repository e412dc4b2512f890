"""Benchmark: generate the demo portfolio at 1k, 20k and 100k accounts and write it.

Run on demand: ``.venv/bin/python tests/benchmarks/bench_demo.py [SIZES...]``.

Prints, per size: generation seconds, write seconds and rows/s per table, and the same rows
written by a plain ``executemany`` in one transaction into an identical empty schema (the
floor), with the ratio of the two rates. Target (issue 2): 100k accounts generated and written
in under 60 s; acctdesk's write rate at least half the floor's.
"""
from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from acctdesk.models import Workspace
from acctdesk.models.demo import _rows, generate_demo, write_demo
from acctdesk.models.schema import MIGRATIONS


def floor_write(path: Path, tables) -> dict[str, float]:
    """Plain sqlite3: same schema, same rows, one executemany per table, one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    MIGRATIONS[0].apply(conn)
    out = {}
    conn.execute("BEGIN")
    for table, frame in tables.items():
        cols = list(frame.columns)
        rows = list(_rows(frame))  # materialised first: the floor is the insert alone
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        t0 = time.perf_counter()
        conn.executemany(sql, rows)
        out[table] = time.perf_counter() - t0
    conn.execute("COMMIT")
    conn.close()
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            portfolio = generate_demo(n, seed=1, data_date="2026-10-31")
            t_gen = time.perf_counter() - t0
            tables = portfolio.tables()
            ws = Workspace(Path(tmp, "bench.acctdesk"), create=True)
            t1 = time.perf_counter()
            ours = write_demo(ws, portfolio)
            t_write = time.perf_counter() - t1
            ws.close()
            floor = floor_write(Path(tmp, "floor.sqlite"), tables)
            total_rows = sum(len(f) for f in tables.values())
            print(f"\n== {n:,} accounts: generate {t_gen:.2f} s, write {t_write:.2f} s, "
                  f"total {t_gen + t_write:.2f} s, {total_rows:,} rows")
            print(f"{'table':<14}{'rows':>12}{'acctdesk s':>12}{'rows/s':>12}"
                  f"{'floor s':>10}{'floor rows/s':>14}{'ratio':>8}")
            for table, frame in tables.items():
                r = len(frame)
                a, f = ours[table], floor[table]
                ratio = (r / a) / (r / f) if a and f and r else float("nan")
                print(f"{table:<14}{r:>12,}{a:>12.2f}{r / a if a else 0:>12,.0f}"
                      f"{f:>10.2f}{r / f if f else 0:>14,.0f}{ratio:>8.2f}")
            all_a, all_f = sum(ours.values()), sum(floor.values())
            print(f"{'all':<14}{total_rows:>12,}{all_a:>12.2f}{total_rows / all_a:>12,.0f}"
                  f"{all_f:>10.2f}{total_rows / all_f:>14,.0f}{all_f / all_a:>8.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 20_000, 100_000])
