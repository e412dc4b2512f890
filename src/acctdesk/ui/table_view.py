"""A spreadsheet-like table: lazy model, filter bar, quick search, frozen first column.

:class:`DataTableView` is the one table widget of the app. It wraps a
:class:`~acctdesk.ui.table_model.FrameTableModel` (numpy column arrays; filters are numpy
masks, sorting is a numpy argsort; the rows shown are the filtered rows in sorted order) in:

* a filter bar with one editor per column, aligned with the column (text contains; number
  ranges such as ``>10k`` or ``10k..50k``; date ranges such as ``2026-11..2027-01``; health
  bands picked from a list), and a quick search box across the text columns (Ctrl+F);
* columns that can be hidden (header context menu), moved and resized, remembered per
  ``view_id`` in the settings file, and the first visible column frozen while scrolling
  sideways (a second view over the first, sharing model and selection, as in Qt's "Frozen
  Column" example);
* Ctrl+C copying the selected rows as tab-separated cells with a header row (numbers raw, so
  they paste into a spreadsheet as numbers), "export what I see" (:meth:`visible_frame`,
  :meth:`export_visible`), a row-count label and empty states.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMenu, QPushButton, QTableView, QToolButton, QVBoxLayout, QWidget,
)

from . import settings as app_settings
from .table_model import (
    DATE_KINDS, EXPORT_KINDS, FILTER_HELP, NUMERIC_KINDS, Column, FrameTableModel,
    SetFilter, parse_filter, tint_hex,
)

ROW_HEIGHT = 24
DEFAULT_WIDTH = 110
FILTER_DELAY_MS = 150
_INVALID_STYLE = "QLineEdit { border: 1px solid #d64545; border-radius: 2px; }"
_FORMULA_TRIGGERS = ("=", "+", "-", "@")


def _placeholder(kind: str) -> str:
    """Short enough for a narrow column; the tooltip has the full syntax."""
    return {"percent": ">50%", "trend": "<0", "int": ">50", "number": ">50",
            "currency": ">10k", "date": "2026-11..", "datetime": "2026-11.."}.get(kind, "Filter…")


def _help(kind: str) -> str:
    if kind == "percent":
        return FILTER_HELP["percent"]
    if kind in NUMERIC_KINDS:
        return FILTER_HELP["number"]
    if kind in DATE_KINDS:
        return FILTER_HELP["date"]
    return FILTER_HELP["text"]


# ====================================================================== the grid
class _GridView(QTableView):
    """The main table, with a second view laid over it that shows the frozen column."""

    copy_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.frozen = QTableView(self)
        self.frozen.setObjectName("frozenColumn")
        self.frozen_column: int | None = None
        for v in (self, self.frozen):
            v.setAlternatingRowColors(True)
            v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            v.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
            v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            v.setWordWrap(False)
            v.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            v.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            vh = v.verticalHeader()
            vh.setVisible(False)
            vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            vh.setDefaultSectionSize(ROW_HEIGHT)
            hh = v.horizontalHeader()
            hh.setHighlightSections(False)
            hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        f = self.frozen
        f.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        f.setFrameShape(QTableView.Shape.NoFrame)
        f.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        f.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # no style sheet here: it would route every cell's paint through QStyleSheetStyle
        # (measured: a third slower scrolling); the grid line marks the column's edge
        f.horizontalHeader().setSectionsClickable(True)
        f.horizontalHeader().setSortIndicatorShown(True)
        self.setCornerButtonEnabled(False)

    def setModel(self, model) -> None:  # noqa: N802 (Qt name)
        super().setModel(model)
        f = self.frozen
        f.setModel(model)
        f.setSelectionModel(self.selectionModel())
        self.viewport().stackUnder(f)
        hh, fh = self.horizontalHeader(), f.horizontalHeader()
        hh.sectionResized.connect(self._main_resized)
        hh.sectionMoved.connect(lambda *a: self.sync_frozen())
        fh.sectionResized.connect(self._frozen_resized)
        fh.sortIndicatorChanged.connect(self._frozen_sorted)
        hh.sortIndicatorChanged.connect(self._main_sorted)
        self.verticalScrollBar().valueChanged.connect(f.verticalScrollBar().setValue)
        f.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        model.modelReset.connect(self.sync_frozen)
        self.sync_frozen()
        f.show()

    # ------------------------------------------------------------------ frozen column
    def first_visible_column(self) -> int | None:
        hh = self.horizontalHeader()
        for visual in range(hh.count()):
            logical = hh.logicalIndex(visual)
            if not hh.isSectionHidden(logical):
                return logical
        return None

    def sync_frozen(self) -> None:
        model = self.model()
        if model is None:
            return
        col = self.first_visible_column()
        self.frozen_column = col
        f = self.frozen
        for c in range(model.columnCount()):
            f.setColumnHidden(c, c != col)
        if col is not None:
            f.setColumnWidth(col, self.columnWidth(col))
            hh = self.horizontalHeader()
            f.horizontalHeader().setSortIndicator(hh.sortIndicatorSection(),
                                                  hh.sortIndicatorOrder())
        f.setVisible(col is not None)
        self.update_frozen_geometry()

    def update_frozen_geometry(self) -> None:
        col = self.frozen_column
        if col is None:
            return
        fw = self.frameWidth()
        self.frozen.setGeometry(self.verticalHeader().width() + fw, fw, self.columnWidth(col),
                                self.viewport().height() + self.horizontalHeader().height())

    def frozen_width(self) -> int:
        return 0 if self.frozen_column is None else self.columnWidth(self.frozen_column)

    def _main_resized(self, logical: int, _old: int, new: int) -> None:
        if self.frozen_column is None or logical == self.frozen_column or new == 0 \
                or self.first_visible_column() != self.frozen_column:
            self.sync_frozen()   # hidden sections report a new size of 0
        elif logical == self.frozen_column:
            self.frozen.setColumnWidth(logical, new)
            self.update_frozen_geometry()

    def _frozen_resized(self, logical: int, _old: int, new: int) -> None:
        if logical == self.frozen_column and new > 0 and self.columnWidth(logical) != new:
            self.setColumnWidth(logical, new)

    def _frozen_sorted(self, logical: int, order: Qt.SortOrder) -> None:
        hh = self.horizontalHeader()
        if (hh.sortIndicatorSection(), hh.sortIndicatorOrder()) != (logical, order):
            hh.setSortIndicator(logical, order)     # the main view sorts the model

    def _main_sorted(self, logical: int, order: Qt.SortOrder) -> None:
        fh = self.frozen.horizontalHeader()
        if (fh.sortIndicatorSection(), fh.sortIndicatorOrder()) != (logical, order):
            fh.blockSignals(True)
            fh.setSortIndicator(logical, order)
            fh.blockSignals(False)
            fh.viewport().update()

    # ------------------------------------------------------------------ Qt overrides
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update_frozen_geometry()

    def updateGeometries(self) -> None:  # noqa: N802
        super().updateGeometries()
        self.update_frozen_geometry()

    def moveCursor(self, action, modifiers):  # noqa: N802
        current = super().moveCursor(action, modifiers)
        if current.isValid() and current.column() != self.frozen_column:
            x = self.visualRect(current).x()
            fw = self.frozen_width()
            if x < fw:   # keep the new cell out from under the frozen column
                bar = self.horizontalScrollBar()
                bar.setValue(bar.value() + x - fw)
        return current

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # noqa: N802
        if not index.isValid():
            return
        bar = self.horizontalScrollBar()
        if index.column() == self.frozen_column:
            keep = bar.value()          # the frozen column is always in sight: scroll rows only
            super().scrollTo(index, hint)
            bar.setValue(keep)
            return
        super().scrollTo(index, hint)
        x, fw = self.visualRect(index).x(), self.frozen_width()
        if x < fw:
            bar.setValue(bar.value() + x - fw)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


# ====================================================================== the filter bar
class _BandFilterButton(QToolButton):
    """Pick the band labels to show; none picked shows every row."""

    changed = Signal()

    def __init__(self, labels_source, parent=None):
        super().__init__(parent)
        self._labels_source = labels_source
        self.selected: set[str] = set()
        self.menu_ = QMenu(self)
        self.menu_.aboutToShow.connect(self._fill)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.clicked.connect(self.show_menu)
        self.setToolTip(FILTER_HELP["band"])
        self._update_text()

    def show_menu(self) -> None:
        self.menu_.popup(self.mapToGlobal(QPoint(0, self.height())))

    def _fill(self) -> None:
        self.menu_.clear()
        for label in self._labels_source():
            act = self.menu_.addAction(label or "(blank)")
            act.setCheckable(True)
            act.setChecked(label in self.selected)
            act.toggled.connect(lambda on, label=label: self._toggle(label, on))
        self.menu_.addSeparator()
        self.menu_.addAction("Show all", self.clear)

    def _toggle(self, label: str, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(label)
        self._update_text()
        self.changed.emit()

    def set_selected(self, labels) -> None:
        self.selected = set(labels)
        self._update_text()
        self.changed.emit()

    def clear(self) -> None:
        if self.selected:
            self.set_selected(())

    def _update_text(self) -> None:
        self.setText(", ".join(sorted(self.selected)) + " ▾" if self.selected else "All ▾")

    def filter(self):
        return SetFilter(frozenset(self.selected)) if self.selected else None


class _FilterBar(QWidget):
    """One filter editor per column, kept aligned with the grid's columns."""

    changed = Signal()

    def __init__(self, grid: _GridView, model: FrameTableModel, band_labels, parent=None):
        super().__init__(parent)
        self.grid, self.model = grid, model
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, str] = {}
        for c in model.columns:
            if c.kind == "band":
                ed = _BandFilterButton(lambda key=c.key: band_labels(key), self)
            else:
                ed = QLineEdit(self)
                ed.setPlaceholderText(_placeholder(c.kind))
                ed.setClearButtonEnabled(True)
                ed.setToolTip(_help(c.kind))
                ed.textChanged.connect(self.changed)
            ed.setObjectName(f"filter:{c.key}")
            ed.setAccessibleName(f"Filter {c.title}")
            self.editors[c.key] = ed
        probe = QLineEdit()
        self._h = probe.sizeHint().height()
        self.setFixedHeight(self._h + 4)
        hh = grid.horizontalHeader()
        hh.sectionResized.connect(self.relayout)
        hh.sectionMoved.connect(self.relayout)
        hh.geometriesChanged.connect(self.relayout)
        grid.horizontalScrollBar().valueChanged.connect(self.relayout)
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(0)
        self._relayout_timer.timeout.connect(self.relayout)
        grid.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self._relayout_timer.start()      # after the grid has laid out its viewport
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.relayout()

    def relayout(self, *_: Any) -> None:
        g = self.grid
        if not shiboken6.isValid(g):
            return
        hh = g.horizontalHeader()
        x0 = g.x() - self.x() + g.frameWidth()
        right = g.viewport().width()
        frozen = g.frozen_column
        fw = g.frozen_width()
        for i, c in enumerate(self.model.columns):
            ed = self.editors[c.key]
            if hh.isSectionHidden(i):
                ed.hide()
                continue
            x = 0 if i == frozen else hh.sectionViewportPosition(i)
            w = hh.sectionSize(i)
            if (i != frozen and x + w - fw < 16) or x >= right:
                ed.hide()
                continue
            if i != frozen and x < fw:      # partly under the frozen column: show the rest
                w, x = x + w - fw, fw
            if x + w > right:
                w = right - x
            ed.setGeometry(x0 + x + 1, 2, max(w - 2, 8), self._h)
            ed.show()
        if frozen is not None:
            self.editors[self.model.columns[frozen].key].raise_()

    def read(self) -> dict[str, Any]:
        """Parse every editor: the filters to apply; marks the editors it cannot read."""
        out, self.errors = {}, {}
        for c in self.model.columns:
            ed = self.editors[c.key]
            if isinstance(ed, _BandFilterButton):
                out[c.key] = ed.filter()
                continue
            try:
                out[c.key] = parse_filter(c.kind, ed.text())
                ed.setStyleSheet("")
                ed.setToolTip(_help(c.kind))
            except ValueError as exc:
                self.errors[c.key] = str(exc)
                ed.setStyleSheet(_INVALID_STYLE)
                ed.setToolTip(str(exc))
                out[c.key] = self.model.filters().get(c.key)   # keep the last good one
        return out

    def clear(self) -> None:
        for ed in self.editors.values():
            ed.blockSignals(True)
            if isinstance(ed, _BandFilterButton):
                ed.selected = set()
                ed._update_text()
            else:
                ed.clear()
                ed.setStyleSheet("")
            ed.blockSignals(False)
        self.errors = {}


