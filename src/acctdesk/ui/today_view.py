"""The Today view: the ranked worklist with reasons and next steps.

The list is the engine's worklist (:attr:`acctdesk.engine.Analysis.worklist`, the same as the
``worklist`` command's and the pack's: churn probabilities from the workspace's churn model
when one can be trained, else the health score; expansion from the whitespace suggestions),
computed in the task runner (kind ``today:load``); the risk drivers of the selected item are
computed when it is selected. The user marks an item done, snoozes it, or logs a touch
(call, email, QBR, meeting) that becomes an activity; every edit is undoable through the
shared :class:`~acctdesk.ui.undo.EditHistory` and audited. Double-click or Enter on a row (or
"Open account") emits :attr:`TodayView.account_activated`.
"""
from __future__ import annotations

import datetime as dt
import html
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton,
    QSizePolicy, QSplitter, QStyledItemDelegate, QStyleOptionViewItem, QToolButton,
    QToolTip, QVBoxLayout, QWidget,
)

from ..domain.colours import BAND_COLOURS
from ..domain.money import format_money
from .table_model import Column
from .table_view import DataTableView
from .tasks import TaskRunner, TaskState
from .undo import EditHistory

ALL = "__all__"
TOUCH_KINDS = [("call", "Call"), ("email", "Email"), ("qbr", "QBR"), ("meeting", "Meeting")]
SNOOZE_CHOICES = [(1, "Until tomorrow"), (7, "For a week"), (14, "For two weeks"),
                  (30, "For a month")]

TODAY_COLUMNS = [
    Column("rank", "#", "int", tooltip="Rank by priority (1 = most urgent)", width=44),
    Column("name", "Account", width=210),
    Column("owner", "Owner", tooltip="The customer success manager who owns the account",
           width=120),
    Column("segment", "Segment", width=84),
    Column("arr", "ARR", "currency", tooltip="Annual recurring revenue", width=96),
    Column("priority", "Priority", "int",
           tooltip="Points out of 130: ARR at risk 35, renewal 25, health drop 15, urgent "
                   "tickets 15, detractor 10, no touch 10, expansion 20", width=66),
    Column("health", "Health", "int",
           tooltip="Health score, 0-100, on the scorecard the account is assigned", width=60),
    Column("band", "Band", "band", tooltip="Health band", width=70),
    Column("churn_probability", "Churn risk", "percent",
           tooltip="Chance the account churns in the next 90 days (churn model), or "
                   "(100 - health) / 100 when there is no model", width=80),
    Column("reasons_text", "Why it is here", width=420),
    Column("next_step", "Next step", width=260),
    Column("state_text", "State", tooltip="Done or snoozed items (shown with 'Show done and "
                                          "snoozed')", width=140),
]
EMPTY_NO_DATA = ("<b>Nothing to rank yet.</b><br>Today needs your accounts (CRM or your own "
                 "spreadsheet) and something dated about them: billing subscriptions, support "
                 "tickets, product usage or survey responses. Import them (File › Import, or "
                 "drop the files here) to see which accounts need you today: renewals, risk, "
                 "drops in health, urgent tickets and expansion.")


class ElidedTextTooltips(QStyledItemDelegate):
    """Shows a cell's full text as a tooltip when the column is too narrow for it."""

    def helpEvent(self, event, view, option, index):  # noqa: N802 (Qt name)
        if event is not None and event.type() == QEvent.Type.ToolTip and index.isValid():
            text = index.data(Qt.ItemDataRole.DisplayRole)
            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            if not tip and text:
                opt = QStyleOptionViewItem(option)
                self.initStyleOption(opt, index)
                if opt.fontMetrics.horizontalAdvance(str(text)) + 10 > option.rect.width():
                    QToolTip.showText(event.globalPos(), str(text), view)
                    return True
                QToolTip.hideText()
                return True
        return super().helpEvent(event, view, option, index)


def install_tooltips(grid: DataTableView) -> None:
    """Elided cells of a DataTableView get their full text as a tooltip."""
    delegate = ElidedTextTooltips(grid)
    grid.table.setItemDelegate(delegate)
    grid.frozen_view.setItemDelegate(delegate)
    grid._tooltip_delegate = delegate


#: below this churn probability the model's top attributions are not risks worth listing
#: ("customer for 5.4 years" under a 0% risk reads as a warning it is not)
DRIVER_FLOOR = 0.10


