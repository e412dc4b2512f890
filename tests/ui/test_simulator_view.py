"""The Simulator and capacity view on the real demo workspace (offscreen, real widgets)."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from acctdesk.analytics.capacity import capacity_by_owner
from acctdesk.analytics.simulator import simulate_total
from acctdesk.engine import Engine
from acctdesk.models import Workspace
from acctdesk.ui.simulator_view import SimulatorView

from .conftest import open_in, with_own_runner


@pytest.fixture
def view(qtbot):
    with with_own_runner(qtbot, SimulatorView) as v:
        yield v


@pytest.fixture
def ws(demo_file):
    w = Workspace(demo_file)
    yield w
    w.close()


def test_the_papers_example_gives_10_918_817(qtbot, view):
    view.set_inputs(0, 0, 0, 0, "year", 1)
    with qtbot.waitSignal(view.simulated, timeout=5_000):
        view.set_inputs(70, 36000, 0.04, 0.02, "month", 3)
    assert "$10,918,817" in view.total_label.text()
    assert round(view.total()) == 10_918_817
    assert "$7,560,000 with no upsell or churn" in view.total_label.text()


def test_typing_the_inputs_recomputes(qtbot, view):
    view.period_combo.setCurrentIndex(view.period_combo.findData("year"))
    assert view.upsell_label.text() == "Upsell per year"
    assert "$7,712,208" in view.total_label.text()
    view.churn_spin.setValue(4.0)       # upsell == churn: the flat book
    assert "$7,560,000" in view.total_label.text()
    assert round(view.total()) == round(simulate_total(70, 36000, 0.04, 0.04, "year", 3))


def test_without_a_workspace_the_calculator_still_works(view):
    assert view.total() is not None
    assert "Open a workspace" in view.measured_label.text()
    assert not view.use_measured_button.isEnabled()
    assert "Open a workspace" in view.owner_empty.text()


def test_measured_run_side_by_side(qtbot, view, ws):
    open_in(qtbot, view, ws)
    rates = Engine(ws).analysis().rates(period="month")
    assert round(view.measured_total()) == round(rates.simulate(3).total)
    assert f"{rates.accounts:,} active accounts" in view.measured_label.text()
    assert f"{100 * rates.churn:.2f}%" in view.measured_label.text()
    # the chart has both runs, and its axes say what they show
    legend = [label.text for _, label in view.legend.items]
    assert [t.split(" (")[0] for t in legend] == ["Your inputs", "Measured rates"]
    assert "starting book" in legend[1]
    assert "Revenue per year" in view.plot.getAxis("left").labelText
    view.use_measured_button.click()
    assert view.accounts_spin.value() == rates.accounts
    # the inputs hold rates to 0.01 percentage point, so the totals agree to about 0.1%
    assert view.total() == pytest.approx(view.measured_total(), rel=2e-3)


def test_capacity_table_owners_equal_the_workspace_owners(qtbot, view, ws):
    open_in(qtbot, view, ws)
    model = view.owner_model
    col = model.column_index("owner")
    shown = {model.index(r, col).data() for r in range(model.rowCount())}
    expected = capacity_by_owner(ws.accounts(), as_of=ws.data_date())
    assert shown == set(expected["owner"])
    assert shown == set(ws.accounts()["owner"].dropna().unique())
    # money formatted, utilisation coloured like the bands
    arr = model.index(0, model.column_index("arr")).data()
    assert arr.startswith("$") and "," in arr
    util = model.index(0, model.column_index("utilisation"))
    assert util.data().endswith("%")
    assert util.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "70 accounts" in view.capacity_label.text()


def test_changing_the_meeting_plan_updates_utilisation(qtbot, view, ws):
    open_in(qtbot, view, ws)
    before = view.capacity_frame()["utilisation"].max()
    with qtbot.waitSignal(view.capacity_updated, timeout=30_000):
        view.set_meeting(0, per_year=24)          # check-ins twice a month: 30 h/account
    frame = view.capacity_frame()
    assert frame["utilisation"].max() == pytest.approx(before * 30 / 18)
    assert "30.0 hours per account" in view.capacity_label.text()
    with qtbot.waitSignal(view.capacity_updated, timeout=30_000):
        view.productivity_spin.setValue(35)
    assert (view.capacity_frame()["status"] == "Over capacity").any()


def test_export(qtbot, view, ws, tmp_path):
    open_in(qtbot, view, ws)
    path = tmp_path / "sim.xlsx"
    view.ask_save_path = lambda *a: str(path)
    view.export_button.click()
    book = load_workbook(path)
    assert book.sheetnames == ["Simulation", "Capacity"]


def test_clearing_the_workspace(qtbot, view, ws):
    open_in(qtbot, view, ws)
    view.set_workspace(None)
    assert view.measured_total() is None
    assert view.owner_model.rowCount() == 0


def test_each_book_is_drawn_on_its_own_scale(qtbot, view, ws):
    """The 70-account example beside a workspace many times its size: both as a share of
    their own starting book, so neither is a sliver, with the amounts written on the bars."""
    import pyqtgraph as pg

    with qtbot.waitSignal(view.simulated, timeout=5_000):
        view.set_inputs(70, 36000, 0.04, 0.02, "month", 3)
    open_in(qtbot, view, ws)
    ours, measured = view.chart_values["Your inputs"], view.chart_values["Measured rates"]
    assert ours["start"] == 70 * 36000
    assert measured["start"] > 10 * ours["start"]          # a much bigger book
    from acctdesk.ui.simulator_view import yearly

    expected = (yearly(view._sim) / (70 * 36000) * 100).tolist()
    assert ours["index"] == pytest.approx(expected)
    assert sum(ours["revenue"]) == pytest.approx(view.total())
    top = view.plot.getPlotItem().viewRange()[1][1]
    for run in (ours, measured):        # neither book is a sliver next to the other
        assert max(run["index"]) > 0.25 * top
    texts = {item.toPlainText() for item in view.plot.getPlotItem().items
             if isinstance(item, pg.TextItem)}
    assert {"$2.8M", "$3.6M", "$4.5M"} <= texts        # the inputs' years, in money
    assert "starting" in view.plot.getAxis("left").labelText
