"""The app's side of issue 16: a damaged workspace offers its newest good backup (point 10),
and undoing a batch that later data depends on asks first, naming it (point 1)."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt

from acctdesk.importers.pipeline import import_file
from acctdesk.models import Workspace
from acctdesk.models import edits
from acctdesk.ui.main_window import MainWindow


def _window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    return w


def _close(w):
    w.runner.cancel()
    w.runner.wait(10_000)
    w.close()


def _damaged_with_backups(tmp_path):
    path = tmp_path / "w.acctdesk"
    with Workspace(path, create=True) as ws:
        ws.insert_rows("accounts", ["account_id", "name"],
                       [(f"a{i}", f"Account {i}" * 20) for i in range(2000)])
        ws.checkpoint()
        good = ws.backup("auto")
    time.sleep(1.1)
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096):
        data[page * 4096 + 10: page * 4096 + 200] = b"\xff" * 190
    path.write_bytes(bytes(data))
    return path, good


def test_damaged_workspace_offers_its_newest_good_backup_and_restores_it(qtbot, tmp_path):
    path, good = _damaged_with_backups(tmp_path)
    w = _window(qtbot)
    asked = []

    def confirm(p, message, backup, checked):
        asked.append((p, message, backup.path, [b.ok for b in checked]))
        return True

    w.confirm_restore = confirm
    try:
        with qtbot.waitSignal(w.workspace_loaded, timeout=60_000):
            w.open_workspace(path)
        assert asked[0][0] == path and "damaged" in asked[0][1]
        assert asked[0][2] == good and asked[0][3] == [True]
        assert w.workspace is not None and w.accounts_view.model.rowCount() == 2000
        text = w.status_label.text()
        assert f"Restored w.acctdesk from {good.name}" in text
        assert "the damaged file is kept as w.acctdesk.damaged-" in text
        assert list(tmp_path.glob("w.acctdesk.damaged-*"))
    finally:
        _close(w)


def test_declining_the_restore_changes_nothing(qtbot, tmp_path):
    path, _good = _damaged_with_backups(tmp_path)
    before = path.read_bytes()
    w = _window(qtbot)
    w.confirm_restore = lambda *a: False
    try:
        with qtbot.waitSignal(w.load_failed, timeout=60_000) as failed:
            w.open_workspace(path)
        assert "damaged" in failed.args[0] and "acctdesk restore" in failed.args[0]
        assert w.workspace is None and w.stack.currentWidget() is w.welcome
        assert path.read_bytes() == before and not list(tmp_path.glob("*.damaged-*"))
    finally:
        _close(w)


def test_undo_whose_accounts_have_later_data_asks_naming_it(qtbot, tmp_path):
    path = tmp_path / "w.acctdesk"
    crm = tmp_path / "crm.csv"
    crm.write_text("Customer,CSM,ARR\nAcme Corp,Maria,1000\nGlobex,Sam,2000\n")
    usage = tmp_path / "usage.csv"
    usage.write_text("Account,Date,Metric,Value\nAcme Corp,2026-01-31,logins,5\n")
    with Workspace(path, create=True) as ws:
        batch = import_file(ws, crm).batch_ids[0]
        import_file(ws, usage)
        acme = ws.conn.execute("SELECT account_id FROM accounts WHERE name = 'Acme Corp'"
                               ).fetchone()[0]
        edits.add_activity(ws, acme, "call", "pricing call")
    w = _window(qtbot)
    try:
        with qtbot.waitSignal(w.workspace_loaded, timeout=60_000):
            w.open_workspace(path)
        w.show_view("imports")
        view = w.imports_view
        view.table.selectRow(1)                              # crm.csv (the older batch)
        assert view.selected_batch() == batch
        view.confirm_undo = lambda b, name: True
        questions = []
        view.confirm_undo_anyway = lambda b, text: questions.append(text) or False
        qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(questions), timeout=30_000)
        assert "Acme Corp" in questions[0] and "1 usage rows from usage.csv" in questions[0]
        assert "1 note or call logged in acctdesk" in questions[0]
        assert "keeps that account" in questions[0]
        qtbot.waitUntil(lambda: "was not undone" in w.status_label.text(), timeout=10_000)
        assert w.workspace.count("accounts") == 2        # declined: nothing changed
        # asked again and accepted: undone, Acme stays for its usage and the call
        view.table.selectRow(1)
        view.confirm_undo_anyway = lambda b, text: True
        with qtbot.waitSignal(w.data_reloaded, timeout=30_000):
            qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        names = {r[0] for r in w.workspace.conn.execute("SELECT name FROM accounts")}
        assert names == {"Acme Corp"}
        assert w.workspace.count("usage") == 1 and w.workspace.count("activities") == 1
    finally:
        _close(w)


def test_import_summary_says_which_lines_were_not_utf8(qtbot, tmp_path):
    """Issue 16, point 7: the dialog's summary, not only --json, names the lines."""
    path = tmp_path / "w.acctdesk"
    Workspace(path, create=True).close()
    csv = tmp_path / "accounts.csv"
    note = "Réunion prévue " * 20
    body = "".join(f"Client {n:05d},Zoë,{n},{note}\n" for n in range(1800))
    data = ("Customer,CSM,ARR,Notes\n" + body).encode("utf-8")
    data += "Café Crème,René,77,x\n".encode("cp1252")
    csv.write_bytes(data)
    w = _window(qtbot)
    try:
        with qtbot.waitSignal(w.workspace_loaded, timeout=60_000):
            w.open_workspace(path)
        with qtbot.waitSignal(w.import_dialog_opened, timeout=10_000) as opened:
            w.open_import_dialog([csv])
        dialog = opened.args[0]
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: all(c.preview is not None for c in dialog.choices),
                        timeout=60_000)
        with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
            dialog.start_import()
        text = dialog.status.text()
        assert "line 1802 of the file is not valid UTF-8" in text
        assert "read as Windows-1252" in text
        names = {r[0] for r in w.workspace.conn.execute("SELECT name FROM accounts")}
        assert "Café Crème" in names
    finally:
        _close(w)
