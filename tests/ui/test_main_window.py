"""The main window, driven as a user drives it (offscreen, real widgets, real workspace)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from acctdesk.ui import settings as app_settings
from acctdesk.ui.app import start_window
from acctdesk.ui.main_window import MainWindow
from acctdesk.ui.table_model import Column, FrameTableModel


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def _wait_loaded(qtbot, w, path):
    with qtbot.waitSignal(w.workspace_loaded, timeout=60_000) as blocker:
        w.open_workspace(path)
    assert blocker.args == [str(path)]


def test_welcome_state_offers_the_ways_in(window):
    assert window.stack.currentWidget() is window.welcome
    assert not window.sidebar.isVisible()
    texts = [b.text() for b in (window.welcome.open_button, window.welcome.new_button,
                                window.welcome.demo_button)]
    assert texts == ["Open workspace…", "New workspace for your data…", "Open the demo portfolio"]


def test_opens_the_demo_workspace_and_shows_the_accounts(qtbot, window, demo_copy):
    from acctdesk.models import Workspace

    _wait_loaded(qtbot, window, demo_copy)
    assert window.stack.currentWidget() is window.today_view      # the morning view
    assert window.sidebar.isVisible()
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles == ["Today", "Portfolio", "Accounts", "Account", "Whitespace", "Renewals",
                      "Scorecards", "Simulator", "Imports", "Audit"]
    window.show_view("accounts")
    view = window.accounts_view
    assert window.stack.currentWidget() is view
    model = view.model
    assert model.total_rows() == 300
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(6)]
    assert headers == ["Account", "Owner", "Segment", "ARR", "Health", "Band"]
    with Workspace(demo_copy) as ws:
        accounts = ws.accounts()
        churned = ws.churned_mask(accounts, ws.data_date())
    names = sorted(accounts.loc[~churned, "name"], key=str.casefold)
    assert model.rowCount() == 300 - int(churned.sum())       # churned left out by default
    assert model.index(0, 0).data() == names[0]
    assert "300" in view.summary.text() and "2026-10-31" in view.summary.text()
    assert "demo.acctdesk" in window.status_label.text()


def test_a_workspace_reopens_on_the_view_last_used(qtbot, window, demo_copy):
    _wait_loaded(qtbot, window, demo_copy)
    window.show_view("renewals")
    window.close_workspace()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    _wait_loaded(qtbot, second, demo_copy)
    assert second.stack.currentWidget() is second.renewals_view
    assert second.sidebar.currentItem().text() == "Renewals"
    second.close()


def test_clicking_the_arr_header_sorts_by_arr(qtbot, window, demo_copy):
    _wait_loaded(qtbot, window, demo_copy)
    window.show_view("accounts")
    table = window.accounts_view.table
    model = window.accounts_view.model
    arr_col = model.column_index("arr")
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(arr_col) + header.sectionSize(arr_col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    first = [model.value(r, arr_col) for r in range(model.rowCount())]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    second = [model.value(r, arr_col) for r in range(model.rowCount())]
    asc, desc = (first, second) if first[0] <= first[-1] else (second, first)
    assert asc == sorted(asc)
    assert desc == sorted(desc, reverse=True)
    assert model.index(0, arr_col).data().startswith("$")


def test_bad_file_shows_a_message_and_stays_on_welcome(qtbot, window, tmp_path):
    bad = tmp_path / "export.acctdesk"
    bad.write_text("Account,ARR\n")
    with qtbot.waitSignal(window.load_failed, timeout=30_000) as blocker:
        window.open_workspace(bad)
    assert "not an acctdesk workspace" in blocker.args[0]
    assert window.stack.currentWidget() is window.welcome
    assert "not an acctdesk workspace" in window.welcome.message.text()


def test_geometry_and_last_workspace_are_remembered(qtbot, demo_copy):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(787, 555)  # inside the offscreen screen (800x600)
    _wait_loaded(qtbot, first, demo_copy)
    first.close()
    assert app_settings.last_workspace() == str(demo_copy)
    assert app_settings.recent_workspaces()[0] == str(demo_copy)

    second = start_window()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.workspace_loaded, timeout=60_000):
        pass
    assert (second.width(), second.height()) == (787, 555)
    assert second.accounts_view.model.total_rows() == 300
    second.close()


def test_open_demo_creates_a_fresh_demo_workspace(qtbot, window):
    with qtbot.waitSignal(window.workspace_loaded, timeout=120_000) as blocker:
        window.welcome.demo_button.click()
    assert blocker.args[0].endswith("demo.acctdesk")
    assert window.accounts_view.model.total_rows() == 400


def test_table_model_sorts_numbers_with_missing_last_and_text_without_case():
    import pandas as pd

    model = FrameTableModel([Column("name", "Name"), Column("arr", "ARR", "currency")])
    model.set_frame(pd.DataFrame({"name": ["beta", "Alpha", None, "gamma"],
                                  "arr": [300.0, np.nan, 100.0, 200.0]}))
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [model.value(r, 1) for r in range(3)] == [100.0, 200.0, 300.0]
    assert np.isnan(model.value(3, 1))
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.value(r, 1) for r in range(3)] == [300.0, 200.0, 100.0]
    assert np.isnan(model.value(3, 1))
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.value(r, 0) for r in range(4)] == ["Alpha", "beta", "gamma", None]
    assert model.index(0, 1).data() == ""          # missing ARR shows blank, never "nan"
    assert model.index(1, 1).data() == "$300"


def test_from_today_to_the_account_360_and_back_with_undo(qtbot, window, demo_copy):
    _wait_loaded(qtbot, window, demo_copy)
    today = window.today_view
    qtbot.waitSignal(today.loaded, timeout=120_000).wait() if not today.account_ids() else None
    first = today.account_ids()[0]
    with qtbot.waitSignal(window.account_view.loaded, timeout=60_000):
        today.account_activated.emit(first)
    assert window.current_view_key() == "account"
    assert window.account_view.account_id == first
    # Ctrl+Z in the menu undoes user edits (not imports)
    undo = next(a for a in window.menuBar().actions() if a.text() == "&Edit").menu().actions()[0]
    assert not undo.isEnabled()
    assert today.log_touch(first, "call", "Talked about the renewal")
    assert undo.isEnabled()
    acts = window.workspace.activities(first)
    assert "Talked about the renewal" in set(acts["text"])
    undo.trigger()
    assert "Talked about the renewal" not in set(window.workspace.activities(first)["text"])


def test_integrity_is_checked_in_the_background_after_opening(qtbot, window, demo_copy):
    with qtbot.waitSignal(window.integrity_checked, timeout=60_000) as checked:
        window.open_workspace(demo_copy)
    assert checked.args[0] == []
    backups = window.workspace.list_backups("auto")
    assert len(backups) == 1                       # the daily rotating backup


def test_a_damaged_workspace_is_reported_not_silently_used(qtbot, window, tmp_path):
    from acctdesk.models import Workspace

    path = tmp_path / "damaged.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"],
                       [(f"a{i}", f"Account {i}" * 20) for i in range(3000)])
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096):
        data[page * 4096 + 10: page * 4096 + 200] = b"\xff" * 190
    path.write_bytes(bytes(data))
    messages = []
    window.load_failed.connect(messages.append)
    window.integrity_checked.connect(lambda problems: messages.extend(problems))
    window.open_workspace(path)
    qtbot.waitUntil(lambda: bool(messages), timeout=60_000)
    text = " ".join(messages).lower()
    assert "damaged" in text or "malformed" in text or "corrupt" in text, text


def test_closing_a_workspace_while_a_task_reads_it_waits_for_the_task(qtbot, window,
                                                                      demo_copy):
    """Closing a connection a worker is inside crashed the app: the window cancels the
    task, interrupts its SQL and closes the file once the worker has let go."""
    _wait_loaded(qtbot, window, demo_copy)
    ws = window.workspace
    reading = []

    def work(state):
        while True:                     # a long read, checking for cancel between reads
            ws.usage()
            reading.append(1)
            state.check()

    window.runner.start("test:read", "Reading", work)
    qtbot.waitUntil(lambda: len(reading) >= 1, timeout=30_000)
    window.close_workspace()
    assert window.workspace is None
    qtbot.waitUntil(lambda: not window._retiring, timeout=30_000)
    assert ws._all_conns == []                      # closed, after the worker stopped
    assert window.runner.pool.activeThreadCount() == 0
    _wait_loaded(qtbot, window, demo_copy)          # and the app goes on
    assert window.accounts_view.model.total_rows() == 300


def test_the_accounts_trend_is_the_health_change_today_shows(qtbot, window, demo_copy):
    """Trend = health now - health at the worklist's baseline, so Accounts and Today say the
    same change for the same account; "new" where there was no score then."""
    import pandas as pd

    from acctdesk.ui.table_model import NEW_TREND

    _wait_loaded(qtbot, window, demo_copy)
    today = window.today_view
    if today.result is None:
        qtbot.waitSignal(today.loaded, timeout=120_000).wait()
    view = window.accounts_view
    model = view.model
    col = model.column_index("health_trend")
    qtbot.waitUntil(lambda: np.isfinite(model.column_values(col)).any(), timeout=120_000)
    ids = view._ids
    trend = pd.Series(model.column_values(col, np.arange(model.total_rows())), index=ids)
    worklist = today.result["frame"].set_index("account_id")
    both = worklist.index[worklist["health_delta"].notna()]
    assert len(both) > 20
    assert np.allclose(trend.reindex(both).to_numpy(dtype=float),
                       worklist.loc[both, "health_delta"].to_numpy(dtype=float), atol=0.051)
    scored = ~np.isnan(model.column_values(model.column_index("health_score"),
                                           np.arange(model.total_rows())))
    assert (~np.isnan(trend.to_numpy())[scored]).all()     # every scored account has a trend
    new = trend.index[trend.to_numpy() == NEW_TREND]
    assert worklist.reindex(new)["health_before"].isna().all()
