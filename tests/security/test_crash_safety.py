"""Crash safety: SIGKILL a real import at many points; the workspace is all-or-nothing.

A 200,000-row usage CSV is imported into a workspace holding the 2,000 accounts it refers to.
A warm helper process forks one child per kill point (plus a few imports in freshly started
processes); the test kills the child with SIGKILL after a delay spread over the whole import,
most of them inside the write phase, then opens the workspace, runs ``PRAGMA integrity_check``
and checks that the counts are exactly the state before the import or exactly after it.
Some points use an encrypted workspace.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from acctdesk.models import Workspace
from acctdesk.models import crypto

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")]

ACCOUNTS, ROWS = 2_000, 200_000
KILL_POINTS = int(os.environ.get("ACCTDESK_KILL_POINTS", "56"))
SPAWNED_POINTS = 4
WORKER = Path(__file__).with_name("_crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _make_csv(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(11)
    months = np.array([f"{y}-{m:02d}-28" for y in range(2019, 2027) for m in range(1, 13)])
    metrics = np.array(["active_users", "logins", "features_adopted"])
    idx = np.arange(ROWS)
    acct, rest = idx % ACCOUNTS, idx // ACCOUNTS
    pacsv.write_csv(pa.table({
        "account_id": np.char.add("A", np.char.zfill((acct + 1).astype(str), 6)),
        "date": months[rest // 3 % len(months)],
        "metric": metrics[rest % 3],
        "value": rng.integers(0, 500, ROWS).astype(float),
    }), path)


def _make_workspace(path: Path, key: bytes | None) -> None:
    with Workspace(path, create=True, key=key) as ws:
        ws.insert_rows("accounts", ["account_id", "name", "status"],
                       [(f"A{i:06d}", f"Account {i}", "active") for i in range(1, ACCOUNTS + 1)])
        ws.checkpoint()


def _state(path: Path, key: bytes | None) -> tuple[str, list[str]]:
    with Workspace(path, key=key) as ws:
        problems = ws.integrity_check()
        counts = (ws.count("accounts"), ws.count("usage"), ws.count("import_batches"),
                  ws.conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
                                  ).fetchone()[0])
    if counts == (ACCOUNTS, 0, 0, 0):
        return "before", problems
    if counts == (ACCOUNTS, ROWS, 1, 1):
        return "after", problems
    return f"MIXED {counts}", problems


def _phase(progress: Path, killed_at: float) -> str:
    """The last phase the child reached before it was killed."""
    phase = "startup"
    if progress.exists():
        for line in progress.read_text().splitlines():
            name, stamp = line.split()[:2]
            if float(stamp) <= killed_at:
                phase = name
    return phase


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_sigkill_during_large_import_is_all_or_nothing(tmp_path):
    csv = tmp_path / "usage.csv"
    _make_csv(csv)
    key = crypto.new_key()
    pristine = {None: tmp_path / "pristine.acctdesk", key: tmp_path / "pristine-enc.acctdesk"}
    for k, p in pristine.items():
        _make_workspace(p, k)

    server = subprocess.Popen([sys.executable, str(WORKER), "serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)

    def ask(line: str) -> str:
        server.stdin.write(line + "\n")
        server.stdin.flush()
        return server.stdout.readline().strip()

    outcomes: list[tuple[float, str, str, str]] = []
    try:
        assert server.stdout.readline().strip() == "ready"
        # calibration: imports that run to the end, to place the kill points. The fastest of
        # two is used: the first run is slower (cold caches), and kill points placed after an
        # import has already finished test nothing.
        t_write = t_done = float("inf")
        for attempt in range(2):
            ws = tmp_path / f"calibrate{attempt}.acctdesk"
            shutil.copy(pristine[None], ws)
            progress = tmp_path / f"calibrate{attempt}.progress"
            pid = ask(f"import {ws} {csv} {progress}")
            assert ask(f"wait {pid}") == "exit 0"
            stamps = {}
            for line in progress.read_text().splitlines():
                parts = line.split()
                stamps.setdefault(parts[0], float(parts[1]))
                if parts[0] == "done":
                    assert parts[2] == str(ROWS) and parts[3] == "None"
            t_write = min(t_write, stamps["writing"] - stamps["start"])
            t_done = min(t_done, stamps["done"] - stamps["start"])
            assert _state(ws, None) == ("after", [])

        rng = np.random.default_rng(2026)
        n_read = KILL_POINTS // 6
        delays = np.concatenate([
            rng.uniform(0.0, t_write, n_read),
            rng.uniform(t_write, t_done * 0.95, KILL_POINTS - n_read)])
        for i, delay in enumerate(delays):
            k = key if i % 5 == 4 else None  # every fifth point: an encrypted workspace
            ws = tmp_path / f"kill{i}.acctdesk"
            shutil.copy(pristine[k], ws)
            progress = tmp_path / f"kill{i}.progress"
            extra = f" {k.hex()}" if k else ""
            pid = int(ask(f"import {ws} {csv} {progress}{extra}"))
            time.sleep(float(delay))
            killed_at = time.monotonic()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            ended = ask(f"wait {pid}")
            assert ended in ("signal 9", "exit 0"), ended
            state, problems = _state(ws, k)
            assert problems == [], (i, delay, problems)
            outcomes.append((float(delay), _phase(progress, killed_at), state, ended))
            for p in ws.parent.glob(f"{ws.name}*"):
                p.unlink()
    finally:
        if server.poll() is None:
            server.stdin.write("quit\n")
            server.stdin.flush()
        server.wait(timeout=60)

    # a few imports in freshly started interpreters, killed at random points
    for i, delay in enumerate(np.random.default_rng(7).uniform(0.8, 4.0, SPAWNED_POINTS)):
        ws = tmp_path / f"spawn{i}.acctdesk"
        shutil.copy(pristine[None], ws)
        progress = tmp_path / f"spawn{i}.progress"
        child = subprocess.Popen([sys.executable, str(WORKER), "import", str(ws), str(csv),
                                  str(progress)], env=_env(), cwd=tmp_path)
        time.sleep(float(delay))
        killed_at = time.monotonic()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        state, problems = _state(ws, None)
        assert problems == []
        outcomes.append((float(delay), _phase(progress, killed_at), state,
                         f"exit {child.returncode}"))

    mixed = [o for o in outcomes if not o[2] in ("before", "after")]
    assert not mixed, mixed
    states = [o[2] for o in outcomes]
    in_write = [o for o in outcomes if o[1] == "writing"]
    killed = [o for o in outcomes if o[3] in ("signal 9", "exit -9")]
    summary = (f"{len(outcomes)} kill points ({len(killed)} killed mid-run, "
               f"{len(in_write)} in the write phase): {states.count('before')} before, "
               f"{states.count('after')} after; write phase at {t_write:.2f}s of {t_done:.2f}s")
    print(summary)
    assert len(outcomes) >= 50, summary
    assert len(killed) >= 40, summary
    assert len(in_write) >= 15, summary
    assert states.count("before") >= 5 and states.count("after") >= 1, summary


# ---------------------------------------------------------------------------------------------
# The same for undo, encrypt and a priority-pack round trip (issue 16)
# ---------------------------------------------------------------------------------------------
OP_KILL_POINTS = int(os.environ.get("ACCTDESK_OP_KILL_POINTS", "14"))


def _fingerprint(path: Path, key: bytes | None = None) -> tuple:
    """What the user sees of a workspace, without times and hashes that differ per run:
    every account, usage row and activity, the batches' states, the audit actions."""
    import hashlib

    with Workspace(path, key=key) as ws:
        assert ws.integrity_check() == []
        digest = hashlib.sha256()
        for sql in ("SELECT account_id, name, owner, arr, status FROM accounts ORDER BY 1",
                    "SELECT account_id, metric, date, value FROM usage ORDER BY 1, 2, 3",
                    "SELECT activity_id, account_id, kind, text FROM activities ORDER BY 1",
                    "SELECT batch_id, status FROM import_batches ORDER BY 1"):
            for row in ws.conn.execute(sql):
                digest.update(repr(row).encode())
        actions = tuple(r[0] for r in ws.conn.execute("SELECT action FROM audit_log ORDER BY id"))
        return digest.hexdigest(), actions, ws.encrypted


