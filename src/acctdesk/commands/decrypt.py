"""``acctdesk decrypt PATH``: decrypt a workspace in place (an encrypted backup is made first)."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "decrypt"
HELP = "decrypt an encrypted workspace (an encrypted backup is made first)"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="read the passphrase from the first line of FILE")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from ..models.crypto import decrypt_workspace, read_passphrase_file

    phrase = read_passphrase_file(args.passphrase_file) if args.passphrase_file else None
    result = decrypt_workspace(args.path, passphrase=phrase, interactive=True)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(f"Decrypted {result.path.name}; it is now a plain SQLite file.")
    print(f"Encrypted backup: {result.backup.name}.")
    for note in result.notes:
        print(f"Note: {note}.")
    return 0
