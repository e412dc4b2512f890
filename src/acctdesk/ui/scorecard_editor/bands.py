"""The bands part of the scorecard editor."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from .helpers import num_text, parse_num


class BandsMixin:
    """The bands: label, lower bound, colour."""

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

    def _fill_bands(self) -> None:
        self.bands_table.blockSignals(True)
        self.bands_table.setRowCount(len(self._card.bands))
        for r, b in enumerate(self._card.bands):
            self.bands_table.setItem(r, 0, QTableWidgetItem(b.label))
            self.bands_table.setItem(r, 1, QTableWidgetItem(num_text(b.lower)))
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
            b.lower = parse_num(item.text())
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
        from ...analytics.scorecards import Band

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
