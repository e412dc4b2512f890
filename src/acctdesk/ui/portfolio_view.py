"""The Portfolio view: KPI tiles with their definitions and the rows behind them, the
portfolio's charts, and slicers by owner, segment, industry and region.

Everything heavy (reading the workspace, health, churn risk, whitespace, MRR history) runs in
the task runner: ``portfolio:load`` when a workspace is set, ``portfolio:slice`` when a
slicer changes (reusing the loaded inputs). Figures come from
:mod:`acctdesk.analytics.portfolio`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout,
    QWidget,
)

from ..domain.colours import RED
from . import charts
from .table_view import DataTableView
from .analysis_view import (
    AnalysisView, choose_export_path, make_grid, sheet_for, table_columns,
)
from .tasks import TaskRunner

SLICER_TITLES = {"owner": "All owners", "segment": "All segments",
                 "industry": "All industries", "region": "All regions"}
EMPTY_TEXT = ("<h3>No portfolio to show yet</h3>The portfolio needs your accounts (CRM or your "
              "own spreadsheet) and what they pay (billing subscriptions). Import them to see "
              "your ARR, retention, health bands, ARR at risk, whitespace and renewals here "
              "(File › Import, or drop the files on this window).")
NO_WORKSPACE_TEXT = ("<h3>No workspace open</h3>Open a workspace (or the demo) to see your "
                     "portfolio.")


# ====================================================================== the view
class PortfolioView(AnalysisView):
    """KPI tiles, charts and slicers over the whole book (see the module docstring).

    Signals: ``loaded`` (figures shown), ``account_activated(account_id)`` (a drill-down row
    opened), ``drilldown(title, frame)`` (a tile was clicked; the frame holds its rows).
    """

    drilldown = Signal(str, object)

    LOAD_KIND = "portfolio:load"
    REFRESH_KIND = "portfolio:slice"
    LOAD_TITLE = "Loading the portfolio"
    REFRESH_TITLE = "Updating the portfolio"
    PARTS = ("health", "risk", "whitespace")
    NO_WORKSPACE_TEXT = NO_WORKSPACE_TEXT
    EMPTY_TEXT = EMPTY_TEXT

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(runner, parent)
        self.result: dict[str, Any] | None = None
        self.kpis: dict[str, Any] = {}
        self.current_drill: str | None = None
        self._drill_grids: dict[tuple, DataTableView] = {}
        self._hover: list[charts.HoverTips] = []
        self._export_dialog = None

        bar = self._build_bar()
        tiles_box = self._build_tiles()
        charts_page = self._build_charts_page()
        drill_page = self._build_drill_page()

        self.lower = QStackedWidget()
        self.lower.addWidget(charts_page)
        self.lower.addWidget(drill_page)

        content = QWidget()
        c = QVBoxLayout(content)
        c.setContentsMargins(0, 0, 0, 0)
        c.setSpacing(8)
        c.addWidget(tiles_box)
        c.addWidget(self.lower, 1)
        self.content = content

        self.empty, self.pages = charts.empty_state_pages(NO_WORKSPACE_TEXT, content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)
        layout.addLayout(head)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        self._enable(False)

    def _build_bar(self):
        """Title, slicers, status and export."""
        self.title = QLabel("<b>Portfolio</b>")
        self.title.setObjectName("viewTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("viewSummary")
        self.subtitle.setWordWrap(True)
        self.slicers: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        bar.setSpacing(6)
        for key, title in SLICER_TITLES.items():
            box = QComboBox()
            box.setObjectName(f"slicer_{key}")
            box.addItem(title, None)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumWidth(130)
            box.setToolTip(f"Show only the accounts of one {key}")
            box.currentIndexChanged.connect(self._slicer_changed)
            self.slicers[key] = box
            bar.addWidget(box)
        self.clear_slicers_button = QPushButton("Clear")
        self.clear_slicers_button.setToolTip("Show the whole portfolio")
        self.clear_slicers_button.clicked.connect(self.clear_slicers)
        bar.addWidget(self.clear_slicers_button)
        bar.addStretch(1)
        self.status = QLabel("")
        self.status.setObjectName("viewStatus")
        bar.addWidget(self.status)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the figures, chart data and the rows shown to Excel")
        self.export_button.clicked.connect(self.choose_export)
        bar.addWidget(self.export_button)
        return bar

    def _build_tiles(self):
        """The figure tiles; a click opens their rows."""
        self.tiles: dict[str, charts.KpiTile] = {}
        tiles_box = QWidget()
        tiles_grid = QGridLayout(tiles_box)
        tiles_grid.setContentsMargins(0, 0, 0, 0)
        tiles_grid.setSpacing(8)
        titles = [("arr", "ARR"), ("nrr", "NRR"), ("grr", "GRR"), ("logo_churn", "Logo churn"),
                  ("renewals_90d", "Renewals, next 90 days"), ("green", "Green accounts"),
                  ("yellow", "Yellow accounts"), ("red", "Red accounts"),
                  ("arr_at_risk", "ARR at risk"), ("whitespace", "Whitespace value"),
                  ("pipeline", "Open pipeline")]
        for i, (key, title) in enumerate(titles):
            tile = charts.KpiTile(key, title)
            tile.clicked.connect(self.show_drilldown)
            self.tiles[key] = tile
            tiles_grid.addWidget(tile, i // 6, i % 6)
        self.tiles_box = tiles_box
        return tiles_box

    def _build_charts_page(self):
        """Health distribution, ARR by band, retention trend, MRR movements, cohorts."""
        self.health_plot = charts.make_plot("Health distribution", left="Accounts",
                                            bottom="Health score (0-100)", left_axis="count")
        self.band_plot = charts.make_plot("ARR by health band", left="ARR ($ per year)",
                                          bottom="Health band (accounts)", left_axis="money")
        self.movements_plot = charts.make_plot(
            "MRR movements by month", left="MRR change ($ per month)", bottom="Month",
            left_axis="money")
        self.trend_plot = charts.make_plot(
            "NRR and GRR, trailing 12 months", left="Retention (%)",
            bottom="Month (end of the 12-month window)", left_axis="percent")
        self.cohort_title = QLabel("<b>Cohort retention</b> — net revenue retention by sign-up "
                                   "quarter (accounts), MRR ÷ MRR in the first paid month")
        self.cohort_title.setWordWrap(True)
        self.cohort_map = charts.HeatMapWidget(label_width=96, min_cell_width=40,
                                               header_height=30, cell_height=26)
        self.cohort_map.setObjectName("cohortHeatMap")
        cohort_box = QWidget()
        cl = QVBoxLayout(cohort_box)
        cl.setContentsMargins(6, 6, 6, 6)
        cl.addWidget(self.cohort_title)
        cl.addWidget(self.cohort_map, 1)
        cohort_box.setStyleSheet("background: white;")
        charts_page = QWidget()
        g = QGridLayout(charts_page)
        g.setContentsMargins(0, 0, 0, 0)
        g.setSpacing(8)
        g.addWidget(self.health_plot, 0, 0)
        g.addWidget(self.band_plot, 0, 1)
        g.addWidget(self.trend_plot, 0, 2)
        g.addWidget(self.movements_plot, 1, 0, 1, 2)
        g.addWidget(cohort_box, 1, 2)
        for c in range(3):
            g.setColumnStretch(c, 1)
        self.charts_page = charts_page
        return charts_page

    def _build_drill_page(self):
        """The rows behind a tile."""
        self.drill_title = QLabel("")
        self.drill_title.setWordWrap(True)
        self.back_button = QPushButton("← Back to charts")
        self.back_button.clicked.connect(self.show_charts)
        drill_page = QWidget()
        dl = QVBoxLayout(drill_page)
        dl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.drill_title, 1)
        top.addWidget(self.back_button)
        dl.addLayout(top)
        self.drill_stack = QStackedWidget()
        dl.addWidget(self.drill_stack, 1)
        self.drill_page = drill_page
        return drill_page

    # ------------------------------------------------------------------ the analysis
    def choice(self) -> dict[str, str]:
        return self.filters()

    def compute(self, inputs, choice):
        from ..analytics import portfolio as P

        return P.compute_portfolio(inputs, choice)

    def options(self, inputs):
        from ..analytics import portfolio as P

        return P.slicer_options(inputs.accounts)

    def fill_options(self, options) -> None:
        self._fill_slicers(options or {})

    def clear(self) -> None:
        self.result = None
        self.show_charts()

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _enable(self, on: bool) -> None:
        for box in self.slicers.values():
            box.setEnabled(on)
        self.clear_slicers_button.setEnabled(on)
        self.export_button.setEnabled(on)

    def _fill_slicers(self, options: dict[str, list[str]]) -> None:
        for key, box in self.slicers.items():
            box.blockSignals(True)
            box.clear()
            box.addItem(SLICER_TITLES[key], None)
            for v in options.get(key, []):
                box.addItem(v, v)
            box.setCurrentIndex(0)
            box.blockSignals(False)

    # ------------------------------------------------------------------ slicers
    def filters(self) -> dict[str, str]:
        """The slicers' current values ({attribute: value}, unset ones left out)."""
        return {k: box.currentData() for k, box in self.slicers.items()
                if box.currentData() is not None}

    def set_slicer(self, key: str, value: str | None) -> None:
        """Pick ``value`` in slicer ``key`` (None: all); recomputes like a user's pick."""
        box = self.slicers[key]
        i = box.findData(value) if value is not None else 0
        if i < 0:
            raise ValueError(f"{value!r} is not a {key} of this workspace")
        box.setCurrentIndex(i)

    def clear_slicers(self) -> None:
        changed = False
        for box in self.slicers.values():
            if box.currentIndex() != 0:
                box.blockSignals(True)
                box.setCurrentIndex(0)
                box.blockSignals(False)
                changed = True
        if changed:
            self._slicer_changed()

    def _slicer_changed(self, *_: Any) -> None:
        self.refresh()

    # ------------------------------------------------------------------ showing
    def show_result(self, result: dict[str, Any], filters: dict[str, str]) -> None:
        inp = self.inputs
        self.result = result
        self.shown_filters = dict(filters)
        self.kpis = {k.key: k for k in result["kpis"]}
        cur = inp.currency
        for key, tile in self.tiles.items():
            k = self.kpis.get(key)
            if k is None:
                tile.set_value("—", "no CRM deals imported" if key == "pipeline" else "", "")
                continue
            tile.title_label.setText(k.title)
            tile.set_value(k.text(cur), k.detail, k.definition)
            tile.set_accent(k.colour or (RED if key == "arr_at_risk" else None),
                            selected=key == self.current_drill)
        sliced = ", ".join(filters.values())
        self.subtitle.setText(
            f"as of <b>{inp.as_of}</b> · {'<b>' + sliced + '</b>' if sliced else 'all accounts'}"
            f" · {inp.risk_label}")
        self.subtitle.setToolTip(inp.risk_label)
        self._draw_charts(result["charts"], cur)
        self.pages.setCurrentWidget(self.content)
        self._enable(True)
        self.status.setText("")
        if self.current_drill is not None and self.current_drill in self.kpis:
            self.show_drilldown(self.current_drill, emit=False)
        self.loaded.emit()

    def _draw_charts(self, ch: dict[str, Any], currency: str) -> None:
        self._hover = []
        self._draw_health(ch["health_hist"])
        self._draw_bands(ch["arr_by_band"], currency)
        self._draw_movements(ch["movements"], currency)
        self._draw_trend(ch["trend"])
        self._draw_cohorts(ch["cohorts"], ch.get("cohort_sizes"))

    def _draw_health(self, h: pd.DataFrame) -> None:
        """Accounts per health-score bin, coloured by band."""
        p = self.health_plot
        charts.reset_plot(p)
        if h["accounts"].sum() > 0:
            charts.bars(p, h["accounts"], list(h["colour"]), width=0.85)
            labels = [f"{int(a)} to {'below ' if b < 100 else ''}{int(b)}"
                      for a, b in zip(h["bin_lo"], h["bin_hi"])]
            charts.set_edges(p, list(h["bin_lo"]) + [float(h["bin_hi"].iloc[-1])])
            self._hover.append(charts.HoverTips(p, [
                f"Health {lab} ({band}): {int(n):,} accounts"
                for lab, band, n in zip(labels, h["band"], h["accounts"])]))
        else:
            charts.no_data(p, "No health scores for these accounts")

    def _draw_bands(self, b: pd.DataFrame, currency: str) -> None:
        """ARR per health band."""
        p = self.band_plot
        charts.reset_plot(p)
        if len(b) and b["accounts"].sum() > 0:
            charts.bars(p, b["arr"], list(b["colour"]), width=0.6)
            charts.set_categories(p, [f"{lab} ({n:,})" for lab, n in
                                      zip(b["band"], b["accounts"])])
            p.getPlotItem().setYRange(0, float(b["arr"].max()) * 1.1 or 1)
            self._hover.append(charts.HoverTips(p, [
                f"{lab}: {charts.money_text(a, currency, 2)} ARR, {n:,} accounts"
                for lab, a, n in zip(b["band"], b["arr"], b["accounts"])]))
        else:
            charts.no_data(p, "No active accounts")

    def _draw_movements(self, mv: pd.DataFrame, currency: str) -> None:
        """MRR movements by month, gains above the axis and losses below."""
        p = self.movements_plot
        charts.reset_plot(p)
        if len(mv):
            C = charts.MOVEMENT_COLOURS
            charts.stacked_bars(
                p,
                [("New", mv["new"], C["new"]), ("Expansion", mv["expansion"], C["expansion"]),
                 ("Reactivation", mv["reactivation"], C["reactivation"])],
                [("Contraction", mv["contraction"], C["contraction"]),
                 ("Churn", mv["churn"], C["churn"])],
                mv["net_change"])
            charts.set_categories(p, [charts.month_label(m) for m in mv["month"]])
            self._hover.append(charts.HoverTips(p, [
                f"{charts.month_label(r.month)}: new {charts.money_text(r.new, currency)}, "
                f"expansion {charts.money_text(r.expansion, currency)}, reactivation "
                f"{charts.money_text(r.reactivation, currency)}, contraction "
                f"-{charts.money_text(r.contraction, currency)}, churn "
                f"-{charts.money_text(r.churn, currency)}; net "
                f"{charts.money_text(r.net_change, currency)}; MRR at month end "
                f"{charts.money_text(r.end_mrr, currency)}"
                for r in mv.itertuples()]))
        else:
            charts.no_data(p, "No subscription history")

    def _draw_trend(self, tr: pd.DataFrame) -> None:
        """Trailing-12-month NRR and GRR."""
        p = self.trend_plot
        charts.reset_plot(p)
        if len(tr) and tr[["nrr", "grr"]].notna().any().any():
            p.addItem(charts.pg.InfiniteLine(1.0, angle=0,
                                             pen=charts.pg.mkPen("#999", style=Qt.PenStyle.DashLine)))
            charts.lines(p, [("NRR", tr["nrr"], "#1f5fa8"), ("GRR", tr["grr"], "#e07b00")])
            charts.set_categories(p, [charts.month_label(m) for m in tr["end_month"]],
                                  every=2 if len(tr) > 6 else 1)
            lo = float(np.nanmin(tr[["nrr", "grr"]].to_numpy(dtype=float)))
            hi = float(np.nanmax(tr[["nrr", "grr"]].to_numpy(dtype=float)))
            p.getPlotItem().setYRange(min(lo, 1.0) - 0.05, max(hi, 1.0) + 0.05)
            self._hover.append(charts.HoverTips(p, [
                f"12 months to {charts.month_label(r.end_month)}: NRR {r.nrr:.1%}, "
                f"GRR {r.grr:.1%}" for r in tr.itertuples()]))
        else:
            charts.no_data(p, "Needs 13 months of MRR history")

    def _draw_cohorts(self, m: pd.DataFrame, sizes) -> None:
        """Net revenue retention by sign-up quarter and age."""
        if len(m):
            n_acc = [int(sizes.get(c, 0)) if sizes is not None else 0 for c in m.index]
            rows = [f"{c} ({n})" for c, n in zip(m.index, n_acc)]
            cols = ["Start" if a == 0 else f"+{a}q" for a in m.columns]
            vals = m.to_numpy(dtype=float)
            colours = [[charts.diverging_colour(v) if np.isfinite(v) else None for v in r]
                       for r in vals]
            texts = [[f"{v:.0%}" if np.isfinite(v) else "" for v in r] for r in vals]
            tips = [[(f"Cohort {c} ({n} accounts), {a} quarter(s) after sign-up: {v:.1%} of "
                      "its first-month MRR" if np.isfinite(v) else f"Cohort {c}: not reached "
                      "yet") for a, v in zip(m.columns, r)]
                    for c, n, r in zip(m.index, n_acc, vals)]
            self.cohort_map.set_data(rows, cols, colours, texts, tips)
        else:
            self.cohort_map.set_message("No cohorts: no subscription history")

    # ------------------------------------------------------------------ drill-down
    def _grid_for(self, cols: list[tuple[str, str, str]]) -> DataTableView:
        key = tuple(c[0] for c in cols)
        grid = self._drill_grids.get(key)
        if grid is None:
            cur = self.inputs.currency if self.inputs is not None else "USD"
            grid = make_grid(table_columns(cols), f"portfolio_drill_{len(self._drill_grids)}",
                             self, noun="rows", empty="No rows behind this figure.",
                             currency=cur,
                             band_colours=self.inputs.band_colours if self.inputs else None)
            grid.row_activated.connect(lambda r, g=grid: self._drill_activated(g, r))
            self._drill_grids[key] = grid
            self.drill_stack.addWidget(grid)
        return grid

    def show_drilldown(self, key: str, emit: bool = True) -> None:
        """Show the rows behind tile ``key`` below the tiles (and emit ``drilldown``)."""
        k = self.kpis.get(key)
        if k is None:
            return
        self.current_drill = key
        grid = self._grid_for(k.columns)
        frame = k.rows.reset_index(drop=True)
        for c, _, kind in k.columns:
            if c not in frame.columns:
                frame[c] = np.nan if kind in ("currency", "percent", "int", "number") else None
        if "account_id" not in frame.columns:
            frame["account_id"] = None
        grid.set_frame(frame)
        grid._frame = frame
        self.drill_stack.setCurrentWidget(grid)
        self.drill_title.setText(
            f"<b>{k.title}: {k.text(self.inputs.currency)}</b> — {len(frame):,} rows behind "
            f"it. {k.definition}")
        self.drill_title.setToolTip(k.definition)
        self.lower.setCurrentWidget(self.drill_page)
        for t_key, tile in self.tiles.items():
            kk = self.kpis.get(t_key)
            tile.set_accent((kk.colour if kk else None) or
                            (RED if t_key == "arr_at_risk" else None),
                            selected=t_key == key)
        if emit:
            self.drilldown.emit(k.title, frame)

    def drill_grid(self) -> DataTableView | None:
        """The table showing the current drill-down, if any."""
        if self.lower.currentWidget() is not self.drill_page:
            return None
        w = self.drill_stack.currentWidget()
        return w if isinstance(w, DataTableView) else None

    def show_charts(self) -> None:
        self.current_drill = None
        self.lower.setCurrentWidget(self.charts_page)
        for t_key, tile in self.tiles.items():
            kk = self.kpis.get(t_key)
            tile.set_accent((kk.colour if kk else None) or
                            (RED if t_key == "arr_at_risk" else None))

    def _drill_activated(self, grid: DataTableView, frame_row: int) -> None:
        frame = getattr(grid, "_frame", None)
        if frame is None or "account_id" not in frame:
            return
        acc = frame["account_id"].iloc[frame_row]
        if isinstance(acc, str) and acc:
            self.account_activated.emit(acc)

    # ------------------------------------------------------------------ export
    def export_to(self, path) -> Any:
        """Write what the view shows to an xlsx workbook: the KPI tiles, the chart data and
        the drill-down rows on screen (if any). Returns the ExportReport."""
        from ..export.tables import write_xlsx

        if self.result is None or self.inputs is None:
            raise ValueError("nothing to export: the portfolio has not loaded")
        inp, cur = self.inputs, self.inputs.currency
        sliced = ", ".join(getattr(self, "shown_filters", {}).values()) or "all accounts"
        sub = f"As of {inp.as_of} · {sliced}"
        kp = pd.DataFrame([{"title": k.title, "value": k.value, "shown": k.text(cur),
                            "detail": k.detail, "definition": k.definition}
                           for k in self.result["kpis"]])
        sheets = [sheet_for("KPIs", kp, [("title", "Figure", "text"),
                                         ("value", "Value", "number"),
                                         ("shown", "Shown as", "text"),
                                         ("detail", "Detail", "text"),
                                         ("definition", "Definition", "text")],
                            title="Portfolio", subtitle=sub)]
        ch = self.result["charts"]
        sheets.append(sheet_for("Health distribution", ch["health_hist"],
                                [("bin_lo", "Score from", "int"), ("bin_hi", "to below", "int"),
                                 ("band", "Band", "band"), ("accounts", "Accounts", "int")],
                                title="Health distribution", subtitle=sub,
                                band_colours=inp.band_colours))
        sheets.append(sheet_for("ARR by band", ch["arr_by_band"],
                                [("band", "Band", "band"), ("accounts", "Accounts", "int"),
                                 ("arr", "ARR", "currency")], title="ARR by health band",
                                subtitle=sub, band_colours=inp.band_colours))
        sheets.append(sheet_for("MRR movements", ch["movements"], [
            ("month", "Month", "text"), ("new", "New", "currency"),
            ("expansion", "Expansion", "currency"), ("reactivation", "Reactivation", "currency"),
            ("contraction", "Contraction", "currency"), ("churn", "Churn", "currency"),
            ("net_change", "Net change", "currency"), ("end_mrr", "MRR at month end",
                                                       "currency")],
            title="MRR movements by month (per month)", subtitle=sub))
        sheets.append(sheet_for("Retention trend", ch["trend"], [
            ("end_month", "12 months to", "text"), ("nrr", "NRR", "percent"),
            ("grr", "GRR", "percent")], title="Trailing 12-month NRR and GRR (standard)",
            subtitle=sub))
        m = ch["cohorts"]
        if len(m):
            cm = m.copy()
            cm.columns = [f"q{a}" for a in m.columns]
            cm = cm.reset_index()
            sheets.append(sheet_for("Cohorts", cm, [("cohort", "Cohort", "text")] + [
                (f"q{a}", "Start" if a == 0 else f"+{a} quarters", "percent")
                for a in m.columns], title="Net revenue retention by sign-up quarter",
                subtitle=sub))
        grid = self.drill_grid()
        if grid is not None and self.current_drill in self.kpis:
            from ..export.tables import SheetSpec

            frame, specs = grid.visible_frame()
            k = self.kpis[self.current_drill]
            sheets.append(SheetSpec(name=k.title[:31], frame=frame, columns=specs,
                                    title=f"{k.title}: {k.text(cur)}", subtitle=sub))
        return write_xlsx(Path(path), sheets, currency=cur)

    def choose_export(self) -> None:
        self._export_dialog = choose_export_path(self, "portfolio.xlsx", self.export_to)


__all__ = ["PortfolioView"]

