"""Shared chart pieces for the views: pyqtgraph plots with labelled, money-formatted axes,
band colours, bars (plain, stacked up/down with a net line), line charts, a painted heat map
for small matrices and the KPI tile.

Charts only ever get aggregated data (a few dozen bars or points), never one item per
account. Category charts put their categories at x = 0, 1, 2... and show the numbers behind a
bar as a tooltip when the mouse is over it.
"""
from __future__ import annotations

import math
import html
from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame, QLabel, QSizePolicy, QStyledItemDelegate, QToolTip, QVBoxLayout, QWidget,
)

# BAND_COLOURS: the fallback band colours (the default scorecard's); views pass the card's
from ..domain.colours import BAND_COLOURS, GREEN, GREY, RED
from ..domain.money import format_money

#: MRR movement colours: growth in greens/blues, losses in oranges/reds.
MOVEMENT_COLOURS = {"new": "#2e7d32", "expansion": "#66bb6a", "reactivation": "#4f83cc",
                    "contraction": "#f0a04b", "churn": RED, "net": "#222222"}
GRID_ALPHA = 0.25


def band_colour(label: str | None, colours: Mapping[str, str] | None = None) -> str:
    """The hex colour of a band label (the scorecard's colours first)."""
    if colours and label in colours:
        return colours[label]
    return BAND_COLOURS.get(label or "", GREY)


def money_text(value: float, currency: str = "USD", decimals: int | None = None) -> str:
    """Compact money for charts: $950, $12k, $1.2M, -$3.4M (``decimals`` for M and B,
    default 1; nothing for a missing amount)."""
    return format_money(value, currency, compact=True,
                        digits=1 if decimals is None else decimals, missing="")


class MoneyAxis(pg.AxisItem):
    """An axis whose ticks read $0, $250k, $1.5M (no SI prefix in the label)."""

    def __init__(self, orientation: str = "left", currency: str = "USD", **kw):
        super().__init__(orientation, **kw)
        self.currency = currency
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph name)
        decimals = 1 if spacing < 1e6 and max((abs(v) for v in values), default=0) >= 1e6 \
            else None
        return [money_text(v * scale, self.currency, decimals) for v in values]


class PercentAxis(pg.AxisItem):
    """Ticks for fractions shown as percentages (0.85 -> 85%)."""

    def __init__(self, orientation: str = "left", **kw):
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        digits = 0 if spacing >= 0.01 else 1
        return [f"{v * 100:.{digits}f}%" for v in values]


class CountAxis(pg.AxisItem):
    def __init__(self, orientation: str = "left", **kw):
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else "" for v in values]


def make_plot(title: str, *, left: str = "", bottom: str = "", left_axis: str = "number",
              currency: str = "USD", parent=None) -> pg.PlotWidget:
    """A white plot with a title and both axes labelled (units in the label text).

    ``left_axis``: ``"money"``, ``"percent"``, ``"count"`` or ``"number"``.
    """
    axis = {"money": lambda: MoneyAxis("left", currency),
            "percent": lambda: PercentAxis("left"),
            "count": lambda: CountAxis("left")}.get(left_axis)
    items = {"left": axis()} if axis else {}
    w = pg.PlotWidget(parent=parent, background="w", axisItems=items)
    w.setObjectName("chart")
    pi = w.getPlotItem()
    pi.setTitle(f"<span style='color:#222;font-size:11pt;font-weight:600'>{title}</span>")
    pen = pg.mkPen("#555")
    for name in ("left", "bottom"):
        ax = pi.getAxis(name)
        ax.setPen(pen)
        ax.setTextPen(pg.mkPen("#333"))
    if left:
        pi.setLabel("left", left, color="#333")
    if bottom:
        pi.setLabel("bottom", bottom, color="#333")
    pi.showGrid(x=False, y=True, alpha=GRID_ALPHA)
    pi.setMenuEnabled(False)
    pi.hideButtons()
    vb = pi.getViewBox()
    vb.setMouseEnabled(x=False, y=False)
    w.setMinimumHeight(200)
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    w.chart_title = title
    return w


def set_categories(plot: pg.PlotWidget, labels: Sequence[str], *, every: int | None = None
                   ) -> None:
    """Put ``labels`` under x = 0, 1, 2...; with many categories only every n-th is written."""
    n = len(labels)
    if every is None:
        every = 1 if n <= 14 else math.ceil(n / 12)
    ticks = [(i, str(lab)) for i, lab in enumerate(labels) if i % every == 0]
    plot.getPlotItem().getAxis("bottom").setTicks([ticks, []])
    if n:
        plot.getPlotItem().setXRange(-0.8, n - 0.2, padding=0)


