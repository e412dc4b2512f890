"""``acctdesk import PATH FILE... [--json]``: import exports into a workspace.

Exit code 0 when every file imported (or was already imported), 1 when any file was
rejected (the others still import), 2 for bad usage.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "import"
HELP = "import CSV/Excel exports into a workspace"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("files", type=Path, nargs="+", help="export files, imported in order")
    parser.add_argument("--profile", default=None,
                        help="use this source profile instead of recognising (e.g. stripe.subscriptions)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")


def run(args) -> int:
    from ..importers.pipeline import import_file
    from ..importers.profiles import get
    from ..models import Workspace
    from . import UsageError

    if args.profile is not None:
        try:
            get(args.profile)
        except KeyError:
            raise UsageError(f"unknown profile {args.profile!r}") from None
    results = []
    with Workspace(args.path) as ws:
        for f in args.files:
            r = import_file(ws, f, profile_id=args.profile)   # never raises for a bad file
            results.append(r)
            if not args.json:
                _print_human(r)
    if args.json:
        print(json.dumps({"workspace": str(args.path),
                          "files": [r.as_dict() for r in results]}, indent=2, default=str))
    return 1 if any(r.error for r in results) else 0


def _print_human(r) -> None:
    name = Path(r.file).name
    if r.error:
        print(f"{name}: REJECTED: {r.error}", file=sys.stderr)
        return
    if r.skipped:
        print(f"{name}: {r.notes[-1]}")
        return
    print(f"{name}: {r.profile} ({r.confidence:.0%}) -> {r.entity}: {r.rows_read} rows read, "
          f"{r.inserted} inserted, {r.updated} updated, {r.unchanged} unchanged, "
          f"{r.rejected} rejected, {r.accounts_created} new accounts; "
          f"batch {', '.join(map(str, r.batch_ids))}")
    for e in r.row_errors[:10]:
        print(f"  {e}")
    for item in r.review:
        print(f"  review: {item['reason']}")
    for note in r.notes:
        print(f"  note: {note}")
