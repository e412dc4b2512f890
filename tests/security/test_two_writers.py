"""Two processes writing one workspace: writes wait for each other, or fail clearly; never corrupt."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from acctdesk.models import Workspace

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys
    from acctdesk.models import Workspace
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Workspace(path) as ws:
        for i in range(n):
            with ws.transaction() as conn:
                conn.executemany(
                    "INSERT INTO activities(activity_id, account_id, date, kind, text) "
                    "VALUES (?, 'A1', '2026-01-01', 'note', ?)",
                    [(f"{tag}-{i}-{j}", "x" * 200) for j in range(50)])
                ws.audit("note", "activities", f"{tag}-{i}")
    print("ok")
""")

HOLDER = textwrap.dedent("""
    import sys, time
    from acctdesk.models import Workspace
    with Workspace(sys.argv[1]) as ws:
        with ws.transaction() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('held', '1')")
            print("holding", flush=True)
            time.sleep(float(sys.argv[2]))
    print("released", flush=True)
""")

TRY_WRITE = textwrap.dedent("""
    import sys
    from acctdesk.models import Workspace
    from acctdesk.models.workspace import WorkspaceBusyError
    with Workspace(sys.argv[1], busy_timeout_ms=int(sys.argv[2])) as ws:
        try:
            ws.set_meta("other", "2")
        except WorkspaceBusyError as exc:
            print("BUSY:", exc)
        else:
            print("WROTE")
""")


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _py(*args, **kw):
    return subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), **kw)


def test_two_processes_writing_at_once_both_succeed_by_waiting(tmp_path):
    path = tmp_path / "w.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"], [("A1", "One")])
    procs = [_py(WRITER, str(path), tag, "60") for tag in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and out.strip() == "ok", err
    with Workspace(path) as ws:
        assert ws.integrity_check() == []
        assert ws.count("activities") == 2 * 60 * 50
        assert ws.conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'note'"
                               ).fetchone()[0] == 120


def test_writer_blocked_longer_than_busy_timeout_fails_with_clear_message(tmp_path):
    path = tmp_path / "w.acctdesk"
    Workspace(path, create=True).close()
    holder = _py(HOLDER, str(path), "4")
    assert holder.stdout.readline().strip() == "holding"
    # waits up to 1 s, then gives up with a message (the holder keeps the lock for 4 s)
    out, err = _py(TRY_WRITE, str(path), "1000").communicate(timeout=60)
    assert out.startswith("BUSY: w.acctdesk is busy: another acctdesk window or command is "
                          "changing it"), (out, err)
    assert "Nothing was changed" in out
    # a writer with the default 10 s timeout simply waits for the holder to finish
    waiter = _py(TRY_WRITE, str(path), "10000")
    out, err = waiter.communicate(timeout=60)
    assert out.strip() == "WROTE", err
    assert holder.communicate(timeout=60)[0].strip() == "released"
    with Workspace(path) as ws:
        assert ws.integrity_check() == []
        assert ws.get_meta("held") == "1" and ws.get_meta("other") == "2"


def test_cli_reports_busy_workspace_as_one_line(tmp_path):
    path = tmp_path / "w.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"], [("A1", "One")])
    csv = tmp_path / "a.csv"
    csv.write_text("account_id,date,metric,value\nA1,2026-01-31,logins,4\n")
    holder = _py(HOLDER, str(path), "14")
    assert holder.stdout.readline().strip() == "holding"
    try:
        out, err = subprocess.Popen(
            [sys.executable, "-m", "acctdesk", "import", str(path), str(csv)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        ).communicate(timeout=60)
        assert "is busy: another acctdesk window or command" in err, (out, err)
        assert "Traceback" not in err
    finally:
        holder.kill()
        holder.communicate()
    with Workspace(path) as ws:
        assert ws.integrity_check() == [] and ws.count("usage") == 0