def set_edges(plot: pg.PlotWidget, edges: Sequence[float], *, every: int = 1) -> None:
    """Ticks at bar boundaries for a histogram drawn at x = 0, 1, 2...: bar ``i`` spans
    ``edges[i]`` to ``edges[i + 1]``."""
    ticks = [(i - 0.5, f"{e:g}") for i, e in enumerate(edges) if i % every == 0]
    plot.getPlotItem().getAxis("bottom").setTicks([ticks, []])
    plot.getPlotItem().setXRange(-0.9, len(edges) - 1.1, padding=0)


def month_label(month: str) -> str:
    """'2026-03' -> 'Mar 26'."""
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")
    try:
        y, m = str(month)[:7].split("-")
        return f"{names[int(m) - 1]} {y[2:]}"
    except (ValueError, IndexError):
        return str(month)


class HoverTips:
    """Shows ``texts[i]`` as a tooltip when the mouse is over category ``i`` of ``plot``."""

    def __init__(self, plot: pg.PlotWidget, texts: Sequence[str]):
        self.plot, self.texts = plot, list(texts)
        plot.scene().sigMouseMoved.connect(self._moved)
        plot.setToolTip(plot.chart_title if hasattr(plot, "chart_title") else "")

    def _moved(self, pos) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        x = vb.mapSceneToView(pos).x()
        i = int(round(x))
        text = self.texts[i] if 0 <= i < len(self.texts) and abs(x - i) <= 0.45 else ""
        self.plot.setToolTip(text)
        if text:
            QToolTip.showText(self.plot.mapToGlobal(self.plot.mapFromScene(pos).toPoint()),
                              text, self.plot)


def bars(plot: pg.PlotWidget, heights: Sequence[float], colours: Sequence[str] | str, *,
         x: Sequence[float] | None = None, width: float = 0.7, y0: Sequence[float] | None = None
         ) -> pg.BarGraphItem:
    """One BarGraphItem (one brush per bar); bars start at ``y0`` (default 0)."""
    h = np.asarray(heights, dtype=float)
    xs = np.arange(len(h), dtype=float) if x is None else np.asarray(x, dtype=float)
    if isinstance(colours, str):
        colours = [colours] * len(h)
    brushes = [pg.mkBrush(c) for c in colours]
    kw = {"y0": np.zeros(len(h)) if y0 is None else np.asarray(y0, dtype=float)}
    item = pg.BarGraphItem(x=xs, height=h, width=width, brushes=brushes,
                           pens=[pg.mkPen(QColor(c).darker(115)) for c in colours], **kw)
    plot.addItem(item)
    return item


def add_legend(plot: pg.PlotWidget, entries: Sequence[tuple[str, str]], *,
               offset=(10, 5), line: Sequence[str] = (), columns: int = 1) -> pg.LegendItem:
    """A legend of (name, colour); names in ``line`` are drawn as a line, others as boxes.
    ``offset`` as pyqtgraph's (negative: from the right / bottom); ``columns`` > 1 lays the
    entries out in a row."""
    legend = pg.LegendItem(offset=offset, labelTextColor="#222", brush=pg.mkBrush(255, 255,
                                                                                   255, 220))
    legend.setParentItem(plot.getPlotItem().getViewBox())
    if not hasattr(plot, "_legends"):
        plot._legends = []
    plot._legends.append(legend)
    if columns > 1:
        legend.setColumnCount(columns)
    for name, colour in entries:
        if name in line:
            sample = pg.PlotDataItem([0, 1], [0, 0], pen=pg.mkPen(colour, width=2))
        else:
            sample = pg.BarGraphItem(x=[0], height=[1], width=1, brush=pg.mkBrush(colour),
                                     pen=pg.mkPen(colour))
        legend.addItem(sample, name)
    return legend


