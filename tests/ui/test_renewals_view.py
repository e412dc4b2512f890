"""The Renewals view on a real demo workspace: months, the at-risk list and the forecast."""
from __future__ import annotations


import numpy as np
import openpyxl
import pytest
from PySide6.QtCore import Qt

from acctdesk.domain.money import format_money
from acctdesk.ui.renewals_view import RenewalsView

from .conftest import LOAD_MS, loaded_on, shown


@pytest.fixture
def view(qtbot, runner):
    return shown(qtbot, RenewalsView(runner))


@pytest.fixture
def loaded(qtbot, view, demo_path):
    with loaded_on(qtbot, view, demo_path) as pair:
        yield pair


def test_forecast_is_the_sum_of_arr_times_one_minus_risk_over_its_rows(loaded):
    view, ws = loaded
    rows = view.rows
    assert len(rows) > 0
    expected = float((rows["arr"] * (1 - rows["churn_probability"])).sum())
    assert view.forecast["expected_renewed_arr"] == pytest.approx(expected)
    assert view.tiles["expected"].value_label.text() == format_money(expected, "USD",
                                                                     compact=True)
    assert view.tiles["arr"].value_label.text() == format_money(rows["arr"].sum(), "USD",
                                                                compact=True)
    assert "(1 − churn probability" in view.tiles["expected"].toolTip()
    # the churn risk is the workspace's 90-day churn risk, as on every screen; the forecast
    # carries it to each renewal date (never a 90-day probability for a date months away)
    from acctdesk.engine import Engine

    risk = Engine(ws).analysis().risk.frame.set_index("account_id")["churn_probability"]
    p90 = risk.reindex(rows["account_id"]).to_numpy()
    assert np.allclose(rows["horizon_probability"], p90)
    days = rows["days_to_renewal"].to_numpy(dtype=float)
    carried = np.where(days > 90, 1 - (1 - p90) ** (days / 90), p90)
    assert np.allclose(rows["churn_probability"], carried)
    far = days > 200
    assert far.any() and (rows["churn_probability"][far] >= p90[far] - 1e-12).all()
    # the table shows the rows, riskiest ARR first
    m = view.grid.model
    assert m.rowCount() == len(rows)
    col = m.column_index("arr_at_risk")
    shown = [m.value(r, col) for r in range(5)]
    assert shown == sorted(shown, reverse=True)


def test_months_chart_covers_the_next_twelve_months(loaded):
    view, ws = loaded
    bm = view.by_month
    assert len(bm) == 12 and bm["month"].iloc[0] == "2026-11"
    assert bm["accounts"].sum() == len(view.rows)
    bands = [c for c in bm.columns if c.startswith("arr:")]
    assert np.allclose(bm[bands].sum(axis=1), bm["arr"])
    pi = view.plot.getPlotItem()
    assert "$" in pi.getAxis("left").labelText
    ticks = pi.getAxis("bottom")._tickLevels[0]
    assert [t for _, t in ticks][:2] == ["Nov 26", "Dec 26"]
    assert len(pi.items) < 30


def test_filters_and_the_next_90_days_tile(qtbot, loaded):
    view, ws = loaded
    owner = view.filters["owner"].itemData(1)
    with qtbot.waitSignal(view.loaded):
        view.set_filter("owner", owner)
    assert set(view.rows["owner"]) == {owner}
    assert view.grid.model.rowCount() == len(view.rows)
    with qtbot.waitSignal(view.loaded):
        view.set_filter("owner", None)
    qtbot.mouseClick(view.tiles["soon"], Qt.MouseButton.LeftButton)
    m = view.grid.model
    dates = [m.value(r, m.column_index("renewal_date")) for r in range(m.rowCount())]
    assert dates and max(dates) <= "2027-01-29"
    assert view.tiles["soon"].detail_label.text() == f"{m.rowCount():,} accounts"


def test_a_row_opens_its_account(qtbot, loaded):
    view, _ = loaded
    with qtbot.waitSignal(view.account_activated) as sig:
        view.grid.row_activated.emit(3)
    assert sig.args[0] == view.rows["account_id"].iloc[3]


def test_export(loaded, tmp_path):
    view, _ = loaded
    view.export_to(tmp_path / "renewals.xlsx")
    book = openpyxl.load_workbook(tmp_path / "renewals.xlsx", read_only=True)
    assert book.sheetnames == ["Forecast", "By month", "Renewals"]
    values = [r for r in book["Forecast"].iter_rows(values_only=True) if r and r[0]
              and str(r[0]).startswith("Expected renewed")]
    assert values[0][1] == pytest.approx(view.forecast["expected_renewed_arr"])


def test_empty_workspace(qtbot, view, workspace):
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.set_workspace(workspace)
    assert view.pages.currentWidget() is view.empty
    assert "renewal or contract end date" in view.empty.text()
    view.set_workspace(None)
    assert "No workspace open" in view.empty.text()
