"""Command-line commands, one module each.

A module here defines ``NAME`` (the command word), ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int`` (the exit code); ``acctdesk.cli`` discovers them. Commands raise
exceptions with a user-facing message; the CLI turns them into ``acctdesk: error: ...`` and
exit code 1 (``UsageError`` -> 2). No Qt here.
"""


class UsageError(Exception):
    """Bad arguments discovered after parsing (exit code 2)."""