def stacked_bars(plot: pg.PlotWidget, up: Sequence[tuple[str, Sequence[float], str]],
                 down: Sequence[tuple[str, Sequence[float], str]],
                 net: Sequence[float] | None = None, *, net_name: str = "Net change",
                 width: float = 0.7) -> None:
    """Bars stacked upwards (``up``: name, values >= 0, colour) and downwards (``down``,
    values >= 0 drawn below zero), with the ``net`` line over them and a one-row legend in
    a band kept free above the bars."""
    n = len(up[0][1]) if up else len(down[0][1]) if down else 0
    base = np.zeros(n)
    for _, vals, colour in up:
        v = np.nan_to_num(np.asarray(vals, dtype=float))
        bars(plot, v, colour, y0=base, width=width)
        base = base + v
    base_up = base
    base = np.zeros(n)
    for _, vals, colour in down:
        v = np.nan_to_num(np.asarray(vals, dtype=float))
        bars(plot, -v, colour, y0=base, width=width)
        base = base - v
    entries = [(name, c) for name, _, c in up] + [(name, c) for name, _, c in down]
    if net is not None and n:
        colour = MOVEMENT_COLOURS["net"]
        plot.plot(np.arange(n), np.asarray(net, dtype=float),
                  pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                  symbolBrush=pg.mkBrush(colour), symbolPen=pg.mkPen(colour))
        entries.append((net_name, colour))
    plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#555", width=1)))
    add_legend(plot, entries, line=(net_name,), columns=len(entries))
    top = float(np.nanmax(base_up)) if n else 1.0
    bottom = float(np.nanmin(base)) if n else 0.0
    if net is not None and n:
        top = max(top, float(np.nanmax(net)))
        bottom = min(bottom, float(np.nanmin(net)))
    span = (top - bottom) or 1.0
    plot.getPlotItem().setYRange(bottom - 0.05 * span, top + 0.28 * span, padding=0)


def lines(plot: pg.PlotWidget, series: Sequence[tuple[str, Sequence[float], str]], *,
          legend_offset=(10, -10)) -> None:
    """One line with dots per (name, values, colour) over x = 0, 1, 2..., with a legend
    (default: bottom left)."""
    for name, vals, colour in series:
        v = np.asarray(vals, dtype=float)
        plot.plot(np.arange(len(v)), v, pen=pg.mkPen(colour, width=2), symbol="o",
                  symbolSize=6, symbolBrush=pg.mkBrush(colour), symbolPen=pg.mkPen(colour),
                  connect="finite")
    add_legend(plot, [(n, c) for n, _, c in series], line=[n for n, _, _ in series],
               offset=legend_offset, columns=len(series))


def no_data(plot: pg.PlotWidget, text: str) -> pg.TextItem:
    """A grey message in the middle of an empty plot."""
    item = pg.TextItem(text, color="#777", anchor=(0.5, 0.5))
    plot.addItem(item)
    plot.getPlotItem().setXRange(-1, 1)
    plot.getPlotItem().setYRange(-1, 1)
    item.setPos(0, 0)
    plot.getPlotItem().getAxis("left").setTicks([[], []])
    plot.getPlotItem().getAxis("bottom").setTicks([[], []])
    return item


def reset_plot(plot: pg.PlotWidget) -> None:
    """Remove the data items and legends of ``plot`` (keeps title and axis labels)."""
    pi = plot.getPlotItem()
    pi.clear()
    for legend in getattr(plot, "_legends", []):
        if legend.scene() is not None:
            legend.scene().removeItem(legend)
    plot._legends = []
    pi.getAxis("left").setTicks(None)
    pi.getAxis("bottom").setTicks(None)
    pi.enableAutoRange()


