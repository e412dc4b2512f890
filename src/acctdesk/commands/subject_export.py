"""``acctdesk subject-export PATH ACCOUNT_ID -o OUT.xlsx``: everything held about one account."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "subject-export"
HELP = "export everything held about one account to a workbook (access request)"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("account_id", help="the account's id")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx to write")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="passphrase of an encrypted workspace (first line of FILE)")
    parser.add_argument("--json", action="store_true")


def subject_export(ws, account_id: str, path: Path):
    """Write everything ``ws`` holds about ``account_id`` to ``path`` (.xlsx) and audit it;
    returns the :class:`~acctdesk.export.tables.ExportReport`."""
    from ..export.subject import write_subject_export
    from ..models.privacy import held_about, record_subject_export
    from ..models.workspace import now_iso

    held = held_about(ws, account_id)
    report = write_subject_export(
        held, path,
        title=f"Everything {ws.get_meta('name') or ws.path.stem} holds about {account_id}",
        subtitle=f"Exported {now_iso().replace('T', ' ')} by acctdesk (access request)",
        currency=ws.get_meta("currency") or "USD")
    record_subject_export(ws, account_id, Path(path).name, report.sheets, report.rows)
    return report


def run(args) -> int:
    from . import UsageError
    from ..models.crypto import open_workspace

    if args.output.suffix.lower() != ".xlsx":
        raise UsageError(f"{args.output}: the access-request export is an .xlsx workbook")
    with open_workspace(args.path, args.passphrase_file) as ws:
        report = subject_export(ws, args.account_id, args.output)
    if args.json:
        print(json.dumps({"output": str(report.path), "sheets": report.sheets,
                          "rows": report.rows}, indent=2))
        return 0
    print(f"Wrote {report.rows:,} rows on {len(report.sheets)} sheets to {report.path}.")
    return 0
