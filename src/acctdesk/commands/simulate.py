"""``acctdesk simulate``: the compounding book-of-business model (see
:mod:`acctdesk.analytics.simulator`).

``acctdesk simulate --accounts 70 --acv 36000 --upsell 0.04 --churn 0.02 --period month
--years 3`` prints the revenue over the horizon (10,918,817.11). With ``--from-workspace PATH``
the accounts, ACV and rates are measured on the workspace (any of them given on the command
line wins). ``--json`` prints ``total``, the inputs, ``flat_total``, ``uplift``, ``formula``,
``source`` and the per-period ``table``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, print_json

NAME = "simulate"
HELP = "book-of-business simulator: accounts x ACV compounded by upsell and churn"
DESCRIPTION = (
    "Revenue over the horizon = N x P x sum_{t=0}^{T-1} (1 + upsell - churn)^t, with P the "
    "ACV per period (ACV/12 monthly). Rates are per period, as fractions (0.04 = 4%)."
)


def _nonneg(kind):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if v < 0:
            raise argparse.ArgumentTypeError("must be >= 0")
        return v
    return parse


def _rate(text: str) -> float:
    t = text.strip()
    pct = t.endswith("%")
    try:
        v = float(t.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate like 0.04 or 4%") from None
    v = v / 100 if pct else v
    if v < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=_nonneg(int), default=None,
                        help="number of accounts N")
    parser.add_argument("--acv", type=_nonneg(float), default=None,
                        help="annual contract value per account")
    parser.add_argument("--upsell", type=_rate, default=None,
                        help="upsell rate per period (0.04 or 4%%; default 0)")
    parser.add_argument("--churn", type=_rate, default=None,
                        help="churn rate per period (0.02 or 2%%; default 0)")
    parser.add_argument("--period", choices=("month", "year"), default="year",
                        help="compounding period (default year)")
    parser.add_argument("--years", type=_nonneg(float), default=3.0,
                        help="horizon in years (default 3)")
    parser.add_argument("--from-workspace", type=Path, default=None, metavar="PATH",
                        help="measure accounts, ACV and rates on this workspace")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def run(args) -> int:
    from ..analytics.simulator import simulate

    source = "inputs"
    measured = None
    accounts, acv, upsell, churn = args.accounts, args.acv, args.upsell, args.churn
    if args.from_workspace is not None:
        from ..engine import Engine
        from ..models import Workspace

        with Workspace(args.from_workspace) as ws:
            measured = Engine(ws).analysis().rates(period=args.period)
        accounts = measured.accounts if accounts is None else accounts
        acv = measured.acv if acv is None else acv
        upsell = measured.upsell if upsell is None else upsell
        churn = measured.churn if churn is None else churn
        source = measured.method
    if accounts is None or acv is None:
        raise UsageError("give --accounts and --acv (or --from-workspace PATH)")
    try:
        sim = simulate(accounts, acv, upsell or 0.0, churn or 0.0, args.period, args.years,
                       source=source)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        d = sim.to_dict()
        if measured is not None:
            d["measured"] = measured.to_dict()
        print_json(d)
        return 0
    print(f"{sim.total:,.2f}")
    print(f"  {sim.accounts:,} accounts x {sim.acv:,.2f} ACV, upsell {sim.upsell:.2%} and churn "
          f"{sim.churn:.2%} per {sim.period}, {sim.periods} {sim.period}s "
          f"(no upsell/churn: {sim.flat_total:,.2f}); rates: {sim.source}")
    return 0
