"""The Today view on a real demo workspace: rank, open, log a touch, undo, done, snooze, filter."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from acctdesk.ui.account_view import AccountView
from acctdesk.ui.today_view import TodayView

from .conftest import LOAD_MS


@pytest.fixture
def ws(trained_ws):
    return trained_ws


@pytest.fixture
def today(qtbot, runner, history, ws):
    v = TodayView(runner, history=history)
    qtbot.addWidget(v)
    v.resize(1400, 800)
    v.show()
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.set_workspace(ws)
    return v


def _items(view):
    return view.account_ids()


def test_shows_the_ranked_worklist_with_reasons_and_next_steps(today):
    m = today.model
    assert m.rowCount() > 50
    titles = [c.title for c in m.columns]
    assert {"Account", "Owner", "Priority", "Why it is here", "Next step"} <= set(titles)
    ranks = [m.value(r, m.column_index("rank")) for r in range(m.rowCount())]
    assert ranks == sorted(ranks) and ranks[0] == 1
    top = today.result["frame"].iloc[0]
    assert m.index(0, m.column_index("name")).data() == top["name"]
    assert m.index(0, m.column_index("reasons_text")).data() == "; ".join(top["reasons"])
    assert m.index(0, m.column_index("arr")).data().startswith("$")
    assert today.result["risk_source"] == "model"
    assert "accounts need attention" in today.summary.text()
    # how good the churn model is, in words (from the stored model's checked figure)
    from acctdesk.engine import Engine

    auc = Engine(today.workspace).analysis().risk.info["auc"]
    assert (f"ranks accounts that later churned above those that stayed "
            f"{round(auc * 100)} times in 100") in today.summary.text()
    assert "AUC" not in today.summary.text()
    # the detail panel explains the selected (top) item
    assert top["reasons"][0] in today.d_body.text()
    assert top["next_step"] in today.d_body.text()


def test_opening_the_top_item_emits_its_account(qtbot, today):
    top = _items(today)[0]
    with qtbot.waitSignal(today.account_activated) as sig:
        today.table.doubleClicked.emit(today.model.index(0, 1))
        today.table.activated.emit(today.model.index(0, 1))
    assert sig.args == [top]
    with qtbot.waitSignal(today.account_activated) as sig:
        today.open_button.click()
    assert sig.args == [top]


def test_log_a_call_shows_in_the_360_timeline_and_undo_removes_it(qtbot, today, runner,
                                                                  history, ws):
    account = AccountView(runner, history=history)
    qtbot.addWidget(account)
    account.set_workspace(ws)
    today.account_activated.connect(account.show_account)
    with qtbot.waitSignal(account.loaded, timeout=LOAD_MS):
        today.open_selected()
    top = _items(today)[0]
    assert account.header_values()["account_id"] == top
    n = len(account.timeline())

    today.touch_kind.setCurrentIndex(today.touch_kind.findData("call"))
    today.touch_text.setText("Walked through the renewal plan")
    today.touch_button.click()
    assert history.stack.count() == 1 and history.stack.undoText() == "Log call"
    tl = account.timeline()
    assert len(tl) == n + 1
    assert tl.iloc[0]["text"] == "Walked through the renewal plan"
    assert tl.iloc[0]["kind"] == "call"
    assert "Call logged" in today.message.text()
    assert "Call logged" in today.model.index(0, today.model.column_index("state_text")).data()
    activity_id = tl.iloc[0]["activity_id"]

    history.stack.undo()
    assert len(account.timeline()) == n
    assert activity_id not in set(ws.activities(top)["activity_id"])
    assert today.model.index(0, today.model.column_index("state_text")).data() == ""
    log = ws.audit_log()
    mine = log[log["entity_id"] == activity_id]
    assert list(mine["action"]) == ["activity.add", "activity.delete"]
    assert json.loads(mine.iloc[0]["after"])["text"] == "Walked through the renewal plan"
    assert json.loads(mine.iloc[1]["before"])["account_id"] == top

    history.stack.redo()                                    # back, with the same id
    assert account.timeline().iloc[0]["activity_id"] == activity_id


def test_mark_done_and_snooze_hide_items_until_shown(qtbot, today, history, ws):
    first, second, third = _items(today)[:3]
    total = today.model.rowCount()
    assert today.mark_done(first)
    assert first not in _items(today) and today.model.rowCount() == total - 1
    assert today.snooze(second, days=7)
    assert second not in _items(today)
    assert "2 done or snoozed" in today.summary.text()

    today.show_done.setChecked(True)
    ids = _items(today)
    assert first in ids and second in ids and len(ids) == total
    states = today.model.display_values(today.model.column_index("state_text"))
    until = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    assert states[ids.index(first)] == "Done"
    assert states[ids.index(second)] == f"Snoozed until {until}"
    today.show_done.setChecked(False)

    today.clock = lambda: dt.date.today() + dt.timedelta(days=8)   # the snooze ran out
    today._refilter()
    assert second in _items(today) and first not in _items(today)
    today.clock = dt.date.today

    history.stack.undo()                     # the snooze
    history.stack.undo()                     # the done
    assert first in _items(today) and second in _items(today)
    actions = list(ws.audit_log()["action"])[-4:]
    assert actions == ["worklist.done", "worklist.snoozed", "worklist.restore",
                       "worklist.restore"]
    # the state lives in the workspace: a fresh view keeps hiding done items
    assert today.mark_done(third)
    assert third not in _items(today)


def test_a_fresh_view_keeps_done_items_hidden(qtbot, today, runner, ws):
    first = _items(today)[0]
    today.mark_done(first)
    again = TodayView(runner)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.loaded, timeout=LOAD_MS):
        again.set_workspace(ws)
    assert first not in again.account_ids()


def test_filter_by_owner_and_segment(qtbot, today):
    frame = today.result["frame"]
    owner = frame["owner"].value_counts().index[0]
    today.set_owner(owner)
    shown = today.model.display_values(today.model.column_index("owner"))
    assert shown and set(shown) == {owner}
    assert len(shown) == int((frame["owner"] == owner).sum())
    segment = "Enterprise"
    today.set_segment(segment)
    assert set(today.model.display_values(today.model.column_index("segment"))) <= {segment}
    assert len(_items(today)) == int(((frame["owner"] == owner) &
                                      (frame["segment"] == segment)).sum())
    today.set_owner(None)
    today.set_segment(None)
    assert today.model.rowCount() == len(frame)
    assert today.owner_box.count() > 3 and today.segment_box.itemText(0) == "All segments"


def test_export_writes_what_is_shown(qtbot, today, tmp_path):
    owner = today.result["frame"]["owner"].value_counts().index[0]
    today.set_owner(owner)
    path = tmp_path / "today.xlsx"
    report = today.export_to(path)
    assert report.rows == today.model.rowCount()
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "#")
    assert "Why it is here" in header and "Next step" in header
    owner_col = header.index("Owner")
    data = rows[rows.index(header) + 1:]
    assert len(data) == today.model.rowCount()
    assert {r[owner_col] for r in data} == {owner}
    wb.close()


def test_empty_and_no_workspace_states(qtbot, runner, workspace):
    v = TodayView(runner)
    qtbot.addWidget(v)
    v.show()
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.set_workspace(workspace)
    assert v.model.rowCount() == 0
    assert "Today needs your accounts" in v.grid.empty_label.text()
    assert v.grid.empty_label.isVisible()
    assert not v.touch_button.isEnabled()
    v.set_workspace(None)
    assert v.model.rowCount() == 0
    assert "Open a workspace" in v.summary.text()


def test_risk_drivers_are_not_listed_for_a_low_risk_account():
    from acctdesk.ui.today_view import DRIVER_FLOOR, drivers_html

    drivers = ["customer for 5.4 years", "usage down 3% in 3 months"]
    low = drivers_html(drivers, DRIVER_FLOOR / 2, "model", "Risk drivers")
    assert "Low churn risk (5%)" in low and "5.4 years" not in low
    high = drivers_html(drivers, 0.42, "model", "Risk drivers")
    assert "<li>customer for 5.4 years</li>" in high
    # without a churn model the drivers are the weakest health measures: always listed
    assert "<li>usage down" in drivers_html(drivers, 0.01, "health", "Weakest")
    assert "None of note" in drivers_html([], 0.5, "model", "Risk drivers")
