"""The table inside a grid of cells: the header row, blank, total and note rows, grouped
reports filled down, and wide layouts (one column per month) turned long."""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd

from .base import SheetSkipped, HEADER_SEARCH_ROWS, Sheet

# ---------------------------------------------------------------------------------------------
# Header detection
# ---------------------------------------------------------------------------------------------

_NUMBERISH = re.compile(r"^[\s(+\-−]*[$€£¥]?\s*\d[\d.,\s']*%?\)?\s*[A-Z]{0,3}$")


def is_numberish(v: str) -> bool:
    return bool(_NUMBERISH.match(v))


def find_header(rows: list[list[str]]) -> tuple[int, str | None]:
    """Index of the header among ``rows`` (text grid) and a note when it is not the first row.

    The header is the first row among the top :data:`HEADER_SEARCH_ROWS` whose filled cells
    (a) number at least 60 % of the widest row in that window (so a one-cell title or a
    "Filtered By:" line is skipped), (b) are mostly text, not numbers, and at least half distinct,
    and (c) are followed by a non-blank row whose filled count is at least half the header's.
    When no row qualifies (e.g. a header-only file), the first wide text row is the header,
    else the first widest row.
    """
    window = rows[:HEADER_SEARCH_ROWS]
    filled = [sum(1 for v in r if v.strip()) for r in window]
    if not window or max(filled) == 0:
        return 0, None
    widest = max(filled)
    need = max(1, math.ceil(0.6 * widest))
    chosen = None
    fallback = None
    first = next(i for i, n in enumerate(filled) if n)
    for i in range(first, min(first + 3, len(window) - 1)):
        labels = [v.strip().lower() for v in window[i + 1] if v.strip()]
        if labels and sum(v in ("response", "open-ended response") for v in labels) >= 1 \
                and filled[i] >= 3:
            # a survey export: questions, then a row of answer labels below them
            return i, (f"header found on row {i + 1} below a title block" if i else None)
    top = [v.strip() for v in window[first] if v.strip()]
    if filled[first] == widest and len(top) >= 3 and len(set(top)) == len(top) and \
            not any(is_numberish(v) for v in top) and first + 1 < len(window) and \
            any(filled[first + 1:]):
        # a full row of distinct words on top, as wide as anything below it: the header,
        # however sparse the first data rows are (a title block is never the widest row)
        chosen = first
    for i, row in enumerate(window if chosen is None else ()):
        if filled[i] < need:
            continue
        values = [v.strip() for v in row if v.strip()]
        texty = sum(1 for v in values if not is_numberish(v))
        if texty < 0.5 * len(values):
            continue
        if fallback is None:
            fallback = i
        if len(set(values)) < 0.5 * len(values):
            continue
        nxt = i + 1
        if nxt >= len(rows) or not any(v.strip() for v in rows[nxt]):
            continue
        following = [sum(1 for v in r if v.strip()) for r in rows[nxt:nxt + 5] if any(x.strip() for x in r)]
        if not following or np.median(following) < 0.5 * filled[i]:
            continue
        chosen = i
        break
    if chosen is None:
        chosen = fallback if fallback is not None else filled.index(widest)
    note = None
    if chosen > 0:
        note = f"header found on row {chosen + 1} below a title block"
    return chosen, note


def clean_header_cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    s = str(v).strip()
    s = re.sub(r"\s+", " ", s)
    if re.fullmatch(r"-?\d+\.0", s):
        s = s[:-2]
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?", s)
    if m:
        s = m.group(1)
    return s


def unique_names(raw: list[str]) -> list[str]:
    """Blank -> ``column_<n>`` (1-based position); repeats -> ``"Amount (2)"``."""
    names = []
    seen: set[str] = set()
    lowered: dict[str, int] = {}
    for i, v in enumerate(raw):
        base = clean_header_cell(v) or f"column_{i + 1}"
        name = base
        k = lowered.get(base.casefold(), 1)
        while name.casefold() in seen:
            k += 1
            name = f"{base} ({k})"
        lowered[base.casefold()] = k
        seen.add(name.casefold())
        names.append(name)
    return names


