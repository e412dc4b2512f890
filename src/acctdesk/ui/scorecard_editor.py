"""The Scorecards view: edit a health scorecard and see what it does to the book, live.

Pick a stored or built-in card (the presets are built-in cards), edit its groups and
measures (input, direction, thresholds or linear range), weights (the normalised share of the
score is shown as you type), bands (range, label, colour) and the workspace's assignment
rules. Every edit re-validates the card (:meth:`Scorecard.problems`; Save is disabled while
there is a problem) and, after a short pause, re-scores the workspace in the task runner: the
preview shows how many active accounts land in each band and how well the score predicts
churn in a backtest (AUC, top-decile lift). Save stores the card in the workspace; Export and
Import write and read a scorecard JSON file.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QColorDialog, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
    QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea,
    QSpinBox, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QTabWidget,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ..analytics.plain import times_in_100
from .tasks import TaskRunner, TaskState

#: pause after the last edit before the preview is recomputed (ms).
PREVIEW_DELAY_MS = 250
NO_SCORE = "No score"
NO_SCORE_COLOUR = "#9a9a9a"
SCORECARD_FILTER = "Scorecard files (*.json);;All files (*)"
_ROLE = Qt.ItemDataRole.UserRole
_WINDOWS_HELP = "Days of history the input looks at (rows dated within the window)"


# ====================================================================== plain helpers
def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:g}"
    return str(v)


def _parse_num(text: str) -> Any:
    """'12' -> 12.0; '' -> None; anything else is kept as text so validation names it."""
    t = text.strip().replace(",", "")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        return text.strip()


def describe_source(src) -> str:
    """A plain-words description of a measure's input (for labels and tooltips)."""
    if src is None:
        return "—"
    k = src.kind
    win = src.window
    when = "" if win is None else f" in the last {win:g} days" if isinstance(win, (int, float)) \
        else f" this {win}"
    flt = ""
    if src.filter:
        parts = []
        for key, v in src.filter.items():
            if isinstance(v, dict) and "not" in v:
                parts.append(f"{key} not {', '.join(map(str, v['not']))}")
            elif isinstance(v, list):
                parts.append(f"{key} {' or '.join(map(str, v))}")
            elif v is True:
                parts.append(key)
            else:
                parts.append(f"{key} {v}")
        flt = f" ({'; '.join(parts)})"
    if k == "field":
        return f"account {src.field}"
    if k == "aggregate":
        what = src.metric or src.field or src.entity
        if src.agg == "count":
            return f"number of {src.entity}{flt}{when}"
        if src.agg == "any":
            return f"any {src.entity.rstrip('s')}{flt}{when} (yes/no)"
        word = {"last": "latest", "mean": "average", "sum": "total", "max": "highest",
                "min": "lowest"}.get(src.agg, src.agg)
        return f"{word} {what.replace('_', ' ')} ({src.entity}){flt}{when}"
    if k == "days_since":
        return f"days since the latest {src.entity.rstrip('s')}{flt}"
    if k == "days_until":
        return f"days until {src.field}"
    if k == "change":
        unit = "% change" if src.mode == "pct" else "change"
        return f"{unit} of [{describe_source(src.of)}] vs {src.lag_days:g} days earlier"
    if k == "ratio":
        return f"[{describe_source(src.numerator)}] / [{describe_source(src.denominator)}]"
    return k


def input_catalogue(cards) -> list[tuple[str, dict]]:
    """Distinct measure inputs of ``cards`` as (label, source dict), in first-seen order."""
    seen, out = set(), []
    for card in cards:
        for m in card.measures:
            d = m.source.to_dict()
            key = repr(sorted(d.items(), key=lambda kv: kv[0]))
            if key in seen:
                continue
            seen.add(key)
            out.append((m.name, d))
    return out


def band_counts(card, scores) -> dict[str, int]:
    """Accounts per band label in the card's band order, plus ``No score`` (when any)."""
    labels = scores["band"].astype(object)
    counts = {b.label: int((labels == b.label).sum()) for b in card.bands}
    missing = int(labels.isna().sum())
    if missing:
        counts[NO_SCORE] = missing
    return counts


def _preview(card_dict: dict, data, as_of: str | None, dates: list[str],
             lock: threading.Lock, state: TaskState) -> dict[str, Any]:
    """Worker: score the book as of the data date and backtest the card."""
    from ..analytics.health import Scorecard, backtest, score_accounts

    card = Scorecard.from_dict(card_dict, validate=False)
    if data is None or as_of is None or data.accounts.empty:
        return {"card": card_dict, "counts": None, "backtest": None, "as_of": as_of}
    with lock:   # the prepared arrays of ScoringData are cached: one scorer at a time
        state.check()
        state.progress(0.1, "Scoring the book…")
        scores = score_accounts(card, data, as_of)
        state.check()
        state.progress(0.5, "Backtesting the scorecard…")
        bt = backtest(card, data, dates) if dates else None
    if bt is not None:
        bt = {k: v for k, v in bt.items() if k != "observations"}
    return {"card": card_dict, "counts": band_counts(card, scores), "backtest": bt,
            "as_of": as_of, "scored": int(scores["score"].notna().sum()),
            "accounts": int(len(scores))}


