"""The Account 360 view on a real demo workspace: header values, charts, timeline edits."""
from __future__ import annotations


import numpy as np
import openpyxl
import pytest

from acctdesk.analytics.scorecards import score_accounts
from acctdesk.analytics.scorecards import default_scorecard
from acctdesk.engine import Engine, read_data
from acctdesk.ui.account_view import AccountView
from acctdesk.ui.undo import EditHistory

from .conftest import LOAD_MS

ACCOUNT = "A000213"


@pytest.fixture
def ws(trained_ws):
    return trained_ws


@pytest.fixture
def view(qtbot, runner, history, ws):
    v = AccountView(runner, history=history)
    qtbot.addWidget(v)
    v.resize(1400, 860)
    v.show()
    v.set_workspace(ws)
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.show_account(ACCOUNT)
    return v


def test_header_values_equal_the_workspace(view, ws):
    acc = ws.accounts().set_index("account_id").loc[ACCOUNT]
    hv = view.header_values()
    assert hv["account_id"] == ACCOUNT
    for key in ("name", "owner", "segment", "arr", "renewal_date"):
        assert hv[key] == acc[key]
    data = read_data(ws)
    scores = score_accounts(default_scorecard(data), data, ws.data_date()).set_index(
        "account_id")
    assert hv["health"] == pytest.approx(scores.loc[ACCOUNT, "score"])
    assert hv["band"] == scores.loc[ACCOUNT, "band"]
    risk = Engine(ws).analysis().risk.frame.set_index("account_id")
    assert hv["churn_probability"] == pytest.approx(risk.loc[ACCOUNT, "churn_probability"])
    # and what the user reads
    assert view.name_label.text() == acc["name"]
    assert view.tiles["owner"].value.text() == acc["owner"]
    assert view.tiles["arr"].value.text() == f"${acc['arr']:,.0f}"
    assert view.tiles["renewal"].value.text() == acc["renewal_date"]
    assert view.tiles["health"].value.text().startswith(f"{scores.loc[ACCOUNT, 'score']:.0f}")
    assert view.tiles["risk"].value.text() == f"{risk.loc[ACCOUNT, 'churn_probability']:.0%}"


def test_health_trend_what_moved_and_measures(view):
    r = view.result
    assert len(r["history"]) == 7                     # six month ends and the data date
    assert r["history"]["as_of"].iloc[-1] == "2026-10-31"
    assert r["history_source"].startswith("recomputed")
    assert r["score_before"] is not None
    assert "What moved since" in view.moved_label.text() and "pts" in view.moved_label.text()
    m = view.measures.model
    assert m.rowCount() == len(r["card"].measures)
    adds = m.column_values(m.column_index("contribution"))
    assert float(np.nansum(adds)) == pytest.approx(r["score"], abs=0.01)
    assert view.health_plot.getAxis("left").labelText == "Score"
    assert "Risk drivers" in view.drivers_label.text()


def test_usage_revenue_support_people_and_whitespace(view, ws):
    r = view.result
    assert {"active_users", "logins"} <= set(r["usage"].columns)
    assert len(r["usage"]) >= 6
    assert view.users_plot.getAxis("left").labelText.startswith("Users")
    assert len(r["mrr"]) > 0 and view.mrr_plot.getAxis("left").labelText.startswith("MRR")
    assert view.subs.model.rowCount() == len(ws.subscriptions(ACCOUNT))
    assert view.tickets.model.rowCount() == len(ws.tickets(ACCOUNT))
    assert view.nps.model.rowCount() == len(ws.surveys(ACCOUNT))
    contacts = ws.contacts(ACCOUNT)
    assert view.contacts.model.rowCount() == len(contacts)
    roles = view.contacts.model.display_values(view.contacts.model.column_index("role"))
    assert set(roles) == {str(v).capitalize() for v in contacts["role"]}
    w = view.ws_table.model
    assert w.rowCount() > 0
    assert all(w.display_values(w.column_index("reason")))


