"""One lazy table model over column arrays, used by every table in the app.

``data()`` looks up one cell in a numpy array through the current row order and formats it
with a formatter built once per column; it returns early for roles it does not handle. Sorting
is a numpy argsort over a per-column sort key (numbers as floats, dates as day numbers, text
pre-ranked to integer codes), never a proxy's pairwise ``lessThan``. Filters are numpy masks
over the same arrays; the rows shown (the *view order*) are the filtered rows in sorted order.
(Orange3's ``TableModel`` and glue's ``DataTableModel`` do the same.)
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ..domain.money import money_formatter

_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_SORT_ROLE_INT = int(SORT_ROLE)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)

NUMERIC_KINDS = {"int", "number", "currency", "percent", "trend"}
DATE_KINDS = {"date", "datetime"}
#: kinds whose cells are text: filtered by "contains" (band: by a set of labels), searched.
TEXT_KINDS = {"text", "status", "band", "url"}
#: Column.kind -> the export's ColumnSpec kind.
EXPORT_KINDS = {"text": "text", "status": "text", "url": "url", "band": "band", "int": "int",
                "number": "number", "currency": "currency", "percent": "percent",
                "trend": "number", "date": "date", "datetime": "datetime"}


@dataclass(frozen=True)
class Column:
    """A column of a table: the frame column ``key``, its header ``title`` and its ``kind``.

    kind: text | int | number | currency | percent | date | datetime | status | band | trend
    | url. ``percent`` values are fractions (0.25 shows 25%); ``trend`` is a signed change
    shown with an arrow (:data:`NEW_TREND` shows "new": nothing earlier to compare with); ``band`` is a health-band label shown on its colour. ``width`` is the
    default width in pixels (0: the view decides).
    """

    key: str
    title: str
    kind: str = "text"
    tooltip: str = ""
    width: int = 0


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _date_text(v: Any, n: int) -> str:
    if isinstance(v, str):
        return v[:n]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat(sep=" ")[:n] if isinstance(v, dt.datetime) else v.isoformat()[:n]
    if isinstance(v, np.datetime64):
        return "" if np.isnat(v) else str(v).replace("T", " ")[:n]
    return str(v)[:n]


def make_formatter(kind: str, currency: str = "USD") -> Callable[[Any], str]:
    """Value -> display text for a column kind (built once per column); money in
    ``currency`` (an ISO code) as :mod:`acctdesk.domain.money` writes it."""
    if kind == "currency":
        return money_formatter(currency, missing="")
    if kind == "int":
        return lambda v: "" if _is_missing(v) else f"{v:,.0f}"
    if kind == "number":
        return lambda v: "" if _is_missing(v) else f"{v:,.2f}"
    if kind == "percent":
        return lambda v: "" if _is_missing(v) else f"{v * 100:.0f}%"
    if kind == "trend":      # +inf: no earlier value to compare with
        return lambda v: "" if _is_missing(v) else "new" if v == NEW_TREND else (
            f"▲ {v:.1f}" if v >= 0.05 else f"▼ {-v:.1f}" if v <= -0.05 else "▬ 0.0")
    if kind == "status":
        return lambda v: "" if _is_missing(v) else str(v).replace("_", " ").capitalize()
    if kind == "date":
        return lambda v: "" if _is_missing(v) else _date_text(v, 10)
    if kind == "datetime":
        return lambda v: "" if _is_missing(v) else _date_text(v, 16)
    return lambda v: "" if _is_missing(v) else str(v)


def _fast_formatter(kind: str, currency: str = "USD") -> Callable[[Any], str]:
    """Like :func:`make_formatter` for the model's own lists: numeric kinds get Python floats
    (NaN for missing), the others objects (None for missing), so the tests are cheap."""
    if kind not in NUMERIC_KINDS or kind == "currency":
        return make_formatter(kind, currency)
    if kind == "int":
        return lambda v: "" if v != v else f"{v:,.0f}"
    if kind == "percent":
        return lambda v: "" if v != v else f"{v * 100:.0f}%"
    return make_formatter(kind, currency)


STATUS_COLOURS = {
    "churned": QColor("#9a9a9a"),
    "past_due": QColor("#b3261e"),
    "non_renewing": QColor("#b06000"),
}
TREND_UP, TREND_DOWN = QColor("#1e7b45"), QColor("#b3261e")
#: the value of a ``trend`` cell with nothing earlier to compare with (shown as "new")
NEW_TREND = float("inf")
#: how strongly a band colour tints its cell (alpha over the base colour: legible in light
#: and dark palettes alike).
BAND_ALPHA = 90


def band_tint(hex_colour: str, alpha: int = BAND_ALPHA) -> QColor:
    c = QColor(hex_colour if hex_colour.startswith("#") else f"#{hex_colour}")
    c.setAlpha(alpha)
    return c


def tint_hex(hex_colour: str, share: float = BAND_ALPHA / 255) -> str:
    """The colour ``hex_colour`` at ``share`` opacity over white, as ``RRGGBB`` (for xlsx)."""
    c = QColor(hex_colour if hex_colour.startswith("#") else f"#{hex_colour}")
    mix = [round(255 + (v - 255) * share) for v in (c.red(), c.green(), c.blue())]
    return "".join(f"{v:02X}" for v in mix)


# ====================================================================== filters
@dataclass(frozen=True)
class TextFilter:
    """Rows whose shown text contains ``needle`` (case-insensitive)."""

    needle: str


@dataclass(frozen=True)
class RangeFilter:
    """Rows whose number (or day number, for dates) lies between ``lo`` and ``hi``.

    A missing bound is open; ``lo_strict``/``hi_strict`` make a bound exclusive. Missing
    values never match.
    """

    lo: float | None = None
    hi: float | None = None
    lo_strict: bool = False
    hi_strict: bool = False


@dataclass(frozen=True)
class SetFilter:
    """Rows whose shown text is one of ``values`` ("" stands for a blank cell)."""

    values: frozenset


Filter = TextFilter | RangeFilter | SetFilter

_OPS = re.compile(r"^\s*(>=|<=|≥|≤|>|<|=)\s*(.+?)\s*$")
_RANGE_SEP = re.compile(r"\s*(?:\.\.|…|\bto\b|–|—)\s*")
_NUM_DASH = re.compile(r"^\s*([^-\s][^-]*?)\s*-\s*([^-].*?)\s*$")
_MULT = {"k": 1e3, "m": 1e6, "b": 1e9}
FILTER_HELP = {
    "text": "Shows rows whose text contains what you type (any case).",
    "number": "A number, a comparison or a range: 50000, >10k, <=2.5m, 10k-50k, 10k..50k.",
    "percent": "A percentage, a comparison or a range: 25, >50%, 10..30.",
    "date": ("A date, month or year, a comparison or a range: 2026-11-05, 2026-11, 2027, "
             ">=2026-11-01, <2027, 2026-11..2027-01."),
    "band": "Tick the bands to show; none ticked shows all.",
}


def _parse_number(text: str, scale: float) -> float:
    t = re.sub(r"[\s,$€£¥]", "", text)
    if t.endswith("%"):
        t = t[:-1]
    mult = _MULT.get(t[-1:].lower(), 1.0) if t else 1.0
    if mult != 1.0:
        t = t[:-1]
    return float(t) * mult * scale


def _half_unit(kind: str) -> float:
    return {"number": 0.005, "trend": 0.05}.get(kind, 0.5)


def _date_span(text: str) -> tuple[float, float]:
    """'2026' / '2026-11' / '2026-11-05' -> [first day, day after the last) as day numbers."""
    t = text.strip().replace("/", "-")
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", t)
    if not m:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    y, mo, d = int(m[1]), m[2], m[3]
    if mo is None:
        start, end = dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
    elif d is None:
        start = dt.date(y, int(mo), 1)
        end = dt.date(y + (start.month == 12), start.month % 12 + 1, 1)
    else:
        start = dt.date(y, int(mo), int(d))
        end = start + dt.timedelta(days=1)
    epoch = dt.date(1970, 1, 1)
    return float((start - epoch).days), float((end - epoch).days)


def parse_filter(kind: str, text: str) -> Filter | None:
    """The filter a user typed for a column of ``kind``; None when blank.

    Raises ValueError with a readable reason when the text cannot be read.
    """
    text = (text or "").strip()
    if not text:
        return None
    if kind in TEXT_KINDS:
        return TextFilter(text.casefold())
    if kind in NUMERIC_KINDS:
        scale = 0.01 if kind == "percent" else 1.0
        try:
            m = _OPS.match(text)
            if m:
                op, x = m[1], _parse_number(m[2], scale)
                if op == "=":
                    h = _half_unit(kind) * scale
                    return RangeFilter(x - h, x + h, hi_strict=True)
                return {">": RangeFilter(lo=x, lo_strict=True), ">=": RangeFilter(lo=x),
                        "≥": RangeFilter(lo=x), "<": RangeFilter(hi=x, hi_strict=True),
                        "<=": RangeFilter(hi=x), "≤": RangeFilter(hi=x)}[op]
            parts = _RANGE_SEP.split(text)
            if len(parts) != 2:
                dash = _NUM_DASH.match(text)
                parts = [dash[1], dash[2]] if dash else [text]
            if len(parts) == 2:
                lo = _parse_number(parts[0], scale) if parts[0] else None
                hi = _parse_number(parts[1], scale) if parts[1] else None
                return RangeFilter(lo, hi)
            x = _parse_number(text, scale)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{text!r} is not a number or range. {FILTER_HELP['number']}") \
                from exc
        h = _half_unit(kind) * scale     # "what you see": 1,200 matches 1,199.6
        return RangeFilter(x - h, x + h, hi_strict=True)
    if kind in DATE_KINDS:
        m = _OPS.match(text)
        if m:
            start, end = _date_span(m[2])
            return {">": RangeFilter(lo=end), ">=": RangeFilter(lo=start),
                    "≥": RangeFilter(lo=start), "<": RangeFilter(hi=start, hi_strict=True),
                    "<=": RangeFilter(hi=end, hi_strict=True),
                    "≤": RangeFilter(hi=end, hi_strict=True),
                    "=": RangeFilter(start, end, hi_strict=True)}[m[1]]
        parts = re.split(r"\s*(?:\.\.|…|\bto\b|–|—|\s-\s)\s*", text)
        if len(parts) == 2:
            lo = _date_span(parts[0])[0] if parts[0] else None
            hi = _date_span(parts[1])[1] if parts[1] else None
            return RangeFilter(lo, hi, hi_strict=True)
        start, end = _date_span(text)
        return RangeFilter(start, end, hi_strict=True)
    return TextFilter(text.casefold())


def _range_mask(values: np.ndarray, f: RangeFilter) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        mask = ~np.isnan(values)
        if f.lo is not None:
            mask &= (values > f.lo) if f.lo_strict else (values >= f.lo)
        if f.hi is not None:
            mask &= (values < f.hi) if f.hi_strict else (values <= f.hi)
    return mask


def _dense_rank(texts: list[str]) -> np.ndarray:
    """Rank of each text in sorted order (equal texts share a rank), as floats, followed by
    one NaN (the rank of code -1, a missing cell). Python's sort is the fastest here: it runs
    in C on str and is near linear on the already sorted lists that come from SQL."""
    n = len(texts)
    rank = np.empty(n + 1, dtype=float)
    rank[n] = np.nan
    if n:
        order = np.array(sorted(range(n), key=texts.__getitem__), dtype=np.int64)
        ordered = np.array(texts, dtype=object)[order]
        dense = np.zeros(n, dtype=float)
        if n > 1:
            dense[1:] = np.cumsum(ordered[1:] != ordered[:-1])
        rank[order] = dense
    return rank


# ====================================================================== column arrays
#: rows converted per step when a big text column becomes Python strings
_PIECE = 50_000

def column_array(kind: str, series) -> np.ndarray:
    """A frame column as the model keeps it: floats (NaN for missing) for numeric kinds,
    objects (None for missing) for the others."""
    if kind in NUMERIC_KINDS:
        import pandas as pd

        if isinstance(series, np.ndarray) and series.dtype.kind == "f":
            return series
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if isinstance(series, np.ndarray):
        return series.astype(object, copy=False)
    if series.dtype == object:          # Python values already (None or NaN for missing,
        return series.to_numpy()        # both shown blank): no per-cell missing test
    if len(series) <= _PIECE:
        return series.to_numpy(dtype=object, na_value=None)
    # Arrow-backed text becomes Python strings in pieces: half a million suggestion reasons
    # in one call held the interpreter lock (and froze the window) for half a second
    return np.concatenate([series.iloc[i:i + _PIECE].to_numpy(dtype=object, na_value=None)
                           for i in range(0, len(series), _PIECE)])


def text_codes(values: np.ndarray, kind: str, fmt: Callable[[Any], str]
               ) -> tuple[np.ndarray, list[str]]:
    """(code per row, shown text per code) of a text-like column; missing cells get -1."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if kind == "status":
        shown = [fmt(u) for u in uniques.tolist()]
    else:       # text as it is: no per-value formatter call (100k names)
        shown = [u if type(u) is str else str(u) for u in uniques.tolist()]
    return codes.astype(np.int64), shown


