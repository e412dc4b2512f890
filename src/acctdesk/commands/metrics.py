"""``acctdesk metrics PATH``: MRR, ARR, NRR, GRR, logo churn and MRR movements as of the data date.

The JSON keys are a contract (scripts and tests read them): ``as_of``, ``currency``,
``definition``, ``formulas``, ``mrr``, ``arr``, ``accounts``, ``period`` (``start_month``,
``end_month``, ``months``), ``nrr``, ``grr``, ``logo_churn``, ``logo_retention``, ``clv``
and ``movements`` (one object per month: ``month``, ``start_mrr``, ``new``, ``expansion``,
``contraction``, ``churn``, ``reactivation``, ``end_mrr``, ``net_change``). Ratios are
fractions (1.0 = 100%); a figure that cannot be computed is ``null``.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from . import UsageError, iso_date

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


def _num(x, digits: int = 6):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, digits)


def compute(ws, *, months: int = 12, definition: str = "standard",
            as_of: str | None = None) -> dict:
    """The metrics summary of a workspace as a JSON-ready dict (see the module docstring)."""
    from ..analytics import metrics

    as_of = as_of or ws.data_date()
    if not as_of:
        raise UsageError(f"{ws.path.name} has no data yet: import subscriptions first")
    mrr = metrics.mrr_by_month(ws.subscriptions(), as_of=as_of)
    labels = mrr.attrs["months"]
    out: dict = {
        "workspace": str(ws.path), "as_of": str(as_of)[:10], "currency": ws.get_meta("currency"),
        "definition": definition,
        "formulas": dict(metrics.RETENTION_DEFINITIONS[definition]),
        "mrr": 0.0, "arr": 0.0, "accounts": 0,
        "period": {"start_month": None, "end_month": labels[-1] if labels else None,
                   "months": 0},
        "nrr": None, "grr": None, "logo_churn": None, "logo_retention": None,
        "clv": None, "movements": [],
    }
    if not len(mrr):
        return out
    mv = metrics.mrr_movements(mrr)
    last = mv.iloc[-1]
    out["mrr"] = _num(last["end_mrr"], 2)
    out["arr"] = _num(12 * last["end_mrr_cents"] / 100.0, 2)
    out["accounts"] = int(last["end_accounts"])
    end = labels[-1]
    span = min(months, len(labels) - 1)
    if span >= 1:
        start = labels[-1 - span]
        r = metrics.retention(mrr, start_month=start, end_month=end, definition=definition)
        row = r.iloc[0] if len(r) else None
        out["period"] = {"start_month": start, "end_month": end, "months": span}
        if row is not None:
            for k in ("nrr", "grr", "logo_churn", "logo_retention"):
                out[k] = _num(row[k])
            out["retention_detail"] = {
                k: _num(row[k], 2) for k in ("start_mrr", "expansion", "contraction", "churn",
                                             "reactivation", "end_mrr", "retained_mrr")}
            out["retention_detail"]["logos_start"] = int(row["logos_start"])
            out["retention_detail"]["logos_churned"] = int(row["logos_churned"])
    c = metrics.clv(mrr, window_months=min(12, max(1, len(labels) - 1)))
    if len(c):
        out["clv"] = {"value": _num(c["clv"].iloc[0], 2), "arpa": _num(c["arpa"].iloc[0], 2),
                      "monthly_churn_rate": _num(c["monthly_churn_rate"].iloc[0]),
                      "note": str(c["note"].iloc[0]) or None, "formula": metrics.CLV_FORMULA}
    keep = mv.iloc[-months:]
    cols = ["start_mrr", "new", "expansion", "contraction", "churn", "reactivation", "end_mrr",
            "net_change"]
    out["movements"] = [
        {"month": str(rec["month"]), **{k: _num(rec[k], 2) for k in cols},
         "new_accounts": int(rec["new_accounts"]),
         "churned_accounts": int(rec["churned_accounts"]),
         "reactivated_accounts": int(rec["reactivated_accounts"])}
        for rec in keep.to_dict(orient="records")
    ]
    return out


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        data = compute(ws, months=args.months, definition=args.definition, as_of=args.as_of)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    cur = data["currency"] or ""
    p = data["period"]
    print(f"As of {data['as_of']} ({data['accounts']:,} paying accounts)")
    print(f"MRR  {data['mrr']:,.2f} {cur}".rstrip())
    print(f"ARR  {data['arr']:,.2f} {cur}".rstrip())
    if p["start_month"]:
        print(f"Retention {p['start_month']} to {p['end_month']} ({p['months']} months), "
              f"definition '{data['definition']}':")
        print(f"  NRR {_pct(data['nrr'])}   GRR {_pct(data['grr'])}   "
              f"logo churn {_pct(data['logo_churn'])}")
    print(f"{'month':<8} {'new':>12} {'expansion':>12} {'contraction':>12} {'churn':>12} "
          f"{'reactivation':>12} {'end MRR':>14}")
    for m in data["movements"]:
        print(f"{m['month']:<8} {m['new']:>12,.0f} {m['expansion']:>12,.0f} "
              f"{m['contraction']:>12,.0f} {m['churn']:>12,.0f} {m['reactivation']:>12,.0f} "
              f"{m['end_mrr']:>14,.0f}")
    return 0
