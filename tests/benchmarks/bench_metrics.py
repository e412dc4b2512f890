"""Benchmark of the revenue metrics on synthetic portfolios (1k / 20k / 100k accounts).

Run: ``.venv/bin/python tests/benchmarks/bench_metrics.py [N ...]``. Prints seconds for
``mrr_by_month`` (24 months), ``mrr_movements``, ``retention`` (trailing 12 months by segment)
and the monthly retention view.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from acctdesk.analytics.metrics import (
    mrr_by_month,
    mrr_movements,
    movements_by_account,
    retention,
    retention_monthly,
)

AS_OF = "2024-06-20"


def synthetic(n_accounts: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """About 1.8 subscriptions per account over 2021-2024: ends, churn, re-signs, trials."""
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 4, n_accounts)
    n = int(per.sum())
    acct = np.repeat(np.arange(n_accounts), per)
    start = np.datetime64("2021-01-01") + rng.integers(0, 1270, n).astype("timedelta64[D]")
    length = rng.integers(20, 900, n).astype("timedelta64[D]")
    end = (start + length).astype("datetime64[D]").astype(str).astype(object)
    end[rng.random(n) < 0.45] = None
    status = rng.choice(np.array(["active", "past_due", "non_renewing", "cancelled",
                                  "trialing"], dtype=object), n, p=[.7, .05, .05, .15, .05])
    subs = pd.DataFrame({
        "sub_id": [f"s{i}" for i in range(n)],
        "account_id": [f"A{a:06d}" for a in acct],
        "product": rng.choice(["core", "analytics", "seats"], n),
        "mrr": np.round(rng.lognormal(6, 1, n), 2),
        "start_date": start.astype(str),
        "end_date": end,
        "status": status,
    })
    accounts = pd.DataFrame({
        "account_id": [f"A{a:06d}" for a in range(n_accounts)],
        "segment": rng.choice(["SMB", "Mid-Market", "Enterprise"], n_accounts),
        "owner": rng.choice([f"csm{i}" for i in range(40)], n_accounts),
    })
    return subs, accounts


def bench(n_accounts: int) -> None:
    subs, accounts = synthetic(n_accounts)
    t = {}
    t0 = time.perf_counter()
    mrr = mrr_by_month(subs, as_of=AS_OF, months=24)
    t["mrr_by_month"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mov = mrr_movements(mrr)
    t["mrr_movements"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ret = retention(mrr, accounts, start_month="2023-06", end_month="2024-06", by="segment")
    t["retention (12m, by segment)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    retention_monthly(mrr, accounts, by="segment")
    t["retention_monthly (23 months, by segment)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    movements_by_account(mrr)
    t["movements_by_account"] = time.perf_counter() - t0
    total = t["mrr_by_month"] + t["mrr_movements"] + t["retention (12m, by segment)"]
    print(f"{n_accounts:>7,} accounts, {len(subs):>7,} subscriptions, {len(mrr):>9,} MRR rows,"
          f" {len(mov)} months")
    for name, sec in t.items():
        print(f"    {name:<44} {sec:7.3f} s")
    print(f"    {'mrr_by_month + mrr_movements + retention':<44} {total:7.3f} s")
    assert (mov["start_mrr_cents"] + mov["new_cents"] + mov["expansion_cents"]
            - mov["contraction_cents"] - mov["churn_cents"] + mov["reactivation_cents"]
            == mov["end_mrr_cents"]).all()
    assert len(ret) == 3


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 20_000, 100_000]
    for size in sizes:
        bench(size)