def date_days(values: np.ndarray) -> np.ndarray:
    """Dates or timestamps (text or datetime) as float day numbers since 1970 (NaN: none)."""
    import pandas as pd

    s = pd.Series(values, dtype=object)
    try:
        stamps = pd.to_datetime(s, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        stamps = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    ns = stamps.to_numpy(dtype="datetime64[ns]")
    days = ns.astype(np.int64).astype(float) / 86_400e9
    days[np.isnat(ns)] = np.nan
    return days


def sort_permutation(key: np.ndarray, order: Qt.SortOrder) -> np.ndarray:
    """Stable argsort of a numeric sort key; missing values (NaN) last in both orders."""
    missing = np.isnan(key)
    if order == Qt.SortOrder.DescendingOrder:
        return np.argsort(np.where(missing, np.inf, -key), kind="stable")
    return np.argsort(np.where(missing, np.inf, key), kind="stable")


@dataclass
class PreparedFrame:
    """A frame converted for a :class:`FrameTableModel` by :func:`prepare_frame`: the work of
    ``set_frame`` that does not touch Qt, done on a worker thread so that handing 100k rows
    to a table costs the UI thread next to nothing."""

    keys: tuple[str, ...]
    kinds: tuple[str, ...]
    n: int
    values: list[np.ndarray]
    lists: list[list]
    text_index: list[tuple[np.ndarray, list[str]] | None]
    sort_keys: list[np.ndarray | None]
    sorted: tuple[int, Qt.SortOrder] | None
    perm: np.ndarray | None


def prepare_frame(columns: list[Column], frame,
                  sort: tuple[int, Qt.SortOrder] | None = None,
                  n: int | None = None) -> PreparedFrame:
    """Convert ``frame`` for a model with ``columns``, sorted by ``sort`` (the model's
    :meth:`FrameTableModel.sort_state`): safe on any thread (no Qt object is touched).
    ``frame`` may also be a mapping of column arrays with ``n`` rows."""
    kinds = [c.kind for c in columns]
    values = [column_array(c.kind, frame[c.key]) for c in columns]
    n = len(frame) if n is None else n
    text_index: list = [None] * len(columns)
    sort_keys: list = [None] * len(columns)
    perm = None
    if sort is not None and not 0 <= sort[0] < len(columns):
        sort = None
    if sort is not None and n:
        col = sort[0]
        kind = kinds[col]
        if values[col].dtype.kind == "f":
            key = values[col]
        elif kind in DATE_KINDS:
            key = date_days(values[col])
        else:
            text_index[col] = text_codes(values[col], kind, make_formatter(kind))
            codes, shown = text_index[col]
            key = _dense_rank([t.casefold() for t in shown])[codes]
        sort_keys[col] = key
        perm = sort_permutation(key, sort[1])
    return PreparedFrame(tuple(c.key for c in columns), tuple(kinds), n, values,
                         [v.tolist() for v in values], text_index, sort_keys, sort, perm)


# ====================================================================== the model
class FrameTableModel(QAbstractTableModel):
    """A read-only, sortable, filterable table over the columns of a DataFrame.

    The frame is split into numpy arrays once (``set_frame``); the view asks only for visible
    cells, so 100k rows cost no more to show than 100. View row ``r`` shows frame row
    ``source_row(r)``; ``row_count()`` is the number of rows shown, ``total_rows()`` the
    number in the frame.
    """

    def __init__(self, columns: list[Column], parent=None, currency: str = "USD"):
        super().__init__(parent)
        self.columns = list(columns)
        #: ISO code of the currency columns (see :mod:`acctdesk.domain.money`)
        self.currency = currency
        self._values: list[np.ndarray] = []
        self._band_colours: dict[str, dict[str, QColor]] = {}
        self._prepare_columns()
        self._n = 0
        self._perm: np.ndarray | None = None          # sort permutation of frame rows
        self._mask: np.ndarray | None = None          # rows that pass the filters
        self._order = np.arange(0)                    # frame rows in view order
        self._order_list: list[int] = []              # the same, for cheap lookups in data()
        self._sorted: tuple[int, Qt.SortOrder] | None = None
        self._filters: dict[str, Filter] = {}
        self._search = ""
        self._search_keys: list[str] | None = None
        self._row_mask: np.ndarray | None = None      # rows the view leaves out by choice

    # ------------------------------------------------------------------ columns
    def _prepare_columns(self) -> None:
        """Per-column derived state, built once: formatters, alignment, caches."""
        self._formatters = [make_formatter(c.kind, self.currency) for c in self.columns]
        self._fast = [_fast_formatter(c.kind, self.currency) for c in self.columns]
        self._align = [_RIGHT if c.kind in NUMERIC_KINDS else
                       _CENTER if c.kind == "band" else _LEFT for c in self.columns]
        self._kinds = [c.kind for c in self.columns]
        self._fg_cols = {i for i, c in enumerate(self.columns) if c.kind in ("status", "trend")}
        self._bg_cols = {i for i, c in enumerate(self.columns) if c.kind == "band"}
        self._reset_caches()

    def _reset_caches(self) -> None:
        n = len(self.columns)
        # Python lists of the values, built on first paint of a column: indexing a list is
        # several times cheaper than a numpy scalar lookup, and data() runs per visible cell.
        self._lists: list[list | None] = [None] * n
        self._sort_keys: list[np.ndarray | None] = [None] * n
        self._text_index: list[tuple[np.ndarray, list[str]] | None] = [None] * n

    def set_columns(self, columns: list[Column], frame=None) -> None:
        """Replace the columns (and the rows, when ``frame`` is given)."""
        self.beginResetModel()
        self.columns = list(columns)
        self._prepare_columns()
        self._filters = {k: f for k, f in self._filters.items()
                         if any(c.key == k for c in self.columns)}
        if frame is not None:
            self._load(frame)
        else:
            self._values = [np.full(self._n, np.nan if c.kind in NUMERIC_KINDS else None,
                                    dtype=float if c.kind in NUMERIC_KINDS else object)
                            for c in self.columns]
        self._sorted = None
        self._perm = None
        self._recompute_order()
        self.endResetModel()

    def set_band_colours(self, key: str, colours: Mapping[str, str]) -> None:
        """Cells of band column ``key`` get the background of their label: {label: hex}."""
        self._band_colours[key] = {label: band_tint(h) for label, h in colours.items()}
        col = self.column_index(key)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, col), self.index(self.rowCount() - 1, col),
                                  [_BACKGROUND])

    def band_colours(self, key: str) -> dict[str, QColor]:
        return dict(self._band_colours.get(key, {}))

    # ------------------------------------------------------------------ data in
    def _column_array(self, c: Column, series) -> np.ndarray:
        return column_array(c.kind, series)

    def _load(self, frame) -> None:
        # columns may have been replaced by assignment: rebuild what depends on them
        if len(self._formatters) != len(self.columns) or \
                self._kinds != [c.kind for c in self.columns]:
            self._prepare_columns()
        self._values = [self._column_array(c, frame[c.key]) for c in self.columns]
        self._n = len(frame)
        self._reset_caches()

    def _adopt(self, prepared: PreparedFrame) -> bool:
        """Take over a :class:`PreparedFrame` made for these columns and this sort."""
        if prepared.keys != tuple(c.key for c in self.columns) or \
                prepared.kinds != tuple(self._kinds) or prepared.sorted != self._sorted:
            return False
        self._values = prepared.values
        self._n = prepared.n
        self._reset_caches()
        self._lists = list(prepared.lists)
        self._text_index = list(prepared.text_index)
        self._sort_keys = list(prepared.sort_keys)
        self._perm = prepared.perm
        return True

    def set_frame(self, frame) -> None:
        """Replace the rows with those of ``frame`` (a DataFrame holding every column key,
        or a :class:`PreparedFrame` of one).

        The current sort and filters are kept and applied to the new rows.
        """
        self.beginResetModel()
        if isinstance(frame, PreparedFrame):
            if self._adopt(frame):
                self._recompute_order()
                self.endResetModel()
                return
            import pandas as pd     # made for other columns or another sort: start over

            frame = pd.DataFrame(dict(zip(frame.keys, frame.values)))
        self._load(frame)
        self._perm = None
        if self._sorted is not None and self._sorted[0] >= len(self.columns):
            self._sorted = None
        if self._sorted is not None and self._n:
            self._perm = self._permutation(*self._sorted)
        self._recompute_order()
        self.endResetModel()

    def update_columns(self, frame) -> None:
        """Replace the values of the columns in ``frame`` (same rows, same order as the frame
        given to ``set_frame``), keeping the sort and filters."""
        keys = [k for k in frame.columns if any(c.key == k for c in self.columns)]
        if not keys:
            return
        if len(frame) != self._n:
            raise ValueError(f"update_columns: {len(frame)} rows, the table has {self._n}")
        self.beginResetModel()
        for k in keys:
            i = self.column_index(k)
            self._values[i] = self._column_array(self.columns[i], frame[k])
            self._sort_keys[i] = None
            self._text_index[i] = None
            self._lists[i] = None
        if self._sorted is not None and self._n:
            self._perm = self._permutation(*self._sorted)
        self._recompute_order()
        self.endResetModel()

    # ------------------------------------------------------------------ reading
    def row_count(self) -> int:
        """Rows shown (after the filters)."""
        return len(self._order)

    def total_rows(self) -> int:
        """Rows in the frame (before the filters)."""
        return self._n

    def view_order(self) -> np.ndarray:
        """Frame rows in view order (a copy)."""
        return self._order.copy()

    def source_row(self, view_row: int) -> int:
        """The row of the original frame shown at ``view_row``."""
        return int(self._order[view_row])

    def value(self, view_row: int, column: int) -> Any:
        return self._values[column][self._order[view_row]]

    def column_values(self, column: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The raw values of ``column`` for frame ``rows`` (default: the rows shown, in order)."""
        return self._values[column][self._order if rows is None else rows]

    def display_values(self, column: int, rows: np.ndarray | None = None) -> list[str]:
        """The shown text of ``column`` for frame ``rows``, formatting each distinct value once
        for text-like columns."""
        rows = self._order if rows is None else rows
        if self._kinds[column] in TEXT_KINDS:
            codes, shown = self._text_codes(column)
            table = np.array(shown + [""], dtype=object)
            return table[codes[rows]].tolist()
        fmt = self._formatters[column]
        return [fmt(v) for v in self._values[column][rows].tolist()]

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def _column_list(self, col: int) -> list:
        lst = self._lists[col]
        if lst is None:
            lst = self._lists[col] = self._values[col].tolist()
        return lst

    def data(self, index, role=0):
        # the hot path of every paint: plain ints for roles, Python lists for values
        if role == 0:                                   # DisplayRole
            col = index.column()
            lst = self._lists[col]
            if lst is None:
                lst = self._column_list(col)
            return self._fast[col](lst[self._order_list[index.row()]])
        if role == 7:                                   # TextAlignmentRole
            return self._align[index.column()]
        if role == 9:                                   # ForegroundRole
            col = index.column()
            if col in self._fg_cols:
                v = self._column_list(col)[self._order_list[index.row()]]
                if self._kinds[col] == "status":
                    return STATUS_COLOURS.get(v)
                return None if v != v or abs(v) < 0.05 or v == NEW_TREND else \
                    TREND_UP if v > 0 else TREND_DOWN
            return None
        if role == 8:                                   # BackgroundRole
            col = index.column()
            if col in self._bg_cols:
                colours = self._band_colours.get(self.columns[col].key)
                if colours:
                    return colours.get(self._column_list(col)[self._order_list[index.row()]])
            return None
        if role == _SORT_ROLE_INT:
            return self._values[index.column()][self._order[index.row()]]
        return None

    def headerData(self, section, orientation, role=_DISPLAY):
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return self.columns[section].title
            if role == _TOOLTIP:
                return self.columns[section].tooltip or None
            if role == _ALIGN:
                return self._align[section]
            return None
        if role == _DISPLAY:
            return str(section + 1)
        return None

    # ------------------------------------------------------------------ keys and indexes
    def _text_codes(self, column: int) -> tuple[np.ndarray, list[str]]:
        """(code per frame row, shown text per code); missing cells have code -1."""
        hit = self._text_index[column]
        if hit is None:
            hit = text_codes(self._values[column], self._kinds[column],
                             self._formatters[column])
            self._text_index[column] = hit
        return hit

    def _date_days(self, column: int) -> np.ndarray:
        return date_days(self._values[column])

    def _sort_key(self, column: int) -> np.ndarray:
        key = self._sort_keys[column]
        if key is None:
            values = self._values[column]
            if values.dtype.kind == "f":
                key = values
            elif self._kinds[column] in DATE_KINDS:
                key = self._date_days(column)
            else:
                # pre-rank text once: every later sort of this column is a numeric argsort
                codes, shown = self._text_codes(column)
                key = _dense_rank([s.casefold() for s in shown])[codes]
            self._sort_keys[column] = key
        return key

    def _filter_key(self, column: int) -> np.ndarray:
        """Numbers for range filters: the values, or day numbers for dates."""
        if self._kinds[column] in DATE_KINDS:
            return self._sort_key(column)
        return self._values[column]

    # ------------------------------------------------------------------ filters
    def set_filter(self, key: str, flt: Filter | None) -> None:
        """Set (or clear, with None) the filter of column ``key``."""
        filters = dict(self._filters)
        if flt is None:
            filters.pop(key, None)
        else:
            filters[key] = flt
        self.set_filters(filters, self._search)

    def set_search(self, text: str, keys: list[str] | None = None) -> None:
        """Rows where any text column (or the columns ``keys``) contains ``text``."""
        self._search_keys = keys
        self.set_filters(self._filters, text)

    def set_filters(self, filters: Mapping[str, Filter], search: str | None = None) -> None:
        filters = {k: f for k, f in filters.items() if f is not None}
        search = self._search if search is None else search.strip().casefold()
        if filters == self._filters and search == self._search:
            return
        self._filters, self._search = filters, search
        self.beginResetModel()
        self._recompute_order()
        self.endResetModel()

    def filters(self) -> dict[str, Filter]:
        return dict(self._filters)

    def set_row_mask(self, mask) -> None:
        """Show only the frame rows where ``mask`` is True, before any filter (None: all
        rows); e.g. the Accounts view leaving churned accounts out. A mask of another
        length than the frame (new rows came) is ignored until it is set again."""
        self._row_mask = None if mask is None else np.asarray(mask, dtype=bool)
        self.beginResetModel()
        self._recompute_order()
        self.endResetModel()

    def rows_left_out(self) -> int:
        """Rows the row mask leaves out (not counting the filters)."""
        m = self._row_mask
        return int((~m).sum()) if m is not None and len(m) == self._n else 0

    def search_text(self) -> str:
        return self._search

    def is_filtered(self) -> bool:
        return bool(self._filters or self._search)

    def _text_match(self, column: int, needle: str) -> np.ndarray:
        codes, shown = self._text_codes(column)
        hits = np.fromiter((needle in s.casefold() for s in shown), dtype=bool,
                           count=len(shown))
        return np.append(hits, False)[codes]

    def _column_mask(self, column: int, f: Filter) -> np.ndarray:
        if isinstance(f, RangeFilter):
            if self._kinds[column] not in NUMERIC_KINDS | DATE_KINDS:
                return np.ones(self._n, dtype=bool)
            return _range_mask(self._filter_key(column), f)
        if isinstance(f, SetFilter):
            codes, shown = self._text_codes(column)
            hits = np.array([s in f.values for s in shown] + ["" in f.values], dtype=bool)
            return hits[codes]
        if self._kinds[column] in TEXT_KINDS:
            return self._text_match(column, f.needle)
        # "contains" over a number or date column: match what is shown
        shown = np.array([s.casefold() for s in self.display_values(
            column, np.arange(self._n))], dtype=object)
        return np.fromiter((f.needle in s for s in shown), dtype=bool, count=self._n)

    def _compute_mask(self) -> np.ndarray | None:
        base = self._row_mask if self._row_mask is not None and \
            len(self._row_mask) == self._n else None
        if not self._filters and not self._search:
            return None if base is None else base.copy()
        mask = np.ones(self._n, dtype=bool) if base is None else base.copy()
        for key, f in self._filters.items():
            try:
                i = self.column_index(key)
            except StopIteration:
                continue
            mask &= self._column_mask(i, f)
        if self._search:
            keys = self._search_keys
            cols = [i for i, c in enumerate(self.columns)
                    if (c.key in keys if keys is not None else c.kind in TEXT_KINDS)]
            found = np.zeros(self._n, dtype=bool)
            for i in cols:
                found |= self._text_match(i, self._search)
            mask &= found
        return mask

    def _recompute_order(self) -> None:
        self._mask = self._compute_mask() if self._n else None
        if self._perm is None:
            self._order = np.arange(self._n) if self._mask is None else np.flatnonzero(self._mask)
        else:
            self._order = self._perm if self._mask is None else self._perm[self._mask[self._perm]]
        self._order_list = self._order.tolist()

    # ------------------------------------------------------------------ sorting
    def sort_state(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sorted

    def _permutation(self, column: int, order: Qt.SortOrder) -> np.ndarray:
        return sort_permutation(self._sort_key(column), order)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column``; a column outside the table (-1) restores the frame's order."""
        valid = 0 <= column < len(self.columns)
        if self._n == 0:
            self._sorted = (column, order) if valid else None
            self._perm = None
            return
        perm = self._permutation(column, order) if valid else None
        self.layoutAboutToBeChanged.emit()
        old = self._order
        self._perm = perm
        self._sorted = (column, order) if valid else None
        self._recompute_order()
        # keep selections and the current cell on the same records
        persistent = self.persistentIndexList()
        if persistent:
            where = np.full(self._n, -1, dtype=np.int64)
            where[self._order] = np.arange(len(self._order))
            new = []
            for i in persistent:
                r = int(where[old[i.row()]]) if 0 <= i.row() < len(old) else -1
                new.append(self.index(r, i.column()) if r >= 0 else QModelIndex())
            self.changePersistentIndexList(persistent, new)
        self.layoutChanged.emit()
