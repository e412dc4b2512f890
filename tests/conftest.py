"""Shared fixtures: offscreen Qt, private settings/data dirs, an in-memory keyring, workspaces."""
from __future__ import annotations

import os
import shutil

# Before anything imports Qt: no display in tests, and no modal dialogs that would hang.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ACCTDESK_NO_DIALOGS"] = "1"

import keyring
import keyring.backend
import pytest

from acctdesk.models import Workspace


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keychain that lives and dies with one test."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def _private_environment(tmp_path_factory, monkeypatch):
    """Settings, app data and the keychain never touch the real user profile."""
    base = tmp_path_factory.mktemp("profile")
    monkeypatch.setenv("ACCTDESK_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("ACCTDESK_DATA_DIR", str(base / "data"))
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def workspace(tmp_path):
    """An empty workspace on a real file in a temporary directory."""
    ws = Workspace(tmp_path / "test.acctdesk", create=True)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """A 300-account demo workspace built once per run; copy it before changing it."""
    from acctdesk.models.demo import create_demo_workspace

    path = tmp_path_factory.mktemp("demo") / "demo.acctdesk"
    create_demo_workspace(path, n_accounts=300, seed=7, data_date="2026-10-31").close()
    return path


@pytest.fixture
def demo_copy(demo_file, tmp_path):
    """A private copy of the demo workspace that a test may change."""
    target = tmp_path / "demo.acctdesk"
    shutil.copy(demo_file, target)
    return target


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    """Say plainly whether the checks that need LibreOffice ran, and why not (after the
    short summary, just above the final counts)."""
    import os

    yield

    def ours(report):
        return "libreoffice" in report.nodeid.lower()

    stats = terminalreporter.stats
    skipped = [r for r in stats.get("skipped", []) if ours(r)]
    ran = [r for key in ("passed", "failed", "error") for r in stats.get(key, [])
           if ours(r) and getattr(r, "when", "call") == "call"]
    if not skipped and not ran:
        return
    if skipped:
        why = os.environ.get("ACCTDESK_LIBREOFFICE_NOTE") or (
            "LibreOffice (soffice) is not installed; ./run test installs it when run as "
            "root with apt-get, or: sudo apt-get install -y --no-install-recommends "
            "libreoffice-calc-nogui")
        terminalreporter.write_line(
            f"LibreOffice checks: {len(skipped)} SKIPPED, not run: {why}.", yellow=True,
            bold=True)
    else:
        terminalreporter.write_line(f"LibreOffice checks: {len(ran)} ran.", green=True)
