"""The command line. No command starts the desktop app; commands run the engine headless.

Exit codes: 0 success, 1 a command failed (message on stderr), 2 bad usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from . import __version__


from .commands import UsageError, iso_date, positive_int


def _command_modules():
    """Every module of ``acctdesk.commands`` that defines a command, in name order."""
    import importlib
    import pkgutil

    from . import commands

    mods = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acctdesk",
        description="Offline workbench for B2B SaaS account managers. "
                    "With no command, starts the desktop app.",
        epilog="acctdesk PATH.acctdesk opens that workspace in the app (the same as "
               "acctdesk app PATH.acctdesk). acctdesk --self-test is the same as "
               "acctdesk self-test.",
    )
    parser.add_argument("--version", action="version", version=f"acctdesk {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show full tracebacks on errors")
    parser.add_argument("--demo", action="store_true",
                        help="start the desktop app on a fresh demo workspace")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("app", help="start the desktop app (optionally on a workspace)")
    p.add_argument("path", nargs="?", type=Path, help="workspace file (.acctdesk) to open")
    p.add_argument("files", nargs="*", type=Path,
                   help="export files to import into it (opens the import dialog)")

    p = sub.add_parser("demo", help="write a demo workspace")
    p.add_argument("path", type=Path, help="new workspace file, e.g. demo.acctdesk")
    p.add_argument("--accounts", type=positive_int, default=400,
                   help="number of accounts (default 400)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the demo's data date (default: the last day of last month)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("info", help="summarise a workspace")
    p.add_argument("path", type=Path, help="workspace file")
    p.add_argument("--json", action="store_true", help="print a JSON object")

    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", None))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    # every command can open an encrypted workspace whose key is wrapped with a passphrase
    for sp in sub.choices.values():
        if not any("--passphrase-file" in a.option_strings for a in sp._actions):
            sp.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                            help="passphrase of an encrypted workspace (first line of FILE)")
    return parser


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        from .commands import print_json

        print_json(summary)
        return
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        if key == "arr_active":
            value = f"{value:,.2f} {summary.get('currency') or ''}".rstrip()
        elif isinstance(value, int):
            value = f"{value:,}"
        print(f"{key:<{width}}  {value}")


def cmd_demo(args) -> int:
    from .models.demo import create_demo_workspace

    if args.path.exists():
        raise UsageError(f"{args.path} already exists; choose a new file name")
    if args.path.suffix != ".acctdesk":
        print(f"acctdesk: note: workspace files usually end in .acctdesk ({args.path.name})",
              file=sys.stderr)
    ws = create_demo_workspace(args.path, n_accounts=args.accounts, seed=args.seed,
                               data_date=args.as_of)
    try:
        summary = ws.summary()
    finally:
        ws.close()
    if args.json:
        _print_summary(summary, True)
    else:
        print(f"Wrote {summary['accounts']:,} demo accounts to {args.path} "
              f"(data date {summary['data_date']}).")
    return 0


def cmd_info(args) -> int:
    from .models import Workspace

    with Workspace(args.path) as ws:
        _print_summary(ws.summary(), args.json)
    return 0


def _run_app(path: Path | None = None, demo: bool = False, files=()) -> int:
    from .desktop_libs import check

    if check() != 0:        # Qt would abort naming the wrong library: name the packages
        return 1
    from .ui.app import run_app

    return run_app(workspace=path, demo=demo, files=files)


#: options before the command that take no value
_GLOBAL_FLAGS = ("--debug", "--demo")


def _open_path_as_app(argv: list[str], commands) -> list[str]:
    """``acctdesk PATH.acctdesk [FILE...]`` is ``acctdesk app PATH.acctdesk [FILE...]``: what a
    desktop entry (``Exec=acctdesk %f``) and a file manager run."""
    i = 0
    while i < len(argv) and argv[i] in _GLOBAL_FLAGS:
        i += 1
    if (i < len(argv) and argv[i] not in commands and not argv[i].startswith("-")
            and argv[i].lower().endswith(".acctdesk")):
        return [*argv[:i], "app", *argv[i:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:   # the packaged app's check: same as the command
        argv = ["self-test", *argv[1:]]
    if argv[:1] == ["--read-workbook"]:   # the helper process that reads a legacy .xls
        from .importers.readers import child_main

        return child_main(argv[1:])
    parser = build_parser()
    commands = next(a.choices for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction))
    argv = _open_path_as_app(argv, commands)
    args = parser.parse_args(argv)
    restore_provider = None
    try:
        if getattr(args, "passphrase_file", None) is not None:
            from .models import crypto

            restore_provider = (crypto, crypto._provider)   # for this command only
            crypto.use_passphrase_file(args.passphrase_file)
        if args.command is None:
            return _run_app(demo=args.demo)
        if args.command == "app":
            return _run_app(args.path, demo=args.demo, files=args.files)
        if args.command in ("demo", "info"):
            return {"demo": cmd_demo, "info": cmd_info}[args.command](args)
        return int(args._run(args) or 0)
    except UsageError as exc:
        if args.debug:
            raise
        print(f"acctdesk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("acctdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is a message, not a traceback, unless --debug
        if args.debug:
            raise
        print(f"acctdesk: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if restore_provider is not None:
            restore_provider[0].set_passphrase_provider(restore_provider[1])


def gui_main() -> int:
    """Entry point of the windowed launcher (no console on Windows)."""
    return main(sys.argv[1:] or [])


if __name__ == "__main__":
    sys.exit(main())
