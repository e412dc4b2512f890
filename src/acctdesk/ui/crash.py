"""The crash dialog: an unexpected error, from any thread, shown with details to copy."""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton


class CrashReporter(QObject):
    """Lives in the UI thread; ``report`` may be emitted from any thread (queued)."""

    report = Signal(str)
    shown = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last: str | None = None
        self.report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _show(self, details: str) -> None:
        self.last = details
        self.shown.emit(details)
        if os.environ.get("ACCTDESK_NO_DIALOGS") == "1":
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "acctdesk hit an unexpected error",
                          "Something went wrong that acctdesk did not expect. Your workspace "
                          "is safe: every change is written in one transaction. Please send "
                          "the details below to your administrator.",
                          QMessageBox.StandardButton.Ok, self.window)
        box.setDetailedText(details)
        copy = QPushButton("Copy details")
        box.addButton(copy, QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
        box.open()
