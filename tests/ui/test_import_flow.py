"""Importing from the desktop app: drop files, check and map, confirm matches, import,
cancel, undo — driven through real widgets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from acctdesk.models import Workspace
from acctdesk.ui.main_window import MainWindow

DATA = Path(__file__).parent.parent / "data" / "importers"


@pytest.fixture
def window(qtbot, tmp_path):
    path = tmp_path / "w.acctdesk"
    Workspace(path, create=True).close()
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.workspace_loaded, timeout=30_000):
        w.open_workspace(path)
    yield w
    w.runner.cancel()
    w.runner.wait(10_000)
    w.close()


def drop(widget, paths):
    """A file-manager drop: text/uri-list with file:// URLs only."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    accepted = enter.isAccepted()
    ev = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)
    return accepted


def wait_previews(qtbot, dialog):
    qtbot.waitUntil(lambda: all(c.preview is not None for c in dialog.choices), timeout=60_000)


def test_drop_on_the_accounts_table_opens_the_dialog_and_imports(qtbot, window):
    files = [DATA / "salesforce" / "accounts_details.csv", DATA / "stripe" / "subscriptions.csv"]
    with qtbot.waitSignal(window.import_dialog_opened, timeout=10_000) as opened:
        assert drop(window.accounts_view.table.viewport(), files)
    dialog = opened.args[0]
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    assert "Salesforce" in dialog.file_list.item(0).text()
    assert "Stripe" in dialog.file_list.item(1).text()
    dialog.file_list.setCurrentRow(1)
    assert dialog.preview_model.rowCount() == 7
    assert "Stripe" in dialog.confidence.text()
    with qtbot.waitSignal(window.data_reloaded, timeout=60_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert [r.error for r in dialog.results] == [None, None]
    assert "8 added" in dialog.status.text()
    assert window.accounts_view.model.rowCount() == 8
    assert window.imports_view.model.rowCount() == 2
    assert "last import: subscriptions.csv" in window.status_label.text()


def test_the_dialog_names_fields_in_words_and_ends_with_one_close_button(qtbot, window):
    from acctdesk.field_labels import field_label

    window.open_import_dialog([DATA / "stripe" / "subscriptions.csv"])
    dialog = window.import_dialog
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    model = dialog.preview_model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers[:3] == ["Will link to account", "Subscription id", "Account (external id)"]
    assert not any("_" in h or "account." in h for h in headers)
    combo = next(dialog.mapping.cellWidget(r, 1) for r in range(dialog.mapping.rowCount())
                 if dialog.mapping.item(r, 0).text() == "id")
    assert combo.currentText() == "Subscription id" and combo.currentData() == "sub_id"
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == [dialog.UNMAPPED_TEXT] + [field_label(combo.itemData(i), "subscriptions")
                                              for i in range(1, combo.count())]
    assert not any("_" in t or "account." in t for t in items)
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        dialog.start_import()
    shown = [b.text() for b in dialog.buttons.buttons() if b.isVisible()]
    assert shown == ["Close"]                                   # not Done beside Close
    assert dialog.cancel_button.isDefault()


def test_a_dropped_non_spreadsheet_is_ignored(qtbot, window, tmp_path):
    pic = tmp_path / "logo.png"
    pic.write_bytes(b"\x89PNG")
    assert not drop(window.accounts_view.table.viewport(), [pic])
    assert window.import_dialog is None


def test_map_a_column_by_hand_and_the_mapping_is_remembered(qtbot, window, tmp_path):
    odd = tmp_path / "kunden.csv"
    odd.write_text("Kunde,Betreuer,Jahreswert\nAcme GmbH,Maria,1200\nGlobex AG,Sam,900\n")
    window.open_import_dialog([odd])
    dialog = window.import_dialog
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    assert dialog.choices[0].preview.error is not None        # nothing names the account
    dialog.source.setCurrentIndex(dialog.source.findData("spreadsheet.accounts"))
    dialog._source_changed(dialog.source.currentIndex())
    wait_previews(qtbot, dialog)
    dialog.set_mapping("Kunde", "name")
    dialog.set_mapping("Betreuer", "owner")
    dialog.set_mapping("Jahreswert", "arr")
    qtbot.mouseClick(dialog.apply_mapping, Qt.MouseButton.LeftButton)
    wait_previews(qtbot, dialog)
    p = dialog.choices[0].preview
    assert p.error is None and p.rows_read == 2
    assert list(p.rows["name"]) == ["Acme GmbH", "Globex AG"]
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        dialog.start_import()
    ws = window.workspace
    acc = ws.accounts().set_index("name")
    assert acc.loc["Acme GmbH", "owner"] == "Maria" and acc.loc["Globex AG", "arr"] == 900
    # the same header next time maps itself
    again = tmp_path / "kunden-2.csv"
    again.write_text("Kunde,Betreuer,Jahreswert\nInitech,Sam,400\n")
    from acctdesk.importers.pipeline import import_file

    r = import_file(ws, again)
    assert r.error is None and r.inserted == 1


def test_confirm_an_uncertain_account_match(qtbot, window, tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("Customer,Website,ARR\nNorthwind Traders,northwind.com,5000\n")
    support = tmp_path / "book.csv"
    support.write_text("Customer,CSM\nNorthwind Tradings,Ann\n")
    window.open_import_dialog([crm])
    d1 = window.import_dialog
    qtbot.addWidget(d1)
    wait_previews(qtbot, d1)
    with qtbot.waitSignal(d1.import_finished, timeout=60_000):
        d1.start_import()
    d1.accept()
    window.open_import_dialog([support])
    dialog = window.import_dialog
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    assert dialog.review.rowCount() == 1
    assert dialog.review.item(0, 1).text() == "Northwind Traders"
    dialog.decide(0, 0)                                       # link to the suggested account
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        dialog.start_import()
    acc = window.workspace.accounts()
    assert len(acc) == 1 and acc.loc[0, "owner"] == "Ann"


def big_usage_csv(path: Path, ws: Workspace, rows: int) -> None:
    ids = [f"A{i:05d}" for i in range(1, 2001)]
    ws.insert_rows("accounts", ["account_id", "name", "status"],
                   [(a, f"Account {a}", "active") for a in ids])
    n = rows
    frame = pd.DataFrame({
        "account_id": [ids[i % len(ids)] for i in range(n)],
        "date": [f"2025-{(i // len(ids)) % 12 + 1:02d}-28" for i in range(n)],
        "metric": [("logins", "active_users", "features_adopted")[(i // (len(ids) * 12)) % 3]
                   for i in range(n)],
        "value": [i % 97 for i in range(n)],
    })
    frame.to_csv(path, index=False)


def test_the_window_keeps_handling_events_during_a_large_import_and_cancel_changes_nothing(
        qtbot, window, tmp_path):
    ws = window.workspace
    csv = tmp_path / "usage.csv"
    big_usage_csv(csv, ws, 72_000)
    window.reload()
    qtbot.waitSignal(window.data_reloaded, timeout=30_000).wait()
    before = ws.count("usage"), ws.count("import_batches")

    window.open_import_dialog([csv])
    dialog = window.import_dialog
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    # cancel as soon as the import reports progress: the transaction is rolled back
    dialog.runner.progress.connect(
        lambda kind, f, t: dialog.runner.cancel("import") if kind == "import" else None)
    with qtbot.waitSignal(dialog.import_cancelled, timeout=60_000):
        dialog.start_import()
    assert "cancelled" in dialog.status.text()
    assert (ws.count("usage"), ws.count("import_batches")) == before

    # now let it run: the event loop keeps turning while the worker imports
    dialog.runner.progress.disconnect()
    dialog.runner.progress.connect(window._task_progress)
    dialog.runner.progress.connect(dialog._progress)
    ticks.clear()
    dialog.results = []
    with qtbot.waitSignal(dialog.import_finished, timeout=120_000):
        dialog.start_import()
    timer.stop()
    assert dialog.results[0].inserted == 72_000
    assert len(ticks) >= 5, len(ticks)


def test_imports_view_lists_batches_and_undoes_with_confirmation(qtbot, window):
    from acctdesk.importers.pipeline import import_file

    ws = window.workspace
    import_file(ws, DATA / "salesforce" / "accounts_details.csv")
    bad = Path(ws.path.parent / "book.csv")
    bad.write_text("Customer,ARR\nAcme Corporation,12000\nGlobex,lots\n")
    import_file(ws, bad)
    with qtbot.waitSignal(window.data_reloaded, timeout=30_000):
        window.reload()
    window.show_view("imports")
    view = window.imports_view
    assert window.stack.currentWidget() is view
    assert view.model.rowCount() == 2
    assert view.model.index(0, 1).data() == "book.csv"          # newest first
    assert view.rejected_model.rowCount() == 1
    assert "not an amount" in view.rejected_model.index(0, 3).data()
    asked = []
    view.confirm_undo = lambda batch, name: asked.append((batch, name)) or True
    with qtbot.waitSignal(window.data_reloaded, timeout=30_000):
        qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert asked == [(2, "book.csv")]
    assert view.model.index(0, view.model.column_index("status")).data() == "Undone"
    assert not view.undo_button.isEnabled()
    # declining the confirmation changes nothing
    view.table.selectRow(1)
    view.confirm_undo = lambda batch, name: False
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert ws.count("accounts") == 8


def test_crash_in_a_worker_thread_is_reported(qtbot, window, monkeypatch):
    import sys
    import threading

    from acctdesk.ui.app import install_crash_handler

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)        # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_crash_handler(window)
    reporter = window._crash_reporter
    with qtbot.waitSignal(reporter.shown, timeout=10_000) as shown:
        t = threading.Thread(target=lambda: 1 / 0)
        t.start()
        t.join()
    assert "ZeroDivisionError" in shown.args[0]


def test_preferences_change_the_data_date_and_are_audited(qtbot, window):
    from acctdesk.importers.pipeline import import_file

    ws = window.workspace
    import_file(ws, DATA / "salesforce" / "accounts_details.csv")
    import_file(ws, DATA / "stripe" / "subscriptions.csv")
    assert ws.data_date() < "2025-03-31"          # the latest date in the data
    window.show_preferences()
    dialog = window.preferences_dialog
    dialog.data_date.setText("31/03/2025")
    dialog.save()
    assert "not a date" in dialog.error.text() and dialog.isVisible()
    dialog.data_date.setText("2025-03-31")
    dialog.currency.setCurrentText("eur")
    with qtbot.waitSignal(window.data_reloaded, timeout=30_000):
        dialog.save()
    assert ws.data_date() == "2025-03-31" and ws.get_meta("currency") == "EUR"
    assert "data as of 2025-03-31" in window.status_label.text()
    entry = ws.audit_log().iloc[-1]
    assert entry["action"] == "settings.change" and "2025-03-31" in entry["after"]


def test_audit_view_shows_imports_undo_and_settings_and_exports_them(qtbot, window, tmp_path):
    import openpyxl

    from acctdesk.importers.pipeline import import_file, undo_batch

    ws = window.workspace
    r = import_file(ws, DATA / "salesforce" / "accounts_details.csv")
    undo_batch(ws, r.batch_ids[0])
    with qtbot.waitSignal(window.audit_view.loaded, timeout=30_000):
        window.show_view("audit")
    grid = window.audit_view.grid
    actions = [grid.model.value(i, 2) for i in range(grid.model.rowCount())]
    assert actions[:2] == ["Import undone", "Import"]           # newest first, in words
    imported = grid.model.value(1, 4)
    assert imported.startswith(f"Imported accounts_details.csv as a Salesforce accounts "
                               f"export (batch {r.batch_ids[0]}): 8 rows read, 8 added")
    assert "{" not in imported and '":' not in imported           # a sentence, not JSON
    # the selected entry in full under the table
    grid.table.selectRow(1)
    assert imported in window.audit_view.detail.text()
    out = tmp_path / "audit.xlsx"
    window.audit_view.export_to(out)
    sheet = openpyxl.load_workbook(out).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Import undone" in values and imported in values


def test_the_summary_accounts_for_every_row_with_the_reasons(qtbot, window):
    portfolio = DATA / "_portfolio_b"
    window.open_import_dialog([portfolio / "hubspot_companies.csv",
                               portfolio / "chargebee_customers.csv"])
    dialog = window.import_dialog
    qtbot.addWidget(dialog)
    wait_previews(qtbot, dialog)
    with qtbot.waitSignal(window.data_reloaded, timeout=60_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    text = dialog.status.text()
    # 12 CRM rows: 10 companies and 2 repeated rows; 8 billing customers of known companies
    assert "12 rows read, 10 added" in text and "2 merged" in text
    assert "the same company as row 3 (row 4)" in text
    assert "8 rows read, 0 added, 0 updated, 0 unchanged, 8 merged" in text
    assert "linked to the existing account &#x27;Acme Analytics&#x27; by its web domain" in text
