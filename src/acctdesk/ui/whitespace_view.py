"""The Whitespace view: which accounts lack which products and what filling the gaps is
worth, the suggestions with their reasons, and the backtest behind the model.

* the account x product heat map of the top N accounts by total whitespace (owned cells in
  slate, gaps coloured by their expected annual value), filterable by segment and product and
  sortable (total whitespace, name, products owned);
* the suggestion list (:func:`acctdesk.analytics.whitespace.whitespace`) with its reasons,
  filtered the same way; clicking a heat-map cell narrows it to that account;
* the backtest (:func:`acctdesk.analytics.whitespace.backtest`): precision at 5/10/20 of our
  ranking against the popularity baseline.

Heavy work (suggestions, matrix, backtest, churn risk to flag at-risk accounts) runs in the
runner as ``whitespace:load``; filters and sorting reuse the loaded inputs.
"""
from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter,
    QVBoxLayout, QWidget,
)

from ..analytics.plain import suggestions_bought
from ..domain.money import format_money
from . import charts
from .analysis_view import (
    AnalysisView, choose_export_path, make_grid, sheet_for, table_columns,
)
from .tasks import TaskRunner

EMPTY_TEXT = ("<h3>No whitespace to show yet</h3>Whitespace needs your accounts and their "
              "billing subscriptions, product by product (Stripe, Chargebee, Recurly or your "
              "own sheet). Import them to see which accounts lack which products, what the "
              "gaps are worth and why.")
NO_WORKSPACE_TEXT = ("<h3>No workspace open</h3>Open a workspace (or the demo) to see its "
                     "whitespace.")
OWNED = QColor("#5b6b7f")
TRIAL = QColor("#b39ddb")
PIPELINE = QColor("#90caf9")
NO_VALUE = QColor("#eeeeee")
VALUE_LOW, VALUE_HIGH = "#f1ecf9", "#5e3c99"
TOP_CHOICES = (20, 30, 50, 100)
SORTS = {"whitespace": "Sort: most whitespace", "name": "Sort: account name",
         "owned": "Sort: fewest products owned"}


