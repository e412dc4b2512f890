"""The Audit view: every change to the workspace (imports, undo, edits, settings, erasure,
encryption), newest first, filterable and exportable."""
from __future__ import annotations

import html

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .table_model import Column
from .table_view import DataTableView
from .tasks import TaskRunner, TaskState

AUDIT_COLUMNS = [
    Column("at", "When", "text", width=150),
    Column("user", "Who", "text", width=90),
    Column("action", "Action", "text", width=140),
    Column("entity", "What", "text", width=180),
    Column("detail", "What happened", "text", width=600),
]


class AuditView(QWidget):
    loaded = Signal()
    KIND = "audit:load"

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.workspace = None
        self.title = QLabel("<b>Audit trail</b>: every change to this workspace, who made it "
                            "and what it was before. Stored inside the workspace file.")
        self.title.setWordWrap(True)
        self.grid = DataTableView(AUDIT_COLUMNS, "audit", noun="entries", noun_one="entry",
                                  empty_text="No changes recorded yet.")
        # the whole sentence of the selected entry (a table cell shows its start)
        self.detail = QLabel("")
        self.detail.setObjectName("auditDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.grid.table.selectionModel().currentRowChanged.connect(
            lambda *_: self._show_detail())
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self.grid.choose_export)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.detail)

    def set_workspace(self, ws) -> None:
        self.workspace = ws
        if ws is None:
            self.grid.set_frame(pd.DataFrame(columns=[c.key for c in AUDIT_COLUMNS]))
            return

        def work(state: TaskState):
            from ..audit_words import readable_entries

            rows = readable_entries(ws)[::-1]       # newest first, in sentences
            return pd.DataFrame(rows, columns=[c.key for c in AUDIT_COLUMNS])

        self.runner.start(self.KIND, "Reading the audit trail", work, self._show)

    def _show(self, frame) -> None:
        self.grid.set_frame(frame)
        if self.grid.model.rowCount():
            self.grid.table.selectRow(0)
        self._show_detail()
        self.loaded.emit()

    def _show_detail(self) -> None:
        """The selected entry in full, under the table."""
        row = self.grid.table.currentIndex().row()
        model = self.grid.model
        if row < 0 or row >= model.rowCount():
            self.detail.setText("Select an entry to read it in full.")
            return
        value = {c.key: model.value(row, i) for i, c in enumerate(model.columns)}
        who = " · ".join(html.escape(str(value[k])) for k in ("at", "user", "action")
                         if value.get(k))
        self.detail.setText(f"<b>{who}</b><br>{html.escape(str(value.get('detail') or ''))}")

    def export_to(self, path) -> None:
        self.grid.export_visible(path, title="Audit trail")
