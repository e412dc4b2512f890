"""The Whitespace view on a real demo workspace: heat map, suggestions, backtest, export."""
from __future__ import annotations


import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt

from acctdesk.ui.whitespace_view import OWNED, WhitespaceView

from .conftest import LOAD_MS, loaded_on, shown


@pytest.fixture
def view(qtbot, runner):
    return shown(qtbot, WhitespaceView(runner))


@pytest.fixture
def loaded(qtbot, view, demo_path):
    with loaded_on(qtbot, view, demo_path) as pair:
        yield pair


def _products(ws):
    return sorted(ws.subscriptions()["product"].dropna().unique(), key=str.casefold)


def test_heat_map_shape_order_and_colours(loaded):
    view, ws = loaded
    products = _products(ws)
    hm = view.heatmap
    assert hm.shape() == (30, len(products))
    assert hm.col_labels == products
    totals = view.shown_totals["whitespace_arr"].tolist()
    assert totals == sorted(totals, reverse=True)
    for i, aid in enumerate(view.states.index):
        for j, p in enumerate(products):
            if view.states.at[aid, p] == "owned":
                assert hm.colours[i][j] == OWNED and hm.texts[i][j] == "Owned"
    # a gap cell's tooltip gives the value; row labels are whole in their tooltip
    i, j = next((i, j) for i in range(30) for j in range(len(products))
                if hm.texts[i][j].startswith("$"))
    assert "a year" in hm.tooltip_at(hm.cell_rect(i, j).center().toPoint())
    assert hm.tooltip_at(QPoint(10, int(hm.cell_rect(0, 0).center().y()))) == hm.row_labels[0]


def test_top_n_and_sorting(qtbot, loaded):
    view, _ = loaded
    with qtbot.waitSignal(view.loaded):
        view.set_top(20)
    assert view.heatmap.shape()[0] == 20
    with qtbot.waitSignal(view.loaded):
        view.set_sort("name")
    names = view.shown_totals["name"].str.casefold().tolist()
    assert names == sorted(names)


def test_product_and_segment_filters_narrow_map_and_suggestions(qtbot, loaded):
    view, ws = loaded
    all_count = len(view.suggestions)
    product = _products(ws)[0]
    with qtbot.waitSignal(view.loaded):
        view.set_filter("product", product)
    assert 0 < len(view.suggestions) < all_count
    assert set(view.suggestions["product"]) == {product}
    assert view.grid.model.rowCount() == len(view.suggestions)
    assert (view.states[product] != "owned").all()
    with qtbot.waitSignal(view.loaded):
        view.set_filter("segment", "Enterprise")
    assert set(view.suggestions["segment"]) == {"Enterprise"}
    assert set(view.shown_totals["segment"]) == {"Enterprise"}


def test_clicking_a_cell_shows_that_accounts_suggestions(qtbot, loaded):
    view, _ = loaded
    hm = view.heatmap
    with qtbot.waitSignal(view.loaded):
        qtbot.mouseClick(hm, Qt.MouseButton.LeftButton,
                         pos=hm.cell_rect(2, 0).center().toPoint())
    aid = view.states.index[2]
    assert set(view.suggestions["account_id"]) == {aid}
    assert view.clear_account_button.isVisible()
    reasons = view.suggestions["reason"]
    assert reasons.str.len().min() > 10          # every suggestion says why
    with qtbot.waitSignal(view.account_activated) as sig:
        view.grid.row_activated.emit(0)
    assert sig.args[0] == aid
    with qtbot.waitSignal(view.loaded):
        qtbot.mouseClick(view.clear_account_button, Qt.MouseButton.LeftButton)
    assert view.suggestions["account_id"].nunique() > 1


def test_backtest_figures_are_shown(loaded):
    view, _ = loaded
    bt = view.inputs.backtest
    assert f"{bt['purchases']:,}" in view.backtest_text.text()
    assert f"{bt['precision_at_10']:.1%}" in view.backtest_text.text()
    from acctdesk.analytics.plain import suggestions_bought

    made = 10 * bt["account_sets"]      # the same figures, in words
    sentence = suggestions_bought(bt, 10)
    assert sentence in view.backtest_text.text()
    assert f"Of the {made:,} suggestions" in sentence
    n = round(bt["precision_at_10"] * made)
    assert f"{n:,} {'was' if n == 1 else 'were'} bought" in sentence
    assert "Precision" not in view.backtest_text.text()
    assert "bought" in view.backtest_plot.getPlotItem().getAxis("left").labelText


def test_export(loaded, tmp_path):
    view, ws = loaded
    view.export_to(tmp_path / "ws.xlsx")
    book = openpyxl.load_workbook(tmp_path / "ws.xlsx", read_only=True)
    assert book.sheetnames == ["Heat map", "Suggestions", "Backtest"]
    rows = list(book["Heat map"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "Account")
    assert list(header[5:]) == _products(ws)
    assert len(rows) - rows.index(header) - 1 == 30


def test_empty_workspace(qtbot, view, workspace):
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.set_workspace(workspace)
    assert view.pages.currentWidget() is view.empty
    assert "billing subscriptions, product by product" in view.empty.text()