# ====================================================================== heat map
def _lerp(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def scale_colour(t: float, low: str = "#f4f8fc", high: str = "#1f5fa8") -> QColor:
    """A colour on a sequential scale (0 -> ``low``, 1 -> ``high``)."""
    return _lerp(QColor(low), QColor(high), t)


def diverging_colour(value: float, centre: float = 1.0, span: float = 0.3) -> QColor:
    """Red below ``centre``, green above, white at it (for retention ratios)."""
    t = (value - centre) / span
    if t >= 0:
        return _lerp(QColor("#ffffff"), QColor(GREEN), t)
    return _lerp(QColor("#ffffff"), QColor(RED), -t)


class HeatMapWidget(QWidget):
    """A small matrix painted as labelled cells (one rectangle per cell, text inside).

    ``set_data(row_labels, col_labels, colours, texts, tips)``: ``colours`` is a list of rows
    of ``QColor`` or None (blank cell); ``texts``/``tips`` the same shape with strings. Row
    labels are elided to the label column and shown in full as a tooltip.
    ``cell_clicked(row, col)`` and ``row_activated(row)`` (double click) are emitted.
    """

    cell_clicked = Signal(int, int)
    row_activated = Signal(int)

    def __init__(self, parent=None, *, cell_height: int = 24, min_cell_width: int = 54,
                 label_width: int = 210, header_height: int = 40):
        super().__init__(parent)
        self.cell_height, self.min_cell_width = cell_height, min_cell_width
        self.label_width, self.header_height = label_width, header_height
        self.row_labels: list[str] = []
        self.col_labels: list[str] = []
        self.colours: list[list[QColor | None]] = []
        self.texts: list[list[str]] = []
        self.tips: list[list[str]] = []
        self.row_label_colours: list[QColor | None] = []
        self.message = ""
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, row_labels, col_labels, colours, texts=None, tips=None) -> None:
        self.row_labels = [str(r) for r in row_labels]
        self.col_labels = [str(c) for c in col_labels]
        self.colours = [list(r) for r in colours]
        n, m = len(self.row_labels), len(self.col_labels)
        self.texts = [list(r) for r in texts] if texts is not None else [[""] * m] * n
        self.tips = [list(r) for r in tips] if tips is not None else [[""] * m] * n
        self.message = ""
        self.updateGeometry()
        self.update()

    def set_message(self, text: str) -> None:
        self.row_labels, self.col_labels, self.colours, self.texts, self.tips = [], [], [], \
            [], []
        self.message = text
        self.updateGeometry()
        self.update()

    def shape(self) -> tuple[int, int]:
        return len(self.row_labels), len(self.col_labels)

    def sizeHint(self) -> QSize:  # noqa: N802
        rows = max(len(self.row_labels), 3)
        return QSize(self.label_width + max(len(self.col_labels), 1) * 90,
                     self.header_height + rows * self.cell_height + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.label_width + 100, self.header_height + 3 * self.cell_height)

    def _cell_width(self) -> float:
        m = max(len(self.col_labels), 1)
        return max(self.min_cell_width, (self.width() - self.label_width - 4) / m)

    def cell_rect(self, row: int, col: int) -> QRectF:
        w = self._cell_width()
        return QRectF(self.label_width + col * w, self.header_height + row * self.cell_height,
                      w, self.cell_height)

    def cell_at(self, pos) -> tuple[int, int] | None:
        x, y = pos.x() - self.label_width, pos.y() - self.header_height
        if y < 0:
            return None
        row = int(y // self.cell_height)
        if not 0 <= row < len(self.row_labels):
            return None
        if x < 0:
            return row, -1
        col = int(x // self._cell_width())
        if not 0 <= col < len(self.col_labels):
            return None
        return row, col

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), self.palette().base())
        if self.message:
            p.setPen(QColor("#666"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
            return
        fm = QFontMetrics(self.font())
        w = self._cell_width()
        # column headers: wrapped into the header band, elided when still too long
        p.setPen(QColor("#222"))
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        for j, lab in enumerate(self.col_labels):
            r = QRectF(self.label_width + j * w + 2, 2, w - 4, self.header_height - 4)
            p.drawText(r, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                       | Qt.TextFlag.TextWordWrap, lab)
        p.setFont(self.font())
        grid = QPen(QColor("#ffffff"))
        grid.setWidth(1)
        for i, lab in enumerate(self.row_labels):
            y = self.header_height + i * self.cell_height
            p.setPen(QColor("#222"))
            text = fm.elidedText(lab, Qt.TextElideMode.ElideRight, self.label_width - 10)
            p.drawText(QRectF(4, y, self.label_width - 8, self.cell_height),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            for j in range(len(self.col_labels)):
                rect = self.cell_rect(i, j)
                c = self.colours[i][j] if i < len(self.colours) and j < len(self.colours[i]) \
                    else None
                p.fillRect(rect, QBrush(c if c is not None else QColor("#f2f2f2")))
                p.setPen(grid)
                p.drawRect(rect)
                t = self.texts[i][j] if i < len(self.texts) and j < len(self.texts[i]) else ""
                if t:
                    lum = (0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()) \
                        if c is not None else 255
                    p.setPen(QColor("#ffffff") if lum < 140 else QColor("#222"))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                               fm.elidedText(t, Qt.TextElideMode.ElideRight, int(w) - 4))
        p.end()

    def tooltip_at(self, pos) -> str:
        cell = self.cell_at(pos)
        if cell is None:
            if pos.y() < self.header_height and pos.x() > self.label_width:
                j = int((pos.x() - self.label_width) // self._cell_width())
                return self.col_labels[j] if 0 <= j < len(self.col_labels) else ""
            return ""
        i, j = cell
        if j < 0:
            return self.row_labels[i]
        tip = self.tips[i][j] if i < len(self.tips) and j < len(self.tips[i]) else ""
        return tip or f"{self.row_labels[i]} · {self.col_labels[j]}: {self.texts[i][j]}"

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position().toPoint()
        tip = self.tooltip_at(pos)
        self.setToolTip(tip)
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        cell = self.cell_at(event.position().toPoint())
        if cell is not None:
            self.cell_clicked.emit(*cell)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        cell = self.cell_at(event.position().toPoint())
        if cell is not None:
            self.row_activated.emit(cell[0])
        super().mouseDoubleClickEvent(event)


# ====================================================================== KPI tile
class KpiTile(QFrame):
    """A clickable figure: title, value, a detail line; the definition is its tooltip.

    Click, Enter or Space emit ``clicked(key)``.
    """

    clicked = Signal(str)

    def __init__(self, key: str, title: str, parent=None):
        super().__init__(parent)
        self.key = key
        self.setObjectName("kpiTile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("kpiTitle")
        self.value_label = QLabel("—")
        self.value_label.setObjectName("kpiValue")
        self.detail_label = QLabel("")
        self.detail_label.setObjectName("kpiDetail")
        self.detail_label.setWordWrap(True)
        for lab in (self.title_label, self.value_label, self.detail_label):
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        f = QFont(self.value_label.font())
        f.setPointSizeF(f.pointSizeF() * 1.7)
        f.setBold(True)
        self.value_label.setFont(f)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label)
        layout.addWidget(self.detail_label)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_accent(None)
        self.selected = False

    def set_accent(self, colour: str | None, selected: bool = False) -> None:
        self.accent = colour or "#4f83cc"
        self.selected = selected
        border = "2px solid #1f5fa8" if selected else "1px solid #d0d4da"
        self.setStyleSheet(
            f"QFrame#kpiTile {{ background: #ffffff; border: {border}; border-radius: 6px;"
            f" border-left: 5px solid {self.accent}; }}"
            "QFrame#kpiTile:focus { border: 2px solid #1f5fa8; "
            f"border-left: 5px solid {self.accent}; }}"
            "QLabel#kpiTitle { color: #555; }"
            "QLabel#kpiDetail { color: #666; }")

    def set_value(self, value_text: str, detail: str = "", definition: str = "") -> None:
        self.value_label.setText(value_text)
        self.detail_label.setText(detail)
        tip = f"<b>{self.title_label.text()}</b><br>{definition}" if definition else ""
        if tip:
            tip += "<br><i>Click to see the accounts behind it.</i>"
        self.setToolTip(tip)
        self.definition = definition

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
                event.position().toPoint()):
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.key)
            return
        super().keyPressEvent(event)


class FullTextTooltips(QStyledItemDelegate):
    """Item delegate for tables: a cell whose text does not fit shows it whole as a tooltip
    (long reasons and risk drivers are elided in the cell, never lost)."""

    PADDING = 10

    def tooltip_for(self, text: str, width: int, metrics: QFontMetrics) -> str:
        if not text or metrics.horizontalAdvance(text) <= width - self.PADDING:
            return ""
        return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"

    def helpEvent(self, event, view, option, index) -> bool:  # noqa: N802
        if event is not None and event.type() == QEvent.Type.ToolTip and index.isValid():
            text = index.data(Qt.ItemDataRole.DisplayRole)
            tip = self.tooltip_for(str(text) if text is not None else "",
                                   option.rect.width(), option.fontMetrics)
            if tip:
                QToolTip.showText(event.globalPos(), tip, view)
                return True
        return super().helpEvent(event, view, option, index)


def install_full_text_tooltips(grid) -> FullTextTooltips:
    """Give a DataTableView (main grid and frozen column) the full-text tooltips."""
    delegate = FullTextTooltips(grid)
    grid.table.setItemDelegate(delegate)
    grid.frozen_view.setItemDelegate(delegate)
    return delegate


__all__ = ["BAND_COLOURS", "MOVEMENT_COLOURS", "band_colour", "money_text", "MoneyAxis",
           "PercentAxis", "CountAxis", "make_plot", "set_categories", "month_label",
           "HoverTips", "bars", "add_legend", "stacked_bars", "lines", "no_data",
           "reset_plot", "scale_colour", "diverging_colour", "HeatMapWidget", "KpiTile",
           "FullTextTooltips", "install_full_text_tooltips"]


def empty_state_pages(text: str, content):
    """(empty-state label, stack of [label, content]): what a view shows with no workspace."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QStackedWidget

    empty = QLabel(text)
    empty.setObjectName("emptyState")
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(True)
    pages = QStackedWidget()
    pages.addWidget(empty)
    pages.addWidget(content)
    return empty, pages


class EmptyStateView:
    """Mixin for a view built with :func:`empty_state_pages` (attributes ``empty``, ``pages``
    and ``subtitle``) that has an ``_enable(on)`` for its controls."""

    def show_empty(self, text: str) -> None:
        """Show ``text`` instead of the content, with the controls disabled."""
        self.empty.setText(text)
        self.pages.setCurrentWidget(self.empty)
        self.subtitle.setText("")
        self._enable(False)
