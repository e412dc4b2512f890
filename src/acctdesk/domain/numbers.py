"""Numbers made safe for JSON: JSON has no NaN and no Infinity, so a figure that cannot be
computed is ``null``. One helper for every command's ``--json`` and every stored envelope."""
from __future__ import annotations

import math
from typing import Any


def finite(value: Any, digits: int | None = None) -> float | None:
    """``value`` as a float rounded to ``digits`` (None: as is); None when it is missing,
    not a number, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    return round(v, digits) if digits is not None else v


def whole(value: Any) -> int | None:
    """``value`` as an int (truncated), None when :func:`finite` says so."""
    v = finite(value)
    return None if v is None else int(v)


def percent(value: Any, digits: int = 0, missing: str = "—") -> str:
    """A fraction as a percentage: ``0.4455`` -> ``"45%"`` (``digits`` decimals);
    ``missing`` when it is not a finite number."""
    v = finite(value)
    return missing if v is None else f"{100 * v:.{digits}f}%"


def readable(value: float) -> str:
    """A number for a sentence: whole above 100 or when whole (``1,234``), one decimal above
    10 (``12.5``), two below (``0.45``)."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def json_safe(value: Any, digits: int | None = None) -> Any:
    """``value`` with every float made :func:`finite` (rounded to ``digits``), numpy scalars
    made Python values, tuples made lists and keys made text, recursively."""
    if isinstance(value, dict):
        return {str(k): json_safe(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, digits) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and \
            type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, float):
        return finite(value, digits)
    return value
