"""Plain helpers of the scorecard editor: numbers as typed, sources in words, the inputs
measures can read, band counts and ranges."""
from __future__ import annotations

from html import escape as _escape
from typing import Any

from PySide6.QtCore import Qt

from ...analytics.scorecards import is_number

__all__ = ["NO_SCORE", "NO_SCORE_COLOUR", "PREVIEW_DELAY_MS", "ROLE", "SCORECARD_FILTER",
           "WINDOW_HELP", "band_counts", "band_ranges", "describe_source", "escape_text",
           "input_catalogue", "is_number", "num_text", "parse_num"]

#: pause after the last edit before the preview is recomputed (ms).
PREVIEW_DELAY_MS = 250
NO_SCORE = "No score"
NO_SCORE_COLOUR = "#9a9a9a"
SCORECARD_FILTER = "Scorecard files (*.json);;All files (*)"
ROLE = Qt.ItemDataRole.UserRole
WINDOW_HELP = "Days of history the input looks at (rows dated within the window)"


def escape_text(text: Any) -> str:
    """``text`` for a rich-text label: ``&``, ``<`` and ``>`` escaped."""
    return _escape(str(text), quote=False)


def num_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:g}"
    return str(v)


def parse_num(text: str) -> Any:
    """'12' -> 12.0; '' -> None; anything else is kept as text so validation names it."""
    t = text.strip().replace(",", "")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        return text.strip()


def describe_source(src) -> str:
    """A plain-words description of a measure's input (for labels and tooltips)."""
    if src is None:
        return "—"
    k = src.kind
    win = src.window
    when = "" if win is None else f" in the last {win:g} days" if isinstance(win, (int, float)) \
        else f" this {win}"
    flt = ""
    if src.filter:
        parts = []
        for key, v in src.filter.items():
            if isinstance(v, dict) and "not" in v:
                parts.append(f"{key} not {', '.join(map(str, v['not']))}")
            elif isinstance(v, list):
                parts.append(f"{key} {' or '.join(map(str, v))}")
            elif v is True:
                parts.append(key)
            else:
                parts.append(f"{key} {v}")
        flt = f" ({'; '.join(parts)})"
    if k == "field":
        return f"account {src.field}"
    if k == "aggregate":
        what = src.metric or src.field or src.entity
        if src.agg == "count":
            return f"number of {src.entity}{flt}{when}"
        if src.agg == "any":
            return f"any {src.entity.rstrip('s')}{flt}{when} (yes/no)"
        word = {"last": "latest", "mean": "average", "sum": "total", "max": "highest",
                "min": "lowest"}.get(src.agg, src.agg)
        return f"{word} {what.replace('_', ' ')} ({src.entity}){flt}{when}"
    if k == "days_since":
        return f"days since the latest {src.entity.rstrip('s')}{flt}"
    if k == "days_until":
        return f"days until {src.field}"
    if k == "change":
        unit = "% change" if src.mode == "pct" else "change"
        return f"{unit} of [{describe_source(src.of)}] vs {src.lag_days:g} days earlier"
    if k == "ratio":
        return f"[{describe_source(src.numerator)}] / [{describe_source(src.denominator)}]"
    return k


def input_catalogue(cards) -> list[tuple[str, dict]]:
    """Distinct measure inputs of ``cards`` as (label, source dict), in first-seen order."""
    seen, out = set(), []
    for card in cards:
        for m in card.measures:
            d = m.source.to_dict()
            key = repr(sorted(d.items(), key=lambda kv: kv[0]))
            if key in seen:
                continue
            seen.add(key)
            out.append((m.name, d))
    return out


def band_counts(card, scores) -> dict[str, int]:
    """Accounts per band label in the card's band order, plus ``No score`` (when any)."""
    labels = scores["band"].astype(object)
    counts = {b.label: int((labels == b.label).sum()) for b in card.bands}
    missing = int(labels.isna().sum())
    if missing:
        counts[NO_SCORE] = missing
    return counts


def band_ranges(card) -> dict[str, str]:
    """{label: '40-70'} on the card's display scale."""
    out = {}
    bands = card.bands
    f = card.scale / 100.0
    for i, b in enumerate(bands):
        hi = bands[i + 1].lower if i + 1 < len(bands) else 100
        if is_number(b.lower) and is_number(hi):
            out[b.label] = f"{b.lower * f:g}–{hi * f:g}"
    return out
