"""``acctdesk encrypt PATH``: encrypt a workspace in place (a plain backup is made first)."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "encrypt"
HELP = "encrypt a workspace (key in the system keychain, or wrapped with a passphrase)"
DESCRIPTION = (
    "Encrypt a workspace with SQLCipher and a random 256-bit key. The key goes to the system "
    "keychain when one is available; otherwise it is wrapped with a passphrase (asked on the "
    "terminal, or read from --passphrase-file) in NAME.acctdesk.key beside the workspace. "
    "A backup of the plain file is made first; keep or delete it as your policy requires."
)


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="read the passphrase from the first line of FILE")
    parser.add_argument("--key-store", choices=("auto", "keychain", "passphrase"),
                        default="auto",
                        help="where the key goes (default: the keychain when available)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from ..models.crypto import encrypt_workspace, read_passphrase_file

    phrase = read_passphrase_file(args.passphrase_file) if args.passphrase_file else None
    result = encrypt_workspace(args.path, passphrase=phrase, key_store=args.key_store,
                               interactive=True)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(f"Encrypted {result.path.name}. The key is in {result.location.describe()}.")
    print(f"The plain backup {result.backup.name} was made first: it is NOT encrypted; "
          "delete it once you have checked the encrypted workspace opens.")
    for note in result.notes:
        print(f"Note: {note}.")
    return 0
