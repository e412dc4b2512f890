"""Preferences of the open workspace: its name, currency, and the data date override."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout,
)

CURRENCIES = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK", "INR")


class PreferencesDialog(QDialog):
    """Edits workspace settings; every change goes to the audit log."""

    def __init__(self, workspace, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(460)
        self.workspace = workspace
        self.name = QLineEdit(workspace.get_meta("name") or workspace.path.stem)
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.currency.setCurrentText(workspace.get_meta("currency") or "USD")
        self.data_date = QLineEdit(workspace.get_meta("data_date") or "")
        self.data_date.setPlaceholderText("automatic: the latest date in the data")
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b3261e")
        form = QFormLayout()
        form.addRow("Workspace name", self.name)
        form.addRow("Currency", self.currency)
        form.addRow("Data date (YYYY-MM-DD)", self.data_date)
        hint = QLabel("Every figure is computed as of the data date: the day your exports "
                      "were pulled, not today. Leave it empty to use the latest date in the "
                      "data.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        date = self.data_date.text().strip()
        if date:
            try:
                date = dt.date.fromisoformat(date).isoformat()
            except ValueError:
                self.error.setText(f"'{date}' is not a date like 2026-10-31.")
                return
        currency = self.currency.currentText().strip().upper()
        if not (len(currency) == 3 and currency.isalpha()):
            self.error.setText("The currency is a three-letter code such as USD or EUR.")
            return
        name = self.name.text().strip() or self.workspace.path.stem
        ws = self.workspace
        new = {"name": name, "currency": currency, "data_date": date or None}
        old = {k: ws.get_meta(k) for k in new}
        if new != old:
            with ws.transaction():
                for key, value in new.items():
                    ws.set_meta(key, value)   # None clears it (data date: automatic again)
                ws.audit("settings.change", "meta", None, before=old, after=new)
        self.accept()
