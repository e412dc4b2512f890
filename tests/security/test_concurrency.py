"""Real processes at once (issue 16, points 1-3): overlapping undo through the command line,
the same file imported by two processes, and ``encrypt`` racing an import.

Every case runs ``acctdesk`` (or a small script) in separate interpreters, as a user with two
windows or a scheduled job would; no process is simulated.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from acctdesk.models import Workspace
from acctdesk.models import crypto

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(crypto.PASSPHRASE_ENV, None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"   # no keychain
    return env


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "acctdesk", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), **kw)


def _run(*args: str) -> tuple[int, str, str]:
    p = _cli(*args)
    out, err = p.communicate(timeout=300)
    return p.returncode, out, err


def _content(path: Path, key: bytes | None = None) -> dict[str, list]:
    with Workspace(path, key=key) as ws:
        out = {}
        for table in ("accounts", "usage", "external_ids"):
            cols = [r[1] for r in ws.conn.execute(f"PRAGMA table_info({table})")
                    if r[1] != "batch_id"]
            out[table] = sorted(ws.conn.execute(f"SELECT {', '.join(cols)} FROM {table}"
                                                ).fetchall(), key=repr)
        return out


# ------------------------------------------------------------------------------ point 1
def test_undo_of_overlapping_batches_through_the_command_line(tmp_path):
    files = {
        "a.csv": "Customer,CSM,ARR\nAcme Corp,Maria,1000\nGlobex,Sam,2000\n",
        "b.csv": "Customer,CSM,ARR\nGlobex,Sam,2000\nInitech,Sam,3000\n",
        "c.csv": "Customer,CSM,ARR\nInitech,Sam,3500\nUmbrella,Eve,4000\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    ws, oracle = tmp_path / "w.acctdesk", tmp_path / "oracle.acctdesk"
    with Workspace(ws, create=True) as w:
        salt = w.get_meta("id_salt")
    with Workspace(oracle, create=True) as w:
        w.set_meta("id_salt", salt)
    for name in files:                              # one process per import, in order
        code, out, err = _run("import", str(ws), str(tmp_path / name), "--json")
        assert code == 0, err
    for name in ("a.csv", "c.csv"):
        assert _run("import", str(oracle), str(tmp_path / name))[0] == 0
    code, out, err = _run("undo", str(ws), "2", "--json")
    assert code == 0, err
    assert json.loads(out)["kept"] == 1             # Initech: c.csv brought it too
    assert _content(ws) == _content(oracle)
    code, out, err = _run("import", str(ws), str(tmp_path / "c.csv"))
    assert code == 0 and "already imported as batch 3; nothing changed" in out


# ------------------------------------------------------------------------------ point 2
RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from acctdesk.importers.pipeline import import_file
    from acctdesk.models import Workspace
    ws_path, csv, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    ws = Workspace(ws_path)
    while not go.exists():          # both processes start importing at the same moment
        time.sleep(0.005)
    r = import_file(ws, csv)
    ws.close()
    print(f"{r.batch_ids} {r.skipped} {r.inserted} {r.error}")
""")


def _usage_csv(path: Path, accounts: int, rows: int) -> None:
    idx = np.arange(rows)
    lines = ["account_id,date,metric,value"]
    lines += [f"A{(i % accounts) + 1:05d},2025-{(i // accounts) % 12 + 1:02d}-28,m{i // (accounts * 12)},"
              f"{i % 97}" for i in idx]
    path.write_text("\n".join(lines) + "\n")


