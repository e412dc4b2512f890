"""Currency symbols and money as text, one way for every screen, command and file.

Money is stored as numbers in one currency per workspace (``meta.currency``, an ISO code,
default USD). A currency with a symbol here is written before the amount (``$1,235``,
``-€3,400``); any other is written as its code after the amount (``1,235 CHF``).
"""
from __future__ import annotations

import math
from typing import Any, Callable

#: the symbols acctdesk writes before an amount; other currencies are written as their code.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹",
                    "CAD": "CA$", "AUD": "A$"}
DEFAULT_CURRENCY = "USD"
#: shown for a missing amount
MISSING = "—"


def currency_code(code: str | None) -> str:
    """The ISO code as stored (upper case; the default when empty)."""
    return (str(code).strip().upper() if code else "") or DEFAULT_CURRENCY


def affixes(code: str | None) -> tuple[str, str]:
    """(prefix, suffix) around an amount: ``("$", "")`` for USD, ``("", " CHF")`` for CHF."""
    code = currency_code(code)
    sym = CURRENCY_SYMBOLS.get(code)
    return (sym, "") if sym else ("", f" {code}")


def currency_symbol(code: str | None) -> str:
    """The symbol of a currency, or its code when it has none here (``"CHF"``)."""
    code = currency_code(code)
    return CURRENCY_SYMBOLS.get(code, code)


def _number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def money_formatter(currency: str | None = DEFAULT_CURRENCY, *, compact: bool = False,
                    digits: int = 2, missing: str = MISSING) -> Callable[[Any], str]:
    """A function ``amount -> text`` in ``currency`` (built once, e.g. per table column):
    ``$1,235``, ``-$1,235``, ``1,235 CHF``; ``compact``: ``$1.23M``, ``$12k``, ``$950``
    (``digits`` decimals for millions and billions); missing or non-finite -> ``missing``."""
    prefix, suffix = affixes(currency)

    def text(value: Any) -> str:
        if value.__class__ is float:
            if value != value or value in (math.inf, -math.inf):
                return missing
            v = value
        else:
            v = _number(value)
            if v is None:
                return missing
        a = -v if v < 0 else v
        if compact and a >= 1e9:
            body = f"{a / 1e9:.{digits}f}B"
        elif compact and a >= 1e6:
            body = f"{a / 1e6:.{digits}f}M"
        elif compact and a >= 1e4:
            body = f"{a / 1e3:.0f}k"
        else:
            body = f"{a:,.0f}"
        sign = "-" if v < 0 and body.strip("0.,kMB") else ""
        return f"{sign}{prefix}{body}{suffix}"

    return text


def format_money(value: Any, currency: str | None = DEFAULT_CURRENCY, *,
                 compact: bool = False, digits: int = 2, missing: str = MISSING) -> str:
    """One amount as text (see :func:`money_formatter`): ``1234.6`` -> ``$1,235``."""
    return money_formatter(currency, compact=compact, digits=digits, missing=missing)(value)


def excel_money_format(currency: str | None) -> str:
    """The spreadsheet number format of money in this currency (whole units)."""
    prefix, _suffix = affixes(currency)
    if prefix:
        return f'"{prefix}"#,##0'
    return f'#,##0 "{currency_code(currency)}"'
