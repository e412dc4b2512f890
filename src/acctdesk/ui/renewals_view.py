"""The Renewals view: what renews in the next 12 months, how much of it is at risk, and the
forecast (expected renewed ARR = sum of ARR x (1 - churn probability)).

The rows and figures come from :func:`acctdesk.analytics.portfolio.renewals` (heavy inputs:
health and churn risk, loaded in the runner as ``renewals:load``); the owner and segment
filters recompute on the loaded inputs (cheap, on the UI thread).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout,
    QWidget,
)

from ..domain.colours import GREEN, RED
from ..domain.money import format_money
from . import charts
from ..domain.dates import add_days
from .analysis_view import (
    AnalysisView, choose_export_path, make_grid, sheet_for, table_columns,
)
from .tasks import TaskRunner

EMPTY_TEXT = ("<h3>No renewals to show yet</h3>Renewals need accounts with a renewal or "
              "contract end date (CRM or your own spreadsheet) and what they pay (billing "
              "subscriptions). Import them to see which contracts renew in the next 12 months, "
              "their ARR, health and churn risk, and the renewal forecast.")
NO_WORKSPACE_TEXT = "<h3>No workspace open</h3>Open a workspace (or the demo) to see renewals."
FILTERS = {"owner": "All owners", "segment": "All segments"}


class RenewalsView(AnalysisView):
    """Renewals by month (bars of ARR split by health band, expected renewed ARR as a line),
    the renewal list sorted by ARR at risk, and the forecast figures.

    Signals: ``loaded`` (figures shown), ``account_activated(account_id)`` (a row opened).
    """

    LOAD_KIND = "renewals:load"
    REFRESH_KIND = "renewals:refresh"
    LOAD_TITLE = "Loading renewals"
    REFRESH_TITLE = "Updating renewals"
    PARTS = ("health", "risk")
    NO_WORKSPACE_TEXT = NO_WORKSPACE_TEXT
    EMPTY_TEXT = EMPTY_TEXT

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(runner, parent)
        from ..analytics.portfolio import RENEWAL_COLUMNS

        self.rows = pd.DataFrame()
        self.by_month = pd.DataFrame()
        self.forecast: dict[str, Any] = {}
        self._export_dialog = None
        self._hover = None

        bar = self._build_bar()
        tiles = self._build_tiles()

        self.plot = charts.make_plot("Renewals by month: ARR by health band",
                                     left="ARR renewing ($ per year)",
                                     bottom="Renewal month", left_axis="money")
        self.plot.setMinimumHeight(260)
        self.grid = make_grid(table_columns(RENEWAL_COLUMNS), "renewals", self,
                              noun="renewals", empty="No renewals in the next 12 months.")
        self.grid.row_activated.connect(self._row_activated)
        self.list_title = QLabel("<b>Renewals at risk</b> — sorted by ARR at risk "
                                 "(ARR × churn probability); double-click opens the account")
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.list_title)
        ll.addWidget(self.grid, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(lower)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addLayout(tiles)
        cl.addWidget(split, 1)
        self.content = content
        self.empty, self.pages = charts.empty_state_pages(NO_WORKSPACE_TEXT, content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)
        layout.addLayout(head)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        self._enable(False)

    def _build_bar(self):
        """Title, the owner and segment filters, export."""
        self.title = QLabel("<b>Renewals</b>")
        self.subtitle = QLabel("")
        self.subtitle.setWordWrap(True)
        self.filters: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        for key, title in FILTERS.items():
            box = QComboBox()
            box.setObjectName(f"filter_{key}")
            box.addItem(title, None)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumWidth(130)
            box.currentIndexChanged.connect(self.refresh)
            self.filters[key] = box
            bar.addWidget(box)
        bar.addStretch(1)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the forecast, the months and the renewal list to "
                                      "Excel")
        self.export_button.clicked.connect(self.choose_export)
        bar.addWidget(self.export_button)
        return bar

    def _build_tiles(self):
        """The forecast tiles."""
        self.tiles = {
            "arr": charts.KpiTile("arr", "ARR renewing, next 12 months"),
            "expected": charts.KpiTile("expected", "Forecast: expected renewed ARR"),
            "at_risk": charts.KpiTile("at_risk", "ARR at risk"),
            "soon": charts.KpiTile("soon", "Renewing in the next 90 days"),
        }
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        for t in self.tiles.values():
            t.clicked.connect(self._tile_clicked)
            tiles.addWidget(t)
        self.tiles["expected"].set_accent(GREEN)
        self.tiles["at_risk"].set_accent(RED)
        return tiles

    # ------------------------------------------------------------------ the analysis
    def choice(self) -> tuple[dict[str, str], tuple]:
        """The filters, and the grid's columns and sort to prepare its rows on the worker."""
        return self.current_filters(), (list(self.grid.model.columns),
                                         self.grid.model.sort_state())

    def compute(self, inputs, choice):
        filters, table = choice
        return renewals_figures(inputs, filters, table)

    def options(self, inputs):
        from ..analytics.portfolio import slicer_options

        return slicer_options(inputs.accounts)

    def fill_options(self, options) -> None:
        self._fill_filters(options)

    def prepare(self, inputs) -> None:
        self.grid.set_band_colours("band", inputs.band_colours)
        self.grid.currency = inputs.currency

    def _enable(self, on: bool) -> None:
        for b in self.filters.values():
            b.setEnabled(on)
        self.export_button.setEnabled(on)

    def _fill_filters(self, opts: dict[str, list[str]] | None) -> None:
        opts = opts or {}
        for key, box in self.filters.items():
            box.blockSignals(True)
            box.clear()
            box.addItem(FILTERS[key], None)
            for v in opts.get(key, []):
                box.addItem(v, v)
            box.blockSignals(False)

    def set_filter(self, key: str, value: str | None) -> None:
        box = self.filters[key]
        i = 0 if value is None else box.findData(value)
        if i < 0:
            raise ValueError(f"{value!r} is not a {key} of this workspace")
        box.setCurrentIndex(i)

    def current_filters(self) -> dict[str, str]:
        return {k: b.currentData() for k, b in self.filters.items()
                if b.currentData() is not None}

    # ------------------------------------------------------------------ showing
    def show_result(self, figures: dict[str, Any], choice=None) -> None:
        from ..analytics import portfolio as P

        inp = self.inputs
        rows, bm, f = figures["rows"], figures["by_month"], figures["forecast"]
        self.rows, self.by_month, self.forecast = rows, bm, f
        cur = inp.currency
        first, last = (bm["month"].iloc[0], bm["month"].iloc[-1]) if len(bm) else ("", "")
        period = f"{charts.month_label(first)} to {charts.month_label(last)}"
        self.tiles["arr"].set_value(
            format_money(f["arr"], cur, compact=True),
            f"{f['accounts']:,} accounts · {period}",
            f"ARR of the active accounts whose renewal date falls after the data date "
            f"({inp.as_of}) and by the end of {charts.month_label(last)}.")
        self.tiles["expected"].set_value(
            format_money(f["expected_renewed_arr"], cur, compact=True),
            f"{f['expected_rate']:.1%} of the ARR renewing" if f["arr"] else "",
            "Expected renewed ARR = sum over the renewals of ARR × (1 − churn probability by "
            "the renewal date): the model's churn risk for a renewal within its horizon, "
            "carried further with a constant hazard, 1 − (1 − p)^(days / horizon), for a "
            "renewal beyond it. "
            + inp.risk_label)
        self.tiles["at_risk"].set_value(
            format_money(f["arr_at_risk"], cur, compact=True),
            f"{figures['high_risk']:,} accounts at 50% risk or more",
            "ARR at risk = sum over the renewals of ARR × churn probability by the renewal "
            "date (the ARR renewing minus the forecast).")
        self.tiles["soon"].set_value(
            format_money(figures["soon_arr"], cur, compact=True),
            f"{figures['soon']:,} accounts",
            f"ARR of the accounts renewing in the {P.RENEWAL_SOON_DAYS} days after the data "
            "date.")
        self.subtitle.setText(f"as of <b>{inp.as_of}</b> · {inp.risk_label}")
        self.subtitle.setToolTip(inp.risk_label)
        self._draw(bm, cur)
        self.grid.set_frame(figures["table"])      # prepared in the worker
        self.pages.setCurrentWidget(self.content)
        self._enable(True)
        self.loaded.emit()

    def _draw(self, bm: pd.DataFrame, cur: str) -> None:
        p = self.plot
        charts.reset_plot(p)
        if not len(bm) or bm["arr"].sum() <= 0:
            charts.no_data(p, "No renewals in the next 12 months")
            return
        bands = [c[4:] for c in bm.columns if c.startswith("arr:")]
        colours = self.inputs.band_colours
        base = np.zeros(len(bm))
        entries = []
        # riskiest band at the bottom so it reads first
        for b in reversed(bands):
            v = bm[f"arr:{b}"].to_numpy(dtype=float)
            colour = charts.band_colour(b, colours)
            charts.bars(p, v, colour, y0=base, width=0.7)
            base = base + v
        for b in bands[::-1]:
            entries.append((f"{b} health", charts.band_colour(b, colours)))
        exp = bm["expected_renewed_arr"].to_numpy(dtype=float)
        p.plot(np.arange(len(bm)), exp, pen=charts.pg.mkPen("#1f5fa8", width=2), symbol="o",
               symbolSize=6, symbolBrush=charts.pg.mkBrush("#1f5fa8"),
               symbolPen=charts.pg.mkPen("#1f5fa8"))
        entries.append(("Expected renewed ARR", "#1f5fa8"))
        charts.add_legend(p, entries, line=("Expected renewed ARR",), columns=len(entries))
        p.getPlotItem().setYRange(0, float(base.max()) * 1.25, padding=0)
        charts.set_categories(p, [charts.month_label(m) for m in bm["month"]])
        tips = []
        for r in bm.to_dict("records"):
            split = ", ".join(f"{b} {charts.money_text(r[f'arr:{b}'], cur)}" for b in bands
                              if r[f"arr:{b}"])
            tips.append(f"{charts.month_label(r['month'])}: {r['accounts']} renewals, "
                        f"{charts.money_text(r['arr'], cur, 2)} ARR ({split or 'none'}); "
                        f"expected renewed {charts.money_text(r['expected_renewed_arr'], cur, 2)}"
                        f", at risk {charts.money_text(r['arr_at_risk'], cur, 2)}")
        self._hover = charts.HoverTips(p, tips)

    # ------------------------------------------------------------------ interaction
    def _tile_clicked(self, key: str) -> None:
        from ..analytics.portfolio import RENEWAL_SOON_DAYS

        if key == "soon" and self.inputs is not None:
            end = add_days(self.inputs.as_of, RENEWAL_SOON_DAYS)
            self.grid.set_filter_text("renewal_date", f"<={end}")
        else:
            self.grid.set_filter_text("renewal_date", "")
        self.grid.apply_filters()

    def _row_activated(self, frame_row: int) -> None:
        if 0 <= frame_row < len(self.rows):
            self.account_activated.emit(str(self.rows["account_id"].iloc[frame_row]))

    # ------------------------------------------------------------------ export
    def export_to(self, path):
        """The forecast, the months and the renewal list as shown (filters and sort) to an
        xlsx workbook; returns the ExportReport."""
        from ..export.tables import SheetSpec, write_xlsx

        if self.inputs is None or self.inputs.empty:
            raise ValueError("nothing to export: no renewals loaded")
        inp, cur = self.inputs, self.inputs.currency
        sub = f"As of {inp.as_of} · " + (", ".join(self.current_filters().values())
                                         or "all accounts") + f" · {inp.risk_label}"
        f = self.forecast
        fc = pd.DataFrame([
            {"figure": "Accounts renewing", "value": f["accounts"]},
            {"figure": "ARR renewing", "value": f["arr"]},
            {"figure": "Expected renewed ARR = sum ARR × (1 − churn probability by the "
                       "renewal)", "value": f["expected_renewed_arr"]},
            {"figure": "ARR at risk = sum ARR × churn probability by the renewal",
             "value": f["arr_at_risk"]},
        ])
        sheets = [sheet_for("Forecast", fc, [("figure", "Figure", "text"),
                                             ("value", "Value", "number")],
                            title="Renewal forecast, next 12 months", subtitle=sub)]
        month_cols = [("month", "Month", "text"), ("accounts", "Renewals", "int"),
                      ("arr", "ARR", "currency"),
                      ("expected_renewed_arr", "Expected renewed", "currency"),
                      ("arr_at_risk", "ARR at risk", "currency")] + \
            [(c, f"ARR, {c[4:]} health", "currency") for c in self.by_month.columns
             if c.startswith("arr:")]
        sheets.append(sheet_for("By month", self.by_month, month_cols,
                                title="Renewals by month", subtitle=sub))
        frame, specs = self.grid.visible_frame()
        sheets.append(SheetSpec(name="Renewals", frame=frame, columns=specs,
                                title="Renewals at risk", subtitle=sub))
        return write_xlsx(Path(path), sheets, currency=cur)

    def choose_export(self) -> None:
        self._export_dialog = choose_export_path(self, "renewals.xlsx", self.export_to)


__all__ = ["RenewalsView"]


def renewals_figures(inp, filters: dict[str, str], table=None) -> dict[str, Any]:
    """Worker: what the view shows for ``filters`` — the renewal rows, the months, the
    forecast and the tiles' counts (pandas over every account: kept off the UI thread), and
    the rows prepared for the grid when ``table`` = (columns, sort state) is given."""
    from ..analytics import portfolio as P
    from .table_model import prepare_frame

    rows, bm = P.renewals(inp, filters)
    soon = P.renewing(rows, inp.as_of, P.RENEWAL_SOON_DAYS) if len(rows) else rows
    return {"rows": rows, "by_month": bm, "forecast": P.renewal_forecast(rows),
            "table": rows if table is None else prepare_frame(table[0], rows, table[1]),
            "high_risk": int((rows["churn_probability"] >= 0.5).sum()) if len(rows) else 0,
            "soon": len(soon),
            "soon_arr": float(soon["arr"].fillna(0).sum()) if len(soon) else 0.0}
