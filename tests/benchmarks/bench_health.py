"""Benchmark: scoring synthetic portfolios with the default scorecard.

Run: ``.venv/bin/python tests/benchmarks/bench_health.py [n_accounts ...]``
(default 1000 20000 100000). Prints seconds for preparing + scoring (first call: includes
date parsing and sorting of the frames), a second call on the same data (prepared arrays
cached), and the hand-vectorised numpy weighted sum of the same points matrix for scale.
Synthetic frames: ~25 usage rows per account (3 metrics), tickets, surveys, subscriptions,
activities and contacts.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from acctdesk.analytics.health import ScoringData, score_accounts  # noqa: E402
from acctdesk.analytics.scorecard_presets import default_scorecard  # noqa: E402

AS_OF = "2024-06-30"


def synthetic(n: int, usage_per_account: int = 25, seed: int = 0) -> ScoringData:
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:06d}" for i in range(n)], dtype=object)
    base = np.datetime64("2024-06-30")

    def dates(k, span):
        return (base - rng.integers(0, span, k).astype("timedelta64[D]")).astype(str)

    accounts = pd.DataFrame({
        "account_id": ids, "name": ids, "segment": rng.choice(["SMB", "Mid", "Ent"], n),
        "seats": rng.integers(5, 500, n), "arr": rng.uniform(1e3, 1e6, n),
        "contract_start": dates(n, 2000), "status": "active",
        "churn_date": np.where(rng.random(n) < 0.1, dates(n, 400), None),
        "renewal_date": (base + rng.integers(-10, 365, n).astype("timedelta64[D]")).astype(str),
    })
    k = n * usage_per_account
    # weekly samples over ~half a year per metric
    usage = pd.DataFrame({
        "account_id": ids[rng.integers(0, n, k)],
        "metric": rng.choice(["active_users", "logins", "features_adopted"], k),
        "date": (base - (7 * rng.integers(0, 26, k)).astype("timedelta64[D]")).astype(str),
        "value": rng.gamma(2.0, 20.0, k),
    }).drop_duplicates(["account_id", "metric", "date"])
    t = n * 3
    tickets = pd.DataFrame({
        "source": "zd", "ticket_id": np.arange(t).astype(str),
        "account_id": ids[rng.integers(0, n, t)], "created_at": dates(t, 365),
        "solved_at": np.where(rng.random(t) < 0.8, dates(t, 30), None),
        "priority": rng.choice(["low", "normal", "high", "urgent"], t),
        "status": rng.choice(["open", "solved"], t), "csat": rng.integers(1, 6, t),
    })
    s = n
    surveys = pd.DataFrame({
        "source": "d", "response_id": np.arange(s).astype(str),
        "account_id": ids[rng.integers(0, n, s)], "date": dates(s, 400), "kind": "nps",
        "score": rng.integers(0, 11, s),
    })
    subs = pd.DataFrame({
        "sub_id": np.arange(2 * n).astype(str), "account_id": np.repeat(ids, 2),
        "product": "core", "mrr": rng.uniform(100, 10000, 2 * n),
        "start_date": dates(2 * n, 700), "end_date": np.where(
            rng.random(2 * n) < 0.2, dates(2 * n, 100), None),
        "status": rng.choice(["active", "past_due"], 2 * n, p=[0.95, 0.05]),
    })
    a = n * 5
    activities = pd.DataFrame({
        "activity_id": np.arange(a).astype(str), "account_id": ids[rng.integers(0, n, a)],
        "date": dates(a, 365), "kind": rng.choice(["call", "email", "qbr", "note"], a),
    })
    contacts = pd.DataFrame({
        "account_id": np.repeat(ids, 2), "email": [f"c{i}@x" for i in range(2 * n)],
        "role": rng.choice(["champion", "executive sponsor", "user"], 2 * n),
        "last_contact": dates(2 * n, 300),
    })
    return ScoringData(accounts, usage, tickets, surveys, subs, activities, contacts)


def hand_vectorised(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    a = ~np.isnan(points)
    return np.where(a, points, 0) @ weights / (a @ weights)


def main(sizes):
    card = default_scorecard()
    for n in sizes:
        data = synthetic(n)
        t0 = time.perf_counter()
        s = score_accounts(card, data, AS_OF)
        t1 = time.perf_counter()
        score_accounts(card, data, AS_OF)
        t2 = time.perf_counter()
        pts = s[[c for c in s.columns if c.startswith("pts:")]].to_numpy()
        w = np.array(list(card.effective_weights().values()))
        t3 = time.perf_counter()
        hand_vectorised(pts, w)
        t4 = time.perf_counter()
        print(f"{n:>7} accounts, {len(data.usage):>8} usage rows: score {t1 - t0:6.3f} s "
              f"(cached prep {t2 - t1:6.3f} s); numpy weighted sum alone {t4 - t3:.4f} s; "
              f"scored {s['score'].notna().sum()} active")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [1000, 20000, 100000])
