"""``acctdesk erase PATH ACCOUNT_ID``: erase an account and everything linked to it."""
from __future__ import annotations

import json
from pathlib import Path

NAME = "erase"
HELP = "erase one account and everything linked to it (erasure request)"


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("account_id", help="the account's id")
    parser.add_argument("--reason", default=None,
                        help="request reference for the audit trail (no personal data)")
    parser.add_argument("--no-compact", action="store_true",
                        help="skip compacting the file afterwards (faster; erased values may "
                             "stay in free pages until the next compaction)")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="passphrase of an encrypted workspace (first line of FILE)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from ..models.crypto import open_workspace
    from ..models.privacy import erase_account

    with open_workspace(args.path, args.passphrase_file) as ws:
        result = erase_account(ws, args.account_id, reason=args.reason,
                               compact=not args.no_compact)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(f"Erased account {result.account_id}: {result.total:,} rows "
          f"({', '.join(f'{k} {v:,}' for k, v in result.deleted.items())}); "
          f"{result.audit_redacted} audit entries redacted.")
    if not result.compacted and not args.no_compact:
        print("Note: the file could not be compacted now (open in another window); erased "
              "values may remain in free space until it is.")
    if result.backups:
        print(f"Note: {len(result.backups)} backup file(s) made before now still hold the "
              "erased data: " + ", ".join(p.name for p in result.backups))
    return 0
