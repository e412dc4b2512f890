"""``acctdesk new PATH [--name N] [--currency C] [--encrypt]``: create an empty workspace.

The workspace for your own data: nothing in it until you import your exports (``acctdesk
import PATH FILE...`` or by dropping them on the app's window). An existing file is never
touched (exit code 2).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "new"
HELP = "create an empty workspace for your own data"
DESCRIPTION = (
    "Create an empty workspace file, ready for your CRM, billing, support, usage and survey "
    "exports (acctdesk import PATH FILE..., or drop them on the app's window). An existing "
    "file is refused and left as it is."
)


def currency_code(text: str) -> str:
    """argparse type: a three-letter currency code, upper-cased."""
    import argparse

    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a currency code: use three letters such as USD, EUR or GBP")
    return code


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="the new workspace file, e.g. accounts.acctdesk")
    parser.add_argument("--name", default=None,
                        help="the workspace's name (default: the file name without .acctdesk)")
    parser.add_argument("--currency", type=currency_code, default="USD",
                        help="currency of every amount in it (default USD)")
    parser.add_argument("--encrypt", action="store_true",
                        help="encrypt it from the first byte (key in the system keychain, or "
                             "wrapped with a passphrase)")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="with --encrypt: read the passphrase from the first line of FILE")
    parser.add_argument("--key-store", choices=("auto", "keychain", "passphrase"),
                        default="auto",
                        help="with --encrypt: where the key goes (default: the keychain "
                             "when available)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def create(path: Path, *, name: str | None = None, currency: str = "USD",
           encrypt: bool = False, passphrase: str | None = None, key_store: str = "auto",
           interactive: bool = True):
    """Create the empty workspace at ``path`` and return it open (the caller closes it)."""
    from ..models.crypto import create_workspace

    ws = create_workspace(path, encrypted=encrypt, passphrase=passphrase,
                          key_store=key_store, interactive=interactive)
    try:
        settings = {"name": (name or "").strip() or ws.path.stem, "currency": currency}
        with ws.transaction():
            for key, value in settings.items():
                ws.set_meta(key, value)
            ws.audit("workspace.create", "meta", None, after=settings)
    except BaseException:
        ws.close()
        raise
    return ws


def run(args) -> int:
    from ..models.crypto import key_file_path, key_location, read_passphrase_file
    from . import UsageError

    path = args.path
    if path.exists() or key_file_path(path).exists():
        raise UsageError(f"{path} already exists; choose a new file name "
                         "(acctdesk never overwrites a workspace)")
    if args.passphrase_file is not None and not args.encrypt:
        raise UsageError("--passphrase-file is for an encrypted workspace: add --encrypt")
    if path.suffix != ".acctdesk":
        print(f"acctdesk: note: workspace files usually end in .acctdesk ({path.name}); "
              "the app opens them by that ending", file=sys.stderr)
    phrase = read_passphrase_file(args.passphrase_file) if args.passphrase_file else None
    ws = create(path, name=args.name, currency=args.currency, encrypt=args.encrypt,
                passphrase=phrase, key_store=args.key_store)
    try:
        summary = ws.summary()
        where = (ws.key_location or key_location(ws.path)) if ws.encrypted else None
        summary["encrypted"] = ws.encrypted
    finally:
        ws.close()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"Created the empty workspace {summary['name']!r} at {summary['workspace']} "
          f"(amounts in {summary['currency']}).")
    if where is not None:
        print(f"It is encrypted; the key is in {where.describe()}.")
    print("Next: import your exports with\n"
          f"  acctdesk import {path} FILE...\n"
          f"or open it in the app and drop the files on the window:\n"
          f"  acctdesk {path}")
    from ..exports_guide import guide_text

    print("\nWhat to export from which system:\n" + guide_text())
    return 0