class WhitespaceView(AnalysisView):
    """Heat map, suggestions and backtest (see the module docstring).

    Signals: ``loaded`` (shown), ``account_activated(account_id)`` (a suggestion row or a
    heat-map row double-clicked).
    """

    LOAD_KIND = "whitespace:load"
    REFRESH_KIND = "whitespace:refresh"
    LOAD_TITLE = "Finding whitespace"
    REFRESH_TITLE = "Updating whitespace"
    PARTS = ("risk", "whitespace", "matrix", "backtest")
    NO_WORKSPACE_TEXT = NO_WORKSPACE_TEXT
    EMPTY_TEXT = EMPTY_TEXT

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(runner, parent)
        self.states = pd.DataFrame()
        self.values = pd.DataFrame()
        self.totals = pd.DataFrame()
        self.suggestions = pd.DataFrame()
        self._export_dialog = None

        bar = self._build_bar()
        map_box = self._build_map()
        list_box = self._build_list()
        bt_box = self._build_backtest()

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(list_box)
        lower.addWidget(bt_box)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        lower.setSizes([800, 420])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(map_box)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 380])
        self.split = split

        self.empty, self.pages = charts.empty_state_pages(NO_WORKSPACE_TEXT, split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.subtitle, 1)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        self._account: str | None = None
        self._fill_filters(None)
        self._enable(False)

    def _build_bar(self):
        """Title, filters, sort and export."""
        self.title = QLabel("<b>Whitespace</b>")
        self.subtitle = QLabel("")
        self.subtitle.setWordWrap(True)
        bar = QHBoxLayout()
        self.segment_box = QComboBox()
        self.segment_box.setObjectName("filter_segment")
        self.product_box = QComboBox()
        self.product_box.setObjectName("filter_product")
        self.top_box = QComboBox()
        self.top_box.setToolTip("How many accounts the heat map shows (those with the most "
                                "whitespace)")
        for n in TOP_CHOICES:
            self.top_box.addItem(f"Top {n} accounts", n)
        self.top_box.setCurrentIndex(1)
        self.sort_box = QComboBox()
        for key, text in SORTS.items():
            self.sort_box.addItem(text, key)
        for box in (self.segment_box, self.product_box, self.top_box, self.sort_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumWidth(130)
            box.currentIndexChanged.connect(self.refresh)
            bar.addWidget(box)
        bar.addStretch(1)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the heat map, the suggestions and the backtest to "
                                      "Excel")
        self.export_button.clicked.connect(self.choose_export)
        bar.addWidget(self.export_button)
        return bar

    def _build_map(self):
        """The account x product heat map and its legend."""
        self.map_title = QLabel("")
        self.map_title.setWordWrap(True)
        self.heatmap = charts.HeatMapWidget(label_width=260, min_cell_width=70,
                                            header_height=52, cell_height=24)
        self.heatmap.setObjectName("whitespaceHeatMap")
        self.heatmap.cell_clicked.connect(self._cell_clicked)
        self.heatmap.row_activated.connect(self._map_row_activated)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.heatmap)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.legend = QLabel(
            f"<span style='background:{OWNED.name()};color:white'>&nbsp;Owned&nbsp;</span> "
            f"<span style='background:{TRIAL.name()}'>&nbsp;Trial&nbsp;</span> "
            f"<span style='background:{PIPELINE.name()}'>&nbsp;Pipeline&nbsp;</span> "
            f"<span style='background:{VALUE_LOW}'>&nbsp;gap: low&nbsp;</span>"
            f"<span style='background:#a58fcf'>&nbsp;…&nbsp;</span>"
            f"<span style='background:{VALUE_HIGH};color:white'>&nbsp;high expected value"
            f"&nbsp;</span> <span style='background:#eeeeee'>&nbsp;gap, nothing "
            "suggested&nbsp;</span>")
        map_box = QWidget()
        ml = QVBoxLayout(map_box)
        ml.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.map_title, 1)
        head.addWidget(self.legend)
        ml.addLayout(head)
        ml.addWidget(scroll, 1)
        return map_box

    def _build_list(self):
        """The suggestions and their reasons."""
        from ..analytics.portfolio import SUGGESTION_COLUMNS

        self.list_title = QLabel("")
        self.clear_account_button = QPushButton("Show all accounts")
        self.clear_account_button.hide()
        self.clear_account_button.clicked.connect(self.clear_account_filter)
        self.grid = make_grid(table_columns(SUGGESTION_COLUMNS, {"reason": 520}),
                              "whitespace_suggestions", self, noun="suggestions",
                              empty="No suggestions for these filters.")
        self.grid.row_activated.connect(self._row_activated)
        list_box = QWidget()
        ll = QVBoxLayout(list_box)
        ll.setContentsMargins(0, 0, 0, 0)
        lh = QHBoxLayout()
        lh.addWidget(self.list_title, 1)
        lh.addWidget(self.clear_account_button)
        ll.addLayout(lh)
        ll.addWidget(self.grid, 1)
        return list_box

    def _build_backtest(self):
        """The backtest chart and its words."""
        self.backtest_plot = charts.make_plot(
            "Suggestions bought", left="Share of suggestions bought",
            bottom="Suggestions per CSM book", left_axis="percent")
        self.backtest_plot.setMinimumWidth(260)
        self.backtest_text = QLabel("")
        self.backtest_text.setWordWrap(True)
        self.backtest_text.setObjectName("backtestText")
        bt_box = QWidget()
        bl = QVBoxLayout(bt_box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.backtest_plot, 1)
        bl.addWidget(self.backtest_text)
        return bt_box

    # ------------------------------------------------------------------ the analysis
    def choice(self) -> dict[str, Any]:
        """The filters, the account picked on the map, and the suggestion grid's columns and
        sort (to prepare its rows on the worker)."""
        model = self.grid.model
        return {"segment": self.segment_box.currentData(),
                "product": self.product_box.currentData(),
                "top": int(self.top_box.currentData() or 30),
                "sort": self.sort_box.currentData(), "account": self._account,
                "table": (list(model.columns), model.sort_state())}

    def compute(self, inputs, choice):
        if inputs.matrix is None or not len(inputs.matrix):
            return None
        return whitespace_figures(inputs, **choice)

    def options(self, inputs):
        return _filter_options(inputs)

    def fill_options(self, options) -> None:
        self._fill_filters(options or None)

    def prepare(self, inputs) -> None:
        self._draw_backtest(inputs.backtest or {})

    def clear(self) -> None:
        self._account = None

    def _enable(self, on: bool) -> None:
        for b in (self.segment_box, self.product_box, self.top_box, self.sort_box,
                  self.export_button):
            b.setEnabled(on)

    def _fill_filters(self, options: tuple[list[str], list[str]] | None) -> None:
        segs, prods = options or ([], [])
        for box, title, values in ((self.segment_box, "All segments", segs),
                                   (self.product_box, "All products", prods)):
            box.blockSignals(True)
            box.clear()
            box.addItem(title, None)
            for v in values:
                box.addItem(v, v)
            box.blockSignals(False)

    def set_filter(self, key: str, value: str | None) -> None:
        """``key``: "segment" or "product"; None shows all."""
        box = {"segment": self.segment_box, "product": self.product_box}[key]
        i = 0 if value is None else box.findData(value)
        if i < 0:
            raise ValueError(f"{value!r} is not a {key} of this workspace")
        box.setCurrentIndex(i)

    def set_sort(self, key: str) -> None:
        self.sort_box.setCurrentIndex(self.sort_box.findData(key))

    def set_top(self, n: int) -> None:
        i = self.top_box.findData(n)
        if i < 0:
            self.top_box.addItem(f"Top {n} accounts", n)
            i = self.top_box.count() - 1
        self.top_box.setCurrentIndex(i)

    # ------------------------------------------------------------------ showing
    def show_result(self, figures: dict[str, Any], choice=None) -> None:
        inp = self.inputs
        seg, prod = figures["segment"], figures["product"]
        keep, totals = figures["keep"], figures["totals"]
        self.states, self.values = figures["states"], figures["values"]
        self.totals = totals
        self.shown_totals = keep
        self._draw_map(inp.currency)
        self.suggestions = figures["suggestions"]
        self.grid.set_frame(figures["table"])      # prepared in the worker
        what = ", ".join(x for x in (seg, prod) if x) or "all segments and products"
        acct = ""
        if figures["account"]:
            acct = f" of <b>{self._name(figures['account'])}</b>"
        self.clear_account_button.setVisible(bool(figures["account"]))
        self.list_title.setText(
            f"<b>Suggestions</b>{acct} — {len(self.suggestions):,} ({what}), by expected "
            "annual value; double-click opens the account")
        cur = inp.currency
        self.map_title.setText(
            f"<b>Account × product</b> — the {len(keep):,} accounts with the most whitespace "
            f"({what}) of {len(totals):,} with any; total "
            f"<b>{format_money(float(totals['whitespace_arr'].sum()), cur, compact=True)}</b> "
            "a year")
        self.subtitle.setText(f"as of <b>{inp.as_of}</b> · expected value = chance the "
                              "account buys × what its peers typically pay a month × 12")
        self.pages.setCurrentWidget(self.split)
        self._enable(True)
        self.loaded.emit()

    def _name(self, account_id: str) -> str:
        acc = self.inputs.accounts
        hit = acc.loc[acc["account_id"].astype(str) == account_id, "name"]
        return str(hit.iloc[0]) if len(hit) else account_id

    def _draw_map(self, cur: str) -> None:
        states, values = self.states, self.values
        if not len(states):
            self.heatmap.set_message("No account has whitespace for these filters.")
            return
        vmax = float(np.nanmax(values.to_numpy(dtype=float))) if values.notna().any().any() \
            else 0.0
        colours, texts, tips = [], [], []
        names = self.shown_totals.set_index("account_id")
        row_labels = []
        for aid in states.index:
            rec = names.loc[aid]
            row_labels.append(f"{rec['name']}  ({charts.money_text(rec['whitespace_arr'], cur)})")
            rc, rt, rp = [], [], []
            for prod in states.columns:
                st = states.at[aid, prod]
                v = values.at[aid, prod]
                if st == "owned":
                    rc.append(OWNED)
                    rt.append("Owned")
                    rp.append(f"{rec['name']} owns {prod}")
                    continue
                if st == "trial":
                    base, label = TRIAL, "Trial"
                elif st == "pipeline":
                    base, label = PIPELINE, "Pipeline"
                else:
                    base, label = None, ""
                if isinstance(v, float) and math.isfinite(v) and v > 0:
                    t = math.sqrt(v / vmax) if vmax > 0 else 0.0
                    rc.append(base or charts.scale_colour(t, VALUE_LOW, VALUE_HIGH))
                    rt.append(charts.money_text(v, cur))
                    rp.append(f"{rec['name']} · {prod}: {label + ', ' if label else ''}gap "
                              f"worth {charts.money_text(v, cur, 1)} a year (expected). Click "
                              "to see the suggestion and its reason.")
                else:
                    rc.append(base or NO_VALUE)
                    rt.append(label or "—")
                    rp.append(f"{rec['name']} · {prod}: "
                              f"{label.lower() if label else 'gap'}, nothing suggested")
            colours.append(rc)
            texts.append(rt)
            tips.append(rp)
        self.heatmap.set_data(row_labels, list(states.columns), colours, texts, tips)

    def _draw_backtest(self, bt: dict) -> None:
        p = self.backtest_plot
        charts.reset_plot(p)
        ks = [5, 10, 20]
        ours = [bt.get(f"precision_at_{k}") for k in ks]
        base = [bt.get(f"baseline_precision_at_{k}") for k in ks]
        if not bt or all(v is None for v in ours):
            charts.no_data(p, "Not enough history to back-test")
            self.backtest_text.setText("")
            return
        ours_v = np.nan_to_num(np.array(ours, dtype=float))
        base_v = np.nan_to_num(np.array(base, dtype=float))
        x = np.arange(len(ks), dtype=float)
        charts.bars(p, ours_v, "#5e3c99", x=x - 0.19, width=0.36)
        charts.bars(p, base_v, "#9a9a9a", x=x + 0.19, width=0.36)
        charts.set_categories(p, [f"Top {k}" for k in ks])
        hi = max(float(ours_v.max()), float(base_v.max()), 0.05)
        p.getPlotItem().setYRange(0, hi * 1.6, padding=0)     # the legend above the bars
        charts.add_legend(p, [("Our suggestions", "#5e3c99"), ("Most popular product", "#9a9a9a")],
                          columns=2)
        self._bt_hover = charts.HoverTips(p, [
            f"Top {k} per CSM book: {o:.1%} of our suggestions were bought, {b:.1%} of "
            "'the most popular product'"
            for k, o, b in zip(ks, ours_v, base_v)])
        self.backtest_text.setText(
            f"<b>{html.escape(suggestions_bought(bt, 10), quote=False)}</b> That is "
            f"{float(ours_v[1]):.1%} of ours and {float(base_v[1]):.1%} of the most popular. "
            f"Checked by hiding the purchases of {bt.get('cutoff')} to {bt.get('as_of')} and "
            f"suggesting from the data before: in that time {bt.get('purchases', 0):,} of "
            f"the {bt.get('candidates', 0):,} products accounts lacked were bought.")
        self.backtest_text.setToolTip(str(bt.get("definition", "")))

    # ------------------------------------------------------------------ interaction
    def _cell_clicked(self, row: int, col: int) -> None:
        if not 0 <= row < len(self.states):
            return
        self._account = str(self.states.index[row])
        self.refresh()

    def clear_account_filter(self) -> None:
        self._account = None
        self.refresh()

    def _map_row_activated(self, row: int) -> None:
        if 0 <= row < len(self.states):
            self.account_activated.emit(str(self.states.index[row]))

    def _row_activated(self, frame_row: int) -> None:
        if 0 <= frame_row < len(self.suggestions):
            self.account_activated.emit(str(self.suggestions["account_id"].iloc[frame_row]))

    # ------------------------------------------------------------------ export
    def export_to(self, path):
        """The heat map (expected annual value per gap, "owned" where owned), the suggestions
        as shown and the backtest to an xlsx workbook; returns the ExportReport."""
        from ..export.tables import SheetSpec, write_xlsx

        if self.inputs is None or self.inputs.empty:
            raise ValueError("nothing to export: no whitespace loaded")
        inp, cur = self.inputs, self.inputs.currency
        what = ", ".join(x for x in (self.segment_box.currentData(),
                                     self.product_box.currentData()) if x) or "all"
        sub = f"As of {inp.as_of} · {what}"
        prods = list(self.states.columns)
        grid = self.shown_totals[["account_id", "name", "segment", "owner", "owned",
                                  "whitespace_arr"]].copy()
        for j, prod in enumerate(prods):
            st = self.states[prod].to_numpy(dtype=object)
            v = self.values[prod].to_numpy(dtype=float)
            grid[f"p{j}"] = [("owned" if s == "owned" else
                              (round(float(x), 2) if np.isfinite(x) else s))
                             for s, x in zip(st, v)]
        cols = [("name", "Account", "text"), ("segment", "Segment", "text"),
                ("owner", "Owner", "text"), ("owned", "Products owned", "int"),
                ("whitespace_arr", "Whitespace / yr", "currency")] + \
            [(f"p{j}", prod, "text") for j, prod in enumerate(prods)]
        sheets = [sheet_for("Heat map", grid, cols,
                            title="Account × product: expected annual value of each gap",
                            subtitle=sub)]
        frame, specs = self.grid.visible_frame()
        sheets.append(SheetSpec(name="Suggestions", frame=frame, columns=specs,
                                title="Whitespace suggestions", subtitle=sub))
        bt = inp.backtest or {}
        if bt:
            rows = [{"k": k, "ours": bt.get(f"precision_at_{k}"),
                     "baseline": bt.get(f"baseline_precision_at_{k}"),
                     "rules": bt.get(f"rules_precision_at_{k}")} for k in (5, 10, 20)]
            sheets.append(sheet_for("Backtest", pd.DataFrame(rows), [
                ("k", "Top suggestions per CSM book", "int"), ("ours", "Ours", "percent"),
                ("baseline", "Most popular product", "percent"),
                ("rules", "'Bought together' rules", "percent")],
                title="Checked on the past: share of suggestions bought",
                subtitle=suggestions_bought(bt, 10)))
        return write_xlsx(Path(path), sheets, currency=cur)

    def choose_export(self) -> None:
        self._export_dialog = choose_export_path(self, "whitespace.xlsx", self.export_to)


