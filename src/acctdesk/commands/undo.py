"""``acctdesk undo PATH BATCH_ID``: undo one import batch."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "undo"
HELP = "undo an import batch"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("batch_id", type=int, help="the batch to undo (see 'acctdesk info')")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from ..importers.pipeline import undo_batch
    from ..models import Workspace

    with Workspace(args.path) as ws:
        counts = undo_batch(ws, args.batch_id)
    if args.json:
        print(json.dumps({"batch_id": args.batch_id, **counts}))
    else:
        print(f"Undid batch {args.batch_id}: " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if v))
    return 0
