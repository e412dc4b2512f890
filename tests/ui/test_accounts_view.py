"""The Accounts view on a real demo workspace, driven as a user drives it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from acctdesk.engine import read_data
from acctdesk.models import Workspace
from acctdesk.ui.accounts_view import AccountsView


@pytest.fixture(scope="module")
def demo_data(demo_file):
    with Workspace(demo_file) as ws:
        return ws.accounts(), ws.summary()


@pytest.fixture
def view(qtbot, demo_data):
    v = AccountsView()
    qtbot.addWidget(v)
    v.resize(1280, 700)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(*demo_data)
    return v


def _col(view, key):
    return view.model.column_index(key)


def _health_scores(demo_file, accounts, summary):
    from acctdesk.analytics.scorecards import ScoringData, score_accounts
    from acctdesk.analytics.scorecards import default_scorecard

    card = default_scorecard()
    with Workspace(demo_file) as ws:
        data = read_data(ws)
    scores = score_accounts(card, data, summary["data_date"])
    return scores, {b.label: b.color for b in card.bands}


def test_shows_the_fields_that_matter_with_scores_blank_until_given(view, demo_data):
    accounts, _ = demo_data
    model = view.model
    titles = [model.headerData(i, Qt.Orientation.Horizontal) for i in view.grid.visible_columns()]
    assert titles == ["Account", "Owner", "Segment", "ARR", "Health", "Band", "Trend",
                      "Churn risk", "Priority", "Renewal", "Whitespace", "Status", "Seats",
                      "Industry", "Region"]
    churned = Workspace.churned_mask(accounts, "2026-10-31")
    assert 0 < churned.sum() < 300
    assert model.total_rows() == len(accounts) == 300
    assert model.rowCount() == 300 - churned.sum()      # churned accounts left out
    assert view.grid.count_label.text() == f"{300 - churned.sum():,} of 300 accounts"
    names = sorted(accounts.loc[~churned, "name"], key=str.casefold)
    assert model.index(0, 0).data() == names[0]                  # sorted by name
    for key in ("health_score", "health_band", "health_trend", "churn_risk",
                "whitespace_value"):
        assert {model.index(r, _col(view, key)).data() for r in range(20)} == {""}
    assert model.index(0, _col(view, "arr")).data().startswith("$")
    assert "2026-10-31" in view.summary.text()


def test_set_scores_fills_health_band_trend_risk_and_whitespace(view, demo_data, demo_file):
    accounts, summary = demo_data
    scores, colours = _health_scores(demo_file, accounts, summary)
    rng = np.random.default_rng(3)
    ids = accounts["account_id"]
    extra = pd.DataFrame({"health_trend": rng.normal(0, 5, len(ids)),
                          "churn_risk": rng.uniform(0, 1, len(ids)),
                          "whitespace_value": rng.uniform(0, 9e4, len(ids))}, index=ids)
    view.set_scores(scores, band_colours=colours)       # score_accounts output as it is
    view.set_scores(extra)
    model = view.model
    by_id = scores.set_index("account_id")
    shown_ids = accounts["account_id"].to_numpy()
    r = next(r for r in range(model.rowCount())
             if shown_ids[model.source_row(r)] in by_id.index
             and isinstance(by_id.loc[shown_ids[model.source_row(r)], "band"], str))
    aid = shown_ids[model.source_row(r)]
    assert model.index(r, _col(view, "health_score")).data() == \
        f"{by_id.loc[aid, 'score']:,.0f}"
    band = by_id.loc[aid, "band"]
    cell = model.index(r, _col(view, "health_band"))
    assert cell.data() == band
    assert cell.data(Qt.ItemDataRole.BackgroundRole).name() == colours[band].lower()
    assert model.index(r, _col(view, "churn_risk")).data().endswith("%")
    assert model.index(r, _col(view, "health_trend")).data()[0] in "▲▼▬"
    assert model.index(r, _col(view, "whitespace_value")).data().startswith("$")
    # churned accounts are not scored: their health stays blank
    view.show_churned.setChecked(True)
    churned = np.flatnonzero(accounts["status"].to_numpy() == "churned")
    if len(churned):
        view_row = int(np.flatnonzero(model.view_order() == churned[0])[0])
        assert model.index(view_row, _col(view, "health_score")).data() == ""
    # the band filter and a sort by health work on the new columns
    button = view.grid.filter_editor("health_band")
    button.set_selected({"Red"})
    assert model.rowCount() == int((scores["band"] == "Red").sum())
    assert {model.index(i, _col(view, "health_band")).data()
            for i in range(model.rowCount())} == {"Red"}


def test_typing_an_owner_filters_and_the_count_says_so(qtbot, view, demo_data):
    accounts, _ = demo_data
    owner = accounts["owner"].dropna().iloc[0]
    qtbot.keyClicks(view.grid.filter_editor("owner"), owner)
    active = ~Workspace.churned_mask(accounts, "2026-10-31")
    expected = int((accounts["owner"].str.casefold().str.contains(owner.casefold())
                    & active).sum())
    qtbot.waitUntil(lambda: view.model.rowCount() == expected)
    assert view.grid.count_label.text() == f"{expected:,} of 300 accounts"


def test_double_click_opens_the_account(qtbot, view, demo_data):
    accounts, _ = demo_data
    table = view.table
    rect = table.visualRect(view.model.index(2, _col(view, "arr")))
    expected = accounts["account_id"].iloc[view.model.source_row(2)]
    with qtbot.waitSignal(view.account_activated) as blocker:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [expected]


def test_copy_rows_from_the_accounts_table(qtbot, view, demo_data):
    table = view.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(view.model.index(0, 3)).center())
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    header, row = QApplication.clipboard().text().splitlines()
    cells = dict(zip(header.split("\t"), row.split("\t")))
    assert cells["Account"] == view.model.index(0, 0).data()
    arr = view.model.value(0, _col(view, "arr"))
    assert cells["ARR"] == (str(int(arr)) if float(arr).is_integer() else repr(arr))


def test_empty_workspace_says_what_to_do(qtbot, workspace):
    v = AccountsView()
    qtbot.addWidget(v)
    v.show()
    v.set_data(workspace.accounts(), workspace.summary())
    assert v.model.rowCount() == 0
    assert v.grid.empty_label.isVisible()
    assert "Drop CSV or Excel exports" in v.grid.empty_label.text()


def test_churned_accounts_are_left_out_until_asked_for_and_the_choice_is_kept(
        qtbot, view, demo_data):
    accounts, summary = demo_data
    churned = Workspace.churned_mask(accounts, summary["data_date"]).to_numpy()
    n = int(churned.sum())
    assert n == summary["churned_accounts"]                 # the same count as the summary
    ids = accounts["account_id"].to_numpy()
    model = view.model

    def shown_ids():
        return {ids[model.source_row(r)] for r in range(model.rowCount())}

    assert view.show_churned.text() == f"Show churned accounts ({n})"
    assert not view.show_churned.isChecked()
    assert shown_ids() == set(ids[~churned])
    qtbot.mouseClick(view.show_churned, Qt.MouseButton.LeftButton)       # one click
    assert shown_ids() == set(ids)
    assert view.grid.count_label.text() == "300 accounts"
    again = AccountsView()                                   # remembered
    qtbot.addWidget(again)
    again.set_data(accounts, summary)
    assert again.show_churned.isChecked() and again.model.rowCount() == 300
    qtbot.mouseClick(view.show_churned, Qt.MouseButton.LeftButton)
    third = AccountsView()
    qtbot.addWidget(third)
    third.set_data(accounts, summary)
    assert not third.show_churned.isChecked() and third.model.rowCount() == 300 - n


def test_trend_shows_the_change_since_the_earlier_score_or_new(qtbot, view, demo_data):
    from acctdesk.ui.table_model import NEW_TREND

    accounts, _ = demo_data
    ids = accounts["account_id"]
    trend = np.full(len(ids), np.nan)
    trend[:3] = [4.2, -12.0, NEW_TREND]
    view.show_churned.setChecked(True)
    view.set_scores(pd.DataFrame({"health_trend": trend}, index=ids),
                    trend_basis="stored snapshot of 2026-09-30")
    model, col = view.model, _col(view, "health_trend")
    where = {model.source_row(r): r for r in range(model.rowCount())}
    cells = [model.index(where[i], col) for i in range(4)]
    assert [c.data() for c in cells] == ["▲ 4.2", "▼ 12.0", "new", ""]
    assert cells[1].data(Qt.ItemDataRole.ForegroundRole).name() == "#b3261e"
    assert cells[2].data(Qt.ItemDataRole.ForegroundRole) is None
    assert "stored snapshot of 2026-09-30" in model.headerData(col, Qt.Orientation.Horizontal,
                                                               Qt.ItemDataRole.ToolTipRole)
    frame, _specs = view.grid.visible_frame()       # exported: numbers, "new" left blank
    by_id = dict(zip(ids.to_numpy()[model.view_order()], frame["health_trend"]))
    assert by_id[ids.iloc[0]] == 4.2 and np.isnan(by_id[ids.iloc[2]])
