"""``acctdesk undo PATH BATCH_ID [--force]``: undo one import batch.

The workspace becomes what it would be had that file never been imported, while the files
imported after it had been: rows a later file also brought stay. When accounts the batch
brought have later usage, tickets, notes, logged calls or worklist states, the undo is
refused (exit 1, naming them) unless ``--force``: then it goes ahead and those accounts stay.
"""
from __future__ import annotations

import json
from pathlib import Path

NAME = "undo"
HELP = "undo an import batch"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("batch_id", type=int, help="the batch to undo (see 'acctdesk info')")
    parser.add_argument("--force", action="store_true",
                        help="undo even when later data depends on accounts the batch "
                             "brought (those accounts then stay)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from ..models.batch_undo import undo_batch
    from ..models.crypto import open_workspace

    with open_workspace(args.path, getattr(args, "passphrase_file", None)) as ws:
        counts = undo_batch(ws, args.batch_id, force=args.force)
    if args.json:
        print(json.dumps({"batch_id": args.batch_id, **counts}))
    else:
        print(f"Undid batch {args.batch_id}: " + (", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if v) or "nothing else "
            "to change (later files brought the same rows)"))
    return 0