def _load(ws, state: TaskState) -> dict[str, Any]:
    """Worker: everything the editor needs from the workspace."""
    from ..analytics.assignment import assign
    from ..analytics.health import backtest_dates
    from ..models.scores import available_scorecards, load_assignment, load_scorecards
    from .today_view import workspace_data

    state.progress(0.05, "Reading the workspace for the scorecard preview…")
    data = workspace_data(ws)
    state.check()
    cards = available_scorecards(ws, data)
    stored = set(load_scorecards(ws))
    try:
        assignment = load_assignment(ws)
        assignment_error = None
    except Exception as exc:   # a damaged stored assignment: say so, offer the default
        from ..analytics.assignment import default_assignment

        assignment, assignment_error = default_assignment(), str(exc)
    as_of = ws.data_date()
    dates = backtest_dates(as_of) if as_of else []
    counts = {}
    if as_of and len(data.accounts):
        counts = assign(assignment, data.accounts, as_of).value_counts().to_dict()
    first = assignment.default if assignment.default in cards else next(iter(cards))
    return {"data": data, "cards": cards, "stored": stored, "assignment": assignment,
            "assignment_error": assignment_error, "assignment_counts": counts,
            "as_of": as_of, "dates": dates, "first": first,
            "currency": ws.get_meta("currency")}