def drivers_html(drivers, probability, risk_source: str, label: str) -> str:
    """The risk-drivers block: the list, or why there is none to act on."""
    e = html.escape
    if risk_source == "model" and probability is not None and probability == probability \
            and probability < DRIVER_FLOOR:
        return (f"<b>{label}</b><br>Low churn risk ({probability:.0%}): nothing to act on.")
    if not drivers:
        return f"<b>{label}</b><br>None of note."
    return (f"<b>{label}</b><ul style='margin-left:-20px'>"
            + "".join(f"<li>{e(str(d))}</li>" for d in drivers) + "</ul>")


# ====================================================================== loading
def load_today(ws, state: TaskState) -> dict[str, Any]:
    """Worker: the worklist of ``ws`` with everything the view shows (the engine's)."""
    from ..engine import Engine
    from ..models.edits import worklist_states

    state.progress(0.02, "Reading the workspace…")
    a = Engine(ws).analysis()
    a.prepare(("data",), state.progress, state.check)
    if a.empty:
        return {"empty": True, "currency": a.currency}
    a.prepare(progress=lambda f, t: state.progress(0.05 + 0.9 * f, t), check=state.check)
    full = a.worklist
    figures = a.figures.set_index(a.figures["account_id"].astype(str))
    frame = full.copy()
    ids = frame["account_id"].astype(str)
    frame["segment"] = figures["segment"].reindex(ids).to_numpy()
    frame["band"] = figures["band"].reindex(ids).to_numpy()
    frame["reasons_text"] = ["; ".join(r) for r in frame["reasons"]]
    frame["state"] = None
    frame["state_text"] = None
    wsx = a.whitespace
    top_ws: dict[str, dict] = {}
    if len(wsx):
        for row in wsx.drop_duplicates("account_id").itertuples(index=False):
            top_ws[str(row.account_id)] = {"product": row.product, "kind": row.kind,
                                           "expected_mrr": row.expected_mrr,
                                           "reason": row.reason}
    accounts = a.data.accounts
    owners = sorted({str(o) for o in accounts["owner"].dropna()}) if "owner" in accounts else []
    segments = sorted({str(s) for s in accounts["segment"].dropna()}) \
        if "segment" in accounts else []
    frame = frame.reset_index(drop=True)
    risk = a.risk
    return {"empty": False, "frame": frame, "as_of": a.as_of,
            "ids": frame["account_id"].astype(str).to_numpy(dtype=object),
            "risk_source": risk.source, "risk_note": risk.label,
            "drivers": a.drivers_for, "whitespace": top_ws, "owners": owners,
            "segments": segments, "bands": {b[0]: b[2] for b in a.health.bands()},
            "currency": a.currency, "states": worklist_states(ws),
            "health_baseline": full.attrs.get("health_baseline")}


