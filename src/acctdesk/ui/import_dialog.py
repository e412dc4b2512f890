"""The import dialog: every dropped file, its recognised source, a preview, the column
mapping, row errors and account matches to confirm; then Import with progress and cancel,
and a summary with "Export rejected rows".

All reading and matching runs in the task runner (``preview`` and ``import`` kinds); the
dialog only shows results. It calls ``importers.pipeline``, never SQL or parsing of its own.
"""
from __future__ import annotations

import html

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout,
    QHeaderView, QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSplitter,
    QTableView, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from ..field_labels import field_label
from .table_model import Column, FrameTableModel
from .tasks import TaskRunner, TaskState

UNMAPPED = "(not a field: kept as an extra column)"
DECISIONS = ("Link to suggested account", "Create a new account", "Skip these rows")


@dataclass
class FileChoice:
    """What the user decided for one file (source, mapping, account decisions)."""

    path: Path
    profile_id: str | None = None
    mapping: dict[str, str] | None = None      # set when the user edited the mapping
    entity: str | None = None
    decisions: dict[str, str] = field(default_factory=dict)
    preview: Any = None


def _profiles() -> list[tuple[str, str]]:
    from ..importers.profiles import REGISTRY

    return sorted(((p.id, f"{p.system}: {p.entity}") for p in REGISTRY), key=lambda t: t[1])


def _targets(entity: str) -> list[str]:
    from ..models.schema import ENTITY_FIELDS

    hints = [] if entity == "accounts" else ["account.name", "account.domain",
                                            "account.external_id"]
    fields = [f for f in ENTITY_FIELDS[entity] if f not in ("account_id",)]
    if entity == "accounts":
        fields = ["account.external_id"] + [f for f in fields]
    return hints + fields


