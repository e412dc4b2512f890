"""``acctdesk scorecard list|export|import PATH ...``: the workspace's scorecards and their
files.

* ``list PATH [--json]``: every card available (built-in and stored) with its groups and
  weights, and the assignment rules. JSON: ``scorecards`` (list of ``id``, ``name``,
  ``source`` (``built-in``/``stored``/``stored (replaces built-in)``), ``polarity``,
  ``style``, ``groups`` (name -> weight %), ``measures``), ``assignment`` (its JSON).
* ``export PATH ID FILE [--force]``: write a card to a readable JSON file.
* ``import PATH FILE [--id NEW_ID] [--replace]``: validate a file and store the card.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import print_json

NAME = "scorecard"
HELP = "list the scorecards, export one to a JSON file or import one from a file"
DESCRIPTION = "List, export and import health scorecards (small readable JSON files)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="the scorecards of a workspace and the assignment rules")
    p.add_argument("path", type=Path, help="workspace file")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p = sub.add_parser("export", help="write a scorecard to a JSON file")
    p.add_argument("path", type=Path, help="workspace file")
    p.add_argument("id", help="scorecard id (see 'acctdesk scorecard list')")
    p.add_argument("file", type=Path, help="file to write, e.g. health.json")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p = sub.add_parser("import", help="store a scorecard from a JSON file")
    p.add_argument("path", type=Path, help="workspace file")
    p.add_argument("file", type=Path, help="scorecard file")
    p.add_argument("--id", dest="new_id", default=None, help="store it under this id")
    p.add_argument("--replace", action="store_true",
                   help="replace a stored scorecard with the same id")
    p.add_argument("--json", action="store_true", help="print a JSON object")


def _listing(ws) -> dict:
    from ..analytics.scorecards import builtin_scorecards
    from ..engine.scorecards import available_scorecards, load_assignment, load_scorecards

    builtin, stored = builtin_scorecards(), load_scorecards(ws)
    out = []
    for cid, card in available_scorecards(ws).items():
        source = "built-in" if cid not in stored else \
            "stored (replaces built-in)" if cid in builtin else "stored"
        total = sum(g.weight for g in card.groups) or 1.0
        out.append({"id": cid, "name": card.name, "source": source,
                    "polarity": card.polarity, "style": card.style,
                    "groups": {g.name: round(100 * g.weight / total, 1) for g in card.groups},
                    "measures": len(card.measures)})
    return {"workspace": str(ws.path), "scorecards": out,
            "assignment": load_assignment(ws).to_dict()}


def run(args) -> int:
    from ..models import Workspace
    from ..engine.scorecards import available_scorecards, export_scorecard, import_scorecard
    from . import UsageError

    with Workspace(args.path) as ws:
        if args.action == "list":
            data = _listing(ws)
            if args.json:
                print_json(data)
                return 0
            for c in data["scorecards"]:
                groups = ", ".join(f"{g} {w:g}%" for g, w in c["groups"].items())
                print(f"{c['id']:<14} {c['name']} [{c['source']}"
                      f"{', high = risk' if c['polarity'] == 'risk' else ''}]: {groups}")
            a = data["assignment"]
            for r in a["rules"]:
                print(f"rule: {r.get('label') or r['scorecard']} -> {r['scorecard']}")
            print(f"default: {a['default']}; side by side: "
                  f"{', '.join(a['side_by_side']) or 'none'}")
            return 0
        if args.action == "export":
            cards = available_scorecards(ws)
            if args.id not in cards:
                raise UsageError(f"no scorecard {args.id!r} (available: "
                                 f"{', '.join(sorted(cards))})")
            path = export_scorecard(cards[args.id], args.file, overwrite=args.force)
            data = {"workspace": str(ws.path), "scorecard": args.id, "file": str(path)}
            msg = f"Wrote scorecard '{args.id}' to {path}."
        else:
            card = import_scorecard(ws, args.file, new_id=args.new_id, replace=args.replace)
            data = {"workspace": str(ws.path), "scorecard": card.id, "name": card.name,
                    "file": str(args.file), "measures": len(card.measures)}
            msg = (f"Imported scorecard '{card.id}' ({card.name}, {len(card.measures)} "
                   f"measures) from {args.file}.")
    print_json(data) if args.json else print(msg)
    return 0
