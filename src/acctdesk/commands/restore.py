"""``acctdesk restore PATH [BACKUP] [--newest]``: put a good backup in place of a workspace.

Without BACKUP: list the backups beside the workspace, each checked, and offer the newest
good one (asked on a terminal; otherwise the command to run is printed). With BACKUP (a path,
or a file name beside the workspace) or ``--newest``: check it and restore it. The file it
replaces is kept beside it as ``NAME.damaged-<time>``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "restore"
HELP = "restore a workspace from its newest good backup (the damaged file is kept)"
DESCRIPTION = __doc__.split("\n\n", 1)[1]


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("backup", nargs="?", default=None,
                        help="the backup to restore (default: list them and offer the newest "
                             "good one)")
    parser.add_argument("--newest", action="store_true",
                        help="restore the newest backup that passes its check")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from . import UsageError
    from ..models.restore import newest_good_backup, restore_backup

    if args.backup is not None and args.newest:
        raise UsageError("give a backup or --newest, not both")
    if args.backup is not None or args.newest:
        result = restore_backup(args.path, args.backup)
        if args.json:
            print(json.dumps(result.as_dict(), indent=2))
            return 0
        print(f"Restored {result.workspace.name} from {result.backup.path.name} (made "
              f"{result.backup.made:%Y-%m-%d %H:%M}; checked: sound).")
        if result.kept_as is not None:
            print(f"The file it replaced is kept as {result.kept_as.name}; delete it once you "
                  "no longer need it.")
        return 0
    good, checked = newest_good_backup(args.path)
    if args.json:
        print(json.dumps({"workspace": str(args.path), "backups": [b.as_dict() for b in checked],
                          "newest_good": None if good is None else good.as_dict()}, indent=2))
        return 0 if good is not None else 1
    if not checked:
        print(f"{args.path.name} has no backups beside it (files named "
              f"{args.path.name}.bak-*). Re-import the exports into a new workspace instead.",
              file=sys.stderr)
        return 1
    print(f"Backups of {args.path.name}, newest first (checked until a good one):")
    for b in checked:
        print(f"  {b.describe()}")
    if good is None:
        print("None of them can be restored. Re-import the exports into a new workspace "
              "instead.", file=sys.stderr)
        return 1
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input(f"Restore {good.path.name}? The current file is kept beside it. [y/N] ")
        if answer.strip().lower() in ("y", "yes"):
            result = restore_backup(args.path, good.path)
            print(f"Restored {result.workspace.name} from {good.path.name}."
                  + (f" The file it replaced is kept as {result.kept_as.name}."
                     if result.kept_as else ""))
            return 0
        print("Nothing was changed.")
        return 0
    print(f"To restore it: acctdesk restore {args.path} {good.path.name}   (or --newest)")
    return 0
