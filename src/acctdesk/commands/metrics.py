"""``acctdesk metrics PATH``: MRR, ARR, NRR, GRR, logo churn and MRR movements as of the data date.

The JSON keys are a contract (scripts and tests read them): ``as_of``, ``currency``,
``definition``, ``formulas``, ``mrr``, ``arr``, ``accounts``, ``period`` (``start_month``,
``end_month``, ``months``), ``nrr``, ``grr``, ``logo_churn``, ``logo_retention``, ``clv``
and ``movements`` (one object per month: ``month``, ``start_mrr``, ``new``, ``expansion``,
``contraction``, ``churn``, ``reactivation``, ``end_mrr``, ``net_change``), plus
``arr_billing`` and ``bands``. Ratios are fractions (1.0 = 100%); a figure that cannot be
computed is ``null``. ``arr`` is the book's ARR, the sum of the active accounts' ARR (the
figure of the Portfolio view and the pack); ``arr_billing`` = 12 x ``mrr``; ``bands`` counts
the active accounts per health band of their assigned scorecard. The figures are the
engine's (:mod:`acctdesk.engine`), the same as every screen's.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, iso_date, print_json
from ..domain.numbers import percent

NAME = "metrics"
HELP = "revenue metrics (MRR, ARR, NRR, GRR, logo churn, movements) of a workspace"
DESCRIPTION = (
    "Print MRR, ARR, NRR, GRR and logo churn over the last --months months, and the MRR "
    "movements of each month, as of the workspace's data date. The retention definition used "
    "is named in the output."
)


def _months(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return v


def _definition(text: str) -> str:
    # imported here, not at parser build: the CLI (and the app's start) must not load pandas
    from ..analytics.metrics import RETENTION_DEFINITIONS

    if text not in RETENTION_DEFINITIONS:
        raise argparse.ArgumentTypeError(
            f"unknown definition {text!r}; choose one of {', '.join(sorted(RETENTION_DEFINITIONS))}")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--months", type=_months, default=12,
                        help="period for NRR/GRR/logo churn and months of movements "
                             "(default 12)")
    parser.add_argument("--definition", default="standard", type=_definition,
                        help="retention definition: standard (default), "
                             "nrr_with_reactivation or start_cohort")
    parser.add_argument("--as-of", default=None, type=iso_date,
                        help="compute as of this date instead of the data date (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def compute(ws, *, months: int = 12, definition: str = "standard",
            as_of: str | None = None) -> dict:
    """The metrics summary of a workspace as a JSON-ready dict (see the module docstring)."""
    from ..engine import Engine

    a = Engine(ws).analysis(as_of)
    if not a.as_of:
        raise UsageError(f"{ws.path.name} has no data yet: import subscriptions first")
    return {"workspace": str(ws.path), **a.metrics(months=months, definition=definition)}


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        data = compute(ws, months=args.months, definition=args.definition, as_of=args.as_of)
    if args.json:
        print_json(data)
        return 0
    cur = data["currency"] or ""
    p = data["period"]
    print(f"As of {data['as_of']} ({data['accounts']:,} paying accounts)")
    print(f"MRR  {data['mrr']:,.2f} {cur}".rstrip())
    unit = f" {cur}" if cur else ""
    print(f"ARR  {data['arr']:,.2f}{unit} (the active accounts' ARR; 12 x MRR = "
          f"{data['arr_billing']:,.2f})")
    if data["bands"]:
        print("Health bands: " + ", ".join(f"{b} {n:,}" for b, n in data["bands"].items()))
    if p["start_month"]:
        print(f"Retention {p['start_month']} to {p['end_month']} ({p['months']} months), "
              f"definition '{data['definition']}':")
        print(f"  NRR {percent(data['nrr'], 1, '-')}   GRR {percent(data['grr'], 1, '-')}   "
              f"logo churn {percent(data['logo_churn'], 1, '-')}")
    print(f"{'month':<8} {'new':>12} {'expansion':>12} {'contraction':>12} {'churn':>12} "
          f"{'reactivation':>12} {'end MRR':>14}")
    for m in data["movements"]:
        print(f"{m['month']:<8} {m['new']:>12,.0f} {m['expansion']:>12,.0f} "
              f"{m['contraction']:>12,.0f} {m['churn']:>12,.0f} {m['reactivation']:>12,.0f} "
              f"{m['end_mrr']:>14,.0f}")
    return 0
