"""The preview part of the scorecard editor: the book's accounts per band and the backtest,
recomputed in the task runner after each edit."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget,
)

from ...analytics.plain import times_in_100
from .helpers import NO_SCORE, NO_SCORE_COLOUR, band_ranges, escape_text, is_number
from .tasks import preview_card


class PreviewMixin:
    """The live preview: band counts of the active accounts and the backtest."""

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
                          lambda st: preview_card(card_dict, data, as_of, dates, lock, st),
                          self._show_preview)

    def _show_preview(self, result: dict[str, Any]) -> None:
        import pyqtgraph as pg

        from ...analytics.scorecards import Scorecard

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
            ranges = band_ranges(card)
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
            parts = [f"<span style='color:{colours.get(k, '#888')}'>■</span> {escape_text(k)} "
                     f"<b>{v:,}</b> ({100 * v / total:.0f}%)" if total else f"{k} 0"
                     for k, v in counts.items()]
            self.counts_label.setText(" &nbsp; ".join(parts))
            self.preview_caption.setText(
                f"{card.name}: {total:,} accounts active on {result['as_of']} "
                f"({result.get('scored', 0):,} with a score).")
            bt = result["backtest"]
            if bt:
                auc, lift = bt["auc"], bt["top_decile_lift"]
                self.auc_label.setText("—" if not is_number(auc) else
                                       f"{times_in_100(auc)} times in 100")
                self.lift_label.setText("—" if not is_number(lift) else
                                        f"{lift:.1f}× as often as the book")
                self.verdict_label.setText(
                    f"{bt['verdict']} ({bt['n']:,} observations on {len(bt['as_of_dates'])} "
                    f"dates, {bt['churned']:,} churned within {bt['horizon_days']} days.)")
                rates = [f"<span style='color:{colours.get(b, '#888')}'>■</span> {escape_text(b)} "
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
