"""``acctdesk backtest PATH``: does the health score predict churn?

Scores the book as of past dates (default: four dates 60 days apart, the latest one horizon
before the data date) and compares with what happened in the following ``--horizon`` days.

JSON: ``workspace``, ``scorecard``, ``as_of_dates``, ``horizon_days``, ``outcome``
(``churn`` or ``churn_or_contraction``), ``auc``, ``top_decile_lift``, ``churn_rate``, ``n``
(scored account-dates), ``churned`` (positives), ``contracted``, ``band_churn``
(band -> ``churn_rate``, ``n``), ``by_segment`` (segment -> ``auc``, ``top_decile_lift``,
``churn_rate``, ``n``, ``churned``, ``band_churn``), ``verdict`` and ``suggested_weights``
(``available``, ``weights``, ``current_weights``, ``auc_current``, ``auc_fitted``, ``better``,
``verdict``, ...; null with ``--no-suggest``) and ``accepted`` (the fitted weights were saved).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import iso_date, positive_int, print_json

NAME = "backtest"
HELP = "check whether the health score predicted churn on past dates (AUC, lift, bands)"
DESCRIPTION = (
    "Score every account as of past dates and compare with who churned (or contracted) in "
    "the following months: ROC AUC, top-decile lift, churn rate per band and per segment, a "
    "verdict in words, and weights fitted from that history that you can accept."
)


def _dates(text: str) -> list[str]:
    return [iso_date(t.strip()) for t in text.split(",") if t.strip()]


def _pct(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v < 100:
        raise argparse.ArgumentTypeError("must be between 0 and 100")
    return v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--scorecard", default=None, metavar="ID",
                        help="card to test (default: the assignment's default card, health)")
    parser.add_argument("--horizon", type=positive_int, default=90,
                        help="days to look ahead after each date (default 90)")
    parser.add_argument("--dates", type=_dates, default=None, metavar="D1,D2,...",
                        help="past dates to score (default: 4 dates 60 days apart)")
    parser.add_argument("--outcome", choices=("churn", "churn_or_contraction"),
                        default="churn", help="what counts as a loss (default churn)")
    parser.add_argument("--contraction-pct", type=_pct, default=10.0,
                        help="MRR drop that counts as contraction, in %% (default 10)")
    parser.add_argument("--no-suggest", action="store_true",
                        help="skip fitting suggested weights")
    parser.add_argument("--accept", action="store_true",
                        help="save the suggested weights into the scorecard when they are "
                             "better")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def compute(ws, *, scorecard=None, horizon=90, dates=None, outcome="churn",
            contraction_pct=10.0, suggest=True, accept=False) -> dict:
    from ..analytics.scorecards import backtest, backtest_dates, suggest_weights
    from ..domain.numbers import json_safe
    from ..engine import Engine
    from ..engine.scorecards import accept_suggested_weights
    from . import UsageError

    data_date = ws.data_date()
    if not data_date:
        raise ValueError(f"{ws.path}: the workspace has no data to backtest; import accounts "
                         "first")
    a = Engine(ws).analysis()
    data = a.data
    cards, assignment = a.scorecards
    cid = scorecard or assignment.default
    if cid not in cards:
        raise UsageError(f"no scorecard {cid!r} (available: {', '.join(sorted(cards))})")
    card = cards[cid]
    dates = sorted(dates) if dates else backtest_dates(data_date, horizon)
    late = [d for d in dates if d >= data_date]
    if late:
        raise UsageError(f"backtest dates must be before the data date {data_date} (got "
                         f"{', '.join(late)}): nothing is known about what happened after")
    bt = backtest(card, data, dates, horizon, outcome=outcome, contraction_pct=contraction_pct)
    out = {k: v for k, v in bt.items() if k != "observations"}
    out = {"workspace": str(ws.path), **out}
    out["suggested_weights"] = None
    out["accepted"] = False
    if suggest:
        sw = suggest_weights(card, data, dates, horizon, outcome=outcome,
                             contraction_pct=contraction_pct, backtest_result=bt)
        out["suggested_weights"] = sw.to_dict()
        if accept:
            if not sw.better:
                raise ValueError(f"not accepted: {sw.verdict}")
            accept_suggested_weights(ws, sw)
            out["accepted"] = True
    elif accept:
        raise UsageError("--accept needs the suggested weights (drop --no-suggest)")
    return json_safe(out, 4)


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        data = compute(ws, scorecard=args.scorecard, horizon=args.horizon, dates=args.dates,
                       outcome=args.outcome, contraction_pct=args.contraction_pct,
                       suggest=not args.no_suggest, accept=args.accept)
    if args.json:
        print_json(data)
        return 0

    def f(x, fmt="{:.2f}"):
        return "n/a" if x is None else fmt.format(x)

    what = "churned" if data["outcome"] == "churn" else "churned or contracted"
    print(f"Backtest of '{data['scorecard']}' on {', '.join(data['as_of_dates'])}, looking "
          f"{data['horizon_days']} days ahead: {data['n']:,} scored account-dates, "
          f"{data['churned']:,} {what} ({f(data['churn_rate'], '{:.1%}')}).")
    from ..analytics.plain import times_in_100

    def ranked(v) -> str:
        n = times_in_100(v["auc"])
        return "too few to tell" if n is None else f"scored worse {n} times in 100"

    def tenth(v) -> str:
        return f(v["top_decile_lift"], "{:.1f} times as often")

    print(f"Accounts that {what} had scored worse than those that did not "
          f"{f(times_in_100(data['auc']), '{} times in 100')} (a coin toss: 50); the tenth with "
          f"the worst scores {what} {tenth(data)} as the book as a whole.")
    print(f"{what.capitalize()} per band: " + ", ".join(
        f"{b} {f(v['churn_rate'], '{:.1%}')} of {v['n']:,}"
        for b, v in data["band_churn"].items()))
    for seg, v in data["by_segment"].items():
        print(f"  {seg}: {ranked(v)}, worst tenth {tenth(v)}, "
              f"{v['churned']:,} of {v['n']:,} {what}")
    print(data["verdict"])
    sw = data["suggested_weights"]
    if sw:
        print(sw["verdict"])
        if sw["available"]:
            print("  weights now:    " + ", ".join(f"{g} {w:g}%"
                                                   for g, w in sw["current_weights"].items()))
            print("  fitted weights: " + ", ".join(f"{g} {w:g}%"
                                                   for g, w in sw["weights"].items()))
            if data["accepted"]:
                print(f"  Accepted: scorecard '{data['scorecard']}' now uses the fitted "
                      "weights.")
            elif sw["better"]:
                print("  Run again with --accept to use them.")
    return 0