# ====================================================================== the widget
class DataTableView(QWidget):
    """A reusable spreadsheet-like table over a DataFrame; see the module docstring.

    Parameters
    ----------
    columns
        The columns in their default order.
    view_id
        Names the view in the settings file: column order, visibility, widths and sort are
        remembered under ``tables/<view_id>``.
    noun, noun_one
        What a row is, for the count label ("1,234 of 100,000 accounts").
    empty_text
        Shown when the table has no rows at all.
    currency
        ISO code for currency columns (display symbol and export format).
    """

    row_activated = Signal(int)          # frame row (double-click or Enter)
    rows_changed = Signal(int, int)      # rows shown, rows in total

    def __init__(self, columns: list[Column], view_id: str, parent=None, *,
                 noun: str = "rows", noun_one: str | None = None,
                 empty_text: str = "Nothing to show yet.", currency: str = "USD"):
        super().__init__(parent)
        self.view_id = view_id
        self.noun = noun
        self.noun_one = noun_one or (noun[:-1] if noun.endswith("s") else noun)
        self.empty_text = empty_text
        #: shown when the view leaves every row out (the model's row mask), e.g. "All 12
        #: accounts are churned: tick Show churned"
        self.left_out_text: str | None = None
        self.currency = currency
        self._band_hex: dict[str, dict[str, str]] = {}
        self._restoring = False
        self.model = FrameTableModel(columns, self, currency=currency)

        hh = self._build_grid()
        top = self._build_top()
        self._build_filters()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)

        self._connect_timers()

        self.model.modelReset.connect(self._rows_changed)
        self.model.layoutChanged.connect(self._rows_changed)
        self.restore_state()
        hh.sectionResized.connect(lambda *a: self._state_changed(immediate=False))
        hh.sectionMoved.connect(lambda *a: self._state_changed())
        hh.sortIndicatorChanged.connect(lambda *a: self._state_changed())
        self._rows_changed()

    def _build_grid(self):
        """The grid with its frozen first column, header and cell menus; returns its header."""
        self.table = _GridView(self)
        self.table.setObjectName(f"{self.view_id}Table")
        self.table.setModel(self.model)
        self.frozen_view = self.table.frozen
        hh = self.table.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        for i, c in enumerate(self.model.columns):
            self.table.setColumnWidth(i, c.width or DEFAULT_WIDTH)
        for header in (hh, self.frozen_view.horizontalHeader()):
            header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            header.customContextMenuRequested.connect(
                lambda pos, header=header: self.show_column_menu(header.mapToGlobal(pos)))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self._show_cell_menu(self.table.viewport().mapToGlobal(pos)))
        self.frozen_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.frozen_view.customContextMenuRequested.connect(
            lambda pos: self._show_cell_menu(self.frozen_view.viewport().mapToGlobal(pos)))
        self.table.copy_requested.connect(self.copy_selection)
        self.table.activated.connect(self._activated)
        self.frozen_view.activated.connect(self._activated)
        return hh

    def _build_top(self):
        """Quick search, row count, clear filters, columns."""
        self.search_box = QLineEdit()
        self.search_box.setObjectName("quickSearch")
        self.search_box.setPlaceholderText(f"Search {self.noun}…  (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMaximumWidth(340)
        self.search_box.setToolTip("Shows rows where any text column contains what you type")
        self.count_label = QLabel("")
        self.count_label.setObjectName("rowCount")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.clear_button.hide()
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns ▾")
        self.columns_button.setToolTip("Show or hide columns (also: right-click a header)")
        self.columns_button.clicked.connect(
            lambda: self.show_column_menu(
                self.columns_button.mapToGlobal(QPoint(0, self.columns_button.height()))))
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_box, 1)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.clear_button)
        top.addWidget(self.columns_button)
        return top

    def _build_filters(self):
        """The filter bar and the empty-state label over the grid."""
        self.filter_bar = _FilterBar(self.table, self.model, self.band_labels, self)
        self.filter_bar.setObjectName("filterBar")
        self.empty_label = QLabel(self.table)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.linkActivated.connect(lambda _: self.clear_filters())
        self.empty_label.hide()
        self._empty_timer = QTimer(self)
        self._empty_timer.setSingleShot(True)
        self._empty_timer.setInterval(0)
        self._empty_timer.timeout.connect(self._place_empty_label)
        self.table.installEventFilter(self)

    def _connect_timers(self):
        """Filters applied after a pause in typing (at once on Enter or a pick), state saved after a pause, Ctrl+F."""
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filters)
        self.filter_bar.changed.connect(self._filter_timer.start)
        self.search_box.textChanged.connect(self._filter_timer.start)
        self.search_box.returnPressed.connect(self.apply_filters)
        for ed in self.filter_bar.editors.values():
            if isinstance(ed, QLineEdit):
                ed.returnPressed.connect(self.apply_filters)
            else:
                ed.changed.connect(self.apply_filters)      # a pick applies at once
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(300)
        self._save_timer.timeout.connect(self.save_state)
        self.find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self,
                                       context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.find_shortcut.activated.connect(self.focus_search)

    # ------------------------------------------------------------------ data
    def set_frame(self, frame) -> None:
        """Show the rows of ``frame`` (every column key must be in it)."""
        self.model.set_frame(frame)

    def set_band_colours(self, key: str, colours: Mapping[str, str]) -> None:
        """Colour the cells of band column ``key``: ``{label: "#rrggbb"}``."""
        self._band_hex[key] = {k: (v if v.startswith("#") else f"#{v}")
                               for k, v in colours.items()}
        self.model.set_band_colours(key, self._band_hex[key])

    def band_labels(self, key: str) -> list[str]:
        """The labels a band filter offers: the coloured ones, then any others present."""
        labels = list(self._band_hex.get(key, {}))
        if self.model.total_rows():
            _, shown = self.model._text_codes(self.model.column_index(key))
            labels += sorted(s for s in shown if s not in labels)
        return labels

    def source_rows(self) -> np.ndarray:
        """Frame rows shown, in view order."""
        return self.model.view_order()

    # ------------------------------------------------------------------ filters
    def filter_editor(self, key: str) -> QWidget:
        """The filter editor of column ``key`` (a QLineEdit, or a button for bands)."""
        return self.filter_bar.editors[key]

    def set_filter_text(self, key: str, text: str) -> None:
        ed = self.filter_bar.editors[key]
        if isinstance(ed, _BandFilterButton):
            ed.set_selected([t.strip() for t in text.split(",") if t.strip()])
        else:
            ed.setText(text)
        self.apply_filters()

    def apply_filters(self) -> None:
        self._filter_timer.stop()
        self.model.set_filters(self.filter_bar.read(), self.search_box.text())

    def clear_filters(self) -> None:
        self.filter_bar.clear()
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.search_box.blockSignals(False)
        self.apply_filters()

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _rows_changed(self) -> None:
        shown, total = self.model.row_count(), self.model.total_rows()
        noun = self.noun_one if total == 1 else self.noun
        if self.model.is_filtered() or shown != total:
            self.count_label.setText(f"{shown:,} of {total:,} {noun}")
        else:
            self.count_label.setText(f"{total:,} {noun}")
        self.clear_button.setVisible(self.model.is_filtered())
        if total == 0:
            self.empty_label.setText(self.empty_text)
        elif shown == 0 and not self.model.is_filtered():     # the view left every row out
            self.empty_label.setText(self.left_out_text or f"No {self.noun} to show.")
        elif shown == 0:
            self.empty_label.setText(f"No {self.noun} match the filters. "
                                     "<a href='clear'>Clear filters</a>")
        self.empty_label.setVisible(shown == 0)
        self._place_empty_label()
        self.filter_bar.relayout()
        self.rows_changed.emit(shown, total)

    def _place_empty_label(self) -> None:
        if not shiboken6.isValid(self.table):
            return
        vp = self.table.viewport()
        self.empty_label.setGeometry(vp.geometry().adjusted(16, 16, -16, -16))
        self.empty_label.raise_()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self._empty_timer.start()
        return False

    # ------------------------------------------------------------------ columns
    def visible_columns(self) -> list[int]:
        """Logical indexes of the visible columns, in the order the user sees them."""
        hh = self.table.horizontalHeader()
        out = []
        for visual in range(hh.count()):
            logical = hh.logicalIndex(visual)
            if not hh.isSectionHidden(logical):
                out.append(logical)
        return out

    def set_column_hidden(self, key: str, hidden: bool) -> None:
        i = self.model.column_index(key)
        if hidden and self.visible_columns() == [i]:
            return                                  # keep at least one column
        self.table.setColumnHidden(i, hidden)
        self.table.sync_frozen()
        self.filter_bar.relayout()
        self._state_changed()

    def show_column_menu(self, global_pos: QPoint) -> QMenu:
        """The column menu (show/hide, reset), popped up at ``global_pos``."""
        menu = QMenu(self)
        menu.setObjectName("columnMenu")
        hh = self.table.horizontalHeader()
        visible = self.visible_columns()
        for visual in range(hh.count()):
            i = hh.logicalIndex(visual)
            c = self.model.columns[i]
            act = menu.addAction(c.title)
            act.setCheckable(True)
            act.setChecked(not hh.isSectionHidden(i))
            act.setEnabled(visible != [i])
            act.toggled.connect(lambda on, key=c.key: self.set_column_hidden(key, not on))
        menu.addSeparator()
        menu.addAction("Show all columns", self.show_all_columns)
        menu.addAction("Reset columns", self.reset_columns)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.column_menu = menu
        menu.popup(global_pos)
        return menu

    def show_all_columns(self) -> None:
        for i in range(len(self.model.columns)):
            self.table.setColumnHidden(i, False)
        self.table.sync_frozen()
        self._state_changed()

    def reset_columns(self) -> None:
        """Default order, widths and visibility."""
        self._restoring = True
        try:
            hh = self.table.horizontalHeader()
            for i, c in enumerate(self.model.columns):
                hh.moveSection(hh.visualIndex(i), i)
                self.table.setColumnHidden(i, False)
                self.table.setColumnWidth(i, c.width or DEFAULT_WIDTH)
        finally:
            self._restoring = False
        self.table.sync_frozen()
        self._state_changed()

    def _show_cell_menu(self, global_pos: QPoint) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Copy rows", self.copy_selection)
        menu.addAction("Export what I see…", self.choose_export)
        menu.addSeparator()
        menu.addAction("Clear filters", self.clear_filters).setEnabled(self.model.is_filtered())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.cell_menu = menu
        menu.popup(global_pos)
        return menu

    # ------------------------------------------------------------------ remembered layout
    def _settings_key(self) -> str:
        return f"tables/{self.view_id}"

    def _state_changed(self, immediate: bool = True) -> None:
        if self._restoring:
            return
        if immediate:
            self.save_state()
        else:
            self._save_timer.start()

    def layout_state(self) -> dict[str, Any]:
        hh = self.table.horizontalHeader()
        cols = self.model.columns
        sort = self.model.sort_state()
        return {
            "order": [cols[hh.logicalIndex(v)].key for v in range(hh.count())],
            "hidden": [c.key for i, c in enumerate(cols) if hh.isSectionHidden(i)],
            "widths": {c.key: hh.sectionSize(i) for i, c in enumerate(cols)
                       if not hh.isSectionHidden(i)},
            "sort": [cols[sort[0]].key, int(sort[1].value)] if sort else None,
        }

    def save_state(self) -> None:
        self._save_timer.stop()
        s = app_settings.settings()
        s.setValue(self._settings_key(), json.dumps(self.layout_state()))
        s.sync()

    def restore_state(self) -> None:
        raw = app_settings.settings().value(self._settings_key())
        if not raw:
            return
        try:
            state = json.loads(raw)
        except (TypeError, ValueError):
            return
        keys = {c.key: i for i, c in enumerate(self.model.columns)}
        hh = self.table.horizontalHeader()
        self._restoring = True
        try:
            order = [k for k in state.get("order", []) if k in keys]
            for pos, key in enumerate(order):
                hh.moveSection(hh.visualIndex(keys[key]), pos)
            for key, width in (state.get("widths") or {}).items():
                if key in keys and isinstance(width, int) and width > 10:
                    self.table.setColumnWidth(keys[key], width)
            hidden = [keys[k] for k in state.get("hidden", []) if k in keys]
            if len(hidden) < len(keys):
                for i in hidden:
                    self.table.setColumnHidden(i, True)
            sort = state.get("sort")
            if sort and sort[0] in keys:
                hh.setSortIndicator(keys[sort[0]], Qt.SortOrder(int(sort[1])))
        finally:
            self._restoring = False
        self.table.sync_frozen()

    # ------------------------------------------------------------------ selection, clipboard
    def selected_view_rows(self) -> np.ndarray:
        """View rows of the selection (sorted); the current row when nothing is selected."""
        sel = self.table.selectionModel().selection()
        parts = [np.arange(r.top(), r.bottom() + 1) for r in sel]
        if parts:
            return np.unique(np.concatenate(parts))
        cur = self.table.currentIndex()
        return np.array([cur.row()] if cur.isValid() else [], dtype=np.int64)

    def selected_rows(self) -> np.ndarray:
        """Frame rows of the selection, in view order."""
        rows = self.selected_view_rows()
        return self.model.view_order()[rows] if len(rows) else rows

    def _clip_column(self, col: int, rows: np.ndarray) -> list[str]:
        kind = self.model.columns[col].kind
        if kind in NUMERIC_KINDS:
            out = []
            for v in self.model.column_values(col, rows).tolist():
                if v != v:
                    out.append("")
                elif v.is_integer() and abs(v) < 1e15:
                    out.append(str(int(v)))
                else:
                    out.append(repr(round(v, 10)))
            return out
        texts = self.model.display_values(col, rows)
        out = []
        for t in texts:
            if "\t" in t or "\n" in t or "\r" in t:
                t = " ".join(t.split())
            if t.startswith(_FORMULA_TRIGGERS) and kind not in DATE_KINDS:
                t = "'" + t            # a spreadsheet would run it as a formula
            out.append(t)
        return out

    def selection_text(self) -> str:
        """The selected rows as tab-separated text with a header row (visible columns)."""
        rows = self.selected_rows()
        if not len(rows):
            return ""
        cols = self.visible_columns()
        header = "\t".join(self.model.columns[c].title for c in cols)
        columns = [self._clip_column(c, rows) for c in cols]
        lines = [header]
        lines.extend("\t".join(cells) for cells in zip(*columns))
        return "\n".join(lines) + "\n"

    def copy_selection(self) -> str:
        text = self.selection_text()
        if text:
            QApplication.clipboard().setText(text)
        return text

    # ------------------------------------------------------------------ export
    def visible_frame(self):
        """What the user sees: ``(frame, [ColumnSpec])`` with the rows after filters and sort
        and the visible columns in their on-screen order, ready for the exporter."""
        import pandas as pd

        from ..export.tables import ColumnSpec

        rows = self.model.view_order()
        data, specs = {}, []
        for i in self.visible_columns():
            c = self.model.columns[i]
            if c.kind == "status":
                data[c.key] = self.model.display_values(i, rows)
            elif c.kind == "trend":         # "new" (no earlier value) is a blank cell there
                values = self.model.column_values(i, rows).astype(float)
                data[c.key] = np.where(np.isinf(values), np.nan, values)
            else:
                data[c.key] = self.model.column_values(i, rows)
            kind = EXPORT_KINDS.get(c.kind, "text")
            colours = None
            if kind == "band" and c.key in self._band_hex:
                colours = {k: tint_hex(v) for k, v in self._band_hex[c.key].items()}
            specs.append(ColumnSpec(c.key, c.title, kind, band_colours=colours))
        frame = pd.DataFrame(data, columns=[s.key for s in specs])
        return frame, specs

    def export_visible(self, path, *, title: str | None = None, subtitle: str | None = None):
        """Write what the user sees to ``path`` (.csv, else .xlsx); returns the ExportReport."""
        from ..export.tables import SheetSpec, write_csv, write_xlsx

        frame, specs = self.visible_frame()
        path = Path(path)
        sheet = SheetSpec(name=title or self.noun.capitalize(), frame=frame, columns=specs,
                          title=title, subtitle=subtitle)
        if path.suffix.lower() == ".csv":
            return write_csv(path, sheet)
        return write_xlsx(path, [sheet], currency=self.currency)

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export what I see", str(Path.home() / f"{self.view_id}.xlsx"),
            "Excel workbook (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_visible(path)

    # ------------------------------------------------------------------ activation
    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.row_activated.emit(self.model.source_row(index.row()))