def test_add_note_and_log_meeting_are_undoable_and_audited(qtbot, view, history, ws):
    n = len(view.timeline())
    view.note_text.setText("Champion is leaving in December")
    view.note_button.click()
    view.note_text.setText("Exec sync on the save plan")
    view.meeting_button.click()
    tl = view.timeline()
    assert len(tl) == n + 2
    assert set(tl["kind"].iloc[:2]) == {"note", "meeting"}
    assert history.stack.undoText() == "Log meeting"
    ids = list(tl["activity_id"].iloc[:2])
    history.stack.undo()
    history.stack.undo()
    assert len(view.timeline()) == n
    log = ws.audit_log()
    for aid in ids:
        assert list(log.loc[log["entity_id"] == aid, "action"]) == ["activity.add",
                                                                    "activity.delete"]
    # an empty note is refused with a message, nothing written
    view.note_text.clear()
    view.note_button.click()
    assert "Write what" in view.message.text()
    assert len(view.timeline()) == n and history.stack.index() == 0


def test_export_writes_the_account_tables(view, tmp_path):
    path = tmp_path / "account.xlsx"
    report = view.export_to(path)
    assert report.sheets[:3] == ["Account", "Health measures", "Whitespace"]
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["Account"].iter_rows(values_only=True))
    assert any(r[:2] == ("Owner", view.header_values()["owner"]) for r in rows if r)
    wb.close()


def test_empty_states(qtbot, runner, workspace, ws):
    v = AccountView(runner)
    qtbot.addWidget(v)
    v.show()
    assert "Open a workspace" in v.empty.text()
    v.set_workspace(workspace)
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.show_account("A000001")
    assert "Import your CRM and billing exports" in v.empty.text()
    assert v.empty.isVisible() and not v.content.isVisible()
    v.set_workspace(ws)
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.show_account("NOT-THERE")
    assert "not in this workspace" in v.empty.text()
    with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
        v.show_account(ACCOUNT)
    assert v.content.isVisible()
    v.set_workspace(None)
    assert "Open a workspace" in v.empty.text()


def test_one_accounts_history_scores_equal_the_portfolio_scores(ws):
    """The 360 view scores only the account's own rows when no measure is a percentile; its
    scores must be exactly the ones of scoring the whole portfolio."""
    from acctdesk.analytics.scorecards import builtin_scorecards
    from acctdesk.ui.account_view import _scoring_data_for

    data = read_data(ws)
    assert _scoring_data_for(default_scorecard(), data, ACCOUNT) is data   # percentiles
    card = builtin_scorecards()["renewal_risk"]
    assert not any(m.mapping.kind == "percentile" for m in card.measures)
    own = _scoring_data_for(card, data, ACCOUNT)
    assert len(own.accounts) == 1 and set(own.usage["account_id"]) == {ACCOUNT}
    for as_of in ("2026-04-30", "2026-10-31"):
        full = score_accounts(card, data, as_of).set_index("account_id").loc[ACCOUNT]
        one = score_accounts(card, own, as_of).set_index("account_id").loc[ACCOUNT]
        assert one["score"] == pytest.approx(full["score"])
        assert one["band"] == full["band"]


def test_views_read_the_workspace_once(qtbot, runner, ws, monkeypatch):
    """Today, Portfolio, Renewals, Whitespace and the 360 view share one read of the
    workspace (at 100k accounts each read takes tens of seconds)."""
    from acctdesk.ui.portfolio_view import PortfolioView
    from acctdesk.ui.renewals_view import RenewalsView
    from acctdesk.ui.today_view import TodayView
    from acctdesk.ui.whitespace_view import WhitespaceView

    from acctdesk.engine import core

    reads = []
    original = core.read_data
    monkeypatch.setattr(core, "read_data", lambda w: reads.append(1) or original(w))
    today = TodayView(runner, history=EditHistory())
    qtbot.addWidget(today)
    with qtbot.waitSignal(today.loaded, timeout=LOAD_MS):
        today.set_workspace(ws)
    for cls in (PortfolioView, RenewalsView, WhitespaceView):
        v = cls(runner)
        qtbot.addWidget(v)
        with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
            v.set_workspace(ws)
    account = AccountView(runner, history=EditHistory())
    qtbot.addWidget(account)
    account.set_workspace(ws)
    with qtbot.waitSignal(account.loaded, timeout=LOAD_MS):
        account.show_account(ACCOUNT)
    assert len(reads) == 1
