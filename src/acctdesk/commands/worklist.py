"""``acctdesk worklist PATH``: the ranked list of accounts that need attention today.

Churn probabilities and expansion value come from :mod:`acctdesk.analytics.churn` and
:mod:`acctdesk.analytics.whitespace` when those modules are installed and expose a function
this command can call; otherwise (or when the call fails) the health score stands in for the
churn probability, and the output says so: ``"risk_source": "health"``.

JSON: ``as_of``, ``risk_source`` ("model" or "health"), ``risk_note``, ``expansion_source``,
``health_baseline``, ``weights``, ``count`` (items before ``--limit``) and ``items``, each with
``rank``, ``account_id``, ``name``, ``owner``, ``arr``, ``priority``, ``components``,
``reasons``, ``next_step`` and the figures behind them.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import iso_date, positive_int

NAME = "worklist"
HELP = "the ranked list of accounts that need attention, with reasons and next steps"
DESCRIPTION = (
    "Rank the workspace's active accounts by ARR at risk, renewals with poor health, health "
    "drops, urgent tickets, detractor NPS, missing CSM touches and expansion value, as of the "
    "data date."
)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--limit", type=positive_int, default=25,
                        help="number of items to print (default 25)")
    parser.add_argument("--as-of", default=None, type=iso_date,
                        help="compute as of this date instead of the data date (YYYY-MM-DD)")
    parser.add_argument("--risk-source", choices=("auto", "health"), default="auto",
                        help="'health' skips the churn model even when it is available")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def churn_probabilities(ws, as_of):
    """(Series of churn probability by account_id, note) or (None, why not).

    Uses the churn model stored in the workspace (trained once, reused while the data is
    unchanged); None when the model falls back to the health score.
    """
    import pandas as pd

    from ..models.model_store import risk_for_workspace

    risk = risk_for_workspace(ws, as_of=as_of)
    info = risk.model or {}
    if str(info.get("kind", "")).startswith("health"):
        return None, f"churn model not used: {info.get('reason') or 'health fallback'}"
    frame = risk.accounts
    s = pd.Series(frame["churn_probability"].to_numpy(dtype=float),
                  index=frame["account_id"].astype(str).to_numpy()).dropna()
    from ..analytics.plain import churn_ranking

    return s, ("churn model trained on this workspace's history; "
               + churn_ranking(info.get("auc"), "checked on later months, it"))


def expansion_suggestions(ws, as_of, risk=None):
    """(frame account_id, expected_mrr, note): the whitespace suggestions."""
    from ..analytics.whitespace import whitespace

    result = whitespace(ws.subscriptions(), ws.accounts(), ws.usage(), as_of, risk=risk)
    return result[["account_id", "expected_mrr"]].dropna(), "whitespace suggestions"


def compute(ws, *, limit: int | None = None, as_of: str | None = None,
            risk_source: str = "auto") -> dict:
    from ..analytics.worklist import worklist_from_workspace, worklist_items

    as_of = as_of or ws.data_date()
    if risk_source == "health":
        probs, risk_note = None, "health score requested (--risk-source health)"
    else:
        probs, risk_note = churn_probabilities(ws, as_of)
    expansion, exp_note = expansion_suggestions(ws, as_of, probs)
    full = worklist_from_workspace(ws, as_of=as_of, churn_probability=probs,
                                   expansion=expansion)
    shown = full.head(limit) if limit else full
    src = full.attrs["risk_source"]
    return {
        "workspace": str(ws.path),
        "as_of": full.attrs["as_of"],
        "risk_source": src,
        "risk_note": (risk_note if src == "model" else
                      "churn probability = (100 - health score) / 100 (no churn model: "
                      f"{risk_note})"),
        "expansion_source": exp_note if expansion is not None else None,
        "health_baseline": full.attrs.get("health_baseline"),
        "weights": full.attrs["weights"],
        "count": int(len(full)),
        "items": worklist_items(shown),
    }


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        data = compute(ws, limit=args.limit, as_of=args.as_of, risk_source=args.risk_source)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"Worklist as of {data['as_of']}: {data['count']:,} accounts need attention "
          f"(risk from {data['risk_source']}); top {len(data['items'])}:")
    for it in data["items"]:
        print(f"{it['rank']:>3}. {it['name']} ({it['owner'] or 'no owner'})  "
              f"priority {it['priority']:.1f}")
        print(f"     {', '.join(it['reasons'])}")
        print(f"     -> {it['next_step']}")
    return 0