# ---------------------------------------------------------------------------------------------
# Cleaning: blank rows, footers, grouped reports
# ---------------------------------------------------------------------------------------------

_TOTAL_RE = re.compile(
    r"^(?:grand\s+)?(?:sub[\s-]?)?totals?(?:\s*[:(\-–].*|\s+\d.*|\s+for\b.*|\s+records?\b.*)?$"
    r"|^(?:count|sum|average|avg|record\s+count|records)\s*[:=(].*$"
    r"|^(?:gesamt|summe|zwischensumme|total\s+général|sous-total)\b.*$",
    re.IGNORECASE)
_NOTE_RE = re.compile(
    r"^(?:copyright|\(c\)|©|confidential|generated\s+(?:by|on|at)|report\s+generated|"
    r"exported\s+(?:by|on|at)|printed\s+(?:by|on)|run\s+(?:by|on)|page\s+\d+|"
    r"all\s+rights\s+reserved|this\s+report\b|source:|powered\s+by)",
    re.IGNORECASE)


def filled_mask(col: pd.Series) -> np.ndarray:
    """True where a cell holds something other than blanks (vectorised in pyarrow for text)."""
    if pd.api.types.is_string_dtype(col.dtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(col, from_pandas=True)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            arr = arr.cast(pa.string())
        filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(arr), ""), False)
        return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)
    if col.dtype == object:
        return np.fromiter((x is not None and not (isinstance(x, float) and math.isnan(x))
                            and x is not pd.NaT and str(x).strip() != "" for x in col.to_numpy()),
                           bool, len(col))
    return col.notna().to_numpy()


def _row_texts(frame: pd.DataFrame, idx: np.ndarray) -> list[list[str]]:
    sub = frame.iloc[idx]
    out = []
    for row in sub.itertuples(index=False, name=None):
        out.append(["" if (x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT)
                    else str(x).strip() for x in row])
    return out


def _first_text(cells: list[str]) -> str:
    for v in cells:
        if v:
            return v
    return ""


