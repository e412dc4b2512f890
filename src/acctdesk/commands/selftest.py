"""``acctdesk self-test`` (also ``acctdesk --self-test``): check that this installation works.

Opens the main window offscreen, creates a demo workspace, imports a CSV and an XLSX, scores,
trains the churn model, draws a chart, exports an xlsx and resolves the keyring backend
(:mod:`acctdesk.selftest`). Prints one line: the summary when everything passed (exit 0), or
the steps that failed (exit 1). Qt is imported only when the command runs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "self-test"
HELP = "check that this installation works (offscreen) and print a one-line summary"
DESCRIPTION = __doc__.split("\n\n")[1].replace("\n", " ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", type=Path, metavar="DIR", default=None,
                        help="write the demo workspace, input files, chart and export to DIR "
                             "and keep them (default: a temporary directory, removed)")
    parser.add_argument("--accounts", type=int, default=400,
                        help="demo accounts (default 400)")
    parser.add_argument("--only", metavar="STEP[,STEP]", default=None,
                        help="run only these steps, in the standard order (one of: "
                             "window, demo, csv, xlsx, score, churn, chart, export, keyring)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print each step as it finishes (on stderr)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    from ..selftest import STEPS, run_selftest
    from . import UsageError

    steps = STEPS
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in STEPS]
        if unknown or not wanted:
            raise UsageError(f"unknown self-test step(s) {', '.join(unknown) or '(none)'}; "
                             f"choose from {', '.join(STEPS)}")
        steps = tuple(s for s in STEPS if s in wanted)

    def on_step(step) -> None:
        mark = "ok  " if step.ok else "FAIL"
        print(f"  {mark} {step.name:<8} {step.seconds:6.2f} s  {step.detail or step.short_error}",
              file=sys.stderr, flush=True)
        if not step.ok and step.traceback and getattr(args, "debug", False):
            print(step.traceback, file=sys.stderr)

    report = run_selftest(args.keep, steps=steps, accounts=args.accounts,
                          on_step=on_step if (args.verbose or args.debug) else None)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.summary_line())
    return 0 if report.ok else 1