# ====================================================================== the view
class TodayView(QWidget):
    """The ranked worklist.

    ``set_workspace(ws)`` computes the list in the runner (kind ``today:load``) and emits
    ``loaded`` when it is shown. ``account_activated(account_id)`` on double-click, Enter or
    "Open account". Edits go through ``history`` (an :class:`EditHistory`; pass the window's
    so Edit > Undo covers them).
    """

    loaded = Signal()
    account_activated = Signal(str)
    KIND = "today:load"

    def __init__(self, runner: TaskRunner, parent=None, history: EditHistory | None = None):
        super().__init__(parent)
        self.runner = runner
        self.history = history or EditHistory(self)
        self.history.edited.connect(self._edited)
        self.history.failed.connect(self._show_message)
        self.workspace = None
        self.result: dict[str, Any] | None = None
        self.states: dict[str, dict] = {}
        self.touched: dict[str, str] = {}           # account_id -> "Call logged 2026-11-22"
        #: the calendar date snoozes are compared with (tests replace it)
        self.clock: Callable[[], dt.date] = dt.date.today
        self._shown = None                          # the frame on screen
        self._currency = "USD"

        bar = self._build_bar()
        self._build_list()
        self._build_detail()

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.grid)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setSizes([10_000, 300])     # the panel at its minimum: the table first
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.summary, 1)
        layout.addLayout(head)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self._set_enabled(False)
        self._show_detail()

    def _build_bar(self):
        """Title, summary, the owner and segment filters, done and snoozed, export."""
        self.title = QLabel("<b>Today</b>")
        self.title.setObjectName("viewTitle")
        self.summary = QLabel("Open a workspace to see which accounts need you today.")
        self.summary.setObjectName("viewSummary")
        self.summary.setWordWrap(True)
        self.owner_box = QComboBox()
        self.owner_box.setObjectName("ownerFilter")
        self.owner_box.setMinimumContentsLength(16)
        self.owner_box.setToolTip("Show the items of one owner (CSM)")
        self.segment_box = QComboBox()
        self.segment_box.setObjectName("segmentFilter")
        self.segment_box.setMinimumContentsLength(12)
        self.segment_box.setToolTip("Show the items of one segment")
        for box, what in ((self.owner_box, "All owners"), (self.segment_box, "All segments")):
            box.addItem(what, ALL)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(self._refilter)
        self.show_done = QCheckBox("Show done and snoozed")
        self.show_done.setToolTip("Items you marked done (until new data arrives) or snoozed "
                                  "(until the date you chose) are hidden unless ticked")
        self.show_done.toggled.connect(self._refilter)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the list as shown (filters and sort) to Excel")
        self.export_button.clicked.connect(self.choose_export)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Owner:"))
        bar.addWidget(self.owner_box)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Segment:"))
        bar.addWidget(self.segment_box)
        bar.addSpacing(12)
        bar.addWidget(self.show_done)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        return bar

    def _build_list(self):
        """The ranked list."""
        self.grid = DataTableView(TODAY_COLUMNS, "today", self, noun="items", noun_one="item",
                                  empty_text=EMPTY_NO_DATA)
        self.model = self.grid.model
        self.table = self.grid.table
        self.grid.set_band_colours("band", BAND_COLOURS)
        install_tooltips(self.grid)
        self.grid.row_activated.connect(self._row_activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.model.modelReset.connect(self._show_detail)

    def _build_detail(self):
        """The detail panel: why, next step, actions."""
        self.detail = QFrame()
        self.detail.setObjectName("todayDetail")
        self.detail.setFrameShape(QFrame.Shape.StyledPanel)
        self.detail.setMinimumWidth(300)
        self.detail.setMaximumWidth(420)
        self.d_name = QLabel("")
        self.d_name.setWordWrap(True)
        self.d_name.setTextFormat(Qt.TextFormat.RichText)
        self.d_body = QLabel("")
        self.d_body.setWordWrap(True)
        self.d_body.setTextFormat(Qt.TextFormat.RichText)
        self.d_body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.d_body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.open_button = QPushButton("Open account ›")
        self.open_button.setToolTip("The account's 360 view (also: double-click or Enter)")
        self.open_button.clicked.connect(self.open_selected)
        self.done_button = QPushButton("Mark done")
        self.done_button.setToolTip("Hide this item until new data arrives (undo: Ctrl+Z)")
        self.done_button.clicked.connect(lambda: self.mark_done())
        self.snooze_button = QToolButton()
        self.snooze_button.setText("Snooze ▾")
        self.snooze_button.setToolTip("Hide this item until a later date")
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.snooze_button)
        for days, label in SNOOZE_CHOICES:
            menu.addAction(label, lambda d=days: self.snooze(days=d))
        self.snooze_button.setMenu(menu)
        self.restore_button = QPushButton("Back on the list")
        self.restore_button.setToolTip("Undo done or snoozed for this item")
        self.restore_button.clicked.connect(lambda: self.restore_item())
        actions = QHBoxLayout()
        actions.addWidget(self.done_button)
        actions.addWidget(self.snooze_button)
        actions.addWidget(self.restore_button)
        actions.addStretch(1)
        self.touch_kind = QComboBox()
        for key, label in TOUCH_KINDS:
            self.touch_kind.addItem(label, key)
        self.touch_text = QLineEdit()
        self.touch_text.setPlaceholderText("What happened (optional)")
        self.touch_text.returnPressed.connect(lambda: self.log_touch())
        self.touch_button = QPushButton("Log touch")
        self.touch_button.setToolTip("Record the call, email, QBR or meeting as an activity "
                                     "on the account (undo: Ctrl+Z)")
        self.touch_button.clicked.connect(lambda: self.log_touch())
        touch = QHBoxLayout()
        touch.addWidget(self.touch_kind)
        touch.addWidget(self.touch_text, 1)
        touch.addWidget(self.touch_button)
        self.message = QLabel("")
        self.message.setObjectName("todayMessage")
        self.message.setWordWrap(True)
        dl = QVBoxLayout(self.detail)
        dl.setContentsMargins(12, 12, 12, 12)
        dl.addWidget(self.d_name)
        dl.addWidget(self.d_body, 1)
        dl.addWidget(self.open_button)
        dl.addLayout(actions)
        dl.addWidget(QLabel("<b>Log a touch</b>"))
        dl.addLayout(touch)
        dl.addWidget(self.message)

    # ------------------------------------------------------------------ loading
    def set_workspace(self, ws) -> None:
        """Show the worklist of ``ws`` (None clears the view)."""
        self.workspace = ws
        self.history.set_workspace(ws)
        self.touched.clear()
        self.message.setText("")
        if ws is None:
            self.runner.cancel(self.KIND)
            self.result = None
            self.summary.setText("Open a workspace to see which accounts need you today.")
            self.grid.empty_text = "No workspace open."
            self._show_frame(None)
            return
        self.summary.setText("Ranking the accounts that need attention…")
        self.runner.start(self.KIND, "Ranking today's worklist",
                          lambda st: load_today(ws, st), self._loaded)

    def refresh(self) -> None:
        """Compute the list again (after an import)."""
        self.set_workspace(self.workspace)

    def _loaded(self, result: dict[str, Any]) -> None:
        self.result = result
        self._currency = result.get("currency") or "USD"
        if result.get("empty"):
            self.summary.setText("")
            self.grid.empty_text = EMPTY_NO_DATA
            self.states = {}
            self._fill_boxes([], [])
            self._show_frame(None)
            self.loaded.emit()
            return
        self.states = dict(result["states"])
        self.grid.set_band_colours("band", result["bands"])
        self._fill_boxes(result["owners"], result["segments"])
        self._refilter()
        self.loaded.emit()

    def _fill_boxes(self, owners: list[str], segments: list[str]) -> None:
        for box, values in ((self.owner_box, owners), (self.segment_box, segments)):
            keep = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for v in values:
                box.addItem(v, v)
            i = box.findData(keep)
            box.setCurrentIndex(i if i >= 0 else 0)
            box.blockSignals(False)

    # ------------------------------------------------------------------ filtering
    def set_owner(self, owner: str | None) -> None:
        i = self.owner_box.findData(owner if owner else ALL)
        self.owner_box.setCurrentIndex(max(i, 0))

    def set_segment(self, segment: str | None) -> None:
        i = self.segment_box.findData(segment if segment else ALL)
        self.segment_box.setCurrentIndex(max(i, 0))

    def _state_text(self, aid: str) -> str | None:
        entry = self.states.get(aid)
        parts = []
        if entry and entry.get("state") == "done":
            parts.append("Done")
        elif entry and entry.get("state") == "snoozed":
            parts.append(f"Snoozed until {entry.get('until')}")
        if aid in self.touched:
            parts.append(self.touched[aid])
        return " · ".join(parts) or None

    def _refilter(self) -> None:
        from ..models.edits import is_hidden

        if self.result is None or self.result.get("empty"):
            return
        frame = self.result["frame"]
        mask = np.ones(len(frame), dtype=bool)
        owner, segment = self.owner_box.currentData(), self.segment_box.currentData()
        if owner not in (None, ALL):
            mask &= (frame["owner"] == owner).to_numpy(dtype=bool, na_value=False)
        if segment not in (None, ALL):
            mask &= (frame["segment"] == segment).to_numpy(dtype=bool, na_value=False)
        ids = self.result.get("ids")
        if ids is None or len(ids) != len(frame):
            ids = self.result["ids"] = frame["account_id"].astype(str).to_numpy(dtype=object)
        as_of, today = self.result["as_of"], self.clock()
        # only the few accounts with a state or a touch need a look (100k rows stay in numpy)
        hidden_ids = [a for a, e in self.states.items() if is_hidden(e, as_of, today)]
        hidden = np.isin(ids, hidden_ids) if hidden_ids else np.zeros(len(frame), dtype=bool)
        n_hidden = int((hidden & mask).sum())
        if not self.show_done.isChecked():
            mask &= ~hidden
        rows = np.flatnonzero(mask)
        shown = frame.iloc[rows].copy()
        noted = list(set(self.states) | set(self.touched))
        texts = np.full(len(rows), None, dtype=object)
        if noted:
            at = np.flatnonzero(np.isin(ids[rows], noted))
            texts[at] = [self._state_text(a) for a in ids[rows][at]]
        shown["state_text"] = texts
        if mask.sum() == 0:
            self.grid.empty_text = (
                "<b>Nothing left on this list.</b><br>Every item here is done or snoozed; "
                "tick “Show done and snoozed” to see them." if n_hidden else
                "<b>No accounts need attention with these filters.</b><br>Pick another owner "
                "or segment.")
        self._show_frame(shown.reset_index(drop=True))
        self._update_summary(len(frame), len(shown), n_hidden)

    def _update_summary(self, total: int, shown: int, hidden: int) -> None:
        r = self.result
        extra = f" · {hidden:,} done or snoozed" if hidden else ""
        filt = "" if shown + (0 if self.show_done.isChecked() else hidden) == total else \
            f" · {shown:,} shown with the filters"
        self.summary.setText(
            f"<b>{total:,}</b> accounts need attention{extra}{filt} · data as of "
            f"<b>{r['as_of']}</b> · {r['risk_note']}")
        self.summary.setToolTip(f"Health change measured against the {r['health_baseline']}"
                                if r.get("health_baseline") else "")

    def _show_frame(self, frame) -> None:
        import pandas as pd

        if frame is None:
            frame = pd.DataFrame({c.key: [] for c in TODAY_COLUMNS} | {"account_id": []})
        self._shown = frame
        self.grid.set_frame(frame)
        self._set_enabled(len(frame) > 0)
        if len(frame) and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    # ------------------------------------------------------------------ selection
    def account_ids(self) -> list[str]:
        """The account ids shown, in the order shown."""
        if self._shown is None or not len(self._shown):
            return []
        ids = self._shown["account_id"].astype(str).to_numpy()
        return ids[self.grid.source_rows()].tolist()

    def selected_account_id(self) -> str | None:
        idx = self.table.currentIndex()
        if not idx.isValid() or self._shown is None or not len(self._shown):
            return None
        return str(self._shown["account_id"].iloc[self.model.source_row(idx.row())])

    def select_account(self, account_id: str) -> bool:
        ids = self.account_ids()
        if account_id not in ids:
            return False
        self.table.selectRow(ids.index(account_id))
        return True

    def _row(self, account_id: str):
        frame = self.result["frame"] if self.result and not self.result.get("empty") else None
        if frame is None:
            return None
        hit = frame[frame["account_id"].astype(str) == account_id]
        return None if hit.empty else hit.iloc[0]

    def _set_enabled(self, on: bool) -> None:
        for w in (self.open_button, self.done_button, self.snooze_button, self.touch_kind,
                  self.touch_text, self.touch_button, self.restore_button):
            w.setEnabled(on)

    def _show_detail(self) -> None:
        import html

        aid = self.selected_account_id()
        row = self._row(aid) if aid else None
        if row is None:
            self.d_name.setText("<b>No item selected</b>" if self.result else "")
            self.d_body.setText("Pick an item to see why it is on the list and what to do "
                                "next." if self.result and not self.result.get("empty")
                                else "")
            self._set_enabled(False)
            return
        self._set_enabled(True)
        e = html.escape
        self.d_name.setText(f"<span style='font-size:15pt'><b>{e(str(row['name']))}</b></span>"
                            f"<br>{e(str(row['owner'] or 'No owner'))} · "
                            f"{e(str(row['segment'] or '—'))} · ARR "
                            f"{format_money(row['arr'], self._currency)}")
        parts = ["<b>Why it is here</b><ul style='margin-left:-20px'>"]
        parts += [f"<li>{e(r)}</li>" for r in row["reasons"]]
        parts.append("</ul>")
        parts.append(f"<b>Next step:</b> {e(str(row['next_step']))}")
        drivers = self.result["drivers"]([aid]).get(aid) or []
        probability = row.get("churn_probability")
        if drivers:
            label = "Risk drivers" if self.result["risk_source"] == "model" else \
                "Weakest health measures"
            block = drivers_html(drivers, probability, self.result["risk_source"], label)
            parts.append("<br><br>" + block + ("" if block.endswith("</ul>") else "<br><br>"))
        ws_top = self.result["whitespace"].get(aid)
        if ws_top:
            parts.append(f"<b>Expansion:</b> {e(str(ws_top['product']))} "
                         f"(+{format_money(ws_top['expected_mrr'], self._currency)}/mo "
                         f"expected): "
                         f"{e(str(ws_top['reason']))}")
        state = self._state_text(aid)
        if state:
            parts.append(f"<br><br><i>{e(state)}</i>")
        self.d_body.setText("".join(parts))
        entry = self.states.get(aid)
        self.restore_button.setVisible(bool(entry))
        self.done_button.setEnabled(not (entry and entry.get("state") == "done"))

    def _row_activated(self, frame_row: int) -> None:
        if self._shown is not None and 0 <= frame_row < len(self._shown):
            self.account_activated.emit(str(self._shown["account_id"].iloc[frame_row]))

    def open_selected(self) -> None:
        aid = self.selected_account_id()
        if aid:
            self.account_activated.emit(aid)

    # ------------------------------------------------------------------ edits
    def _target(self, account_id: str | None) -> str | None:
        aid = account_id or self.selected_account_id()
        if aid is None or self.workspace is None:
            self._show_message("Select an item first.")
            return None
        return aid

    def mark_done(self, account_id: str | None = None) -> bool:
        """Mark an item done (hidden until new data arrives); undoable."""
        aid = self._target(account_id)
        if aid is None:
            return False
        name = self._name(aid)
        ok = self.history.set_state(self.workspace, aid, "done",
                                    as_of=self.result.get("as_of") if self.result else None)
        if ok:
            self._show_message(f"{name} marked done. Undo with Ctrl+Z.")
        return ok

    def snooze(self, account_id: str | None = None, until: dt.date | str | None = None, *,
               days: int = 7) -> bool:
        """Hide an item until ``until`` (default: ``days`` from today); undoable."""
        aid = self._target(account_id)
        if aid is None:
            return False
        until = until or (self.clock() + dt.timedelta(days=days))
        ok = self.history.set_state(self.workspace, aid, "snoozed", until)
        if ok:
            self._show_message(f"{self._name(aid)} snoozed until {str(until)[:10]}. "
                               "Undo with Ctrl+Z.")
        return ok

    def restore_item(self, account_id: str | None = None) -> bool:
        aid = self._target(account_id)
        return aid is not None and self.history.set_state(self.workspace, aid, None)

    def log_touch(self, account_id: str | None = None, kind: str | None = None,
                  text: str | None = None, date: Any = None) -> str | None:
        """Log a call/email/QBR/meeting on an account as an activity (undoable); returns the
        activity id."""
        aid = self._target(account_id)
        if aid is None:
            return None
        kind = kind or self.touch_kind.currentData()
        label = dict(TOUCH_KINDS).get(kind, kind)
        if text is None:
            text = self.touch_text.text().strip() or f"{label} logged from Today"
        activity_id = self.history.log_activity(self.workspace, aid, kind, text, date)
        if activity_id:
            when = str(date or self.clock())[:10]
            self.touched[aid] = f"{label} logged {when}"
            self.touch_text.clear()
            self._show_message(f"{label} logged on {self._name(aid)}. Undo with Ctrl+Z.")
        return activity_id

    def _name(self, aid: str) -> str:
        row = self._row(aid)
        return str(row["name"]) if row is not None else aid

    def _show_message(self, text: str) -> None:
        self.message.setText(text)

    def _edited(self, what: str, account_id: str) -> None:
        if self.workspace is None or self.result is None or self.result.get("empty"):
            return
        if what == "worklist_state":
            from ..models.edits import worklist_states

            self.states = worklist_states(self.workspace)
        elif what == "activity":
            acts = self.workspace.activities(account_id)
            mine = acts[acts["activity_id"].astype(str).str.startswith("U")] if len(acts) \
                else acts
            if not len(mine):
                self.touched.pop(account_id, None)
            else:
                last = mine.sort_values("date").iloc[-1]
                label = {"qbr": "QBR"}.get(str(last["kind"]), str(last["kind"]).capitalize())
                self.touched[account_id] = f"{label} logged {last['date']}"
        current = self.selected_account_id()
        self._refilter()
        if current:
            self.select_account(current)
        self._show_detail()

    # ------------------------------------------------------------------ export
    def export_to(self, path) -> Any:
        """Write the list as shown (filters, sort, visible columns) to ``path`` (.xlsx)."""
        r = self.result or {}
        sub = f"Data as of {r.get('as_of') or '—'}; {r.get('risk_note') or ''}".strip("; ")
        return self.grid.export_visible(path, title="Today: accounts that need attention",
                                        subtitle=sub)

    def choose_export(self) -> None:
        from .analysis_view import choose_export_path

        self.export_dialog = choose_export_path(self, "today.xlsx", self.export_to,
                                                "Export the worklist")
