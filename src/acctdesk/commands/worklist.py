"""``acctdesk worklist PATH``: the ranked list of accounts that need attention today.

The list is the engine's (:mod:`acctdesk.engine`): the same ranking as the Today view and the
priority pack. Churn probabilities come from the workspace's churn model; without one (or
with ``--risk-source health``) the assigned health score stands in, and the output says so:
``"risk_source": "health"``.

JSON: ``as_of``, ``risk_source`` ("model" or "health"), ``risk_note``, ``expansion_source``,
``health_baseline``, ``weights``, ``count`` (items before ``--limit``) and ``items``, each with
``rank``, ``account_id``, ``name``, ``owner``, ``arr``, ``priority``, ``components``,
``reasons``, ``next_step`` and the figures behind them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import iso_date, positive_int, print_json

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


def compute(ws, *, limit: int | None = None, as_of: str | None = None,
            risk_source: str = "auto") -> dict:
    """The worklist of a workspace as a JSON-ready dict (see the module docstring)."""
    from ..analytics.worklist import worklist_items
    from ..engine import Engine

    a = Engine(ws).analysis(as_of, risk_source=risk_source)
    if a.as_of is None:
        raise ValueError("the workspace has no data yet (no data date)")
    full = a.worklist
    shown = full.head(limit) if limit else full
    risk = a.risk
    has_subs = len(a.data.frame("subscriptions")) > 0
    return {
        "workspace": str(ws.path),
        "as_of": full.attrs["as_of"],
        "risk_source": full.attrs["risk_source"],
        "risk_note": risk.label,
        "expansion_source": "whitespace suggestions" if has_subs else None,
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
        print_json(data)
        return 0
    print(f"Worklist as of {data['as_of']}: {data['count']:,} accounts need attention "
          f"(risk from {data['risk_source']}); top {len(data['items'])}:")
    for it in data["items"]:
        print(f"{it['rank']:>3}. {it['name']} ({it['owner'] or 'no owner'})  "
              f"priority {it['priority']:.1f}")
        print(f"     {', '.join(it['reasons'])}")
        print(f"     -> {it['next_step']}")
    return 0
