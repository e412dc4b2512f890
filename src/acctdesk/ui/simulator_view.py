"""The Simulator and capacity view.

Top: the compounding book-of-business simulator (:mod:`acctdesk.analytics.simulator`):
accounts, ACV, upsell and churn per period, the period and the horizon give the total revenue
and a chart of revenue per year, next to the same model seeded with the rates measured on the
workspace (MRR movements over the last 12 months).

Bottom: the CSM capacity calculator (:mod:`acctdesk.analytics.capacity`): meetings per account
per year and their hours, working hours and productivity give the accounts one CSM can serve,
compared with each owner's current book (utilisation coloured: within / near / over capacity).

The simulator itself is arithmetic on at most a few hundred periods and runs on the UI thread;
reading the workspace (rates, accounts) and the per-owner capacity run in the task runner.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
    QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QSplitter,
    QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ..domain.colours import GREEN, RED, YELLOW
from ..domain.money import affixes, format_money, money_formatter
from ..domain.numbers import percent
from .table_model import Column, FrameTableModel, band_tint
from .tasks import TaskRunner, TaskState

#: the same colours as the health bands (Red / Yellow / Green) everywhere in acctdesk.
STATUS_COLOURS = {"over capacity": RED, "near capacity": YELLOW, "within capacity": GREEN}
INPUTS_COLOUR = "#3b7dd8"
MEASURED_COLOUR = "#8e6cc4"
CAPACITY_DELAY_MS = 200
CAPACITY_COLUMNS = [
    Column("owner", "Owner", tooltip="The CSM who owns the accounts", width=170),
    Column("accounts", "Accounts", "int", tooltip="Active accounts in the owner's book"),
    Column("arr", "ARR", "currency", tooltip="ARR of those accounts"),
    Column("hours_needed", "Hours needed", "int",
           tooltip="Hours a year the book needs: accounts x hours per account"),
    Column("capacity_accounts", "Capacity", "int",
           tooltip="Accounts one CSM can serve: productive hours / hours per account"),
    Column("utilisation", "Utilisation", "percent",
           tooltip="Hours needed / productive hours of one CSM"),
    Column("headroom_accounts", "Headroom", "int",
           tooltip="Accounts the owner could still take (negative: over capacity)"),
    Column("status", "Status", "band"),
]




def yearly(sim) -> "Any":
    """Revenue per year of a :class:`~acctdesk.analytics.simulator.Simulation`."""
    return sim.table.groupby("year")["revenue"].sum()


class UtilisationTableModel(FrameTableModel):
    """The owners' table: the utilisation cell takes the colour of the owner's status."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.BackgroundRole and \
                self.columns[index.column()].key == "utilisation":
            status = self._values[self.column_index("status")][self._order[index.row()]]
            colour = STATUS_COLOURS.get(str(status).lower())
            return band_tint(colour) if colour else None
        return super().data(index, role)


def _load(ws, state: TaskState) -> dict[str, Any]:
    """Worker: measured rates (monthly and annual) and the active accounts of the workspace
    (the engine's)."""
    from ..domain.accounts import active_mask
    from ..engine import Engine

    state.progress(0.1, "Measuring the book's upsell and churn…")
    a = Engine(ws).analysis()
    rates, problem = {}, None
    for period in ("month", "year"):
        try:
            rates[period] = a.rates(period=period)
        except ValueError as exc:
            problem = str(exc)
            break
        state.check()
    state.progress(0.6, "Reading the accounts…")
    accounts = a.data.accounts
    if a.as_of and len(accounts):
        accounts = accounts[active_mask(accounts, a.as_of).to_numpy()]
    keep = [c for c in ("account_id", "owner", "arr", "segment") if c in accounts]
    return {"rates": rates, "rates_problem": problem, "accounts": accounts[keep].copy(),
            "as_of": a.as_of, "currency": a.currency}


def _capacity(accounts, model, state: TaskState):
    from ..analytics.capacity import capacity_by_owner

    state.check()
    return capacity_by_owner(accounts, model)