__all__ = ["WhitespaceView"]


def _filter_options(inp) -> tuple[list[str], list[str]]:
    """Worker: the segments and products the filters offer."""
    from ..analytics.portfolio import slicer_options

    if inp.empty:
        return [], []
    segs = slicer_options(inp.accounts)["segment"]
    prods = []
    if inp.matrix is not None and len(inp.matrix):
        prods = sorted(inp.matrix["product"].dropna().unique().tolist(), key=str.casefold)
    return segs, prods


def whitespace_figures(inp, segment: str | None, product: str | None, top: int,
                       sort: str | None, account: str | None, table=None) -> dict[str, Any]:
    """Worker: the heat map's rows (the ``top`` accounts by whitespace, sorted by ``sort``)
    and the suggestions, filtered by segment, product and (for the list) one account;
    ``table`` = (columns, sort state) of the suggestions grid, to prepare its rows here."""
    from ..analytics import portfolio as P
    from .table_model import prepare_frame

    states, values, totals = P.whitespace_grid(inp, segment=segment, product=product,
                                               top=len(inp.accounts))
    keep = totals.head(top)
    if sort == "name":
        keep = keep.sort_values("name", key=lambda s: s.astype(str).str.casefold(),
                                kind="stable")
    elif sort == "owned":
        keep = keep.sort_values(["owned", "whitespace_arr"], ascending=[True, False],
                                kind="stable")
    ids = keep["account_id"].to_numpy(dtype=object)
    s = inp.suggestions if inp.suggestions is not None else pd.DataFrame()
    if len(s):
        s = s.assign(expected_arr=s["expected_mrr"] * 12.0)
        if segment:
            s = s.loc[s["segment"].astype(str) == segment]
        if product:
            s = s.loc[s["product"] == product]
        if account:
            s = s.loc[s["account_id"].astype(str) == account]
    s = s.reset_index(drop=True)
    out = {"segment": segment, "product": product, "account": account,
           "states": states.reindex(ids), "values": values.reindex(ids), "totals": totals,
           "keep": keep.reset_index(drop=True), "suggestions": s, "table": s}
    if table is not None:
        columns, sort_state = table
        rows = s if len(s) else pd.DataFrame(columns=[c.key for c in columns] + ["account_id"])
        out["table"] = prepare_frame(columns, rows, sort_state)
    return out
