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


def run(args) -> int:
    from . import UsageError
    from ..models.crypto import open_workspace
    from ..models.privacy import subject_export

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
