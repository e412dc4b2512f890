"""``acctdesk export PATH --view VIEW -o OUT``: write a view or the priority pack to xlsx/csv.

Views: ``worklist``, ``accounts``, ``whitespace``, ``renewals``, ``metrics`` (KPIs and MRR
movements; csv: the KPIs) and ``pack`` (the whole priority pack, xlsx only: Worklist with
editable Owner/Status/Next step/Notes, Accounts, Whitespace, Renewals, Portfolio KPIs, MRR
movements, Definitions). ``--owner`` and ``--segment`` restrict every table to one book /
segment, as the views' filters do. The file is written to a temporary file and renamed into
place, so a failed export never leaves a half-written file. A pack edited in Excel or
LibreOffice goes back in with ``acctdesk import WORKSPACE PACK.xlsx``.

JSON (``--json``): ``file``, ``view``, ``sheets``, ``rows``, ``warnings``, ``truncated_cells``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import UsageError, iso_date

NAME = "export"
HELP = "write a view (worklist, accounts, whitespace, renewals, metrics) or the priority pack"
DESCRIPTION = (
    "Export a view as .xlsx or .csv, or the priority pack (one workbook to work from, with "
    "editable worklist columns that `acctdesk import` applies back), as of the data date. The "
    "figures are the app's: the stored churn model, the worklist ranked on the whole book."
)
VIEWS = ("worklist", "accounts", "whitespace", "renewals", "metrics", "pack")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--view", choices=VIEWS, default="pack",
                        help="what to export (default: pack)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                        help="file to write: .xlsx (any view) or .csv (one table)")
    parser.add_argument("--owner", default=None, help="only this owner's accounts")
    parser.add_argument("--segment", default=None, help="only this segment's accounts")
    parser.add_argument("--as-of", default=None, type=iso_date,
                        help="compute as of this date instead of the data date (YYYY-MM-DD)")
    parser.add_argument("--risk-source", choices=("auto", "health"), default="auto",
                        help="'health' skips the churn model (risk from health)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args) -> int:
    from ..engine.pack import PackError, build_pack
    from ..export.pack import write_view
    from ..export.tables import ExportError
    from ..models import Workspace

    out = args.output
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"-o {out}: use a file name ending in .xlsx or .csv")
    if args.view == "pack" and out.suffix.lower() == ".csv":
        raise UsageError("the pack has several sheets: use -o NAME.xlsx (or --view with csv)")
    if not args.path.exists():
        raise UsageError(f"{args.path}: no such workspace file")
    with Workspace(args.path) as ws:
        try:
            pack = build_pack(ws, owner=args.owner, segment=args.segment, as_of=args.as_of,
                              risk_source=args.risk_source)
            report = write_view(pack, out, args.view)
        except (ExportError, PackError) as exc:
            raise RuntimeError(str(exc)) from None
    if args.json:
        print(json.dumps({
            "file": str(report.path), "view": args.view, "sheets": report.sheets,
            "rows": report.rows, "warnings": report.warnings,
            "truncated_cells": [list(t) for t in report.truncated_cells],
        }, indent=2, ensure_ascii=False))
        return 0
    shown = [s for s in report.sheets if s != "acctdesk"]
    print(f"Wrote {report.path} ({report.rows:,} rows; sheets: {', '.join(shown)})")
    for w in report.warnings:
        print(f"  warning: {w}")
    if args.view == "pack":
        print(f"  Edit Owner/Status/Next step/Notes in the Worklist, then: "
              f"acctdesk import {args.path} {report.path}")
    return 0
