"""``acctdesk score PATH``: score every active account, store the snapshot, show what moved.

Each account is scored with the card its workspace's assignment rules give it (by default
``onboarding`` in the first 90 days after ``contract_start``, ``health`` otherwise; ``adoption``
and ``renewal_risk`` side by side). Trend and delta are against the latest stored snapshot of
the same card before the date.

JSON: ``workspace``, ``as_of``, ``stored`` (snapshot rows written), ``previous`` (card id ->
date of the snapshot compared with, or null), ``scorecards`` (id -> ``name``, ``polarity``,
``accounts`` (assigned), ``bands`` (label -> count)), ``count`` and ``accounts``: per account
exactly ``account_id``, ``name``, ``score`` (on the card's scale; null without data), ``band``,
``trend`` (``up``/``down``/``same`` (within 1 point)/``new``/``no score``), ``delta`` (null
when new) and ``drivers`` (short strings, biggest first). ``assigned`` maps the accounts not on
the default card to their card; ``side_by_side`` maps each side card to
``{account_id: {score, band, trend, delta}}``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..domain.numbers import finite
from . import iso_date, positive_int, print_json

NAME = "score"
HELP = "score every active account, store the snapshot and show trends and what moved"
DESCRIPTION = (
    "Score every account active on the date (default: the workspace's data date) with its "
    "assigned scorecard, store the snapshot in the workspace, and compare it with the "
    "previous snapshot: trend, delta and the measures that moved the score."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--as-of", default=None, type=iso_date,
                        help="score as of this date (YYYY-MM-DD; default: the data date)")
    parser.add_argument("--scorecard", default=None, metavar="ID",
                        help="score every account with this card instead of the assignment")
    parser.add_argument("--no-store", action="store_true",
                        help="do not store the snapshot (just show the scores)")
    parser.add_argument("--limit", type=positive_int, default=10,
                        help="number of biggest movers to list in the text output")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def report(result: dict, workspace: str) -> dict:
    """The JSON-ready report of :func:`acctdesk.engine.scores.score_workspace` output."""
    acc = result["accounts"]
    cards = result["cards"]
    default = result["assignment"].default
    items = [{"account_id": str(r.account_id), "name": r.name, "score": finite(r.score),
              "band": r.band if isinstance(r.band, str) else None, "trend": str(r.trend),
              "delta": finite(r.delta), "drivers": list(r.drivers)}
             for r in acc.itertuples(index=False)]
    scorecards = {}
    for cid in list(dict.fromkeys(acc["scorecard"].tolist())) + list(result["side_by_side"]):
        frame = acc[acc["scorecard"] == cid] if cid not in result["side_by_side"] \
            else result["side_by_side"][cid]
        bands = frame["band"].dropna().value_counts()
        order = [b.label for b in cards[cid].bands]
        scorecards[cid] = {"name": cards[cid].name, "polarity": cards[cid].polarity,
                           "role": "side_by_side" if cid in result["side_by_side"]
                           else "assigned", "accounts": int(len(frame)),
                           "bands": {b: int(bands.get(b, 0)) for b in order}}
    side = {cid: {str(r.account_id): {"score": finite(r.score),
                                      "band": r.band if isinstance(r.band, str) else None,
                                      "trend": str(r.trend), "delta": finite(r.delta)}
                  for r in f.itertuples(index=False)}
            for cid, f in result["side_by_side"].items()}
    return {"workspace": workspace, "as_of": result["as_of"], "stored": result["stored"],
            "previous": result["previous"], "scorecards": scorecards, "count": len(items),
            "accounts": items,
            "assigned": {str(a): c for a, c in zip(acc["account_id"], acc["scorecard"])
                         if c != default},
            "side_by_side": side}


def run(args) -> int:
    from ..engine.scores import score_workspace
    from ..models import Workspace

    with Workspace(args.path) as ws:
        result = score_workspace(ws, args.as_of, store=not args.no_store,
                                 scorecard=args.scorecard)
        data = report(result, str(ws.path))
    if args.json:
        print_json(data)
        return 0
    print(f"Scored {data['count']:,} active accounts as of {data['as_of']}"
          + (f"; snapshot stored ({data['stored']:,} rows)." if data["stored"] else
             " (not stored)."))
    for cid, info in data["scorecards"].items():
        prev = data["previous"].get(cid)
        bands = ", ".join(f"{b} {n:,}" for b, n in info["bands"].items())
        side = " (side by side)" if info["role"] == "side_by_side" else ""
        print(f"  {info['name']}{side}: {info['accounts']:,} accounts - {bands}; "
              + (f"compared with {prev}" if prev else "no earlier snapshot"))
    moved = [a for a in data["accounts"] if a["delta"] is not None]
    if not moved:
        print("No earlier snapshot to compare with: run 'acctdesk score' again after new data "
              "(or score an earlier date with --as-of) to see trends.")
        return 0
    trends = {t: sum(1 for a in data["accounts"] if a["trend"] == t)
              for t in ("up", "down", "same", "new")}
    print(f"Trend: {trends['up']:,} up, {trends['down']:,} down, {trends['same']:,} same, "
          f"{trends['new']:,} new. Biggest moves:")
    for a in sorted(moved, key=lambda a: -abs(a["delta"]))[:args.limit]:
        print(f"  {a['name']}: {a['score']} ({a['band']}), {a['delta']:+.1f}")
        for d in a["drivers"]:
            print(f"      {d}")
    return 0
