"""The structure part of the scorecard editor: the tree of groups and measures, weights
and their normalised shares."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from .helpers import ROLE, describe_source


class StructureMixin:
    """The groups and measures with their weights and shares of the score."""

    def _build_structure(self) -> QWidget:
        """The tree of groups and measures with their weights and shares, and its buttons."""
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

        return left

    def _fill_tree(self) -> None:
        current = self._selected()
        self._filling = True
        self.tree.clear()
        self._spins: dict[tuple, QDoubleSpinBox] = {}
        for gi, g in enumerate(self._card.groups):
            gitem = QTreeWidgetItem([g.name or "(unnamed group)", "", ""])
            gitem.setData(0, ROLE, ("group", gi))
            f = gitem.font(0)
            f.setBold(True)
            gitem.setFont(0, f)
            gitem.setToolTip(0, g.name)
            self.tree.addTopLevelItem(gitem)
            self._add_spin(gitem, ("group", gi), g.weight)
            for mi, m in enumerate(g.measures):
                mitem = QTreeWidgetItem([m.name or m.id, "", ""])
                mitem.setData(0, ROLE, ("measure", gi, mi))
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
        return None if item is None else item.data(0, ROLE)

    def _select(self, key: tuple | None) -> None:
        if key is None:
            self._show_selected()
            return
        for gi in range(self.tree.topLevelItemCount()):
            gitem = self.tree.topLevelItem(gi)
            if gitem.data(0, ROLE) == key:
                self.tree.setCurrentItem(gitem)
                return
            for mi in range(gitem.childCount()):
                if gitem.child(mi).data(0, ROLE) == key:
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

    def add_group(self) -> None:
        from ...analytics.scorecards import Group

        names = {g.name for g in self._card.groups}
        n = 1
        while f"Group {n}" in names:
            n += 1
        self._card.groups.append(Group(f"Group {n}", 10.0, []))
        self._edited(structure=True)
        self._select(("group", len(self._card.groups) - 1))

    def add_measure(self) -> None:
        """A new measure in the selected group (first input of the catalogue)."""
        from ...analytics.scorecards import Measure, PointMapping, Source

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
