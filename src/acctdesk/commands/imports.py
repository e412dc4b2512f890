"""``acctdesk import [--create] PATH FILE... [--json]``: import exports into a workspace.

``--create`` makes an empty workspace at PATH first when there is none.

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
    parser.add_argument("--create", action="store_true",
                        help="create an empty workspace at PATH first when there is none")
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
    if not args.path.exists():
        if not args.create:
            from ..models.workspace import WorkspaceError

            raise WorkspaceError(
                f"{args.path}: no such workspace. Check the path, or create an empty one "
                f"with 'acctdesk new {args.path}' (or add --create to this command)")
        from .new import create

        create(args.path).close()
        if not args.json:
            print(f"Created the empty workspace {args.path}.")
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


def _source_words(r) -> str:
    """``"a HubSpot accounts export (95% sure)"``, or how the columns were mapped."""
    from ..importers.profiles import get

    try:
        profile = get(r.profile)
    except KeyError:
        if r.profile == "suggested":
            return f"{r.entity} (columns matched by their names)"
        return f"{r.entity} with your column mapping"
    return f"a {profile.system} {profile.entity} export ({r.confidence:.0%} sure)"


def _print_human(r) -> None:
    name = Path(r.file).name
    if r.error:
        print(f"{name}: NOT IMPORTED: {r.error}", file=sys.stderr)
        return
    if r.skipped:
        print(f"{name}: {r.notes[-1]}")
        return
    print(f"{name}: read as {_source_words(r)}: {r.summary()}; import batch "
          f"{', '.join(map(str, r.batch_ids))} (acctdesk undo can take it back)")
    for line in r.reasons():
        print(f"  {line}")
    for note in r.notes:        # lines of another encoding inside a UTF-8 file
        if "not valid UTF-8" in note:
            print(f"  note: {note}")