# ====================================================================== the view
class ScorecardView(QWidget):
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

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.title = QLabel("<b>Scorecards</b>: what makes an account healthy. Edit weights, "
                            "thresholds and bands and watch how the book and the backtest "
                            "change before you save.")
        self.title.setWordWrap(True)

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

        # ---- left: the structure with weights and shares
        self.tree = QTreeWidget()
        self.tree.setObjectName("scorecardTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Group / measure", "Weight", "Share of score"])
        self.tree.headerItem().setToolTip(
            2, "Weights are normalised: a group's share is its weight over all group weights; "
               "a measure's share is its group's share times its weight over its group's")
        hh = self.tree.header()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        hh.setStretchLastSection(False)
        self.tree.setColumnWidth(1, 84)
        self.tree.setColumnWidth(2, 104)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        self.add_group_button = QPushButton("Add group")
        self.add_group_button.clicked.connect(self.add_group)
        self.add_measure_button = QPushButton("Add measure")
        self.add_measure_button.clicked.connect(self.add_measure)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected group or measure")
        self.remove_button.clicked.connect(self.remove_selected)
        self.style_label = QLabel("")
        self.style_label.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.tree, 1)
        row = QHBoxLayout()
        for b in (self.add_group_button, self.add_measure_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        ll.addLayout(row)
        ll.addWidget(self.style_label)

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

    def _build_item_editor(self) -> QWidget:
        self.item_pages = QStackedWidget()
        hint = QLabel("Select a group or a measure on the left to edit it.")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.item_pages.addWidget(hint)

        # group form
        gw = QWidget()
        gf = QFormLayout(gw)
        self.group_name = QLineEdit()
        self.group_name.textEdited.connect(self._group_name_edited)
        gf.addRow("Group name", self.group_name)
        note = QLabel("The group's weight is in the tree on the left. A measure without data "
                      "for an account drops out and its weight goes to the rest of its group.")
        note.setWordWrap(True)
        gf.addRow(note)
        self.item_pages.addWidget(gw)

        # measure form
        mw = QWidget()
        mf = QFormLayout(mw)
        mf.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.measure_name = QLineEdit()
        self.measure_name.textEdited.connect(self._measure_name_edited)
        mf.addRow("Name", self.measure_name)
        self.input_combo = QComboBox()
        self.input_combo.setObjectName("measureInput")
        self.input_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.input_combo.setMinimumContentsLength(20)
        self.input_combo.activated.connect(self._input_chosen)
        mf.addRow("Input", self.input_combo)
        self.input_text = QLabel("")
        self.input_text.setWordWrap(True)
        self.input_text.setStyleSheet("color: palette(placeholder-text);")
        mf.addRow("", self.input_text)
        self.window_spin = QSpinBox()
        self.window_spin.setRange(1, 3650)
        self.window_spin.setSuffix(" days")
        self.window_spin.setToolTip(_WINDOWS_HELP)
        self.window_spin.valueChanged.connect(self._window_changed)
        self.window_label = QLabel("Window")
        mf.addRow(self.window_label, self.window_spin)
        self.direction_combo = QComboBox()
        self.direction_combo.addItem("Higher is better", "higher")
        self.direction_combo.addItem("Lower is better", "lower")
        self.direction_combo.currentIndexChanged.connect(self._direction_changed)
        mf.addRow("Direction", self.direction_combo)
        self.mapping_combo = QComboBox()
        self.mapping_combo.setObjectName("mappingKind")
        self.mapping_combo.addItem("Thresholds (points per range)", "thresholds")
        self.mapping_combo.addItem("Linear range", "linear")
        self.mapping_combo.addItem("Percentile among accounts", "percentile")
        self.mapping_combo.currentIndexChanged.connect(self._mapping_kind_changed)
        mf.addRow("Points", self.mapping_combo)

        self.mapping_pages = QStackedWidget()
        # thresholds
        tw = QWidget()
        tl = QVBoxLayout(tw)
        tl.setContentsMargins(0, 0, 0, 0)
        self.thresholds = QTableWidget(0, 2)
        self.thresholds.setObjectName("thresholdsTable")
        self.thresholds.setHorizontalHeaderLabels(["Values below", "Points"])
        self.thresholds.horizontalHeaderItem(0).setToolTip(
            "A value earns the points of the first row whose bound it is below; leave the last "
            "bound empty for 'everything else'")
        self.thresholds.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.thresholds.verticalHeader().setVisible(False)
        self.thresholds.itemChanged.connect(self._threshold_edited)
        trow = QHBoxLayout()
        self.add_threshold_button = QPushButton("Add row")
        self.add_threshold_button.clicked.connect(self._add_threshold)
        self.remove_threshold_button = QPushButton("Remove row")
        self.remove_threshold_button.clicked.connect(self._remove_threshold)
        trow.addWidget(self.add_threshold_button)
        trow.addWidget(self.remove_threshold_button)
        trow.addStretch(1)
        tl.addWidget(self.thresholds, 1)
        tl.addLayout(trow)
        self.mapping_pages.addWidget(tw)
        # linear
        lw = QWidget()
        lf = QFormLayout(lw)
        self.zero_edit = QLineEdit()
        self.zero_edit.setToolTip("The value that earns 0 points")
        self.zero_edit.textEdited.connect(self._linear_edited)
        self.full_edit = QLineEdit()
        self.full_edit.setToolTip("The value that earns 100 points")
        self.full_edit.textEdited.connect(self._linear_edited)
        lf.addRow("0 points at", self.zero_edit)
        lf.addRow("100 points at", self.full_edit)
        lnote = QLabel("Values in between earn points in proportion; beyond the range the "
                       "points stay at 0 or 100.")
        lnote.setWordWrap(True)
        lf.addRow(lnote)
        self.mapping_pages.addWidget(lw)
        # percentile
        pw = QWidget()
        pf = QFormLayout(pw)
        self.scope_combo = QComboBox()
        self.scope_combo.addItem("Whole portfolio", "portfolio")
        self.scope_combo.addItem("Within the account's segment", "segment")
        self.scope_combo.currentIndexChanged.connect(self._scope_changed)
        pf.addRow("Compared with", self.scope_combo)
        pnote = QLabel("The account earns its percentile: 100 is the best value in the group "
                       "compared, 50 the median.")
        pnote.setWordWrap(True)
        pf.addRow(pnote)
        self.mapping_pages.addWidget(pw)
        mf.addRow(self.mapping_pages)
        self.item_pages.addWidget(mw)
        return self.item_pages

    def _build_bands_editor(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        note = QLabel("Each band covers scores from its lower bound up to the next band's "
                      "(0-100). The colours are used for this card everywhere in acctdesk.")
        note.setWordWrap(True)
        self.bands_table = QTableWidget(0, 3)
        self.bands_table.setObjectName("bandsTable")
        self.bands_table.setHorizontalHeaderLabels(["Label", "From score", "Colour"])
        self.bands_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.bands_table.verticalHeader().setVisible(False)
        self.bands_table.itemChanged.connect(self._band_edited)
        row = QHBoxLayout()
        self.add_band_button = QPushButton("Add band")
        self.add_band_button.clicked.connect(self.add_band)
        self.remove_band_button = QPushButton("Remove band")
        self.remove_band_button.clicked.connect(self.remove_band)
        row.addWidget(self.add_band_button)
        row.addWidget(self.remove_band_button)
        row.addStretch(1)
        lay.addWidget(note)
        lay.addWidget(self.bands_table, 1)
        lay.addLayout(row)
        return w

    def _build_assignment_editor(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        note = QLabel("Which scorecard scores which account: the first rule an account "
                      "matches decides, the rest get the default card. Empty conditions always "
                      "match.")
        note.setWordWrap(True)
        self.rules_table = QTableWidget(0, 5)
        self.rules_table.setObjectName("rulesTable")
        self.rules_table.setHorizontalHeaderLabels(
            ["Rule", "Segments", "Tenure below (days)", "Renewal within (days)", "Scorecard"])
        self.rules_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.rules_table.horizontalHeader().setStretchLastSection(True)
        self.rules_table.verticalHeader().setVisible(False)
        for c, tip in enumerate((
                "A name for the rule", "Comma-separated segment names (empty: any segment)",
                "Accounts whose contract started fewer than this many days ago",
                "Accounts whose renewal date is fewer than this many days away",
                "The scorecard these accounts get")):
            self.rules_table.horizontalHeaderItem(c).setToolTip(tip)
        form = QFormLayout()
        self.default_combo = QComboBox()
        form.addRow("Everyone else", self.default_combo)
        self.side_edit = QLineEdit()
        self.side_edit.setToolTip("Scorecard ids computed for every account in addition, "
                                  "comma-separated")
        form.addRow("Also shown side by side", self.side_edit)
        row = QHBoxLayout()
        self.add_rule_button = QPushButton("Add rule")
        self.add_rule_button.clicked.connect(lambda: self._add_rule_row(None))
        self.remove_rule_button = QPushButton("Remove rule")
        self.remove_rule_button.clicked.connect(
            lambda: self.rules_table.removeRow(self.rules_table.currentRow())
            if self.rules_table.currentRow() >= 0 else None)
        self.save_rules_button = QPushButton("Save rules")
        self.save_rules_button.clicked.connect(self.save_assignment)
        row.addWidget(self.add_rule_button)
        row.addWidget(self.remove_rule_button)
        row.addStretch(1)
        row.addWidget(self.save_rules_button)
        self.assignment_status = QLabel("")
        self.assignment_status.setWordWrap(True)
        lay.addWidget(note)
        lay.addWidget(self.rules_table, 1)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.assignment_status)
        return w

    def _build_preview(self) -> QWidget:
        import pyqtgraph as pg

        box = QGroupBox("Preview on this workspace")
        lay = QVBoxLayout(box)
        self.preview_caption = QLabel("")
        self.preview_caption.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("bandChart")
        self.plot.setBackground(None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "Active accounts", units="")
        self.plot.setLabel("bottom", "Band (score range)")
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setMinimumHeight(220)
        self.counts_label = QLabel("")
        self.counts_label.setObjectName("bandCounts")
        self.counts_label.setWordWrap(True)
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        bt_title = QLabel("<b>Backtest</b>: does a low score come before churn?")
        bt_title.setWordWrap(True)
        self.auc_label = QLabel("—")
        self.auc_label.setObjectName("backtestAuc")
        self.auc_label.setToolTip("How often an account that churned within 90 days had "
                                  "scored worse than one that renewed (50 in 100 is a coin "
                                  "toss; ROC AUC in statistics)")
        self.lift_label = QLabel("—")
        self.lift_label.setObjectName("backtestLift")
        self.lift_label.setToolTip("How much more often the 10% lowest scores churned than "
                                   "the book as a whole (top-decile lift in statistics)")
        grid = QFormLayout()
        grid.addRow("Churners scored lower", self.auc_label)
        grid.addRow("Lowest tenth churned", self.lift_label)
        self.verdict_label = QLabel("")
        self.verdict_label.setWordWrap(True)
        self.band_churn_label = QLabel("")
        self.band_churn_label.setWordWrap(True)
        self.band_churn_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview_state = QLabel("")
        self.preview_state.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(self.preview_caption)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.counts_label)
        lay.addWidget(line)
        lay.addWidget(bt_title)
        lay.addLayout(grid)
        lay.addWidget(self.verdict_label)
        lay.addWidget(self.band_churn_label)
        lay.addWidget(self.preview_state)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(box)
        return scroll

    # ------------------------------------------------------------------ workspace
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
        self.runner.start(self.KIND_LOAD, "Loading scorecards", lambda st: _load(ws, st),
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

    def _fill_input_combo(self) -> None:
        self.input_combo.clear()
        for label, d in self._catalogue:
            from ..analytics.health import Source

            self.input_combo.addItem(label, d)
            self.input_combo.setItemData(self.input_combo.count() - 1,
                                         describe_source(Source.from_dict(d)),
                                         Qt.ItemDataRole.ToolTipRole)

    def _combo_changed(self, index: int) -> None:
        if self._filling or index < 0:
            return
        cid = self.card_combo.itemData(index)
        self.card_combo.setToolTip(self.card_combo.currentText())
        if cid in self._cards:
            self._open_card(self._cards[cid])
            self.status.setText("")
            self._schedule_preview()

    # ------------------------------------------------------------------ the card
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

    def _schedule_preview(self) -> None:
        if self._card is not None and self._card.problems():
            self._preview_timer.stop()
            self.runner.cancel(self.KIND_PREVIEW)
            self.preview_state.setText("Fix the problems below to update the preview.")
            return
        if self.workspace is not None and self._data is not None:
            self.preview_state.setText("Updating…")
            self._preview_timer.start()

    def refresh_preview(self) -> None:
        """Recompute the preview now (in the runner) if the card has no problems."""
        self._preview_timer.stop()
        if self._card is None:
            return
        if self._card.problems():
            self.runner.cancel(self.KIND_PREVIEW)
            self.preview_state.setText("Fix the problems below to update the preview.")
            if getattr(self, "_loaded_pending", False):
                self._loaded_pending = False
                self.loaded.emit()
            return
        card_dict = self._card.to_dict()
        data, as_of, dates, lock = self._data, self._as_of, list(self._dates), self._lock
        self.preview_state.setText("Updating…")
        self.runner.start(self.KIND_PREVIEW, "Previewing the scorecard",
                          lambda st: _preview(card_dict, data, as_of, dates, lock, st),
                          self._show_preview)

    # ------------------------------------------------------------------ tree
    def _fill_tree(self) -> None:
        current = self._selected()
        self._filling = True
        self.tree.clear()
        self._spins: dict[tuple, QDoubleSpinBox] = {}
        for gi, g in enumerate(self._card.groups):
            gitem = QTreeWidgetItem([g.name or "(unnamed group)", "", ""])
            gitem.setData(0, _ROLE, ("group", gi))
            f = gitem.font(0)
            f.setBold(True)
            gitem.setFont(0, f)
            gitem.setToolTip(0, g.name)
            self.tree.addTopLevelItem(gitem)
            self._add_spin(gitem, ("group", gi), g.weight)
            for mi, m in enumerate(g.measures):
                mitem = QTreeWidgetItem([m.name or m.id, "", ""])
                mitem.setData(0, _ROLE, ("measure", gi, mi))
                mitem.setToolTip(0, f"{m.name} ({m.id}): {describe_source(m.source)}; "
                                    f"{'higher' if m.direction == 'higher' else 'lower'} is "
                                    "better")
                gitem.addChild(mitem)
                self._add_spin(mitem, ("measure", gi, mi), m.weight)
            gitem.setExpanded(True)
        self._filling = False
        self._update_shares()
        if current is None and self._card.groups and self._card.groups[0].measures:
            current = ("measure", 0, 0)      # show a measure's form rather than a blank page
        self._select(current)
        style = {"weighted": "Weights are relative: only their proportions matter.",
                 "good_average_poor": "Good/Average/Poor card: every measure's thresholds "
                                      "give 100, 60 or 0 points.",
                 "points": "Points card: each measure's weight is the points it is worth; "
                           "they must add up to 100 and a group's weight is its measures' sum."
                 }.get(self._card.style, "")
        if self._card.scale == 10:
            style += " Scores are shown on 0-10."
        if self._card.polarity == "risk":
            style += " High scores mean risk on this card."
        self.style_label.setText(style)

    def _add_spin(self, item: QTreeWidgetItem, key: tuple, value: float) -> None:
        spin = QDoubleSpinBox()
        spin.setRange(0, 1000)
        spin.setDecimals(1)
        spin.setSingleStep(1)
        spin.setKeyboardTracking(True)
        spin.setValue(float(value) if isinstance(value, (int, float)) else 0.0)
        spin.setToolTip("Relative weight (normalised to the share on the right)")
        spin.valueChanged.connect(lambda v, key=key: self._weight_changed(key, v))
        self.tree.setItemWidget(item, 1, spin)
        self._spins[key] = spin

    def _update_shares(self) -> None:
        card = self._card
        eff = card.effective_weights()
        total = sum(g.weight for g in card.groups if isinstance(g.weight, (int, float)))
        for gi in range(self.tree.topLevelItemCount()):
            gitem = self.tree.topLevelItem(gi)
            g = card.groups[gi]
            share = g.weight / total if total else 0.0
            gitem.setText(2, f"{100 * share:.1f}%")
            gitem.setTextAlignment(2, Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
            gitem.setToolTip(2, f"{g.name}: {100 * share:.1f}% of the score")
            gsum = sum(m.weight for m in g.measures)
            for mi in range(gitem.childCount()):
                m = g.measures[mi]
                item = gitem.child(mi)
                item.setText(2, f"{100 * eff.get(m.id, 0.0):.1f}%")
                item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight |
                                             Qt.AlignmentFlag.AlignVCenter)
                within = m.weight / gsum if gsum else 0.0
                item.setToolTip(2, f"{m.name}: {100 * within:.1f}% of {g.name}, "
                                   f"{100 * eff.get(m.id, 0.0):.1f}% of the score")

    def shares(self) -> dict[str, str]:
        """The share texts shown in the tree: group name or measure id -> '12.3%'."""
        out = {}
        for gi in range(self.tree.topLevelItemCount()):
            gitem = self.tree.topLevelItem(gi)
            out[self._card.groups[gi].name] = gitem.text(2)
            for mi in range(gitem.childCount()):
                out[self._card.groups[gi].measures[mi].id] = gitem.child(mi).text(2)
        return out

    def weight_spin(self, name_or_id: str) -> QDoubleSpinBox:
        """The weight editor of a group (by name) or a measure (by id)."""
        for gi, g in enumerate(self._card.groups):
            if g.name == name_or_id:
                return self._spins[("group", gi)]
            for mi, m in enumerate(g.measures):
                if m.id == name_or_id:
                    return self._spins[("measure", gi, mi)]
        raise KeyError(name_or_id)

    def _weight_changed(self, key: tuple, value: float) -> None:
        if self._filling:
            return
        card = self._card
        if key[0] == "group":
            card.groups[key[1]].weight = float(value)
        else:
            g = card.groups[key[1]]
            g.measures[key[2]].weight = float(value)
            if card.style == "points":   # a group's points are its measures' sum
                g.weight = float(sum(m.weight for m in g.measures))
                spin = self._spins[("group", key[1])]
                self._filling = True
                spin.setValue(g.weight)
                self._filling = False
        self._edited()

    def _selected(self) -> tuple | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, _ROLE)

    def _select(self, key: tuple | None) -> None:
        if key is None:
            self._show_selected()
            return
        for gi in range(self.tree.topLevelItemCount()):
            gitem = self.tree.topLevelItem(gi)
            if gitem.data(0, _ROLE) == key:
                self.tree.setCurrentItem(gitem)
                return
            for mi in range(gitem.childCount()):
                if gitem.child(mi).data(0, _ROLE) == key:
                    self.tree.setCurrentItem(gitem.child(mi))
                    return
        self._show_selected()

    def select_measure(self, measure_id: str) -> None:
        for gi, g in enumerate(self._card.groups):
            for mi, m in enumerate(g.measures):
                if m.id == measure_id:
                    self._select(("measure", gi, mi))
                    self.tabs.setCurrentIndex(0)
                    return
        raise KeyError(measure_id)

    def _current_measure(self):
        key = self._selected()
        if not key or key[0] != "measure":
            return None
        return self._card.groups[key[1]].measures[key[2]]

    # ------------------------------------------------------------------ item forms
    def _show_selected(self) -> None:
        key = self._selected()
        self._filling = True
        try:
            if not key or self._card is None:
                self.item_pages.setCurrentIndex(0)
            elif key[0] == "group":
                self.item_pages.setCurrentIndex(1)
                self.group_name.setText(self._card.groups[key[1]].name)
            else:
                self.item_pages.setCurrentIndex(2)
                self._fill_measure(self._card.groups[key[1]].measures[key[2]])
        finally:
            self._filling = False

    def _fill_measure(self, m) -> None:
        self.measure_name.setText(m.name)
        self.measure_name.setToolTip(f"id {m.id}")
        d = m.source.to_dict()
        i = next((n for n in range(self.input_combo.count())
                  if self._same_input(self.input_combo.itemData(n), d)), -1)
        if i < 0:
            self.input_combo.addItem(m.name, d)
            i = self.input_combo.count() - 1
        self.input_combo.setCurrentIndex(i)
        text = describe_source(m.source) + (f" · unit: {m.unit}" if m.unit else "")
        self.input_text.setText(text)
        self.input_text.setToolTip(m.description or text)
        self.input_combo.setToolTip(text)
        has_window = m.source.kind in ("aggregate",) and isinstance(m.source.window, (int, float))
        self.window_spin.setVisible(has_window)
        self.window_label.setVisible(has_window)
        if has_window:
            self.window_spin.setValue(int(m.source.window))
        self.direction_combo.setCurrentIndex(0 if m.direction == "higher" else 1)
        kind = m.mapping.kind
        self.mapping_combo.setCurrentIndex(max(0, self.mapping_combo.findData(kind)))
        self.mapping_pages.setCurrentIndex({"thresholds": 0, "linear": 1, "percentile": 2}
                                           .get(kind, 0))
        self._fill_thresholds(m.mapping.thresholds or [])
        self.zero_edit.setText(_num(m.mapping.zero_at))
        self.full_edit.setText(_num(m.mapping.full_at))
        self.scope_combo.setCurrentIndex(0 if m.mapping.scope == "portfolio" else 1)

    @staticmethod
    def _same_input(a, b) -> bool:
        if not isinstance(a, dict):
            return False
        strip = lambda d: {k: v for k, v in d.items() if k != "window"}  # noqa: E731
        return strip(a) == strip(b)

    def _fill_thresholds(self, pairs) -> None:
        self.thresholds.blockSignals(True)
        self.thresholds.setRowCount(len(pairs))
        for r, (upper, pts) in enumerate(pairs):
            self.thresholds.setItem(r, 0, QTableWidgetItem(_num(upper)))
            self.thresholds.setItem(r, 1, QTableWidgetItem(_num(pts)))
        self.thresholds.blockSignals(False)

    def _group_name_edited(self, text: str) -> None:
        key = self._selected()
        if self._filling or not key or key[0] != "group":
            return
        self._card.groups[key[1]].name = text
        self.tree.currentItem().setText(0, text)
        self._edited()

    def _measure_name_edited(self, text: str) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.name = text
        self.tree.currentItem().setText(0, text or m.id)
        self._edited()

    def _input_chosen(self, index: int) -> None:
        m = self._current_measure()
        if self._filling or m is None or index < 0:
            return
        from ..analytics.health import Source

        m.source = Source.from_dict(self.input_combo.itemData(index))
        self._filling = True
        self._fill_measure(m)
        self._filling = False
        self._edited()

    def _window_changed(self, value: int) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.source.window = int(value)
        self.input_text.setText(describe_source(m.source))
        self._edited()

    def _direction_changed(self, index: int) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.direction = self.direction_combo.itemData(index)
        self._edited()

    def _mapping_kind_changed(self, index: int) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        kind = self.mapping_combo.itemData(index)
        mp = m.mapping
        mp.kind = kind
        if kind == "thresholds" and not mp.thresholds:
            mp.thresholds = [(None, 100.0)]
        if kind == "linear":
            mp.thresholds = None
            if mp.zero_at is None or mp.full_at is None:
                mp.zero_at, mp.full_at = (0.0, 100.0) if m.direction == "higher" else (100.0, 0.0)
        if kind == "percentile":
            mp.thresholds = None
        self._filling = True
        self._fill_measure(m)
        self._filling = False
        self._edited()

    def _threshold_edited(self, _item=None) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        pairs = []
        for r in range(self.thresholds.rowCount()):
            up = self.thresholds.item(r, 0)
            pts = self.thresholds.item(r, 1)
            pairs.append((_parse_num(up.text() if up else ""),
                          _parse_num(pts.text() if pts else "")))
        m.mapping.thresholds = pairs
        self._edited()

    def set_threshold(self, row: int, upper: str, points: str | None = None) -> None:
        """Type into the thresholds table of the selected measure (as a user would)."""
        self.thresholds.item(row, 0).setText(upper)
        if points is not None:
            self.thresholds.item(row, 1).setText(points)

    def _add_threshold(self) -> None:
        r = self.thresholds.rowCount()
        self.thresholds.blockSignals(True)
        self.thresholds.insertRow(r)
        self.thresholds.setItem(r, 0, QTableWidgetItem(""))
        self.thresholds.setItem(r, 1, QTableWidgetItem("100"))
        self.thresholds.blockSignals(False)
        self._threshold_edited()

    def _remove_threshold(self) -> None:
        r = self.thresholds.currentRow()
        if r < 0:
            r = self.thresholds.rowCount() - 1
        if r >= 0:
            self.thresholds.removeRow(r)
            self._threshold_edited()

    def _linear_edited(self, _text: str = "") -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.mapping.zero_at = _parse_num(self.zero_edit.text())
        m.mapping.full_at = _parse_num(self.full_edit.text())
        self._edited()

    def _scope_changed(self, index: int) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.mapping.scope = self.scope_combo.itemData(index)
        self._edited()

    def _name_edited(self, text: str) -> None:
        if self._card is not None and not self._filling:
            self._card.name = text
            self._validate()

    def _id_edited(self, text: str) -> None:
        if self._card is not None and not self._filling:
            self._card.id = text.strip()
            self._validate()

    # ------------------------------------------------------------------ structure edits
    def add_group(self) -> None:
        from ..analytics.health import Group

        names = {g.name for g in self._card.groups}
        n = 1
        while f"Group {n}" in names:
            n += 1
        self._card.groups.append(Group(f"Group {n}", 10.0, []))
        self._edited(structure=True)
        self._select(("group", len(self._card.groups) - 1))

    def add_measure(self) -> None:
        """A new measure in the selected group (first input of the catalogue)."""
        from ..analytics.health import Measure, PointMapping, Source

        key = self._selected()
        gi = key[1] if key else len(self._card.groups) - 1
        if gi < 0:
            self.add_group()
            gi = 0
        ids = {m.id for m in self._card.measures}
        n = 1
        while f"measure_{n}" in ids:
            n += 1
        label, d = self._catalogue[0] if getattr(self, "_catalogue", None) else \
            ("Seats", {"kind": "field", "field": "seats"})
        m = Measure(f"measure_{n}", f"{label} ({n})", Source.from_dict(d),
                    PointMapping("thresholds", thresholds=[(None, 100.0)]), 5.0)
        self._card.groups[gi].measures.append(m)
        self._edited(structure=True)
        self._select(("measure", gi, len(self._card.groups[gi].measures) - 1))

    def remove_selected(self) -> None:
        key = self._selected()
        if not key:
            return
        if key[0] == "group":
            del self._card.groups[key[1]]
        else:
            del self._card.groups[key[1]].measures[key[2]]
        self.tree.setCurrentItem(None)
        self._edited(structure=True)

    # ------------------------------------------------------------------ bands
    def _fill_bands(self) -> None:
        self.bands_table.blockSignals(True)
        self.bands_table.setRowCount(len(self._card.bands))
        for r, b in enumerate(self._card.bands):
            self.bands_table.setItem(r, 0, QTableWidgetItem(b.label))
            self.bands_table.setItem(r, 1, QTableWidgetItem(_num(b.lower)))
            button = QPushButton(b.color)
            button.setToolTip("Pick the band's colour")
            button.setStyleSheet(self._swatch_css(b.color))
            button.clicked.connect(lambda _=False, r=r: self.pick_band_colour(r))
            self.bands_table.setCellWidget(r, 2, button)
        self.bands_table.blockSignals(False)

    @staticmethod
    def _swatch_css(colour: str) -> str:
        c = QColor(colour)
        if not c.isValid():
            return ""
        text = "#000000" if c.lightness() > 140 else "#ffffff"
        return f"background-color: {c.name()}; color: {text}; border: 1px solid #888;"

    def _band_edited(self, item: QTableWidgetItem) -> None:
        r, c = item.row(), item.column()
        if r >= len(self._card.bands):
            return
        b = self._card.bands[r]
        if c == 0:
            b.label = item.text().strip()
        elif c == 1:
            b.lower = _parse_num(item.text())
        self._edited()

    def pick_band_colour(self, row: int) -> QColorDialog:
        """Open a (non-modal) colour dialog for band ``row``; choosing a colour applies it."""
        if self.colour_dialog is not None:
            self.colour_dialog.close()
        dlg = QColorDialog(QColor(self._card.bands[row].color), self)
        dlg.setWindowTitle(f"Colour of band {self._card.bands[row].label}")
        dlg.setModal(False)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.colorSelected.connect(lambda c, row=row: self.set_band_colour(row, c.name()))
        dlg.destroyed.connect(lambda *_: setattr(self, "colour_dialog", None))
        self.colour_dialog = dlg
        dlg.show()
        return dlg

    def set_band_colour(self, row: int, colour: str) -> None:
        self._card.bands[row].color = colour
        button = self.bands_table.cellWidget(row, 2)
        if button is not None:
            button.setText(colour)
            button.setStyleSheet(self._swatch_css(colour))
        self._edited()

    def add_band(self) -> None:
        from ..analytics.health import Band

        lowers = [b.lower for b in self._card.bands if isinstance(b.lower, (int, float))]
        top = max(lowers) if lowers else -10.0
        self._card.bands.append(Band(f"Band {len(self._card.bands) + 1}",
                                     min(100.0, top + 10.0), "#3b7dd8"))
        self._fill_bands()
        self._edited()

    def remove_band(self) -> None:
        r = self.bands_table.currentRow()
        if r < 0:
            r = len(self._card.bands) - 1
        if r >= 0:
            del self._card.bands[r]
            self._fill_bands()
            self._edited()

    # ------------------------------------------------------------------ validation
    def problems(self) -> list[str]:
        return [] if self._card is None else self._card.problems()

    def _validate(self) -> None:
        problems = self.problems()
        if problems:
            items = "".join(f"<li>{_html(p)}</li>" for p in problems[:8])
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

    # ------------------------------------------------------------------ preview
    def _show_preview(self, result: dict[str, Any]) -> None:
        import pyqtgraph as pg

        from ..analytics.health import Scorecard

        card = Scorecard.from_dict(result["card"], validate=False)
        counts = result["counts"]
        self._counts = counts
        self._backtest = result["backtest"]
        self.plot.clear()
        self.preview_state.setText("")
        if counts is None:
            self.preview_caption.setText(
                "No accounts to preview yet. Import accounts (and usage, tickets, surveys) to "
                "see how this scorecard bands your book.")
            self.counts_label.setText("")
            self.auc_label.setText("—")
            self.lift_label.setText("—")
            self.verdict_label.setText("")
            self.band_churn_label.setText("")
        else:
            colours = {b.label: b.color for b in card.bands}
            colours[NO_SCORE] = NO_SCORE_COLOUR
            labels = list(counts)
            ranges = _band_ranges(card)
            ticks = []
            top = max(counts.values()) if counts else 0
            for i, label in enumerate(labels):
                bar = pg.BarGraphItem(x=[i], height=[counts[label]], width=0.6,
                                      brush=colours.get(label, "#3b7dd8"), pen=None)
                self.plot.addItem(bar)
                text = pg.TextItem(f"{counts[label]:,}", anchor=(0.5, 1.0),
                                   color=self.palette().windowText().color())
                text.setPos(i, counts[label])
                self.plot.addItem(text)
                ticks.append((i, f"{label}\n{ranges.get(label, '')}".rstrip()))
            self.plot.getAxis("bottom").setTicks([ticks])
            self.plot.setXRange(-0.6, len(labels) - 0.4, padding=0)
            self.plot.setYRange(0, max(1, top) * 1.18, padding=0)
            total = sum(counts.values())
            parts = [f"<span style='color:{colours.get(k, '#888')}'>■</span> {_html(k)} "
                     f"<b>{v:,}</b> ({100 * v / total:.0f}%)" if total else f"{k} 0"
                     for k, v in counts.items()]
            self.counts_label.setText(" &nbsp; ".join(parts))
            self.preview_caption.setText(
                f"{card.name}: {total:,} accounts active on {result['as_of']} "
                f"({result.get('scored', 0):,} with a score).")
            bt = result["backtest"]
            if bt:
                auc, lift = bt["auc"], bt["top_decile_lift"]
                self.auc_label.setText("—" if not _finite(auc) else
                                       f"{times_in_100(auc)} times in 100")
                self.lift_label.setText("—" if not _finite(lift) else
                                        f"{lift:.1f}× as often as the book")
                self.verdict_label.setText(
                    f"{bt['verdict']} ({bt['n']:,} observations on {len(bt['as_of_dates'])} "
                    f"dates, {bt['churned']:,} churned within {bt['horizon_days']} days.)")
                rates = [f"<span style='color:{colours.get(b, '#888')}'>■</span> {_html(b)} "
                         f"{100 * v['churn_rate']:.0f}% of {v['n']:,}"
                         for b, v in bt["band_churn"].items() if b and b != "None"]
                self.band_churn_label.setText(
                    "Churned within 90 days, by band: " + " &nbsp; ".join(rates) if rates else "")
            else:
                self.auc_label.setText("—")
                self.lift_label.setText("—")
                self.verdict_label.setText("No history to backtest on yet.")
                self.band_churn_label.setText("")
        self.preview_updated.emit(result)
        if getattr(self, "_loaded_pending", False):
            self._loaded_pending = False
            self.loaded.emit()

    def band_counts(self) -> dict[str, int] | None:
        """The band counts the preview shows (None before the first preview)."""
        return None if self._counts is None else dict(self._counts)

    def backtest_result(self) -> dict | None:
        return self._backtest

    # ------------------------------------------------------------------ save, files
    def save(self) -> bool:
        """Store the card in the workspace (refused while it has problems)."""
        from ..models.scores import save_scorecard

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
        from ..models.scores import export_scorecard

        path = export_scorecard(self._card, path, overwrite=True)
        self.status.setText(f"Exported “{self._card.name}” to {path}.")
        return path

    def import_from(self, path):
        """Open a scorecard file in the editor (unsaved until Save); returns the card.
        A file with problems raises :class:`ScorecardError` and leaves the editor as it was."""
        from ..models.scores import read_scorecard_file

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
            from ..analytics.health import ScorecardError

            try:
                self.import_from(path)
            except ScorecardError as exc:
                self.status.setText("Could not import: " + "; ".join(exc.problems))
            except OSError as exc:
                self.status.setText(f"Could not import: {exc}")

    # ------------------------------------------------------------------ assignment
    def _fill_assignment(self, counts: dict, error: str | None) -> None:
        a = self._assignment
        ids = sorted(self._cards)
        self.default_combo.clear()
        for cid in ids:
            self.default_combo.addItem(f"{self._cards[cid].name} ({cid})", cid)
        self.default_combo.setCurrentIndex(max(0, self.default_combo.findData(a.default)))
        self.rules_table.setRowCount(0)
        for r in a.rules:
            self._add_rule_row(r)
        self.side_edit.setText(", ".join(a.side_by_side))
        if error:
            self.assignment_status.setText(error)
        elif counts:
            self.assignment_status.setText(
                "Accounts per card today: " + ", ".join(
                    f"{self._cards[c].name if c in self._cards else c} {n:,}"
                    for c, n in counts.items()))
        else:
            self.assignment_status.setText("")

    def _add_rule_row(self, rule) -> None:
        r = self.rules_table.rowCount()
        self.rules_table.insertRow(r)
        vals = ["New rule", "", "", "", ""] if rule is None else [
            rule.label, ", ".join(rule.segments or []), _num(rule.max_tenure_days),
            _num(rule.max_days_to_renewal), rule.scorecard]
        for c in range(4):
            item = QTableWidgetItem(vals[c])
            item.setToolTip(vals[c])
            self.rules_table.setItem(r, c, item)
        # conditions this table does not show (min tenure, other columns) are kept as they are
        self.rules_table.item(r, 0).setData(_ROLE, None if rule is None else rule.to_dict())
        combo = QComboBox()
        for cid in sorted(self._cards):
            combo.addItem(self._cards[cid].name, cid)
        combo.setCurrentIndex(max(0, combo.findData(vals[4] or "health")))
        self.rules_table.setCellWidget(r, 4, combo)

    def assignment_from_table(self):
        from ..analytics.assignment import Assignment, Rule

        rules = []
        for r in range(self.rules_table.rowCount()):
            text = lambda c: (self.rules_table.item(r, c).text().strip()  # noqa: E731
                              if self.rules_table.item(r, c) else "")
            segs = [s.strip() for s in text(1).split(",") if s.strip()]
            tenure, renewal = _parse_num(text(2)), _parse_num(text(3))
            kept = self.rules_table.item(r, 0).data(_ROLE) or {}
            rules.append(Rule(self.rules_table.cellWidget(r, 4).currentData(), label=text(0),
                              segments=segs or None,
                              min_tenure_days=kept.get("min_tenure_days"),
                              max_tenure_days=tenure, max_days_to_renewal=renewal,
                              match=dict(kept.get("match") or {})))
        side = [s.strip() for s in self.side_edit.text().split(",") if s.strip()]
        return Assignment(rules=rules, default=self.default_combo.currentData() or "health",
                          side_by_side=side)

    def save_assignment(self) -> bool:
        from ..analytics.health import ScorecardError
        from ..models.scores import save_assignment

        if self.workspace is None:
            return False
        a = self.assignment_from_table()
        try:
            save_assignment(self.workspace, a)
        except ScorecardError as exc:
            self.assignment_status.setText("Not saved: " + "; ".join(exc.problems))
            return False
        self._assignment = a
        self.assignment_status.setText("Assignment rules saved.")
        return True


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _band_ranges(card) -> dict[str, str]:
    """{label: '40-70'} on the card's display scale."""
    out = {}
    bands = card.bands
    f = card.scale / 100.0
    for i, b in enumerate(bands):
        hi = bands[i + 1].lower if i + 1 < len(bands) else 100
        if _finite(b.lower) and _finite(hi):
            out[b.label] = f"{b.lower * f:g}–{hi * f:g}"
    return out
