"""The assignment part of the scorecard editor: rules, the default card and the cards shown
side by side."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from .helpers import ROLE, num_text, parse_num


class AssignmentMixin:
    """The workspace's assignment rules: which card scores which account."""

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
            rule.label, ", ".join(rule.segments or []), num_text(rule.max_tenure_days),
            num_text(rule.max_days_to_renewal), rule.scorecard]
        for c in range(4):
            item = QTableWidgetItem(vals[c])
            item.setToolTip(vals[c])
            self.rules_table.setItem(r, c, item)
        # conditions this table does not show (min tenure, other columns) are kept as they are
        self.rules_table.item(r, 0).setData(ROLE, None if rule is None else rule.to_dict())
        combo = QComboBox()
        for cid in sorted(self._cards):
            combo.addItem(self._cards[cid].name, cid)
        combo.setCurrentIndex(max(0, combo.findData(vals[4] or "health")))
        self.rules_table.setCellWidget(r, 4, combo)

    def assignment_from_table(self):
        from ...analytics.scorecards import Assignment, Rule

        rules = []
        for r in range(self.rules_table.rowCount()):
            text = lambda c: (self.rules_table.item(r, c).text().strip()  # noqa: E731
                              if self.rules_table.item(r, c) else "")
            segs = [s.strip() for s in text(1).split(",") if s.strip()]
            tenure, renewal = parse_num(text(2)), parse_num(text(3))
            kept = self.rules_table.item(r, 0).data(ROLE) or {}
            rules.append(Rule(self.rules_table.cellWidget(r, 4).currentData(), label=text(0),
                              segments=segs or None,
                              min_tenure_days=kept.get("min_tenure_days"),
                              max_tenure_days=tenure, max_days_to_renewal=renewal,
                              match=dict(kept.get("match") or {})))
        side = [s.strip() for s in self.side_edit.text().split(",") if s.strip()]
        return Assignment(rules=rules, default=self.default_combo.currentData() or "health",
                          side_by_side=side)

    def save_assignment(self) -> bool:
        from ...analytics.scorecards import ScorecardError
        from ...engine.scorecards import save_assignment

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
