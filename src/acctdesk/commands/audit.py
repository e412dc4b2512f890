"""``acctdesk audit PATH [--json] [-o OUT.xlsx]``: show or export the audit trail."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "audit"
HELP = "show the audit trail (who changed what, when)"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of entries (at, user, action, entity, detail)")
    parser.add_argument("--action", default=None, help="only entries of this action")
    parser.add_argument("--limit", type=int, default=None, help="only the newest N entries")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="also write the entries to an .xlsx or .csv file (readable only "
                             "by you)")
    parser.add_argument("--verify", action="store_true",
                        help="check that no entry was edited, added or removed outside "
                             "acctdesk (exit 1 naming the first broken entry)")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="passphrase of an encrypted workspace (first line of FILE)")


def entries(ws, *, action: str | None = None, limit: int | None = None) -> list[dict]:
    from ..models.audit import audit_entries

    return audit_entries(ws, action=action, limit=limit)


def run(args) -> int:
    from ..models.crypto import open_workspace

    if args.verify:
        return _verify(args)
    with open_workspace(args.path, args.passphrase_file) as ws:
        rows = entries(ws, action=args.action, limit=args.limit)
        currency = ws.get_meta("currency") or "USD"
    if args.output is not None:
        import pandas as pd

        from ..export.tables import ColumnSpec, SheetSpec, write_csv, write_xlsx

        frame = pd.DataFrame(rows, columns=["at", "user", "action", "entity", "detail"])
        spec = SheetSpec("Audit trail", frame,
                         [ColumnSpec(c, c.capitalize()) for c in frame.columns],
                         title=f"Audit trail of {args.path.name}")
        if args.output.suffix.lower() == ".csv":
            write_csv(args.output, spec)
        else:
            write_xlsx(args.output, [spec], currency=currency)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("The audit trail is empty.")
    for r in rows:
        print(f"{r['at']}  {r['user'] or '-':<12} {r['action']:<16} {r['entity'] or '-':<24} "
              f"{r['detail'] or ''}")
    if args.output is not None:
        print(f"Wrote {len(rows)} entries to {args.output}.")
    return 0


def _verify(args) -> int:
    import sys

    from ..models.audit import verify_chain
    from ..models.crypto import open_workspace

    with open_workspace(args.path, args.passphrase_file) as ws:
        report = verify_chain(ws.conn)
    if args.json:
        print(json.dumps({"workspace": str(args.path), **report.as_dict()}, indent=2))
        return 0 if report.ok else 1
    if report.ok:
        print(f"The audit trail of {args.path.name} is intact: {report.entries} entries, each "
              "chained to the one before it.")
        return 0
    print(f"The audit trail of {args.path.name} was changed outside acctdesk: "
          f"{report.problem}.", file=sys.stderr)
    for extra in report.problems[1:]:
        print(f"  also: {extra}", file=sys.stderr)
    print("Entries from there on cannot be trusted. Compare with a backup "
          f"('acctdesk restore {args.path.name}' lists them).", file=sys.stderr)
    return 1