def _op_prepared(tmp_path: Path, demo_file: Path) -> dict[str, tuple[Path, str]]:
    """Pristine workspaces (and the argument) for each operation."""
    import openpyxl

    from acctdesk.engine.pack import build_pack
    from acctdesk.export.pack import write_pack
    from acctdesk.importers.pipeline import import_file

    out = {}
    # undo: 200k usage rows, then a file overlapping 20k of them; undo the first batch
    csv = tmp_path / "usage.csv"
    _make_csv(csv)
    overlap = tmp_path / "overlap.csv"
    lines = csv.read_text().splitlines()
    extra = [f"A{(i % ACCOUNTS) + 1:06d},2030-01-28,logins,{i}" for i in range(20_000)]
    overlap.write_text("\n".join([lines[0], *lines[1:20_001], *extra]) + "\n")
    undo_ws = tmp_path / "pristine-undo.acctdesk"
    _make_workspace(undo_ws, None)
    with Workspace(undo_ws) as ws:
        first = import_file(ws, csv).batch_ids[0]
        assert import_file(ws, overlap).error is None
        ws.checkpoint()
    out["undo"] = (undo_ws, str(first))
    # encrypt: the same workspace, with a passphrase
    enc_ws = tmp_path / "pristine-encrypt.acctdesk"
    shutil.copy(undo_ws, enc_ws)
    phrase = tmp_path / "phrase.txt"
    phrase.write_text("correct horse battery staple\n")
    out["encrypt"] = (enc_ws, str(phrase))
    # pack: the demo portfolio and its priority pack with every owner and note edited
    pack_ws = tmp_path / "pristine-pack.acctdesk"
    shutil.copy(demo_file, pack_ws)
    pack = tmp_path / "pack.xlsx"
    with Workspace(pack_ws) as ws:
        write_pack(build_pack(ws, risk_source="health"), pack)
    wb = openpyxl.load_workbook(pack)
    sheet = wb["Worklist"]
    col = {c.value: c.column for c in sheet[4]}
    for r in range(5, sheet.max_row + 1):
        if sheet.cell(r, col["Account ID"]).value:
            sheet.cell(r, col["Owner"]).value = f"Owner {r % 7}"
            sheet.cell(r, col["Notes"]).value = f"call back about renewal {r}"
    wb.save(pack)
    out["pack"] = (pack_ws, str(pack))
    return out


