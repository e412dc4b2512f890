"""The measure part of the scorecard editor: a group's name, a measure's input, window,
direction and point mapping (thresholds, linear range or percentile)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QSpinBox, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from .helpers import WINDOW_HELP, describe_source, num_text, parse_num


class MeasureMixin:
    """The form of the selected group or measure: input, window, direction, points."""

    def _build_item_editor(self) -> QWidget:
        """A page per kind of item: a hint, the group form, the measure form."""
        self.item_pages = QStackedWidget()
        hint = QLabel("Select a group or a measure on the left to edit it.")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.item_pages.addWidget(hint)
        self.item_pages.addWidget(self._build_group_form())
        self.item_pages.addWidget(self._build_measure_form())
        return self.item_pages

    def _build_group_form(self) -> QWidget:
        gw = QWidget()
        gf = QFormLayout(gw)
        self.group_name = QLineEdit()
        self.group_name.textEdited.connect(self._group_name_edited)
        gf.addRow("Group name", self.group_name)
        note = QLabel("The group's weight is in the tree on the left. A measure without data "
                      "for an account drops out and its weight goes to the rest of its group.")
        note.setWordWrap(True)
        gf.addRow(note)
        return gw


    def _build_measure_form(self) -> QWidget:
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
        self.window_spin.setToolTip(WINDOW_HELP)
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
        self.mapping_pages.addWidget(self._build_thresholds_page())
        self.mapping_pages.addWidget(self._build_linear_page())
        self.mapping_pages.addWidget(self._build_percentile_page())
        mf.addRow(self.mapping_pages)
        return mw

    def _build_thresholds_page(self) -> QWidget:
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
        return tw

    def _build_linear_page(self) -> QWidget:
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
        return lw

    def _build_percentile_page(self) -> QWidget:
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
        return pw

    def _fill_input_combo(self) -> None:
        self.input_combo.clear()
        for label, d in self._catalogue:
            from ...analytics.scorecards import Source

            self.input_combo.addItem(label, d)
            self.input_combo.setItemData(self.input_combo.count() - 1,
                                         describe_source(Source.from_dict(d)),
                                         Qt.ItemDataRole.ToolTipRole)

    def _current_measure(self):
        key = self._selected()
        if not key or key[0] != "measure":
            return None
        return self._card.groups[key[1]].measures[key[2]]

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
        self.zero_edit.setText(num_text(m.mapping.zero_at))
        self.full_edit.setText(num_text(m.mapping.full_at))
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
            self.thresholds.setItem(r, 0, QTableWidgetItem(num_text(upper)))
            self.thresholds.setItem(r, 1, QTableWidgetItem(num_text(pts)))
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
        from ...analytics.scorecards import Source

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
            pairs.append((parse_num(up.text() if up else ""),
                          parse_num(pts.text() if pts else "")))
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
        m.mapping.zero_at = parse_num(self.zero_edit.text())
        m.mapping.full_at = parse_num(self.full_edit.text())
        self._edited()

    def _scope_changed(self, index: int) -> None:
        m = self._current_measure()
        if self._filling or m is None:
            return
        m.mapping.scope = self.scope_combo.itemData(index)
        self._edited()
