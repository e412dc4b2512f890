"""The scorecard editor's window: the card picked, saved, reverted, exported and imported;
its parts (structure, measure, bands, assignment, preview) are mixins of their own modules."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QColorDialog, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)

from .helpers import PREVIEW_DELAY_MS, SCORECARD_FILTER, escape_text, input_catalogue
from ..tasks import TaskRunner
from .assignment import AssignmentMixin
from .bands import BandsMixin
from .measure import MeasureMixin
from .preview import PreviewMixin
from .tasks import load
from .tree import StructureMixin


class ScorecardView(StructureMixin, MeasureMixin, BandsMixin, AssignmentMixin, PreviewMixin,
                    QWidget):
    """Edit scorecards with a live preview. See the module docstring.

    Signals: ``loaded`` (the workspace's cards and the first preview are shown),
    ``preview_updated(dict)`` (a new preview is shown), ``saved(str)`` (a card id was stored).
    """

    loaded = Signal()
    preview_updated = Signal(object)
    saved = Signal(str)

    KIND_LOAD = "scorecards.load"
    KIND_PREVIEW = "scorecards.preview"

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.workspace = None
        self._data = None
        self._as_of: str | None = None
        self._dates: list[str] = []
        self._cards: dict = {}
        self._stored: set[str] = set()
        self._assignment = None
        self._lock = threading.Lock()
        self._card = None
        self._saved_json: dict | None = None
        self._filling = False
        self._counts: dict[str, int] | None = None
        self._backtest: dict | None = None
        self.colour_dialog: QColorDialog | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self._build()
        self._show_empty("Open a workspace to edit its health scorecards.")

    def _build(self) -> None:
        self.title = QLabel("<b>Scorecards</b>: what makes an account healthy. Edit weights, "
                            "thresholds and bands and watch how the book and the backtest "
                            "change before you save.")
        self.title.setWordWrap(True)

        top = self._build_top()
        left = self._build_structure()

        # ---- middle: tabs (measure / bands / assignment)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_item_editor(), "Measure")
        self.tabs.addTab(self._build_bands_editor(), "Bands")
        self.tabs.addTab(self._build_assignment_editor(), "Assignment rules")

        # ---- right: the preview
        right = self._build_preview()

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.addWidget(right)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 4)
        split.setSizes([430, 400, 420])
        self.split = split

        self.problems_label = QLabel("")
        self.problems_label.setObjectName("scorecardProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.editor = QWidget()
        el = QVBoxLayout(self.editor)
        el.setContentsMargins(0, 0, 0, 0)
        el.addLayout(top)
        el.addWidget(self.status)
        el.addWidget(split, 1)
        el.addWidget(self.problems_label)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.pages, 1)

    def _build_top(self) -> QHBoxLayout:
        """The card picker, its name and id, Save, Revert, Export and Import."""
        self.card_combo = QComboBox()
        self.card_combo.setObjectName("scorecardPicker")
        self.card_combo.setMinimumContentsLength(28)
        self.card_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.card_combo.currentIndexChanged.connect(self._combo_changed)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Scorecard name")
        self.name_edit.textEdited.connect(self._name_edited)
        self.id_edit = QLineEdit()
        self.id_edit.setMaximumWidth(170)
        self.id_edit.setToolTip("The scorecard's id: saving under a new id keeps the old card")
        self.id_edit.textEdited.connect(self._id_edited)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveScorecard")
        self.save_button.setToolTip("Store this scorecard in the workspace")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Discard the edits since the card was opened or saved")
        self.revert_button.clicked.connect(self.revert)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write this scorecard to a JSON file to share it")
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Open a scorecard JSON file in the editor")
        self.import_button.clicked.connect(self.choose_import)
        top = QHBoxLayout()
        top.addWidget(QLabel("Scorecard"))
        top.addWidget(self.card_combo, 2)
        top.addWidget(QLabel("Name"))
        top.addWidget(self.name_edit, 2)
        top.addWidget(QLabel("Id"))
        top.addWidget(self.id_edit, 1)
        for b in (self.save_button, self.revert_button, self.export_button, self.import_button):
            top.addWidget(b)
        self.status = QLabel("")
        self.status.setObjectName("scorecardStatus")
        self.status.setWordWrap(True)
        return top

    def set_workspace(self, ws) -> None:
        """Show the scorecards of ``ws`` (None clears the view); loads in the runner."""
        self.runner.cancel(self.KIND_PREVIEW)
        self._preview_timer.stop()
        self.workspace = ws
        self._data = None
        if ws is None:
            self.runner.cancel(self.KIND_LOAD)
            self._show_empty("Open a workspace to edit its health scorecards.")
            return
        self._show_empty("Reading the workspace…")
        self.runner.start(self.KIND_LOAD, "Loading scorecards", lambda st: load(ws, st),
                          self._loaded)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """A closed editor computes nothing more (its plot is gone)."""
        self._preview_timer.stop()
        self.runner.cancel(self.KIND_PREVIEW)
        self.runner.cancel(self.KIND_LOAD)
        super().closeEvent(event)

    def _show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.pages.setCurrentWidget(self.empty)

    def _loaded(self, result: dict[str, Any]) -> None:
        if result is None:
            return
        self._data = result["data"]
        self._lock = result["lock"]
        self._as_of = result["as_of"]
        self._dates = result["dates"]
        self._cards = result["cards"]
        self._stored = result["stored"]
        self._assignment = result["assignment"]
        self._catalogue = input_catalogue(self._cards.values())
        self._fill_input_combo()
        self._fill_card_combo(result["first"])
        self._fill_assignment(result["assignment_counts"], result["assignment_error"])
        self.pages.setCurrentWidget(self.editor)
        self._open_card(self._cards[result["first"]])
        self._loaded_pending = True
        self.refresh_preview()

    def _fill_card_combo(self, select: str | None) -> None:
        self._filling = True
        self.card_combo.clear()
        for cid, card in sorted(self._cards.items(),
                                key=lambda kv: (kv[0] not in self._stored, kv[1].name.lower())):
            where = "saved in this workspace" if cid in self._stored else "built-in"
            self.card_combo.addItem(f"{card.name} ({where})", cid)
            self.card_combo.setItemData(self.card_combo.count() - 1,
                                        f"{card.name} — id {cid}, {where}. {card.description}",
                                        Qt.ItemDataRole.ToolTipRole)
        if select is not None:
            i = self.card_combo.findData(select)
            self.card_combo.setCurrentIndex(max(i, 0))
        self._filling = False
        self.card_combo.setToolTip(self.card_combo.currentText())

    def _combo_changed(self, index: int) -> None:
        if self._filling or index < 0:
            return
        cid = self.card_combo.itemData(index)
        self.card_combo.setToolTip(self.card_combo.currentText())
        if cid in self._cards:
            self._open_card(self._cards[cid])
            self.status.setText("")
            self._schedule_preview()

    @property
    def card(self):
        """The card being edited (a live object; copy it before keeping it)."""
        return self._card

    def select_card(self, card_id: str) -> None:
        """Open an available card by id (as if picked in the list)."""
        i = self.card_combo.findData(card_id)
        if i < 0:
            raise KeyError(card_id)
        if i == self.card_combo.currentIndex():
            self._combo_changed(i)
        else:
            self.card_combo.setCurrentIndex(i)

    def set_card(self, card) -> None:
        """Edit a copy of ``card`` (e.g. one read from a file); the preview follows."""
        self._open_card(card, saved=False)
        self._schedule_preview()

    def _open_card(self, card, saved: bool = True) -> None:
        self._card = card.copy()
        self._saved_json = self._card.to_dict() if saved else None
        self._filling = True
        self.name_edit.setText(self._card.name)
        self.name_edit.setToolTip(self._card.description or self._card.name)
        self.id_edit.setText(self._card.id)
        self._filling = False
        self._fill_tree()
        self._fill_bands()
        self._validate()

    def _edited(self, structure: bool = False) -> None:
        """After any edit: shares, validation, and (debounced) the preview."""
        if structure:
            self._fill_tree()
        else:
            self._update_shares()
        self._validate()
        self._schedule_preview()

    def _name_edited(self, text: str) -> None:
        if self._card is not None and not self._filling:
            self._card.name = text
            self._validate()

    def _id_edited(self, text: str) -> None:
        if self._card is not None and not self._filling:
            self._card.id = text.strip()
            self._validate()

    def problems(self) -> list[str]:
        return [] if self._card is None else self._card.problems()

    def _validate(self) -> None:
        problems = self.problems()
        if problems:
            items = "".join(f"<li>{escape_text(p)}</li>" for p in problems[:8])
            more = f"<li>… and {len(problems) - 8} more</li>" if len(problems) > 8 else ""
            self.problems_label.setText(
                f"<span style='color:#b3261e'><b>{len(problems)} problem"
                f"{'s' if len(problems) > 1 else ''} to fix before saving:</b></span>"
                f"<ul style='margin:0'>{items}{more}</ul>")
            self.problems_label.setToolTip("\n".join(problems))
        else:
            dirty = self.is_dirty()
            self.problems_label.setText(
                "<span style='color:#1e7b45'>✓ The scorecard is valid.</span>"
                + (" Unsaved changes." if dirty else ""))
            self.problems_label.setToolTip("")
        self.save_button.setEnabled(not problems and self.workspace is not None)
        self.export_button.setEnabled(not problems)

    def is_dirty(self) -> bool:
        return self._card is not None and self._card.to_dict() != self._saved_json

    def save(self) -> bool:
        """Store the card in the workspace (refused while it has problems)."""
        from ...engine.scorecards import save_scorecard

        if self.workspace is None or self._card is None or self.problems():
            return False
        card = self._card.copy()
        save_scorecard(self.workspace, card)
        self._cards[card.id] = card
        self._stored.add(card.id)
        self._saved_json = card.to_dict()
        self._fill_card_combo(card.id)
        self.status.setText(f"Saved “{card.name}” ({card.id}) in this workspace.")
        self._validate()
        self.saved.emit(card.id)
        return True

    def revert(self) -> None:
        cid = self.card_combo.currentData()
        if cid in self._cards:
            self._open_card(self._cards[cid])
            self.status.setText("Edits discarded.")
            self._schedule_preview()

    def export_to(self, path) -> Path:
        """Write the card being edited to a scorecard JSON file (replacing ``path``)."""
        from ...engine.scorecards import export_scorecard

        path = export_scorecard(self._card, path, overwrite=True)
        self.status.setText(f"Exported “{self._card.name}” to {path}.")
        return path

    def import_from(self, path):
        """Open a scorecard file in the editor (unsaved until Save); returns the card.
        A file with problems raises :class:`ScorecardError` and leaves the editor as it was."""
        from ...engine.scorecards import read_scorecard_file

        card = read_scorecard_file(path)
        self.set_card(card)
        self.status.setText(f"Opened “{card.name}” from {Path(path).name}; Save keeps it in "
                            "this workspace.")
        return card

    def ask_save_path(self, title: str, default: str, filters: str) -> str | None:
        """The file dialog (tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(self, title, default, filters)
        return path or None

    def ask_open_path(self, title: str, default: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, title, default, filters)
        return path or None

    def choose_export(self) -> None:
        if self._card is None:
            return
        path = self.ask_save_path("Export scorecard", str(Path.home() / f"{self._card.id}.json"),
                                  SCORECARD_FILTER)
        if path:
            try:
                self.export_to(path)
            except Exception as exc:   # shown, not raised: a UI action
                self.status.setText(f"Could not export: {exc}")

    def choose_import(self) -> None:
        path = self.ask_open_path("Import scorecard", str(Path.home()), SCORECARD_FILTER)
        if path:
            from ...analytics.scorecards import ScorecardError

            try:
                self.import_from(path)
            except ScorecardError as exc:
                self.status.setText("Could not import: " + "; ".join(exc.problems))
            except OSError as exc:
                self.status.setText(f"Could not import: {exc}")
