"""``acctdesk whitespace PATH [--json] [--as-of DATE] [--limit N]``: cross-sell and upsell.

Prints the engine's suggestions (the same as the app's, accounts at risk flagged) sorted by
expected MRR, each with its reason, and the backtest of the
cross-sell ranking (precision at 5/10/20 vs the popularity baseline, last 6 months hidden).
JSON: ``{"as_of", "accounts_with_suggestions", "total_suggestions", "suggestions": [{account_id, name, product,
kind, propensity, expected_mrr, reason, ...}], "backtest": {precision_at_5, ...,
baseline_precision_at_5, ..., hidden_months, ...}}``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, iso_date, print_json

NAME = "whitespace"
HELP = "cross-sell and upsell suggestions with reasons, plus their backtest"
DESCRIPTION = (
    "Lists every gap (a product an account lacks) with its propensity and expected MRR, and "
    "seat upsells where seats are nearly full, sorted by expected MRR; then the backtest: "
    "the last 6 months of purchases hidden, precision at 5/10/20 suggestions per CSM book "
    "against the popularity baseline."
)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (all) or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file (.acctdesk)")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--as-of", type=iso_date, default=None,
                        help="date to compute for (default: the workspace's data date)")
    parser.add_argument("--limit", type=_limit, default=25,
                        help="suggestions to list (default 25; 0 lists all)")


def run(args) -> int:
    from ..domain.numbers import finite
    from ..engine import Engine
    from ..models import Workspace

    with Workspace(args.path) as ws:
        a = Engine(ws).analysis(args.as_of)
        if not a.as_of:
            raise UsageError(f"{args.path}: the workspace has no data yet; import some first")
        if a.empty or not len(a.data.frame("subscriptions")):
            raise UsageError(f"{args.path}: whitespace needs accounts and subscriptions")
        as_of = a.as_of
        suggestions = a.whitespace
        bt = a.whitespace_backtest
    shown = suggestions if args.limit == 0 else suggestions.head(args.limit)
    if args.json:
        rows = []
        for rec in shown.to_dict("records"):
            rows.append({
                "account_id": rec["account_id"], "name": rec["name"],
                "product": rec["product"], "kind": rec["kind"],
                "propensity": round(float(rec["propensity"]), 4),
                "expected_mrr": round(float(rec["expected_mrr"]), 2),
                "value_mrr": finite(rec["value_mrr"], 2),
                "reason": rec["reason"], "at_risk": bool(rec["at_risk"]),
            })
        print_json({
            "as_of": as_of,
            "accounts_with_suggestions": int(suggestions["account_id"].nunique()),
            "total_suggestions": int(len(suggestions)), "suggestions": rows,
            "backtest": bt,
        })
        return 0
    print(f"Whitespace as of {as_of}: {len(suggestions):,} suggestions "
          f"({int((suggestions['kind'] == 'cross-sell').sum()):,} cross-sell, "
          f"{int((suggestions['kind'] == 'upsell').sum()):,} upsell); top {len(shown):,} "
          "by expected MRR:")
    for i, rec in enumerate(shown.to_dict("records"), 1):
        print(f"{i:>4}. {rec['name']} ({rec['account_id']}): {rec['kind']} {rec['product']}, "
              f"{rec['propensity']:.0%} chance to buy, expected {rec['expected_mrr']:,.2f}/month")
        print(f"      {rec['reason']}")
    print()
    from ..analytics.plain import suggestions_bought

    print(f"Checked on the past: the purchases of {bt['cutoff']} to {bt['as_of']} were hidden "
          f"and the suggestions made from the data before ({bt['purchases']} of the "
          f"{bt['candidates']:,} products {bt['accounts']:,} accounts lacked were bought in "
          "that time).")
    print(suggestions_bought(bt, 10))
    print("Share of suggestions bought, top 5/10/20 per CSM book:")
    for k in (5, 10, 20):
        print(f"  top {k:<2}  ours {bt[f'precision_at_{k}']:.1%}   "
              f"most popular product {bt[f'baseline_precision_at_{k}']:.1%}   "
              f"'bought together' rules {bt[f'rules_precision_at_{k}']:.1%}")
    return 0

