"""Command-line commands, one module each.

A module here defines ``NAME`` (the command word), ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int`` (the exit code); ``acctdesk.cli`` discovers them. Commands raise
exceptions with a user-facing message; the CLI turns them into ``acctdesk: error: ...`` and
exit code 1 (``UsageError`` -> 2). No Qt here.
"""


class UsageError(Exception):
    """Bad arguments discovered after parsing (exit code 2)."""


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def iso_date(text: str) -> str:
    """argparse type: an ISO date (YYYY-MM-DD), returned normalised."""
    import argparse
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


def print_json(data) -> None:
    """Print a command's ``--json`` result: numbers made JSON-safe
    (:func:`acctdesk.domain.numbers.json_safe`: a figure that cannot be computed is
    ``null``, never NaN or Infinity), text as written (not escaped)."""
    import json

    from ..domain.numbers import json_safe

    print(json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False,
                     default=str))
