"""The Portfolio view on a real demo workspace: tiles, drill-down, slicers, export."""
from __future__ import annotations


import openpyxl
import pytest
from PySide6.QtCore import Qt

from acctdesk.analytics import portfolio as P
from acctdesk.domain.money import format_money
from acctdesk.domain.accounts import active_mask
from acctdesk.ui.portfolio_view import PortfolioView

from .conftest import LOAD_MS, loaded_on, shown


@pytest.fixture
def view(qtbot, runner):
    return shown(qtbot, PortfolioView(runner))


@pytest.fixture
def loaded(qtbot, view, demo_path):
    with loaded_on(qtbot, view, demo_path) as pair:
        yield pair


def test_tiles_show_the_workspace_figures_with_definitions(loaded):
    view, ws = loaded
    summary = ws.summary()
    arr = view.kpis["arr"]
    assert arr.value == pytest.approx(summary["arr_active"])
    assert view.tiles["arr"].value_label.text() == format_money(summary["arr_active"], "USD", compact=True)
    assert f"{summary['active_accounts']:,} active accounts" in \
        view.tiles["arr"].detail_label.text()
    for key, tile in view.tiles.items():
        if key == "pipeline":     # the demo has no CRM deals: the tile says so
            assert "pipeline" not in view.kpis and tile.value_label.text() == "—"
            assert "no CRM deals imported" in tile.detail_label.text()
            continue
        assert tile.value_label.text() not in ("", "—"), key
        assert view.kpis[key].definition in tile.toolTip()
    assert "%" in view.tiles["nrr"].value_label.text()
    # band tiles carry the scorecard's colours
    assert view.kpis["red"].colour == view.inputs.band_colours["Red"]
    assert view.inputs.band_colours["Red"] in view.tiles["red"].styleSheet()
    assert view.pages.currentWidget() is view.content


def test_clicking_a_tile_shows_the_rows_behind_it(qtbot, loaded):
    view, ws = loaded
    with qtbot.waitSignal(view.drilldown) as sig:
        qtbot.mouseClick(view.tiles["red"], Qt.MouseButton.LeftButton)
    title, frame = sig.args
    assert title == "Red accounts"
    assert len(frame) == view.kpis["red"].value > 0
    grid = view.drill_grid()
    assert grid is not None and grid.isVisible()
    assert grid.model.rowCount() == len(frame)
    band_col = grid.model.column_index("band")
    assert {grid.model.index(r, band_col).data() for r in range(grid.model.rowCount())} \
        == {"Red"}
    # a row opens its account
    with qtbot.waitSignal(view.account_activated) as opened:
        grid.row_activated.emit(0)
    assert opened.args[0] == frame["account_id"].iloc[0]
    # keyboard works too, and Back returns to the charts
    view.tiles["arr"].setFocus()
    with qtbot.waitSignal(view.drilldown) as sig:
        qtbot.keyClick(view.tiles["arr"], Qt.Key.Key_Return)
    assert len(sig.args[1]) == ws.summary()["active_accounts"]
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.drill_grid() is None


def test_a_slicer_recomputes_consistently(qtbot, loaded):
    view, ws = loaded
    accounts = ws.accounts()
    active = accounts.loc[active_mask(accounts, ws.data_date())]
    full = view.kpis["arr"].value
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.set_slicer("segment", "SMB")
    smb = active.loc[active["segment"] == "SMB", "arr"].sum()
    assert view.kpis["arr"].value == pytest.approx(smb) and smb < full
    assert view.tiles["arr"].value_label.text() == format_money(smb, "USD", compact=True)
    assert "SMB" in view.subtitle.text()
    bands = sum(view.kpis[b].value for b in ("green", "yellow", "red"))
    assert bands <= (active["segment"] == "SMB").sum()
    # a drill-down follows the slicer
    view.show_drilldown("arr")
    assert set(view.drill_grid()._frame["segment"]) == {"SMB"}
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.clear_slicers()
    assert view.kpis["arr"].value == pytest.approx(full)


def test_charts_are_drawn_from_aggregates(loaded):
    view, _ = loaded
    ch = view.result["charts"]
    assert view.cohort_map.shape() == ch["cohorts"].shape
    assert len(ch["movements"]) == 12
    for plot in (view.health_plot, view.band_plot, view.movements_plot, view.trend_plot):
        pi = plot.getPlotItem()
        assert pi.getAxis("left").labelText and pi.getAxis("bottom").labelText
        assert len(pi.items) < 50          # a few bars and lines, never one per account
    assert "$" in view.band_plot.getPlotItem().getAxis("left").labelText


def test_export_writes_what_the_view_shows(loaded, tmp_path):
    view, _ = loaded
    view.show_drilldown("red")
    report = view.export_to(tmp_path / "portfolio.xlsx")
    book = openpyxl.load_workbook(tmp_path / "portfolio.xlsx", read_only=True)
    assert {"KPIs", "MRR movements", "Retention trend", "Red accounts"} <= \
        set(book.sheetnames)
    assert report.rows > 10
    kpi_rows = [r for r in book["KPIs"].iter_rows(values_only=True) if r and r[0] == "ARR"]
    assert kpi_rows and kpi_rows[0][1] == pytest.approx(view.kpis["arr"].value)


def test_empty_workspace_and_no_workspace(qtbot, view, workspace):
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.set_workspace(workspace)
    assert view.pages.currentWidget() is view.empty
    assert "needs your accounts" in view.empty.text() and "billing subscriptions" in view.empty.text()
    assert not view.export_button.isEnabled()
    view.set_workspace(None)
    assert "No workspace open" in view.empty.text()
