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
                        help="also write the entries to an .xlsx or .csv file")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="passphrase of an encrypted workspace (first line of FILE)")


def entries(ws, *, action: str | None = None, limit: int | None = None) -> list[dict]:
    from ..models.audit import audit_entries

    return audit_entries(ws, action=action, limit=limit)


def run(args) -> int:
    from ..models.crypto import open_workspace

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
