"""Asking for an encrypted workspace's passphrase in a dialog, never on stdin.

Workspaces open on worker threads; the key code asks its installed provider for the
passphrase from there. The provider hands the question to the UI thread (a queued signal),
waits for the answer, and returns it (None when the user cancels).
"""
from __future__ import annotations

import os
import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit


class PassphraseBroker(QObject):
    ask = Signal(str, str, bool)

    def __init__(self, app):
        super().__init__()
        self.moveToThread(app.thread())
        self._answer: str | None = None
        self._done = threading.Event()
        self.ask.connect(self._ask, Qt.ConnectionType.QueuedConnection)

    def _ask(self, path: str, prompt: str, new: bool) -> None:
        parent = QApplication.activeWindow()
        text, ok = QInputDialog.getText(parent, "Passphrase", prompt or
                                        f"Passphrase for {os.path.basename(path)}:",
                                        QLineEdit.EchoMode.Password)
        if ok and new:
            again, ok = QInputDialog.getText(parent, "Passphrase", "Type it again:",
                                             QLineEdit.EchoMode.Password)
            if ok and again != text:
                ok = False
        self._answer = text if ok and text else None
        self._done.set()

    def provide(self, path, prompt: str, new: bool) -> str | None:
        if os.environ.get("ACCTDESK_NO_DIALOGS") == "1":
            return None
        if QThread.currentThread() is self.thread():
            self._ask(str(path), prompt, new)
            return self._answer
        self._done.clear()
        self.ask.emit(str(path), prompt, new)
        self._done.wait()
        return self._answer


def install_passphrase_dialog(app) -> PassphraseBroker:
    from ..models.crypto import set_passphrase_provider

    broker = PassphraseBroker(app)
    app._passphrase_broker = broker
    set_passphrase_provider(broker.provide)
    return broker