class ImportDialog(QDialog):
    UNMAPPED_TEXT = UNMAPPED
    preview_ready = Signal(str)          # file path
    import_finished = Signal(object)     # list[FileResult]
    import_cancelled = Signal()

    def __init__(self, workspace, files: list[str | Path], runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import files")
        self.setMinimumSize(980, 640)
        self.workspace = workspace
        self.runner = runner
        self.choices = [FileChoice(Path(f)) for f in files]
        self.results: list = []
        self._importing = False
        self._filling = False
        self._cancel_connected = False

        self._build_file_list()
        self._build_tabs()

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:"))
        top.addWidget(self.source, 1)
        top.addWidget(self.confidence)
        rl.addLayout(top)
        rl.addWidget(self.tabs, 1)

        split = QSplitter()
        split.addWidget(self.file_list)
        split.addWidget(right)
        split.setStretchFactor(1, 1)

        self._build_footer()

        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

        self.runner.progress.connect(self._progress)
        self._pending_previews = list(range(len(self.choices)))
        self._preview_next()
        if self.choices:
            self.file_list.setCurrentRow(0)

    def _build_file_list(self):
        """The files, each with what it was recognised as."""
        self.file_list = QListWidget()
        self.file_list.setMinimumWidth(320)
        self.file_list.setWordWrap(True)
        self.file_list.setSpacing(3)
        for c in self.choices:
            item = QListWidgetItem(f"{c.path.name}\nchecking…")
            item.setToolTip(str(c.path))
            self.file_list.addItem(item)
        self.file_list.currentRowChanged.connect(self._show_file)

    def _build_tabs(self):
        """The source picker and the preview, columns, row errors and accounts to confirm."""
        self.source = QComboBox()
        self.source.setObjectName("sourceCombo")
        self.source.addItem("Recognise automatically", None)
        for pid, label in _profiles():
            self.source.addItem(label, pid)
        self.source.activated.connect(self._source_changed)
        self.confidence = QLabel("")

        self.preview_model = FrameTableModel([], self)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setVisible(False)
        self.preview.setAlternatingRowColors(True)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        self.mapping = QTableWidget(0, 2)
        self.mapping.setHorizontalHeaderLabels(["Column in the file", "Stored as"])
        self.mapping.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping.verticalHeader().setVisible(False)
        self.apply_mapping = QPushButton("Apply mapping")
        self.apply_mapping.clicked.connect(self._mapping_changed)
        mapping_box = QWidget()
        mb = QVBoxLayout(mapping_box)
        mb.setContentsMargins(0, 0, 0, 0)
        mb.addWidget(self.mapping)
        mb.addWidget(self.apply_mapping, 0, Qt.AlignmentFlag.AlignRight)

        self.problems = QListWidget()
        self.review = QTableWidget(0, 4)
        self.review.setHorizontalHeaderLabels(["In the file", "Probably", "Similarity", "Decision"])
        self.review.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.review.verticalHeader().setVisible(False)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.addTab(mapping_box, "Columns")
        self.tabs.addTab(self.problems, "Row errors")
        self.tabs.addTab(self.review, "Accounts to confirm")

    def _build_footer(self):
        """Status, progress and the Import, Export rejected rows and Cancel buttons."""
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.export_rejected_button = self.buttons.addButton(
            "Export rejected rows…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_rejected_button.hide()
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.export_rejected_button.clicked.connect(self._export_rejected)

    # ------------------------------------------------------------------ previews
    def _preview_next(self) -> None:
        if not self._pending_previews:
            self._update_summary()
            return
        i = self._pending_previews.pop(0)
        choice = self.choices[i]
        ws = self.workspace

        def work(state: TaskState):
            from ..importers.pipeline import preview_file

            return preview_file(ws, choice.path, profile_id=choice.profile_id,
                                mapping=choice.mapping, entity=choice.entity,
                                decisions=choice.decisions, cancel=lambda: state.cancelled)

        def done(preview):
            choice.preview = preview
            self._label_file(i)
            if self.file_list.currentRow() == i:
                self._show_file(i)
            self.preview_ready.emit(str(choice.path))
            self._preview_next()

        self.runner.start(f"preview:{i}", f"Checking {choice.path.name}", work, done)

    def _refresh_preview(self, i: int) -> None:
        if i not in self._pending_previews:
            self._pending_previews.append(i)
        if not any(k.startswith("preview:") for k in self.runner._running):
            self._preview_next()

    def _label_file(self, i: int) -> None:
        c = self.choices[i]
        p = c.preview
        item = self.file_list.item(i)
        if p is None:
            item.setText(f"{c.path.name}\nchecking…")
        elif p.error:
            item.setText(f"{c.path.name}\n⚠ {p.error[:200]}")
            item.setToolTip(p.error)
        else:
            system = p.plan.profile.system
            note = f"{system} {p.plan.profile.entity} · {p.rows_read:,} rows"
            if p.already_imported:
                note += " · already imported"
            elif p.row_errors or p.review:
                note += f" · {len(p.row_errors)} errors · {len(p.review)} to confirm"
            item.setText(f"{c.path.name}\n{note}")

    def _show_file(self, i: int) -> None:
        if i < 0 or i >= len(self.choices):
            return
        c = self.choices[i]
        p = c.preview
        self._filling = True
        try:
            idx = self.source.findData(c.profile_id)
            self.source.setCurrentIndex(max(idx, 0))
            if p is None:
                self.confidence.setText("checking…")
                self.preview_model.columns = []
                self.preview_model.set_frame(_empty_frame())
                return
            if p.error:
                self.confidence.setText("")
                self.status.setText(f"{c.path.name}: {p.error}")
                self.preview_model.columns = []
                self.preview_model.set_frame(_empty_frame())
                self.mapping.setRowCount(0)
                self.problems.clear()
                self.review.setRowCount(0)
                self._fill_mapping(c, p)
                return
            how = {"profile": "recognised", "saved": "saved mapping", "suggested":
                   "suggested mapping", "user": "your mapping"}.get(p.plan.how, p.plan.how)
            self.confidence.setText(f"{p.plan.profile.system} ({how}, {p.plan.confidence:.0%})")
            self._fill_preview(p)
            self._fill_mapping(c, p)
            self.problems.clear()
            for e in p.row_errors[:500]:
                self.problems.addItem(str(e))
            if len(p.row_errors) > 500:
                self.problems.addItem(f"… and {len(p.row_errors) - 500:,} more")
            self.tabs.setTabText(2, f"Row errors ({len(p.row_errors)})")
            self._fill_review(c, p)
        finally:
            self._filling = False

    def _fill_preview(self, p) -> None:
        import pandas as pd

        frame = p.rows
        entity = p.plan.profile.entity if p.plan is not None and p.plan.profile else None
        cols = []
        for key in frame.columns:
            values = frame[key].dropna()
            numeric = len(values) > 0 and values.map(
                lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
            if numeric:
                frame = frame.assign(**{key: pd.to_numeric(frame[key], errors="coerce")})
            cols.append(Column(key, field_label(key, entity), "number" if numeric else "text"))
        self.preview_model.columns = cols
        from .table_model import make_formatter

        self.preview_model._formatters = [make_formatter(c.kind) for c in cols]
        self.preview_model.set_frame(frame)
        self.preview.resizeColumnsToContents()

    def _fill_mapping(self, c: FileChoice, p) -> None:
        plan = p.plans[0] if p.plans and p.plan is None else p.plan
        if plan is None:
            return
        entity = plan.profile.entity if plan.profile else (c.entity or "accounts")
        targets = _targets(entity)
        headers = [str(h) for h in plan.sheet.frame.columns]
        self.mapping.setRowCount(len(headers))
        for row, h in enumerate(headers):
            self.mapping.setItem(row, 0, QTableWidgetItem(h))
            combo = QComboBox()
            combo.addItem(UNMAPPED, None)
            for t in targets:
                combo.addItem(field_label(t, entity), t)
            current = plan.mapping.get(h)
            if current is not None and combo.findData(current) < 0:
                combo.addItem(field_label(current, entity), current)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            self.mapping.setCellWidget(row, 1, combo)
        self._mapping_entity = entity

    def _fill_review(self, c: FileChoice, p) -> None:
        self.review.setRowCount(len(p.review))
        for row, item in enumerate(p.review):
            label = item["name"] or item["domain"] or item["external_id"]
            cell = QTableWidgetItem(str(label))
            rows = ", ".join(map(str, item.get("rows", [])[:10]))
            cell.setToolTip(f"{item['reason']}" + (f" (file rows {rows})" if rows else ""))
            self.review.setItem(row, 0, cell)
            self.review.setItem(row, 1, QTableWidgetItem(item["candidate_name"] or ""))
            self.review.setItem(row, 2, QTableWidgetItem(f"{item['score']:.0f}%"))
            combo = QComboBox()
            for d in DECISIONS:
                combo.addItem(d)
            combo.setCurrentIndex(-1)
            combo.setPlaceholderText("Choose…")
            combo.currentIndexChanged.connect(
                lambda ix, r=row, it=item, ch=c: self._decide(ch, it, ix))
            self.review.setCellWidget(row, 3, combo)
        self.tabs.setTabText(3, f"Accounts to confirm ({len(p.review)})")

    # ------------------------------------------------------------------ user changes
    def _current(self) -> tuple[int, FileChoice] | None:
        i = self.file_list.currentRow()
        return (i, self.choices[i]) if 0 <= i < len(self.choices) else None

    def _source_changed(self, index: int) -> None:
        cur = self._current()
        if cur is None or self._filling:
            return
        i, c = cur
        c.profile_id = self.source.itemData(index)
        c.mapping = None
        c.preview = None
        self._label_file(i)
        self._show_file(i)
        self._refresh_preview(i)

    def set_mapping(self, column: str, target: str | None) -> None:
        """Map ``column`` of the current file to ``target`` (None: keep as custom field)."""
        for row in range(self.mapping.rowCount()):
            if self.mapping.item(row, 0).text() == column:
                combo: QComboBox = self.mapping.cellWidget(row, 1)
                combo.setCurrentIndex(max(combo.findData(target), 0) if target else 0)
                return
        raise KeyError(column)

    def _mapping_changed(self) -> None:
        cur = self._current()
        if cur is None:
            return
        i, c = cur
        mapping = {}
        for row in range(self.mapping.rowCount()):
            target = self.mapping.cellWidget(row, 1).currentData()
            if target:
                mapping[self.mapping.item(row, 0).text()] = target
        c.mapping = mapping
        c.entity = getattr(self, "_mapping_entity", None)
        c.preview = None
        self._label_file(i)
        self._refresh_preview(i)

    def _decide(self, c: FileChoice, item: dict, index: int) -> None:
        label = str(item["name"] or item["domain"] or item["external_id"])
        if index == 0:
            c.decisions[label] = item["candidate_id"]
        elif index == 1:
            c.decisions[label] = "new"
        elif index == 2:
            c.decisions[label] = "reject"

    def decide(self, row: int, decision: int) -> None:
        """Pick a decision (index into DECISIONS) for review row ``row`` of this file."""
        self.review.cellWidget(row, 3).setCurrentIndex(decision)

    # ------------------------------------------------------------------ import
    def _update_summary(self) -> None:
        ready = [c for c in self.choices if c.preview is not None and not c.preview.error]
        bad = [c for c in self.choices if c.preview is not None and c.preview.error]
        rows = sum(c.preview.rows_read for c in ready)
        text = f"{len(ready)} of {len(self.choices)} files ready, {rows:,} rows."
        if bad:
            text += f" {len(bad)} cannot be imported as they are (see the list)."
        self.status.setText(text)
        self.import_button.setEnabled(bool(ready) and not self._importing)

    def start_import(self) -> None:
        if self._importing or self.results:
            self.accept()
            return
        ws = self.workspace
        jobs = [c for c in self.choices if c.preview is None or not c.preview.error]
        if not jobs:
            return
        self._importing = True
        self.import_button.setEnabled(False)
        self.progress.show()
        self.cancel_button.setText("Cancel import")

        def work(state: TaskState):
            from ..importers.errors import ImportCancelled
            from ..importers.pipeline import import_file, save_mapping

            results = []
            for n, c in enumerate(jobs):
                def report(f, text, n=n):
                    state.progress((n + f) / len(jobs), f"{c.path.name}: {text}")
                try:
                    r = import_file(ws, c.path, profile_id=c.profile_id, mapping=c.mapping,
                                    entity=c.entity, decisions=c.decisions,
                                    cancel=lambda: state.cancelled, progress=report)
                except ImportCancelled:
                    state.check()
                    raise
                if c.mapping and not r.error and c.preview is not None and c.preview.plan:
                    headers = [str(h) for h in c.preview.plan.sheet.frame.columns]
                    save_mapping(ws, headers, c.entity or r.entity, c.mapping)
                results.append(r)
                state.check()
            return results

        self.runner.start("import", "Importing", work, self._imported)
        if not self._cancel_connected:
            self.runner.cancelled.connect(self._import_cancelled)
            self._cancel_connected = True

    def _progress(self, kind: str, fraction: float, text: str) -> None:
        if kind == "import":
            self.progress.setValue(int(fraction * 100))
            self.status.setText(text)

    def _imported(self, results) -> None:
        self._importing = False
        self.results = results
        self.progress.hide()
        lines = []
        for r in results:
            name = Path(r.file).name
            if r.error:
                lines.append(f"<b>{name}</b>: not imported: {r.error}")
            elif r.skipped:
                lines.append(f"<b>{name}</b>: already imported; nothing changed")
            else:
                from html import escape

                lines.append(f"<b>{name}</b>: {escape(r.summary())}")
                lines.extend(f"&nbsp;&nbsp;{escape(line)}" for line in r.reasons(6)
                             if " unchanged: " not in line)
            # lines of another encoding inside a UTF-8 file: read, but worth a look
            lines.extend(f"&nbsp;&nbsp;{html.escape(n)}" for n in r.notes if "not valid UTF-8" in n)
        self.status.setText("<br>".join(lines))
        self.export_rejected_button.setVisible(any(r.rejected for r in results))
        # one way out once the import is done: Close (not "Done" beside "Close")
        self.import_button.hide()
        self.cancel_button.setText("Close")
        self.cancel_button.setDefault(True)
        self.import_finished.emit(results)

    def _import_cancelled(self, kind: str) -> None:
        if kind != "import" or not self._importing:
            return
        self._importing = False
        self.progress.hide()
        self.status.setText("Import cancelled: the file being imported left no trace in the "
                            "workspace.")
        self.import_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.import_cancelled.emit()

    def _cancel_or_close(self) -> None:
        if self._importing:
            self.runner.cancel("import")
            return
        for i in range(len(self.choices)):
            self.runner.cancel(f"preview:{i}")
        self.reject()

    def _export_rejected(self) -> None:
        from ..importers.pipeline import export_rejected

        batch = next((b for r in self.results if r.rejected for b in r.batch_ids), None)
        if batch is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export rejected rows",
                                              str(Path.home() / f"rejected-batch-{batch}.csv"),
                                              "CSV files (*.csv)")
        if path:
            n = export_rejected(self.workspace, batch, path)
            self.status.setText(self.status.text() + f"<br>{n} rejected rows written to {path}")

    def done(self, result: int) -> None:  # closing the dialog stops its previews
        for i in range(len(self.choices)):
            self.runner.cancel(f"preview:{i}")
        if self._cancel_connected:
            self.runner.cancelled.disconnect(self._import_cancelled)
            self._cancel_connected = False
        super().done(result)


def _empty_frame():
    import pandas as pd

    return pd.DataFrame()
