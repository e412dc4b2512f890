"""One lazy table model over column arrays, used by every table in the app.

``data()`` looks up one cell in a numpy array through the current row order and formats it
with a formatter built once per column; it returns early for roles it does not handle. Sorting
is a numpy argsort over a per-column sort key (numbers as floats, text pre-ranked to integer
codes), never a proxy's pairwise ``lessThan``. (Orange3's ``TableModel`` and glue's
``DataTableModel`` do the same.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

NUMERIC_KINDS = {"int", "number", "currency", "percent"}


@dataclass(frozen=True)
class Column:
    """A column of a table: the frame column ``key``, its header ``title`` and its ``kind``.

    kind: text | int | number | currency | percent | date | status
    """

    key: str
    title: str
    kind: str = "text"
    tooltip: str = ""


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def make_formatter(kind: str, currency_symbol: str = "$") -> Callable[[Any], str]:
    """Value -> display text for a column kind (built once per column)."""
    if kind == "currency":
        return lambda v: "" if _is_missing(v) else f"{currency_symbol}{v:,.0f}"
    if kind == "int":
        return lambda v: "" if _is_missing(v) else f"{int(v):,}"
    if kind == "number":
        return lambda v: "" if _is_missing(v) else f"{v:,.2f}"
    if kind == "percent":
        return lambda v: "" if _is_missing(v) else f"{v * 100:.0f}%"
    if kind == "status":
        return lambda v: "" if _is_missing(v) else str(v).replace("_", " ").capitalize()
    return lambda v: "" if _is_missing(v) else str(v)


STATUS_COLOURS = {
    "churned": QColor("#9a9a9a"),
    "past_due": QColor("#b3261e"),
    "non_renewing": QColor("#b06000"),
}


class FrameTableModel(QAbstractTableModel):
    """A read-only, sortable table over the columns of a DataFrame.

    The frame is split into numpy arrays once (``set_frame``); the view asks only for visible
    cells, so 100k rows cost no more to show than 100.
    """

    def __init__(self, columns: list[Column], parent=None, currency_symbol: str = "$"):
        super().__init__(parent)
        self.columns = list(columns)
        self._values: list[np.ndarray] = []
        self._formatters = [make_formatter(c.kind, currency_symbol) for c in self.columns]
        self._sort_keys: list[np.ndarray | None] = []
        self._order = np.arange(0)
        self._n = 0
        self._sorted: tuple[int, Qt.SortOrder] | None = None

    # ------------------------------------------------------------------ data in
    def set_frame(self, frame) -> None:
        """Replace the rows with those of ``frame`` (a DataFrame holding every column key)."""
        self.beginResetModel()
        self._values = []
        for c in self.columns:
            s = frame[c.key]
            if c.kind in NUMERIC_KINDS:
                self._values.append(s.to_numpy(dtype=float, na_value=np.nan))
            else:
                self._values.append(s.to_numpy(dtype=object, na_value=None))
        self._n = len(frame)
        self._sort_keys = [None] * len(self.columns)
        self._order = np.arange(self._n)
        self.endResetModel()
        if self._sorted is not None:
            self.sort(*self._sorted)

    def row_count(self) -> int:
        return self._n

    def source_row(self, view_row: int) -> int:
        """The row of the original frame shown at ``view_row``."""
        return int(self._order[view_row])

    def value(self, view_row: int, column: int) -> Any:
        return self._values[column][self._order[view_row]]

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=_DISPLAY):
        if role == _DISPLAY:
            col = index.column()
            return self._formatters[col](self._values[col][self._order[index.row()]])
        if role == _ALIGN:
            return _RIGHT if self.columns[index.column()].kind in NUMERIC_KINDS else _LEFT
        if role == _FOREGROUND:
            col = index.column()
            if self.columns[col].kind == "status":
                return STATUS_COLOURS.get(self._values[col][self._order[index.row()]])
            return None
        if role == SORT_ROLE:
            return self._values[index.column()][self._order[index.row()]]
        return None

    def headerData(self, section, orientation, role=_DISPLAY):
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return self.columns[section].title
            if role == _TOOLTIP:
                return self.columns[section].tooltip or None
            if role == _ALIGN:
                kind = self.columns[section].kind
                return _RIGHT if kind in NUMERIC_KINDS else _LEFT
            return None
        if role == _DISPLAY:
            return str(section + 1)
        return None

    # ------------------------------------------------------------------ sorting
    def _sort_key(self, column: int) -> np.ndarray:
        key = self._sort_keys[column]
        if key is None:
            values = self._values[column]
            if values.dtype.kind == "f":
                key = values
            else:
                # pre-rank text once: every later sort of this column is a numeric argsort
                import pandas as pd

                codes, _ = pd.factorize(
                    pd.Series(values, dtype=object).map(
                        lambda v: None if v is None else str(v).casefold()),
                    sort=True, use_na_sentinel=True)
                key = np.where(codes < 0, np.nan, codes).astype(float)
            self._sort_keys[column] = key
        return key

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)) or self._n == 0:
            self._sorted = (column, order)
            return
        key = self._sort_key(column)
        missing = np.isnan(key)
        if order == Qt.SortOrder.DescendingOrder:
            # stable descending: negate the key; missing values stay last
            perm = np.argsort(np.where(missing, np.inf, -key), kind="stable")
        else:
            perm = np.argsort(np.where(missing, np.inf, key), kind="stable")
        self.layoutAboutToBeChanged.emit()
        old = self._order
        self._order = perm
        self._sorted = (column, order)
        # keep selections and the current cell on the same records
        persistent = self.persistentIndexList()
        if persistent:
            where = np.empty(self._n, dtype=np.int64)
            where[perm] = np.arange(self._n)
            new = [self.index(int(where[old[i.row()]]), i.column()) for i in persistent]
            self.changePersistentIndexList(persistent, new)
        self.layoutChanged.emit()