def test_sigkill_during_undo_encrypt_and_pack_round_trip_is_all_or_nothing(tmp_path, demo_file):
    prepared = _op_prepared(tmp_path, demo_file)
    passphrase = "correct horse battery staple"
    server = subprocess.Popen([sys.executable, str(WORKER), "serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)

    def ask(line: str) -> str:
        server.stdin.write(line + "\n")
        server.stdin.flush()
        return server.stdout.readline().strip()

    def state_of(path: Path) -> tuple:
        key = crypto.load_key(path, passphrase=passphrase)[0] if crypto.is_encrypted(path) \
            else None
        return _fingerprint(path, key)

    report = {}
    try:
        assert server.stdout.readline().strip() == "ready"
        for op, (pristine, arg) in prepared.items():
            before = state_of(pristine)
            # calibration: a run to the end gives the "after" state and the duration
            ws = tmp_path / f"{op}-calibrate.acctdesk"
            shutil.copy(pristine, ws)
            progress = tmp_path / f"{op}-calibrate.progress"
            pid = ask(f"{op} {ws} {arg} {progress}")
            assert ask(f"wait {pid}") == "exit 0", progress.read_text()
            stamps = {line.split()[0]: float(line.split()[1])
                      for line in progress.read_text().splitlines()}
            duration = stamps["done"] - stamps["start"]
            after = state_of(ws)
            assert after != before
            outcomes = []
            delays = np.random.default_rng(16).uniform(0.0, duration * 1.02, OP_KILL_POINTS)
            for i, delay in enumerate(delays):
                ws = tmp_path / f"{op}-kill{i}.acctdesk"
                shutil.copy(pristine, ws)
                progress = tmp_path / f"{op}-kill{i}.progress"
                pid = int(ask(f"{op} {ws} {arg} {progress}"))
                time.sleep(float(delay))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                ended = ask(f"wait {pid}")
                assert ended in ("signal 9", "exit 0"), (op, ended)
                state = state_of(ws)
                label = "before" if state == before else "after" if state == after else "MIXED"
                assert label != "MIXED", (op, i, float(delay), state, before, after)
                outcomes.append((label, ended))
                for p in tmp_path.glob(f"{ws.name}*"):
                    p.unlink()
            report[op] = outcomes
    finally:
        if server.poll() is None:
            server.stdin.write("quit\n")
            server.stdin.flush()
        server.wait(timeout=60)
    print({op: (sum(o[0] == "before" for o in v), sum(o[0] == "after" for o in v),
                sum(o[1] == "signal 9" for o in v)) for op, v in report.items()})
    for op, outcomes in report.items():
        labels = [o[0] for o in outcomes]
        killed = sum(o[1] == "signal 9" for o in outcomes)
        assert killed >= OP_KILL_POINTS // 2, (op, outcomes)
        assert "before" in labels, (op, outcomes)
