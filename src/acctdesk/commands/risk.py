"""``acctdesk risk PATH``: churn risk of every active account, with its drivers.

Trains a churn model on the workspace's own history when there is no usable stored one
(see :mod:`acctdesk.engine.risk`), stores it, and scores the accounts active on the
data date (or ``--as-of``). With too few churn events it says so and falls back to the health
score.

JSON (a contract): ``as_of``, ``data_date``, ``horizon_days``, ``count`` (accounts before
``--limit``), ``accounts`` (highest risk first) with ``account_id``, ``name``,
``churn_probability`` (0-1, ``null`` without a score) and ``drivers`` (list of strings), and
``model`` with ``kind`` (``hist_gradient_boosting``, ``logistic_regression`` or
``health_fallback``), ``trained_at``, ``auc``, ``top_decile_lift``, ``brier`` (out-of-time
figures; ``null`` on fallback), ``reason`` (on fallback) and the rest of the validation
figures (``calibration``, ``candidates``, ``train_period``, ``test_period``, ...).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, iso_date, positive_int, print_json

NAME = "risk"
HELP = "churn risk of every active account, with drivers (trains a model if needed)"
DESCRIPTION = (
    "Score every active account's probability of churning within --horizon days with a model "
    "trained on the workspace's own history (validated out of time, calibrated), and list "
    "each account's top drivers. The model is stored in the workspace and reused while the "
    "data is unchanged. With too little history the health score stands in, and the output "
    "says so."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--retrain", action="store_true",
                        help="train a new model even if a stored one fits")
    parser.add_argument("--as-of", default=None, type=iso_date,
                        help="score as of this date instead of the data date (YYYY-MM-DD); "
                             "the model learns only from data up to it")
    parser.add_argument("--horizon", type=positive_int, default=90, metavar="DAYS",
                        help="predict churn within this many days (default 90)")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="list only the N riskiest accounts (default: all with --json, "
                             "25 otherwise)")


def compute(ws, *, as_of: str | None = None, horizon_days: int = 90, retrain: bool = False,
            limit: int | None = None) -> dict:
    """The risk report of a workspace as a JSON-ready dict (see the module docstring).

    Drivers are computed for the accounts listed (all of them without ``limit``)."""
    from ..domain.numbers import finite, json_safe
    from ..engine import Engine

    data_date = ws.data_date()
    if not data_date:
        raise UsageError(f"{ws.path.name} has no data yet: import accounts and activity first")
    a = Engine(ws).analysis(as_of, horizon_days=horizon_days)
    risk = a.retrain() if retrain else a.risk
    frame = risk.frame
    count = len(frame)
    if limit is not None:
        frame = frame.head(limit)
    drivers = a.drivers(frame["account_id"].astype(str).tolist())
    accounts = [
        {"account_id": str(aid), "name": None if n is None else str(n),
         "churn_probability": finite(p, 4), "drivers": list(drivers[str(aid)])}
        for aid, n, p in zip(frame["account_id"], frame["name"], frame["churn_probability"])
    ]
    model = json_safe(dict(risk.info), 6)
    return {"workspace": str(ws.path), "as_of": str(as_of or data_date)[:10],
            "data_date": data_date, "horizon_days": int(horizon_days), "count": count,
            "model": model, "accounts": accounts}


def _print_text(report: dict, limit: int) -> None:
    m = report["model"]
    print(f"Churn risk within {report['horizon_days']} days, as of {report['as_of']} "
          f"({report['count']:,} active accounts)")
    if m.get("kind") == "health_fallback":
        print(f"No churn model: {m.get('reason')}")
    else:
        from ..analytics.plain import churn_ranking, riskiest_tenth

        how = "loaded from the workspace" if m.get("loaded_from_workspace") else "trained now"
        print(f"Churn model trained {m.get('trained_at')} ({how}) on the history of "
              f"{m.get('events')} accounts that churned.")
        print(f"Checked on {m['test_period'][0]} to {m['test_period'][1]}, months it was not "
              f"trained on: {churn_ranking(m['auc'], 'it')}; {riskiest_tenth(m['top_decile_lift'])}.")
    print()
    rows = report["accounts"][:limit]
    width = max([len(r["name"] or r["account_id"]) for r in rows] + [7])
    print(f"{'risk':>6}  {'account':<{width}}  drivers")
    for r in rows:
        p = r["churn_probability"]
        risk = "   n/a" if p is None else f"{100 * p:5.1f}%"
        print(f"{risk}  {(r['name'] or r['account_id']):<{width}}  {'; '.join(r['drivers'])}")
    if report["count"] > len(rows):
        print(f"... {report['count'] - len(rows):,} more (use --limit or --json)")


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        report = compute(ws, as_of=args.as_of, horizon_days=args.horizon,
                         retrain=args.retrain,
                         limit=args.limit if (args.json or args.limit) else 25)
    if args.json:
        print_json(report)
    else:
        _print_text(report, args.limit or 25)
    return 0