def test_same_file_imported_by_two_processes_at_once_is_applied_once(tmp_path):
    csv = tmp_path / "usage.csv"
    _usage_csv(csv, 500, 60_000)
    for round_ in range(3):
        ws_path = tmp_path / f"w{round_}.acctdesk"
        with Workspace(ws_path, create=True) as ws:
            ws.insert_rows("accounts", ["account_id", "name"],
                           [(f"A{i:05d}", f"Account {i}") for i in range(1, 501)])
        go = tmp_path / f"go{round_}"
        procs = [subprocess.Popen([sys.executable, "-c", RACER, str(ws_path), str(csv), str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=_env()) for _ in range(2)]
        time.sleep(3)                                 # both have opened the workspace
        go.touch()
        outs = [p.communicate(timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        with Workspace(ws_path) as ws:
            applied = ws.conn.execute("SELECT batch_id FROM import_batches WHERE status = "
                                      "'applied'").fetchall()
            assert len(applied) == 1, outs           # one batch, not two
            assert ws.count("usage") == 60_000
            assert ws.integrity_check() == []
            lines = sorted(o[0].strip() for o in outs)
            # the other process was told, and changed nothing
            assert lines[0].endswith("True 0 None") or lines[1].endswith("True 0 None"), lines
            from acctdesk.models.batch_undo import undo_batch
            undo_batch(ws, applied[0][0])
            assert ws.count("usage") == 0 and ws.count("accounts") == 500


# ------------------------------------------------------------------------------ point 3
def test_encrypt_racing_an_import_never_loses_the_import(tmp_path, demo_file):
    """Start ``encrypt`` and ``import`` at staggered moments. Whatever the order, an import
    that reports success is in the final file, an encryption that reports success left an
    encrypted file, and a command that could not go ahead says so; never both exit 0 with
    the batch missing."""
    csv = tmp_path / "usage.csv"
    template = tmp_path / "template.acctdesk"
    shutil.copy(demo_file, template)
    with Workspace(template) as ws:
        ids = [r[0] for r in ws.conn.execute("SELECT account_id FROM accounts")]
        # a bigger file: the conversion takes long enough for the import to start inside it
        ws.insert_rows("usage", ["account_id", "date", "metric", "value"],
                       ((ids[i % len(ids)], f"2020-{1 + (i // len(ids)) % 12:02d}-01",
                         f"filler_{i // (len(ids) * 12)}", float(i)) for i in range(400_000)))
        ws.checkpoint()
    rng = np.random.default_rng(5)
    lines = ["account_id,date,metric,value"] + [
        f"{ids[i % len(ids)]},2027-01-15,race_metric_{i // len(ids)},{rng.integers(0, 99)}"
        for i in range(40_000)]
    csv.write_text("\n".join(lines) + "\n")
    phrase = tmp_path / "phrase.txt"
    phrase.write_text(PASSPHRASE + "\n")
    outcomes = []
    # delays sweep both orders across the whole of the other command's run
    for trial, delay in enumerate(np.round(np.arange(-2.4, 2.01, 0.4), 2)):
        ws = tmp_path / f"race{trial}.acctdesk"
        shutil.copy(template, ws)
        first, second = (("encrypt", "import") if delay >= 0 else ("import", "encrypt"))
        cmds = {
            "encrypt": ["encrypt", str(ws), "--key-store", "passphrase",
                        "--passphrase-file", str(phrase)],
            "import": ["import", str(ws), str(csv), "--json", "--passphrase-file", str(phrase)],
        }
        started = {first: time.monotonic()}
        procs = {first: _cli(*cmds[first])}
        time.sleep(abs(delay))
        started[second] = time.monotonic()
        procs[second] = _cli(*cmds[second])
        ended: dict[str, float] = {}
        while len(ended) < 2:                   # when each one ended (their runs overlap?)
            for k, p in procs.items():
                if k not in ended and p.poll() is not None:
                    ended[k] = time.monotonic()
            time.sleep(0.01)
        res = {k: (p.communicate(timeout=300), p.returncode) for k, p in procs.items()}
        overlapped = started[second] < ended[first]
        (enc_out, enc_err), enc_code = res["encrypt"]
        (imp_out, imp_err), imp_code = res["import"]
        encrypted = crypto.is_encrypted(ws)
        assert encrypted == (enc_code == 0), (trial, enc_out, enc_err)
        key = crypto.load_key(ws, passphrase=PASSPHRASE)[0] if encrypted else None
        with Workspace(ws, key=key) as w:
            assert w.integrity_check() == []
            batches = w.conn.execute("SELECT COUNT(*) FROM import_batches WHERE status = "
                                     "'applied'").fetchone()[0]
            rows = w.conn.execute("SELECT COUNT(*) FROM usage WHERE metric LIKE 'race_metric%'"
                                  ).fetchone()[0]
        if imp_code == 0:
            result = json.loads(imp_out)["files"][0]
            assert result["error"] is None
            assert (batches, rows) == (1, 40_000), (trial, "import reported success but is "
                                                    "missing", enc_code, imp_out[-300:])
        else:
            assert (batches, rows) == (0, 0), trial
            text = imp_out + imp_err
            assert "being encrypted" in text or "busy" in text or "open in another" in text, text
            assert "Traceback" not in text
        if enc_code != 0:
            assert "open in another acctdesk window or command" in enc_err, enc_err
            assert "Traceback" not in enc_err
            # a refused encryption leaves no plain copy behind
            assert not list(tmp_path.glob(f"{ws.name}.bak-pre-encrypt-*"))
            assert not list(tmp_path.glob(f".{ws.name}*"))
        outcomes.append((float(delay), enc_code, imp_code, overlapped))
    print("encrypt/import (delay, encrypt exit, import exit, ran at once):", outcomes)
    # the race was really run: in most trials the two commands ran at the same time (then
    # one waited for the other, or was refused with a message)
    assert sum(o[3] for o in outcomes) >= len(outcomes) // 2, outcomes
    assert any(o[1] == 0 and o[2] == 0 and o[3] for o in outcomes), outcomes
