"""Storage that refuses writes (issue 16, points 8 and 9): a read-only folder or file is
said in words (not "damaged", not raw SQLite text), and a full disk while the write-ahead
log is folded back is reported instead of a silent success; the data stays safe."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from acctdesk.models import Workspace

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")

# As root (CI), file permissions do not apply: the command runs as the user "nobody". The
# interpreter lives under /root, so the process loads acctdesk first and then drops to
# nobody, instead of executing a new interpreter as nobody.
AS_USER = textwrap.dedent("""
    import os, sys
    import acctdesk.cli, acctdesk.models, acctdesk.models.crypto, acctdesk.commands.imports
    import acctdesk.importers.pipeline, json, sqlite3, fcntl, pwd, getpass, encodings.idna
    if os.geteuid() == 0:
        os.setgid(int(sys.argv[1])); os.setuid(int(sys.argv[1]))
    sys.exit(acctdesk.cli.main(sys.argv[2:]))
""")


@pytest.fixture
def shared_dir():
    """A folder another user can reach (pytest's own temporary folders are private)."""
    base = Path(tempfile.mkdtemp(prefix="acctdesk-perm-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    for p in [base, *base.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_as_user(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", AS_USER, str(NOBODY), *args],
                          capture_output=True, text=True, env=_env(), timeout=120)


def _owned(path: Path) -> None:
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def _workspace(folder: Path) -> Path:
    folder.mkdir()
    _owned(folder)
    ws = folder / "w.acctdesk"
    with Workspace(ws, create=True) as w:
        w.insert_rows("accounts", ["account_id", "name"], [("A1", "One")])
        w.checkpoint()
    _owned(ws)
    return ws


def test_workspace_in_a_read_only_folder_says_the_folder_is_read_only(shared_dir):
    ws = _workspace(shared_dir / "reports")
    (shared_dir / "reports").chmod(0o555)
    before = ws.read_bytes()
    p = run_as_user("info", str(ws))
    assert p.returncode == 1
    assert (f"The folder {shared_dir / 'reports'} is read-only, so acctdesk cannot open "
            "w.acctdesk there") in p.stderr
    assert "damaged" not in p.stderr and "Traceback" not in p.stderr
    assert "Copy the workspace to a folder you can write to" in p.stderr
    assert ws.read_bytes() == before


def test_read_only_workspace_file_is_said_in_words(shared_dir):
    ws = _workspace(shared_dir / "mine")
    ws.chmod(0o400)
    csv = shared_dir / "mine" / "a.csv"
    csv.write_text("Customer,ARR\nAcme,5\n")
    _owned(csv)
    for args in (["info", str(ws)], ["import", str(ws), str(csv)]):
        p = run_as_user(*args)
        assert p.returncode == 1
        assert f"{ws} is read-only (its file permissions do not let you change it)" in p.stderr
        assert "chmod u+w" in p.stderr
        assert "readonly database" not in p.stderr and "Traceback" not in p.stderr


DISK_FULL = textwrap.dedent("""
    import resource, signal, sys
    from acctdesk.cli import main
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a write past the limit fails instead
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs RLIMIT_FSIZE")
def test_disk_full_while_folding_the_log_back_is_reported_and_nothing_is_lost(tmp_path):
    """The import fits in the write-ahead log, but the workspace file cannot grow when the
    log is folded back into it (the process may write no file larger than the limit)."""
    ws = tmp_path / "w.acctdesk"
    with Workspace(ws, create=True) as w:
        w.insert_rows("accounts", ["account_id", "name", "industry"],
                      [(f"A{i:05d}", f"Account {i}", "x" * 300) for i in range(8000)])
        w.checkpoint()
    size = ws.stat().st_size
    csv = tmp_path / "usage.csv"
    csv.write_text("account_id,date,metric,value\n" + "".join(
        f"A{i % 8000:05d},2026-{1 + i // 8000:02d}-28,logins,{i % 50}\n" for i in range(40_000)))
    limit = size + 256 * 1024
    p = subprocess.run([sys.executable, "-c", DISK_FULL, str(limit), "import", str(ws), str(csv)],
                       capture_output=True, text=True, env=_env(), timeout=300)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "usage.csv: " in p.stdout                     # the import itself went through
    assert ("the changes were saved, but could not be copied from its journal "
            "w.acctdesk-wal into the workspace file") in p.stderr
    assert "keep that file beside the workspace" in p.stderr and "Traceback" not in p.stderr
    wal = ws.with_name(ws.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0 and ws.stat().st_size <= limit
    # with room again, opening it finishes the job: every row is there
    with Workspace(ws) as w:
        assert w.count("usage") == 40_000 and w.integrity_check() == []
