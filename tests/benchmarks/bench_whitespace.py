"""Benchmark: whitespace for every account of a demo portfolio (target: 100k accounts < 30 s).

Run: ``.venv/bin/python tests/benchmarks/bench_whitespace.py [n_accounts ...]``
(default 100000). Generation is excluded from the figures. Prints seconds for the matrix, the
full suggestion list (cross-sell model fits + association rules + reasons + upsell) and the
6-month backtest, plus the backtest's precision against the popularity baseline.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from acctdesk.analytics.whitespace import backtest, ownership_matrix, whitespace  # noqa: E402
from acctdesk.models.demo import generate_demo  # noqa: E402

AS_OF = "2026-10-31"
TARGET_S = 30.0


def bench(n: int) -> None:
    t0 = time.perf_counter()
    p = generate_demo(n, seed=0, data_date=AS_OF)
    gen = time.perf_counter() - t0
    print(f"{n:,} accounts: {len(p.subscriptions):,} subscriptions, {len(p.usage):,} usage rows "
          f"(generated in {gen:.1f} s, excluded)")
    import sklearn  # noqa: F401  (import time is not whitespace time)

    t0 = time.perf_counter()
    m = ownership_matrix(p.subscriptions, p.accounts, AS_OF)
    t_matrix = time.perf_counter() - t0
    t0 = time.perf_counter()
    s = whitespace(p.subscriptions, p.accounts, p.usage, AS_OF)
    t_ws = time.perf_counter() - t0
    t0 = time.perf_counter()
    bt = backtest(p.subscriptions, p.accounts, p.usage, AS_OF)
    t_bt = time.perf_counter() - t0
    kinds = s["kind"].value_counts().to_dict()
    print(f"  ownership matrix    {t_matrix:6.2f} s  ({len(m):,} cells)")
    print(f"  whitespace          {t_ws:6.2f} s  ({len(s):,} suggestions: {kinds})")
    print(f"  backtest (6 months) {t_bt:6.2f} s  ({bt['candidates']:,} gaps, "
          f"{bt['purchases']:,} bought, {bt['account_sets']} books)")
    total = t_ws + t_bt
    verdict = "within" if total < TARGET_S else "OVER"
    print(f"  whitespace + backtest {total:.2f} s: {verdict} the {TARGET_S:.0f} s target")
    for k in (5, 10, 20):
        print(f"  precision@{k:<2} ours {bt[f'precision_at_{k}']:.2%}  popularity "
              f"{bt[f'baseline_precision_at_{k}']:.2%}  rules {bt[f'rules_precision_at_{k}']:.2%}")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["100000"]:
        bench(int(arg))
