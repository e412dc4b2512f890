"""Benchmark: churn risk on the demo portfolio (feature building + training + scoring).

Run: ``.venv/bin/python tests/benchmarks/bench_churn.py [n_accounts ...]`` (default 100000).
Target: under 60 s for 100,000 accounts, generation excluded. Prints seconds per stage and
the model's out-of-time figures. ``ACCTDESK_THREADS`` sets the OpenMP threads (default 1).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from acctdesk.analytics import churn  # noqa: E402
from acctdesk.analytics.scorecards import ScoringData  # noqa: E402
from acctdesk.models.demo import generate_demo  # noqa: E402

DATA_DATE = "2026-10-31"


def bench(n: int) -> None:
    t0 = time.perf_counter()
    p = generate_demo(n, seed=0, data_date=DATA_DATE)
    data = ScoringData(**p.tables())
    gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    dates = churn.snapshot_dates(data, DATA_DATE)
    examples = churn.build_examples(data, dates)
    t_feat = time.perf_counter() - t0

    t0 = time.perf_counter()
    model = churn.train_churn_model(data, DATA_DATE, examples=examples)
    t_train = time.perf_counter() - t0

    t0 = time.perf_counter()
    result, _ = churn.churn_risk(data, DATA_DATE, model=model, status_as_of=DATA_DATE)
    t_score = time.perf_counter() - t0

    info = model.info
    total = t_feat + t_train + t_score
    print(f"accounts {n:,}  (generation {gen:.1f} s, not counted)")
    print(f"  examples  {len(examples):,} rows x {len(churn.FEATURES)} features over "
          f"{len(dates)} monthly snapshots ({dates[0]} to {dates[-1]}), "
          f"{info['events']:,} churn events")
    print(f"  features  {t_feat:6.1f} s")
    print(f"  training  {t_train:6.1f} s  (2 candidates out of time + refit of the winner; "
          f"<= {250_000:,} rows per fit)")
    print(f"  scoring   {t_score:6.1f} s  ({len(result.accounts):,} active accounts, "
          f"features + probabilities + drivers)")
    print(f"  total     {total:6.1f} s  (target < 60 s)")
    print(f"  model {info['kind']}: out-of-time AUC {info['auc']:.3f}, top-decile lift "
          f"{info['top_decile_lift']:.2f}, Brier {info['brier']:.4f} (base rate "
          f"{info['base_rate']:.3f}); test {info['test_period'][0]}..{info['test_period'][1]}")
    for kind, c in info["candidates"].items():
        print(f"    {kind:24s} AUC {c['auc']:.3f}  lift {c['top_decile_lift']:.2f}  "
              f"Brier {c['brier']:.4f}")
    print("  top account:", result.accounts.iloc[0]["name"],
          f"{result.accounts.iloc[0]['churn_probability']:.3f}",
          "; ".join(result.accounts.iloc[0]["drivers"]))


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [100_000]
    for size in sizes:
        bench(size)
