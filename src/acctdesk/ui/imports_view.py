"""The Imports view: every import batch (file, source, time, counts), Undo with confirmation,
and the rejected rows of the selected batch (exportable to fix and re-import)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSplitter,
    QTableView, QVBoxLayout, QWidget,
)

from .table_model import Column, FrameTableModel

BATCH_COLUMNS = [
    Column("batch_id", "Batch", "int"),
    Column("file_name", "File"),
    Column("profile", "Source"),
    Column("entity", "Records"),
    Column("finished_at", "Imported"),
    Column("user", "By"),
    Column("rows_read", "Rows", "int"),
    Column("inserted", "Added", "int"),
    Column("updated", "Updated", "int"),
    Column("rejected", "Rejected", "int"),
    Column("status", "Status", "status"),
]
REJECTED_COLUMNS = [
    Column("row_number", "Row", "int"),
    Column("column_name", "Column"),
    Column("value", "Value"),
    Column("reason", "Problem"),
]


def source_label(profile_id: str | None) -> str | None:
    """'stripe.subscriptions' -> 'Stripe subscriptions'; mappings made by hand say so."""
    if profile_id in (None, ""):
        return None
    if profile_id in ("suggested", "custom"):
        return "Column mapping"
    from ..importers.profiles import get

    try:
        p = get(profile_id)
    except KeyError:
        return profile_id
    return f"{p.system} {p.id.split('.', 1)[-1].replace('_', ' ')}"


def batches_frame(ws) -> pd.DataFrame:
    """The batches with their counts spread into columns, newest first."""
    frame = ws.import_batches()
    if frame.empty:
        return pd.DataFrame(columns=[c.key for c in BATCH_COLUMNS])
    counts = frame["counts"].map(lambda c: json.loads(c) if c else {})
    for key in ("rows_read", "inserted", "updated", "rejected"):
        frame[key] = counts.map(lambda c, k=key: c.get(k)).astype(float)
    frame["finished_at"] = frame["finished_at"].fillna(frame["started_at"]).map(
        lambda v: str(v).replace("T", " ")[:16] if v else None)
    frame["profile"] = frame["profile"].map(source_label)
    return frame.sort_values("batch_id", ascending=False).reset_index(drop=True)


class ImportsView(QWidget):
    undo_requested = Signal(int)      # batch id, after the user confirmed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.workspace = None
        self.title = QLabel("<b>Imports</b>: every file brought into this workspace. Undo "
                            "removes exactly what a batch added or changed.")
        self.title.setWordWrap(True)
        self.model = FrameTableModel(BATCH_COLUMNS, self)
        self.table = QTableView()
        self.table.setObjectName("batchesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        for i, w in enumerate((60, 230, 170, 100, 140, 80, 70, 70, 70, 70, 80)):
            self.table.setColumnWidth(i, w)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_rejected())
        self.undo_button = QPushButton("Undo batch…")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self._undo_clicked)
        self.export_button = QPushButton("Export rejected rows…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export_clicked)
        self.empty = QLabel("No imports yet. Drop CSV or Excel exports anywhere on this window, "
                            "or use File › Import (Ctrl+I).")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.rejected_label = QLabel("")
        self.rejected_model = FrameTableModel(REJECTED_COLUMNS, self)
        self.rejected = QTableView()
        self.rejected.setModel(self.rejected_model)
        self.rejected.verticalHeader().setVisible(False)
        self.rejected.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((60, 160, 200)):
            self.rejected.setColumnWidth(i, w)

        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.rejected_label)
        ll.addWidget(self.rejected)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        layout.addWidget(self.empty, 1)

    def set_workspace(self, ws) -> None:
        self.workspace = ws
        self.refresh()

    def refresh(self) -> None:
        frame = batches_frame(self.workspace) if self.workspace is not None else \
            pd.DataFrame(columns=[c.key for c in BATCH_COLUMNS])
        self._frame = frame
        self.model.set_frame(frame)
        has = len(frame) > 0
        self.split.setVisible(has)
        self.empty.setVisible(not has)
        if has:
            self.table.selectRow(0)
        self._show_rejected()

    def selected_batch(self) -> int | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return int(self.model.value(idx.row(), 0))

    def _show_rejected(self) -> None:
        batch = self.selected_batch()
        if batch is None or self.workspace is None:
            self.rejected_model.set_frame(pd.DataFrame(columns=[c.key for c in REJECTED_COLUMNS]))
            self.rejected_label.setText("")
            self.undo_button.setEnabled(False)
            self.export_button.setEnabled(False)
            return
        from ..importers.pipeline import rejected_rows

        rows = rejected_rows(self.workspace, batch)
        self.rejected_model.set_frame(rows)
        status = self._frame.loc[self._frame["batch_id"] == batch, "status"].iloc[0]
        self.undo_button.setEnabled(status == "applied")
        self.export_button.setEnabled(len(rows) > 0)
        self.rejected_label.setText(
            f"Rejected rows of batch {batch}: {len(rows):,}" if len(rows) else
            f"Batch {batch} has no rejected rows.")

    def confirm_undo(self, batch: int, file_name: str) -> bool:
        """Ask before undoing (tests replace this method)."""
        answer = QMessageBox.question(
            self, "Undo import",
            f"Undo batch {batch} ({file_name})? Everything it added is removed and everything "
            "it changed gets its previous value back.")
        return answer == QMessageBox.StandardButton.Yes

    def confirm_undo_anyway(self, batch: int, text: str) -> bool:
        """Later data depends on accounts the batch brought: ask again, naming it (tests
        replace this method)."""
        answer = QMessageBox.question(
            self, "Undo import anyway?", f"{text}\n\nUndo batch {batch} anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _undo_clicked(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        name = self._frame.loc[self._frame["batch_id"] == batch, "file_name"].iloc[0]
        if self.confirm_undo(batch, name):
            self.undo_requested.emit(batch)

    def _export_clicked(self) -> None:
        from ..importers.pipeline import export_rejected

        batch = self.selected_batch()
        if batch is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export rejected rows", str(Path.home() / f"rejected-batch-{batch}.csv"),
            "CSV files (*.csv)")
        if path:
            n = export_rejected(self.workspace, batch, path)
            self.rejected_label.setText(f"{n} rejected rows written to {path}")