def clean_rows(frame: pd.DataFrame, rows: np.ndarray, notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop blank rows, total/subtotal rows and the trailing notes block; fill down groups."""
    ncols = frame.shape[1]
    if len(frame) == 0 or ncols == 0:
        return frame, rows
    filled_cols = [filled_mask(frame[c]) for c in frame.columns]
    filled = np.sum(filled_cols, axis=0) if filled_cols else np.zeros(len(frame), int)
    keep = filled > 0

    # Trailing block: after the last "dense" row, from the first blank/total/note row on.
    n = len(frame)
    tail_start_idx = max(0, n - 40)
    tail_idx = np.arange(tail_start_idx, n)
    tail_cells = _row_texts(frame, tail_idx)
    sparse_limit = max(1, ncols // 3)
    last_dense = -1
    kinds = []
    for k, cells in enumerate(tail_cells):
        first = _first_text(cells)
        f = filled[tail_start_idx + k]
        if f == 0:
            kinds.append("blank")
        elif _TOTAL_RE.match(first) and f < ncols:
            kinds.append("total")
        elif _NOTE_RE.match(first) and f <= 2:
            kinds.append("note")
        else:
            kinds.append("dense" if (f > sparse_limit or ncols < 3) else "sparse")
            if kinds[-1] == "dense":
                last_dense = k
    cut = None
    for k in range(last_dense + 1, len(kinds)):
        if kinds[k] in ("blank", "total", "note"):
            cut = k
            break
    dropped_footer: list[str] = []
    if cut is not None:
        for k in range(cut, len(kinds)):
            if kinds[k] != "blank":
                dropped_footer.append(_first_text(tail_cells[k]))
        keep[tail_start_idx + cut:] = False

    # Total / subtotal rows anywhere: first filled cell is a total label, row not full.
    candidates = np.flatnonzero(keep & (filled < ncols))
    subtotal = 0
    if len(candidates):
        text_cols = [i for i, c in enumerate(frame.columns)
                     if pd.api.types.is_string_dtype(frame[c].dtype) or frame[c].dtype == object][:4]
        hit = np.zeros(len(candidates), bool)
        for i in text_cols:
            col = frame.iloc[candidates, i].fillna("").astype(str).str.strip()
            hit |= col.str.match(_TOTAL_RE).fillna(False).to_numpy(dtype=bool)
        for pos in candidates[hit]:
            cells = _row_texts(frame, np.array([pos]))[0]
            if _TOTAL_RE.match(_first_text(cells)):
                keep[pos] = False
                subtotal += 1
    blank = int((filled == 0).sum())
    if cut is not None:
        blank -= sum(1 for k in range(cut, len(kinds)) if kinds[k] == "blank")
    if dropped_footer:
        shown = "; ".join(v[:40] for v in dropped_footer[:3])
        notes.append(f"dropped {len(dropped_footer)} footer row{'s' if len(dropped_footer) != 1 else ''} ({shown})")
    if subtotal:
        notes.append(f"dropped {subtotal} total/subtotal row{'s' if subtotal != 1 else ''} inside the data")
    if blank > 0:
        notes.append(f"dropped {blank} blank row{'s' if blank != 1 else ''}")
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
        rows = rows[keep]
    frame = _fill_down_groups(frame, notes, None if not keep.all() else filled_cols)
    return frame, rows


def _fill_down_groups(frame: pd.DataFrame, notes: list[str], masks: list[np.ndarray] | None = None) -> pd.DataFrame:
    """Fill down left-most text columns that carry a group label only on a group's first row.

    A column qualifies when it is text (never a numeric measure), is among the left-most
    columns (each qualifying column must be next to the previous one, starting at the first),
    its first value is filled, at least a quarter of its cells are blank, it has at least two
    labels, and some column to its right is filled on every row (the detail).
    """
    n = len(frame)
    if n < 3 or frame.shape[1] < 2:
        return frame
    # Cheap exit: a grouped report has blanks in its first column.
    first = masks[0] if masks is not None else filled_mask(frame.iloc[:, 0])
    if first.all() or not first[0]:
        return frame
    if masks is None:
        masks = [filled_mask(frame[c]) for c in frame.columns]
    full_right = [bool(m.all()) for m in masks]
    filled_names = []
    for i, name in enumerate(frame.columns[:3]):
        col = frame[name]
        if not (pd.api.types.is_string_dtype(col.dtype) or col.dtype == object):
            break
        m = masks[i]
        if not m[0] or m.mean() > 0.75 or m.sum() < 2 or not any(full_right[i + 1:]):
            break
        values = col.where(m)
        # A numeric-looking column is a measure, not a group label.
        sample = values.dropna().astype(str).head(50)
        if len(sample) and sample.map(is_numberish).mean() > 0.5:
            break
        filled = values.ffill()
        if pd.api.types.is_string_dtype(col.dtype):
            filled = filled.astype(col.dtype)
        frame = frame.copy() if not filled_names else frame
        frame[name] = filled
        filled_names.append(name)
    for name in filled_names:
        notes.append(f"filled down '{name}' (grouped report)")
    return frame


# ---------------------------------------------------------------------------------------------
# Wide layouts
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}
_P_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_P_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_P_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
_P_NAME = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/']*(\d{4}|\d{2})$")


def _period(name: str) -> str | None:
    """Normalise a month/date header ("Jan 2025", "Jan-25", "2025-01") to YYYY-MM[-DD]."""
    s = name.strip()
    m = _P_YMD.match(s)
    if m:
        try:
            return _dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    m = _P_YM.match(s)
    if m and 1 <= int(m[2]) <= 12:
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    m = _P_MY.match(s)
    if m and 1 <= int(m[1]) <= 12:
        return f"{int(m[2]):04d}-{int(m[1]):02d}"
    m = _P_NAME.match(s)
    if m and m[1].lower() in _MONTHS:
        year = int(m[2])
        if year < 100:
            year += 2000
        return f"{year:04d}-{_MONTHS[m[1].lower()]:02d}"
    return None


def melt_wide(sheet: Sheet) -> Sheet | None:
    """Turn a wide layout (one column per month or date) into a long one.

    Parameters
    ----------
    sheet : Sheet
        A table whose header may hold periods: "2025-01", "Jan 2025", "Jan-25", "2025-01-31",
        "January 2025", "01/2025".

    Returns
    -------
    Sheet or None
        None when fewer than 3 header columns are periods. Otherwise a new sheet with the
        other (id) columns, then ``period`` (normalised to ``YYYY-MM`` for months and
        ``YYYY-MM-DD`` for dates) and ``value``. Rows are ordered by source row, then by
        period column; cells that are empty are skipped (an empty cell is no observation,
        never a zero). ``row_numbers`` repeat the source row of each value.
    """
    frame = sheet.frame
    periods = {c: _period(str(c)) for c in frame.columns}
    date_cols = [c for c, p in periods.items() if p is not None]
    if len(date_cols) < 3:
        return None
    id_cols = [c for c in frame.columns if periods[c] is None]
    n, k = len(frame), len(date_cols)
    dtypes = {frame[c].dtype for c in date_cols}
    if len(dtypes) == 1:
        block = np.column_stack([frame[c].to_numpy() for c in date_cols]) if n else np.empty((0, k))
        value_dtype = next(iter(dtypes))
    else:
        block = np.column_stack([frame[c].to_numpy(dtype=object) for c in date_cols]) if n else np.empty((0, k), object)
        value_dtype = object
    values = block.reshape(-1)
    filled = np.column_stack([filled_mask(frame[c]) for c in date_cols]).reshape(-1) if n else np.zeros(0, bool)
    out = {}
    for c in id_cols:
        arr = frame[c].to_numpy()
        out[c] = pd.Series(np.repeat(arr, k)[filled]).astype(frame[c].dtype) if n else frame[c].iloc[:0]
    name_period = "period" if "period" not in out else "period (2)"
    name_value = "value" if "value" not in out else "value (2)"
    out[name_period] = pd.Series(np.tile(np.array([periods[c] for c in date_cols], dtype=object), n)[filled], dtype="str")
    vals = pd.Series(values[filled])
    if value_dtype is not object:
        try:
            vals = vals.astype(value_dtype)
        except (TypeError, ValueError):
            pass
    out[name_value] = vals
    long = pd.DataFrame(out)
    rows = np.repeat(sheet.row_numbers, k)[filled]
    notes = list(sheet.notes)
    notes.append(f"turned {k} month/date columns into rows (wide layout): "
                 f"kept {len(id_cols)} id column{'s' if len(id_cols) != 1 else ''}, added "
                 f"'{name_period}' and '{name_value}'")
    skipped = int(n * k - filled.sum())
    if skipped:
        notes.append(f"skipped {skipped} empty cell{'s' if skipped != 1 else ''} of the wide layout")
    return replace(sheet, frame=long, row_numbers=rows, notes=notes)




def finish_sheet(sheet: Sheet) -> Sheet:
    """Common cleaning: footers, blank rows, grouped columns, wide layout."""
    notes = list(sheet.notes)
    frame, rows = clean_rows(sheet.frame, sheet.row_numbers, notes)
    if len(frame) == 0:
        raise SheetSkipped("has a header but no data rows")
    out = replace(sheet, frame=frame, row_numbers=rows, notes=notes)
    melted = melt_wide(out)
    return melted if melted is not None else out