class SimulatorView(QWidget):
    """Book-of-business simulator and CSM capacity. See the module docstring.

    Signals: ``loaded`` (the workspace's measured run and capacity table are shown),
    ``simulated`` (the inputs' run was recomputed), ``capacity_updated`` (the owners' table
    was recomputed).
    """

    loaded = Signal()
    simulated = Signal()
    capacity_updated = Signal()

    KIND_LOAD = "simulator.load"
    KIND_CAPACITY = "simulator.capacity"

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.workspace = None
        self.currency = "USD"
        self._rates: dict = {}
        self._rates_problem: str | None = None
        self._accounts = None
        self._as_of = None
        self._sim = None
        self._measured = None
        self._capacity_frame = None
        self._loaded_pending = False
        self._cap_timer = QTimer(self)
        self._cap_timer.setSingleShot(True)
        self._cap_timer.setInterval(CAPACITY_DELAY_MS)
        self._cap_timer.timeout.connect(self.refresh_capacity)
        self._build()
        self._load_plan("mid_market")
        self.simulate()
        self._show_no_workspace()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        title = QLabel("<b>Simulator and capacity</b>: what a book of accounts is worth over "
                       "time as upsell and churn compound, and how many accounts a CSM can "
                       "serve.")
        title.setWordWrap(True)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self._build_inputs())
        top.addWidget(self._build_measured())
        top.addWidget(self._build_chart())
        top.setSizes([330, 300, 620])

        cap = QGroupBox("CSM capacity")
        cl = QGridLayout(cap)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._build_capacity_inputs())
        split.addWidget(self._build_owner_table())
        split.setSizes([380, 870])     # the owners' table needs its eight columns in view
        cl.addWidget(split, 0, 0)

        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(top)
        outer.addWidget(cap)
        outer.setSizes([420, 420])
        self.export_button = QPushButton("Export to Excel…")
        self.export_button.setToolTip("Write both runs per year and the owners' capacity to "
                                      "an xlsx workbook")
        self.export_button.clicked.connect(self.choose_export)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(head)
        layout.addWidget(outer, 1)

        self.set_inputs(70, 36_000, 0.04, 0.02, "month", 3)

    def _build_inputs(self) -> QGroupBox:
        """The simulator's inputs and the total they give."""
        self.accounts_spin = QSpinBox()
        self.accounts_spin.setObjectName("simAccounts")
        self.accounts_spin.setRange(0, 10_000_000)
        self.accounts_spin.setGroupSeparatorShown(True)
        self.acv_spin = QDoubleSpinBox()
        self.acv_spin.setObjectName("simAcv")
        self.acv_spin.setRange(0, 1e10)
        self.acv_spin.setDecimals(0)
        self.acv_spin.setSingleStep(1000)
        self.acv_spin.setGroupSeparatorShown(True)
        self.upsell_spin = QDoubleSpinBox()
        self.upsell_spin.setObjectName("simUpsell")
        self.churn_spin = QDoubleSpinBox()
        self.churn_spin.setObjectName("simChurn")
        for s in (self.upsell_spin, self.churn_spin):
            s.setRange(0, 100)
            s.setDecimals(2)
            s.setSingleStep(0.25)
            s.setSuffix(" %")
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("simPeriod")
        self.period_combo.addItem("Month", "month")
        self.period_combo.addItem("Year", "year")
        self.years_spin = QSpinBox()
        self.years_spin.setObjectName("simYears")
        self.years_spin.setRange(1, 20)
        self.years_spin.setSuffix(" years")
        form = QFormLayout()
        form.addRow("Accounts in the book", self.accounts_spin)
        form.addRow("Annual contract value", self.acv_spin)
        self.upsell_label = QLabel("Upsell per month")
        self.churn_label = QLabel("Churn per month")
        form.addRow(self.upsell_label, self.upsell_spin)
        form.addRow(self.churn_label, self.churn_spin)
        form.addRow("Compounding period", self.period_combo)
        form.addRow("Horizon", self.years_spin)
        self.upsell_spin.setToolTip("Revenue added by expansion each period, as a share of "
                                    "the book's revenue")
        self.churn_spin.setToolTip("Revenue lost to churn and downgrades each period")
        for w in (self.accounts_spin, self.acv_spin, self.upsell_spin, self.churn_spin,
                  self.years_spin):
            w.valueChanged.connect(lambda *_: self.simulate())
        self.period_combo.currentIndexChanged.connect(lambda *_: self.simulate())
        inputs = QGroupBox("Your inputs")
        il = QVBoxLayout(inputs)
        il.addLayout(form)
        self.total_label = QLabel("")
        self.total_label.setObjectName("simTotal")
        self.total_label.setWordWrap(True)
        self.total_label.setTextFormat(Qt.TextFormat.RichText)
        il.addWidget(self.total_label)
        il.addStretch(1)

        return inputs

    def _build_measured(self) -> QGroupBox:
        """The run on the rates measured in the workspace."""
        measured = QGroupBox("Measured in this workspace")
        ml = QVBoxLayout(measured)
        self.measured_label = QLabel("")
        self.measured_label.setObjectName("simMeasured")
        self.measured_label.setWordWrap(True)
        self.measured_label.setTextFormat(Qt.TextFormat.RichText)
        self.measured_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.use_measured_button = QPushButton("Use these rates as inputs")
        self.use_measured_button.setToolTip("Copy the measured accounts, ACV, upsell and churn "
                                            "into your inputs")
        self.use_measured_button.clicked.connect(self.use_measured)
        ml.addWidget(self.measured_label, 1)
        ml.addWidget(self.use_measured_button)

        return measured

    def _build_chart(self):
        """Revenue per year of both runs."""
        import pyqtgraph as pg

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("simChart")
        self.plot.setBackground(None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Year of the horizon")
        self.plot.setTitle("Revenue per year")
        self.legend = self.plot.addLegend(offset=(10, 5))     # top left, above the bars
        self.legend.setLabelTextColor(self.palette().windowText().color())
        self.plot.setMinimumHeight(240)

        return self.plot

    def _build_capacity_inputs(self) -> QWidget:
        """The meeting plan, working hours and productivity of a CSM."""
        self.plan_combo = QComboBox()
        self.plan_combo.addItem("Mid-market plan (about $36k ACV)", "mid_market")
        self.plan_combo.addItem("Enterprise plan (about $100k ACV)", "enterprise")
        self.plan_combo.setToolTip("Illustrative meeting plans; every number is editable")
        self.plan_combo.activated.connect(lambda i: self._load_plan(self.plan_combo.itemData(i)))
        self.meetings = QTableWidget(0, 4)
        self.meetings.setObjectName("meetingsTable")
        self.meetings.setHorizontalHeaderLabels(
            ["Meeting", "Per year", "Hours", "Prep (h)"])
        for c, tip in enumerate(("Kind of meeting", "How many a year each account needs",
                                 "Length of one meeting in hours",
                                 "Preparation and follow-up of one meeting in hours")):
            self.meetings.horizontalHeaderItem(c).setToolTip(tip)
        hh = self.meetings.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.meetings.verticalHeader().setVisible(False)
        self.meetings.itemChanged.connect(lambda *_: self._capacity_inputs_changed())
        self.hours_spin = QDoubleSpinBox()
        self.hours_spin.setObjectName("workingHours")
        self.hours_spin.setRange(1, 5000)
        self.hours_spin.setDecimals(0)
        self.hours_spin.setSingleStep(40)
        self.hours_spin.setSuffix(" h a year")
        self.hours_spin.setGroupSeparatorShown(True)
        self.productivity_spin = QDoubleSpinBox()
        self.productivity_spin.setObjectName("productivity")
        self.productivity_spin.setRange(1, 100)
        self.productivity_spin.setDecimals(0)
        self.productivity_spin.setSuffix(" %")
        self.productivity_spin.setToolTip("Share of working hours available for account work "
                                          "(typically about 70%)")
        for w in (self.hours_spin, self.productivity_spin):
            w.valueChanged.connect(lambda *_: self._capacity_inputs_changed())
        cform = QFormLayout()
        cform.addRow("Plan", self.plan_combo)
        cform.addRow("Working hours per CSM", self.hours_spin)
        cform.addRow("Productivity", self.productivity_spin)
        self.capacity_label = QLabel("")
        self.capacity_label.setObjectName("capacitySummary")
        self.capacity_label.setWordWrap(True)
        self.capacity_label.setTextFormat(Qt.TextFormat.RichText)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(cform)
        lv.addWidget(self.meetings, 1)
        lv.addWidget(self.capacity_label)

        return left

    def _build_owner_table(self) -> QWidget:
        """Each owner's book against one CSM's capacity."""
        self.owner_model = UtilisationTableModel(CAPACITY_COLUMNS, self)
        self.owner_model.set_band_colours("status", {k.capitalize(): v for k, v in
                                                     STATUS_COLOURS.items()})
        self.owner_table = QTableView()
        self.owner_table.setObjectName("capacityTable")
        self.owner_table.setModel(self.owner_model)
        self.owner_table.verticalHeader().setVisible(False)
        self.owner_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.owner_table.setSortingEnabled(True)
        self.owner_table.sortByColumn(self.owner_model.column_index("utilisation"),
                                      Qt.SortOrder.DescendingOrder)
        self.owner_table.horizontalHeader().setStretchLastSection(True)
        self.owner_table.setAlternatingRowColors(True)
        for i, c in enumerate(CAPACITY_COLUMNS):
            self.owner_table.setColumnWidth(i, c.width or 96)
        self.owner_empty = QLabel("")
        self.owner_empty.setObjectName("emptyState")
        self.owner_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.owner_empty.setWordWrap(True)
        self.owner_caption = QLabel("")
        self.owner_caption.setWordWrap(True)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.owner_caption)
        rv.addWidget(self.owner_table, 1)
        rv.addWidget(self.owner_empty, 1)
        return right

    # ------------------------------------------------------------------ simulator
    def set_inputs(self, accounts: int, acv: float, upsell: float, churn: float,
                   period: str = "month", years: int = 3) -> None:
        """Set every input at once (rates as fractions: 0.04 = 4%) and simulate."""
        widgets = (self.accounts_spin, self.acv_spin, self.upsell_spin, self.churn_spin,
                   self.period_combo, self.years_spin)
        for w in widgets:
            w.blockSignals(True)
        self.accounts_spin.setValue(int(round(accounts)))
        self.acv_spin.setValue(float(acv))
        self.upsell_spin.setValue(100.0 * upsell)
        self.churn_spin.setValue(100.0 * churn)
        self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(period)))
        self.years_spin.setValue(int(years))
        for w in widgets:
            w.blockSignals(False)
        self.simulate()

    def inputs(self) -> dict[str, Any]:
        return {"accounts": self.accounts_spin.value(), "acv": self.acv_spin.value(),
                "upsell": self.upsell_spin.value() / 100.0,
                "churn": self.churn_spin.value() / 100.0,
                "period": self.period_combo.currentData(), "years": self.years_spin.value()}

    def simulate(self) -> None:
        """Recompute the inputs' run (and the measured run for the period and horizon)."""
        from ..analytics.simulator import simulate

        p = self.inputs()
        word = "month" if p["period"] == "month" else "year"
        self.upsell_label.setText(f"Upsell per {word}")
        self.churn_label.setText(f"Churn per {word}")
        prefix, suffix = affixes(self.currency)
        self.acv_spin.setPrefix(prefix)
        self.acv_spin.setSuffix(suffix)
        try:
            self._sim = simulate(p["accounts"], p["acv"], p["upsell"], p["churn"],
                                 p["period"], p["years"])
        except ValueError as exc:
            self._sim = None
            self.total_label.setText(f"<span style='color:#b3261e'>{exc}</span>")
        else:
            s = self._sim
            flat = s.flat_total
            diff = f"{100 * (s.total / flat - 1):+.1f}%" if flat else "—"
            self.total_label.setText(
                f"Total revenue over {p['years']} year{'s' if p['years'] != 1 else ''}:<br>"
                f"<span style='font-size:20pt; font-weight:600'>"
                f"{format_money(s.total, self.currency)}</span><br>"
                f"{format_money(flat, self.currency)} with no upsell or churn ({diff}); "
                f"last year's run rate "
                f"{format_money(s.table['arr_run_rate'].iloc[-1], self.currency)}"
                " ARR.")
            self.total_label.setToolTip(s.formula)
        self._simulate_measured()
        self._draw_chart()
        self.simulated.emit()

    def total(self) -> float | None:
        return None if self._sim is None else self._sim.total

    def _simulate_measured(self) -> None:
        p = self.inputs()
        rates = self._rates.get(p["period"])
        self._measured = None
        if self.workspace is None:
            self.measured_label.setText("Open a workspace to run the same model with the "
                                        "upsell and churn measured on your own subscriptions.")
            self.use_measured_button.setEnabled(False)
            return
        if rates is None:
            why = self._rates_problem or "reading the workspace…"
            self.measured_label.setText(
                f"Rates cannot be measured: {why}. Import subscriptions from your billing "
                "system (Stripe, Chargebee, Recurly) to seed the model with real rates."
                if self._rates_problem else "Measuring the workspace's rates…")
            self.use_measured_button.setEnabled(False)
            return
        try:
            self._measured = rates.simulate(p["years"])
        except ValueError as exc:
            self.measured_label.setText(str(exc))
            return
        m = self._measured
        word = "month" if rates.period == "month" else "year"
        diff = ""
        if m.flat_total:
            diff = (f"<br>{format_money(m.flat_total, self.currency)} with no upsell or churn "
                    f"({100 * (m.total / m.flat_total - 1):+.1f}%)")
        self.measured_label.setText(
            f"{rates.accounts:,} active accounts, ACV {format_money(rates.acv, self.currency)} "
            f"(ARR per account)<br>upsell <b>{percent(rates.upsell, 2)}</b> and churn "
            f"<b>{percent(rates.churn, 2)}</b> per {word}<br><br>Total revenue over {p['years']} "
            f"year{'s' if p['years'] != 1 else ''}:<br><span style='font-size:20pt; "
            f"font-weight:600'>{format_money(m.total, self.currency)}</span>{diff}<br><br>"
            f"<span style='color:palette(placeholder-text)'>Churn includes downgrades. "
            f"Data to {rates.as_of_month}.</span>")
        self.measured_label.setToolTip(rates.method)
        self.use_measured_button.setEnabled(True)

    def measured_total(self) -> float | None:
        return None if self._measured is None else self._measured.total

    def use_measured(self) -> None:
        rates = self._rates.get(self.inputs()["period"])
        if rates is not None:
            self.set_inputs(rates.accounts, round(rates.acv), rates.upsell, rates.churn,
                            rates.period, self.years_spin.value())

    def _draw_chart(self) -> None:
        """Each run on its own scale: revenue per year as a share of the book's starting
        revenue (accounts x ACV a year = 100), with the amounts written on the bars; a
        70-account example and a $50M workspace then stand side by side, both readable."""
        import pyqtgraph as pg

        self.plot.clear()
        self.legend.clear()
        runs = [(s, name, colour) for s, name, colour in (
            (self._sim, "Your inputs", INPUTS_COLOUR),
            (self._measured, "Measured rates", MEASURED_COLOUR))
            if s is not None and float(s.accounts) * float(s.acv) > 0]
        self.chart_values = {}
        if not runs:
            return
        self.plot.setLabel("left", "Revenue per year, % of the starting book")
        width = 0.8 / len(runs)
        years, peak = [], 100.0
        text_colour = self.palette().windowText().color()
        for k, (s, name, colour) in enumerate(runs):
            start = float(s.accounts) * float(s.acv)
            y = yearly(s)
            index = (y / start * 100).to_numpy()
            years = list(y.index)
            peak = max(peak, float(index.max()))
            x = [v - 0.4 + width * (k + 0.5) for v in years]
            short = money_formatter(self.currency, compact=True, digits=1)
            label = f"{name} (starting book {short(start)} a year)"
            self.plot.addItem(pg.BarGraphItem(x=x, height=index.tolist(), width=width * 0.9,
                                              brush=colour, pen=None, name=label))
            for xi, yi, amount in zip(x, index.tolist(), y.tolist()):
                text = pg.TextItem(short(amount), anchor=(0.5, 1.0),
                                   color=text_colour)
                text.setPos(xi, yi)
                self.plot.addItem(text)
            self.chart_values[name] = {"index": index.tolist(), "revenue": y.tolist(),
                                       "start": start}
        start_line = pg.InfiniteLine(pos=100, angle=0, pen=pg.mkPen("#888888", width=1,
                                                                    style=Qt.PenStyle.DashLine))
        self.plot.addItem(start_line)
        self.plot.getAxis("bottom").setTicks([[(v, f"Year {v}") for v in years]])
        self.plot.setXRange(0.4, max(years) + 0.6, padding=0)
        self.plot.setYRange(0, peak * 1.5, padding=0)     # room for the legend above the bars

    # ------------------------------------------------------------------ capacity
    def _load_plan(self, name: str) -> None:
        from ..analytics.capacity import PLANS

        model = PLANS[name]()
        self.plan_combo.setCurrentIndex(max(0, self.plan_combo.findData(name)))
        self.set_capacity_model(model)

    def set_capacity_model(self, model) -> None:
        """Show a :class:`~acctdesk.analytics.capacity.CapacityModel` in the inputs."""
        self.meetings.blockSignals(True)
        self.meetings.setRowCount(len(model.meetings))
        for r, m in enumerate(model.meetings):
            for c, v in enumerate((m.kind, f"{m.per_year:g}", f"{m.hours:g}",
                                   f"{m.prep_hours:g}")):
                item = QTableWidgetItem(v)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                              Qt.AlignmentFlag.AlignVCenter)
                self.meetings.setItem(r, c, item)
        self.meetings.blockSignals(False)
        for w, v in ((self.hours_spin, model.working_hours),
                     (self.productivity_spin, 100 * model.productivity)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self._capacity_inputs_changed()

    def set_meeting(self, row: int, per_year: float | None = None, hours: float | None = None,
                    prep_hours: float | None = None) -> None:
        """Type into the meeting plan (as a user would)."""
        for c, v in ((1, per_year), (2, hours), (3, prep_hours)):
            if v is not None:
                self.meetings.item(row, c).setText(f"{v:g}")

    def capacity_model(self):
        """The :class:`CapacityModel` of the inputs (ValueError says what is wrong)."""
        from ..analytics.capacity import CapacityModel, Meeting

        meetings = []
        for r in range(self.meetings.rowCount()):
            kind = self.meetings.item(r, 0).text().strip() or f"meeting {r + 1}"
            vals = []
            for c in (1, 2, 3):
                text = self.meetings.item(r, c).text().strip().replace(",", ".")
                try:
                    vals.append(float(text or 0))
                except ValueError:
                    raise ValueError(f"{kind}: {text!r} is not a number") from None
            meetings.append(Meeting(kind, *vals))
        return CapacityModel(tuple(meetings), working_hours=self.hours_spin.value(),
                             productivity=self.productivity_spin.value() / 100.0)

    def _capacity_inputs_changed(self) -> None:
        try:
            model = self.capacity_model()
        except ValueError as exc:
            self.capacity_label.setText(f"<span style='color:#b3261e'>{exc}</span>")
            return
        k = model.accounts_per_csm
        text = (f"{model.hours_per_account:,.1f} hours per account a year · "
                f"{model.productive_hours:,.0f} productive hours per CSM<br>"
                f"One CSM can serve <b>{k:,.0f} accounts</b>" if math.isfinite(k) else
                "No meetings planned: capacity is unlimited")
        if self._accounts is not None and len(self._accounts) and math.isfinite(k):
            from ..analytics.capacity import csms_needed

            need = csms_needed(len(self._accounts), model)
            owners = self._accounts["owner"].dropna().nunique() if "owner" in self._accounts \
                else 0
            text += (f"; this book of {len(self._accounts):,} active accounts needs "
                     f"<b>{need:,.1f} CSMs</b> ({owners} owners today).")
        self.capacity_label.setText(text)
        if self._accounts is not None:
            self._cap_timer.start()

    def refresh_capacity(self) -> None:
        """Recompute each owner's utilisation (in the runner)."""
        self._cap_timer.stop()
        if self._accounts is None:
            return
        try:
            model = self.capacity_model()
        except ValueError:
            return
        accounts = self._accounts
        self.runner.start(self.KIND_CAPACITY, "Computing CSM capacity",
                          lambda st: _capacity(accounts, model, st), self._show_capacity)

    def _show_capacity(self, frame) -> None:
        frame = frame.copy()
        frame["status"] = frame["status"].str.capitalize()
        self._capacity_frame = frame
        self.owner_model.set_frame(frame)
        self.owner_table.resizeColumnsToContents()
        has = len(frame) > 0
        self.owner_table.setVisible(has)
        self.owner_empty.setVisible(not has)
        if has:
            over = int((frame["status"] == "Over capacity").sum())
            near = int((frame["status"] == "Near capacity").sum())
            self.owner_caption.setText(
                f"Each owner's book on {self._as_of or 'the data date'} against one CSM's "
                f"capacity: {over} over, {near} near capacity (90% or more).")
        else:
            self.owner_empty.setText("No active accounts yet: import your accounts with their "
                                     "owners to compare each book with a CSM's capacity.")
            self.owner_caption.setText("")
        self.capacity_updated.emit()
        if self._loaded_pending:
            self._loaded_pending = False
            self.loaded.emit()

    def capacity_frame(self):
        return self._capacity_frame

    # ------------------------------------------------------------------ workspace
    def set_workspace(self, ws) -> None:
        """Seed the measured run and the owners' table from ``ws`` (None clears them)."""
        self.runner.cancel(self.KIND_CAPACITY)
        self.workspace = ws
        self._rates, self._rates_problem, self._accounts = {}, None, None
        self._capacity_frame = None
        if ws is None:
            self.runner.cancel(self.KIND_LOAD)
            self._show_no_workspace()
            self.simulate()
            return
        self.owner_model.set_frame(self._empty_frame())
        self.owner_empty.setText("Reading the workspace…")
        self.simulate()
        self._loaded_pending = True
        self.runner.start(self.KIND_LOAD, "Measuring the book", lambda st: _load(ws, st),
                          self._loaded)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._cap_timer.stop()
        self.runner.cancel(self.KIND_CAPACITY)
        self.runner.cancel(self.KIND_LOAD)
        super().closeEvent(event)

    def _empty_frame(self):
        import pandas as pd

        return pd.DataFrame(columns=[c.key for c in CAPACITY_COLUMNS])

    def _show_no_workspace(self) -> None:
        self.owner_model.set_frame(self._empty_frame())
        self.owner_table.hide()
        self.owner_empty.show()
        self.owner_caption.setText("")
        self.owner_empty.setText("Open a workspace to compare each owner's current book with "
                                 "a CSM's capacity.")

    def _loaded(self, result: dict[str, Any]) -> None:
        self._rates = result["rates"]
        self._rates_problem = result["rates_problem"]
        self._accounts = result["accounts"]
        self._as_of = result["as_of"]
        self.currency = result["currency"]
        self.owner_model.currency = self.currency
        self.owner_model._prepare_columns()
        self.simulate()
        self._capacity_inputs_changed()
        self.refresh_capacity()

    # ------------------------------------------------------------------ export
    def export_to(self, path):
        """Write both runs (revenue per year) and the owners' capacity to an xlsx file."""
        import pandas as pd

        from ..export.tables import ColumnSpec, SheetSpec, write_xlsx

        p = self.inputs()
        rows = {"year": [], "inputs": [], "measured": []}
        if self._sim is not None:
            y = yearly(self._sim)
            m = yearly(self._measured) if self._measured is not None else None
            for year, v in y.items():
                rows["year"].append(int(year))
                rows["inputs"].append(float(v))
                rows["measured"].append(float(m.loc[year]) if m is not None else None)
        sim = pd.DataFrame(rows)
        sheets = [SheetSpec(
            "Simulation", sim,
            [ColumnSpec("year", "Year", "int"),
             ColumnSpec("inputs", "Revenue (your inputs)", "currency"),
             ColumnSpec("measured", "Revenue (measured rates)", "currency")],
            title="Book-of-business simulation",
            subtitle=(f"{p['accounts']:,} accounts, ACV {format_money(p['acv'], self.currency)}, "
                      f"upsell {percent(p['upsell'], 2)} and churn {percent(p['churn'], 2)} per "
                      f"{p['period']}, {p['years']} years: total "
                      f"{format_money(self.total() or 0, self.currency)}"))]
        if self._capacity_frame is not None:
            kinds = {"text": "text", "int": "int", "currency": "currency",
                     "percent": "percent", "band": "band"}
            sheets.append(SheetSpec(
                "Capacity", self._capacity_frame[[c.key for c in CAPACITY_COLUMNS]],
                [ColumnSpec(c.key, c.title, kinds.get(c.kind, "text"),
                            band_colours={k.capitalize(): v.lstrip("#") for k, v in
                                          STATUS_COLOURS.items()} if c.kind == "band" else None)
                 for c in CAPACITY_COLUMNS],
                title="CSM capacity", subtitle=self.capacity_label.text().replace("<br>", " ")
                .replace("<b>", "").replace("</b>", "")))
        return write_xlsx(Path(path), sheets, currency=self.currency)

    def ask_save_path(self, title: str, default: str, filters: str) -> str | None:
        """The file dialog (tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(self, title, default, filters)
        return path or None

    def choose_export(self) -> None:
        path = self.ask_save_path("Export simulation", str(Path.home() / "simulation.xlsx"),
                                  "Excel workbook (*.xlsx)")
        if path:
            self.export_to(path)
