"""The first minutes with your own data in the app: an empty workspace opens quietly on the
first-run guide, a missing one is offered, and the first import leaves the guide."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from acctdesk.exports_guide import EXPORT_KINDS
from acctdesk.models import Workspace
from acctdesk.ui.app import start_window
from acctdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
HUBSPOT = ROOT / "tests" / "data" / "importers" / "hubspot" / "companies.csv"
STRIPE = ROOT / "tests" / "data" / "importers" / "stripe" / "subscriptions.csv"


@pytest.fixture
def no_dialogs(monkeypatch):
    """Dialogs allowed (as in the real app), and any message box fails the test."""
    monkeypatch.delenv("ACCTDESK_NO_DIALOGS", raising=False)
    opened = []

    class FailingBox(QMessageBox):
        def __init__(self, *args, **kwargs):
            opened.append(args[2] if len(args) > 2 else kwargs)
            raise AssertionError(f"a message box was opened: {opened[-1]}")

    for module in ("acctdesk.ui.main_window", "acctdesk.ui.crash"):
        monkeypatch.setattr(f"{module}.QMessageBox", FailingBox)
    # start_window installs the crash hooks: give them back afterwards
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    return opened


def _settled(qtbot, window):
    """Wait until the window's background jobs (integrity check, scores) have finished."""
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=60_000)
    qtbot.wait(400)     # START_DELAY_MS: the background work starts after the first paint
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=60_000)


def _watch(window):
    failures = []
    window.runner.failed.connect(lambda kind, message, _details: failures.append((kind,
                                                                                 message)))
    return failures


def test_an_empty_workspace_opens_on_the_guide_without_any_dialog(qtbot, tmp_path,
                                                                 no_dialogs):
    path = tmp_path / "mine.acctdesk"
    Workspace(path, create=True).close()
    window = start_window(path)
    qtbot.addWidget(window)
    failures = _watch(window)
    with qtbot.waitSignal(window.integrity_checked, timeout=60_000):
        pass
    _settled(qtbot, window)
    assert window.workspace is not None
    assert window.stack.currentWidget() is window.first_run
    assert window.sidebar.isVisible() and window.sidebar.currentRow() == -1
    assert failures == []
    assert no_dialogs == []
    assert window._crash_reporter.last is None          # no crash dialog either
    # every view opens on it with words, not an error
    for key, _title in window.VIEWS:
        window.show_view(key)
        _settled(qtbot, window)
    assert failures == [] and no_dialogs == [] and window._crash_reporter.last is None
    assert "no accounts yet" in window.accounts_view.grid.empty_text.lower()
    window.close()


def test_the_guide_names_each_system_and_its_menu_path(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    path = tmp_path / "book.acctdesk"
    Workspace(path, create=True).close()
    with qtbot.waitSignal(window.workspace_loaded, timeout=60_000):
        window.open_workspace(path)
    guide = window.first_run
    text = guide.kinds.text() + guide.title.text()
    for kind in EXPORT_KINDS:
        assert kind.title in text
        for system, _where in kind.where:
            assert system in text
    assert "Salesforce" in text and "Reports › New Report › Accounts" in text
    assert "Billing › Subscriptions › Export" in text          # Stripe
    assert "Admin Center › Account › Tools › Reports › Export" in text     # Zendesk
    assert "“book” has no accounts yet" in guide.title.text()
    chosen = []
    window.choose_import_files = lambda: chosen.append(True)   # the file dialog
    guide.import_requested.disconnect()
    guide.import_requested.connect(window.choose_import_files)
    guide.import_button.click()
    assert chosen == [True]
    window.close()


def test_ctrl_n_creates_an_empty_workspace_and_the_first_import_leaves_the_guide(
        qtbot, tmp_path, monkeypatch, no_dialogs):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    failures = _watch(window)
    target = tmp_path / "accounts"          # the suffix is added
    monkeypatch.setattr("acctdesk.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.workspace_loaded, timeout=60_000) as loaded:
        window.action_new.trigger()
    assert loaded.args == [str(tmp_path / "accounts.acctdesk")]
    assert window.stack.currentWidget() is window.first_run
    _settled(qtbot, window)

    from acctdesk.importers.pipeline import import_file

    for f in (HUBSPOT, STRIPE):
        assert import_file(window.workspace, f).error is None
    with qtbot.waitSignal(window.data_reloaded, timeout=60_000):
        window.reload()
    assert window.stack.currentWidget() is not window.first_run
    assert window.current_view_key() == "today"
    _settled(qtbot, window)
    assert failures == [] and no_dialogs == []
    window.close()


def test_a_missing_workspace_is_offered_as_a_new_empty_one(qtbot, tmp_path, no_dialogs):
    path = tmp_path / "Q4 book.acctdesk"
    window = start_window(path)          # acctdesk app PATH / acctdesk PATH
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.welcome.create_button.isVisible(), timeout=10_000)
    message = window.welcome.message.text()
    assert str(path) in message and "demo" not in message.lower()
    assert not path.exists()
    with qtbot.waitSignal(window.workspace_loaded, timeout=60_000) as loaded:
        window.welcome.create_button.click()
    assert loaded.args == [str(path)]
    assert window.workspace.count("accounts") == 0
    assert window.stack.currentWidget() is window.first_run
    assert no_dialogs == []
    window.close()


def test_a_file_that_is_not_a_workspace_is_explained_on_the_welcome_screen(
        qtbot, tmp_path, no_dialogs):
    bad = tmp_path / "export.acctdesk"
    bad.write_text("Account,ARR\n")
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.load_failed, timeout=30_000):
        window.open_workspace(bad)
    label = window.welcome.message
    assert "not an acctdesk workspace" in label.text()
    assert no_dialogs == []         # shown in full where the user looks, not in a dialog too
    # fully readable: the label is as tall as its wrapped text needs, inside the window
    qtbot.waitUntil(lambda: label.isVisible())
    assert label.height() >= label.heightForWidth(label.width())
    window.close()


@pytest.mark.parametrize("size", [(1280, 800), (760, 520)])
def test_the_welcome_text_is_never_cut_off(qtbot, size):
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    long_error = ("/home/someone/Documents/Customer Success/2026 planning/accounts.acctdesk: "
                  "the file is damaged (database disk image is malformed). Restore it from a "
                  "backup (files named accounts.acctdesk.bak-*) or re-import the exports.")
    for message in ("", long_error):
        window.welcome.show_message(message)
        qtbot.wait(50)
        for label in (window.welcome.blurb, window.welcome.message):
            if label.isVisible():
                assert label.height() >= label.heightForWidth(label.width()), label.text()
        buttons = [window.welcome.new_button, window.welcome.open_button,
                   window.welcome.demo_button]
        tops = [b.mapTo(window, b.rect().topLeft()).y() for b in buttons]
        blurb = window.welcome.blurb
        blurb_bottom = blurb.mapTo(window, blurb.rect().bottomLeft()).y()
        assert blurb_bottom < min(tops)           # the text is above the buttons, not under
    window.close()
