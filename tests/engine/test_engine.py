"""The engine: figures computed once per data version and shared; any import, undo or edit
makes them afresh; stored models and results do not."""
from __future__ import annotations

import shutil
import threading

import pytest

from acctdesk import engine
from acctdesk.engine import CACHE, Engine, ResultCache
from acctdesk.engine import core
from acctdesk.models import Workspace
from acctdesk.models.demo import create_demo_workspace


@pytest.fixture
def demo(demo_file, tmp_path):
    path = tmp_path / "demo.acctdesk"
    shutil.copy(demo_file, path)
    ws = Workspace(path)
    yield ws
    engine.forget(ws)
    ws.close()


@pytest.fixture
def reads(monkeypatch):
    """Counts the reads of a workspace's entities by the engine."""
    count = []
    original = core.read_data
    monkeypatch.setattr(core, "read_data", lambda ws: count.append(1) or original(ws))
    return count


def test_every_data_changing_write_moves_the_version(demo):
    from acctdesk.models import edits, model_store

    v0 = demo.data_version()
    aid = demo.accounts()["account_id"].iloc[0]
    activity = edits.add_activity(demo, aid, "call", "checked in", "2026-10-30")
    v1 = demo.data_version()
    assert v1 == v0 + 1
    edits.set_worklist_state(demo, aid, "done")
    assert demo.data_version() == v1 + 1
    edits.delete_activity(demo, activity)               # the undo of an edit
    assert demo.data_version() == v1 + 2
    with demo.transaction():                            # a transaction that writes nothing
        demo.get_meta("name")
    assert demo.data_version() == v1 + 2
    # storing what was computed from the data does not make it stale
    Engine(demo).analysis().risk
    assert model_store.read_envelope(demo) is not None
    assert demo.data_version() == v1 + 2
    with pytest.raises(RuntimeError):                   # a failed write changes nothing
        with demo.transaction():
            demo.set_meta("currency", "EUR")
            raise RuntimeError("boom")
    assert demo.data_version() == v1 + 2 and demo.get_meta("currency") == "USD"


def test_imports_and_their_undo_move_the_version(demo, tmp_path):
    from acctdesk.importers.pipeline import import_file, undo_batch

    csv = tmp_path / "accounts.csv"
    csv.write_text("Account Name,Website,Annual Revenue\nNew Co,newco.example,12000\n",
                   encoding="utf-8")
    v0 = demo.data_version()
    result = import_file(demo, csv)
    assert result.error is None and result.batch_ids, result.error
    v1 = demo.data_version()
    assert v1 > v0
    again = import_file(demo, csv)                      # already imported: nothing written
    assert again.skipped and demo.data_version() == v1
    undo_batch(demo, result.batch_ids[0])
    assert demo.data_version() > v1


def test_figures_are_computed_once_per_version_and_shared(demo, reads):
    a = Engine(demo).analysis()
    first = a.figures
    other = Workspace(demo.path)                       # another connection, same data
    try:
        assert Engine(other).analysis().figures is first
    finally:
        other.close()
    assert Engine(demo).analysis().worklist is a.worklist
    assert len(reads) == 1
    aid = first["account_id"].iloc[0]
    from acctdesk.models import edits

    edits.add_activity(demo, aid, "call", "spoke", "2026-10-30")   # an edit: new version
    b = Engine(demo).analysis()
    assert b.version[0] == a.version[0] + 1 and b.version[1] != a.version[1]
    assert b.figures is not first and len(reads) == 2
    # the old version's results left memory
    assert CACHE.peek(a.identity, a.version, (a.as_of, "health")) is None


def test_a_write_from_another_process_is_seen(demo, reads):
    import subprocess
    import sys

    a = Engine(demo).analysis()
    a.health
    code = ("import sys; from acctdesk.models import Workspace, edits; "
            "ws = Workspace(sys.argv[1]); "
            "edits.add_activity(ws, ws.accounts()['account_id'].iloc[0], 'call', 'x', "
            "'2026-10-30'); ws.close()")
    subprocess.run([sys.executable, "-c", code, str(demo.path)], check=True, timeout=120)
    b = Engine(demo).analysis()
    assert b.version[0] == a.version[0] + 1 and b.version[1] != a.version[1]
    b.health
    assert len(reads) == 2


def test_a_new_file_at_the_same_path_is_another_workspace(tmp_path):
    path = tmp_path / "w.acctdesk"
    ws = create_demo_workspace(path, n_accounts=30, seed=1, data_date="2026-10-31")
    first = (ws.identity(), ws.data_version())
    n1 = len(Engine(ws).analysis().data.accounts)
    ws.close()
    for p in (path, tmp_path / "w.acctdesk-wal", tmp_path / "w.acctdesk-shm"):
        p.unlink(missing_ok=True)
    ws = create_demo_workspace(path, n_accounts=40, seed=1, data_date="2026-10-31")
    try:
        assert (ws.identity(), ws.data_version()) != first
        assert ws.data_version() == first[1]             # same count of writes ...
        assert len(Engine(ws).analysis().data.accounts) == 40 != n1   # ... fresh figures
    finally:
        engine.forget(ws)
        ws.close()


