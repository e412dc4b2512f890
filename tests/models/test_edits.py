"""User edits on a real workspace: one transaction each, audited with before/after."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from acctdesk.models import Workspace
from acctdesk.models import edits


@pytest.fixture
def ws(demo_copy):
    w = Workspace(demo_copy)
    yield w
    w.close()


def _audit(ws, action):
    log = ws.audit_log()
    return log[log["action"] == action]


def test_add_and_delete_activity_are_audited_with_before_and_after(ws):
    before = ws.count("activities")
    aid = edits.add_activity(ws, "A000001", "Call", "  Talked renewal  ", date="2026-11-02",
                             author="maria")
    assert aid.startswith("U")
    row = edits.get_activity(ws, aid)
    assert row == {"activity_id": aid, "account_id": "A000001", "date": "2026-11-02",
                   "kind": "call", "text": "Talked renewal", "author": "maria"}
    assert ws.count("activities") == before + 1
    entry = _audit(ws, "activity.add").iloc[-1]
    assert entry["entity_id"] == aid and pd.isna(entry["before"])
    assert json.loads(entry["after"]) == row

    removed = edits.delete_activity(ws, aid)
    assert removed == row
    assert edits.get_activity(ws, aid) is None
    assert ws.count("activities") == before
    entry = _audit(ws, "activity.delete").iloc[-1]
    assert json.loads(entry["before"]) == row and pd.isna(entry["after"])


def test_activity_defaults_and_refusals_change_nothing(ws):
    aid = edits.add_activity(ws, "A000002", "email", "")
    row = edits.get_activity(ws, aid)
    assert row["date"] == dt.date.today().isoformat() and row["author"]
    n, log = ws.count("activities"), len(ws.audit_log())
    with pytest.raises(edits.EditError, match="no account"):
        edits.add_activity(ws, "NOPE", "call", "x")
    with pytest.raises(edits.EditError, match="kind"):
        edits.add_activity(ws, "A000002", " ", "x")
    with pytest.raises(edits.EditError, match="not a date"):
        edits.add_activity(ws, "A000002", "call", "x", date="31/02/2026")
    with pytest.raises(edits.EditError, match="already exists"):
        edits.add_activity(ws, "A000002", "call", "x", activity_id=aid)
    with pytest.raises(edits.EditError, match="no activity"):
        edits.delete_activity(ws, "U000000000000")
    assert ws.count("activities") == n and len(ws.audit_log()) == log


def test_worklist_state_is_meta_json_and_restorable(ws):
    assert edits.worklist_states(ws) == {}
    prev = edits.set_worklist_state(ws, "A000003", "done")
    assert prev is None
    states = edits.worklist_states(ws)
    assert states["A000003"]["state"] == "done"
    assert states["A000003"]["as_of"] == ws.data_date() == "2026-10-31"
    prev = edits.set_worklist_state(ws, "A000003", "snoozed", until=dt.date(2026, 12, 1))
    assert prev["state"] == "done"
    assert edits.worklist_states(ws)["A000003"]["until"] == "2026-12-01"
    edits.restore_worklist_state(ws, "A000003", prev)            # undo of the snooze
    assert edits.worklist_states(ws)["A000003"]["state"] == "done"
    removed = edits.clear_worklist_state(ws, "A000003")
    assert removed["state"] == "done" and edits.worklist_states(ws) == {}
    actions = list(ws.audit_log()["action"])
    assert actions[-4:] == ["worklist.done", "worklist.snoozed", "worklist.restore",
                            "worklist.clear"]
    snooze = _audit(ws, "worklist.snoozed").iloc[-1]
    assert json.loads(snooze["before"])["state"] == "done"
    assert json.loads(snooze["after"])["until"] == "2026-12-01"
    with pytest.raises(edits.EditError):
        edits.set_worklist_state(ws, "A000003", "snoozed")     # no date
    with pytest.raises(edits.EditError):
        edits.set_worklist_state(ws, "A000003", "later")


def test_hidden_rules():
    done = {"state": "done", "as_of": "2026-10-31"}
    assert edits.is_hidden(done, "2026-10-31")
    assert not edits.is_hidden(done, "2026-11-30")       # new data: back on the list
    snoozed = {"state": "snoozed", "until": "2026-12-01"}
    assert edits.is_hidden(snoozed, "2026-10-31", dt.date(2026, 11, 30))
    assert not edits.is_hidden(snoozed, "2026-10-31", dt.date(2026, 12, 1))
    assert not edits.is_hidden(None, "2026-10-31")


def test_a_failed_edit_leaves_no_trace(ws, monkeypatch):
    n, log = ws.count("activities"), len(ws.audit_log())

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ws, "audit", boom)
    with pytest.raises(RuntimeError):
        edits.add_activity(ws, "A000001", "call", "x")
    with pytest.raises(RuntimeError):
        edits.set_worklist_state(ws, "A000001", "done")
    monkeypatch.undo()
    assert ws.count("activities") == n and len(ws.audit_log()) == log
    assert edits.worklist_states(ws) == {}