def test_a_change_after_a_backup_is_put_back_is_never_served_old_figures(tmp_path):
    path = tmp_path / "w.acctdesk"
    ws = create_demo_workspace(path, n_accounts=30, seed=1, data_date="2026-10-31")
    aid = str(ws.accounts()["account_id"].iloc[0])
    backup = ws.backup("test")
    with ws.transaction() as conn:
        conn.execute("UPDATE accounts SET name = 'First change' WHERE account_id = ?", (aid,))
    seen = Engine(ws).analysis()
    assert seen.account(aid)["name"] == "First change"
    ws.close()
    for p in (tmp_path / "w.acctdesk-wal", tmp_path / "w.acctdesk-shm"):
        p.unlink(missing_ok=True)
    shutil.copyfile(backup, path)                      # the backup put back: counter back
    ws = Workspace(path)
    try:
        with ws.transaction() as conn:                 # ... and a different change
            conn.execute("UPDATE accounts SET name = 'Other change' WHERE account_id = ?",
                         (aid,))
        a = Engine(ws).analysis()
        assert a.version[0] == seen.version[0] and a.version != seen.version
        assert a.account(aid)["name"] == "Other change"
    finally:
        engine.forget(ws)
        ws.close()


def test_the_cache_builds_each_value_once_for_many_threads():
    cache = ResultCache()
    builds = []
    gate = threading.Event()

    def build():
        builds.append(1)
        gate.wait(5)
        return object()

    V3, V4 = (3, "a"), (4, "b")
    got = []
    threads = [threading.Thread(target=lambda: got.append(
        cache.get_or_build("w", V3, ("x",), build))) for _ in range(6)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(builds) == 1 and len({id(g) for g in got}) == 1 and len(got) == 6
    # a failed build leaves nothing: the next caller builds again
    with pytest.raises(ValueError):
        cache.get_or_build("w", V3, ("y",), lambda: (_ for _ in ()).throw(ValueError("no")))
    assert cache.get_or_build("w", V3, ("y",), lambda: 42) == 42
    # a newer version drops the older values; an older build is returned but not kept
    cache.get_or_build("w", V4, ("x",), lambda: "new")
    assert cache.peek("w", V3, ("x",)) is None
    assert cache.get_or_build("w", V3, ("z",), lambda: "old") == "old"
    assert cache.peek("w", V3, ("z",)) is None
    # the same counter with another stamp (a change after a backup was put back) is newer
    cache.get_or_build("w", (4, "other"), ("x",), lambda: "after restore")
    assert cache.peek("w", V4, ("x",)) is None
    assert cache.get_or_build("w", (4, "other"), ("x",), lambda: 0) == "after restore"
    # results of the workspaces used longest ago leave memory
    for i in range(ResultCache.MAX_WORKSPACES):
        cache.get_or_build(f"other{i}", (1, "a"), ("x",), lambda: i)
    assert cache.peek("w", (4, "other"), ("x",)) is None
    assert cache.peek("other0", (1, "a"), ("x",)) == 0


def test_drivers_are_computed_for_the_accounts_asked_only(demo):
    a = Engine(demo).analysis()
    risk = a.risk
    assert risk.source == "model" and not risk._drivers
    top = risk.frame["account_id"].iloc[0]
    d = a.drivers([top])
    assert d[top] and set(risk._drivers) == {top}
    # the same words the risk command prints for it
    from acctdesk.analytics import churn

    feats = risk.features.loc[[top]]
    assert churn.explain(risk.model, feats)[0] == d[top]


def test_a_damaged_assignment_falls_back_to_the_default(demo):
    demo.set_meta("scorecard_assignment", "{not json")
    a = Engine(demo).analysis()
    assert set(a.health.frame["scorecard"]) <= {"health", "onboarding"}


def test_an_empty_workspace_has_no_figures(workspace):
    a = Engine(workspace).analysis()
    assert a.empty and a.as_of is None
    assert len(a.figures) == 0


def test_a_workspace_is_the_store_the_engine_reads(workspace):
    from acctdesk.models.storage import Store

    assert isinstance(workspace, Store)


def test_open_deals_are_the_accounts_pipeline_never_revenue(workspace):
    workspace.insert_rows("accounts", ["account_id", "name", "arr", "contract_start"],
                          [("A1", "Alpha", 1000.0, "2025-01-01"), ("A2", "Beta", 0.0, None)])
    workspace.insert_rows(
        "opportunities", ["source", "opp_id", "account_id", "name", "status", "amount",
                          "close_date", "created_date", "probability"],
        [("crm", "1", "A1", "Upsell", "Open", 5000.0, "2026-12-01", "2026-09-01", 40),
         ("crm", "2", "A1", "Seats", "open", 1000.0, "2026-11-15", "2026-10-01", None),
         ("crm", "3", "A1", "Old", "won", 9000.0, "2026-03-01", "2026-01-01", 100),
         ("crm", "4", "A2", "New logo", "open", 2000.0, "2026-10-01", "2026-12-01", 50)])
    workspace.set_meta("data_date", "2026-10-31")
    a = Engine(workspace).analysis()
    p = a.pipeline.set_index("account_id")
    assert list(p.index) == ["A1"]                 # A2's deal was created after the date
    assert p.loc["A1", "open_deals"] == 2 and p.loc["A1", "pipeline"] == 6000.0
    assert p.loc["A1", "weighted_pipeline"] == pytest.approx(5000 * 0.4 + 1000)
    assert p.loc["A1", "next_close_date"] == "2026-11-15"
    assert a.metrics()["mrr"] == 0.0 and a.book_arr() == 1000.0   # never revenue
