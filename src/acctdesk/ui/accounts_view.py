"""The Accounts view: every account of the workspace in one sortable table."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget,
)

from .table_model import Column, FrameTableModel

ACCOUNT_COLUMNS = [
    Column("name", "Account"),
    Column("segment", "Segment"),
    Column("owner", "Owner", tooltip="The customer success manager who owns the account"),
    Column("arr", "ARR", "currency", tooltip="Annual recurring revenue on the data date"),
    Column("renewal_date", "Renewal", "date", tooltip="Next contract renewal date"),
    Column("status", "Status", "status"),
    Column("seats", "Seats", "int"),
    Column("industry", "Industry"),
    Column("region", "Region"),
]
_WIDTHS = {"name": 230, "segment": 95, "owner": 135, "arr": 105, "renewal_date": 95,
           "status": 85, "seats": 65, "industry": 110, "region": 115}


class AccountsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setObjectName("viewSummary")
        self.model = FrameTableModel(ACCOUNT_COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("accountsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for i, col in enumerate(ACCOUNT_COLUMNS):
            self.table.setColumnWidth(i, _WIDTHS.get(col.key, 100))
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.empty = QLabel("This workspace has no accounts yet.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)

    def set_data(self, accounts, summary: dict) -> None:
        self.model.set_frame(accounts)
        has_rows = len(accounts) > 0
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        cur = summary.get("currency") or ""
        symbol = "$" if cur == "USD" else ""
        arr = f"{symbol}{summary['arr_active']:,.0f}" + ("" if symbol else f" {cur}")
        self.summary.setText(
            f"<b>{summary['accounts']:,}</b> accounts · <b>{summary['active_accounts']:,}</b> "
            f"active · <b>{summary['churned_accounts']:,}</b> churned · active ARR "
            f"<b>{arr}</b> · data as of <b>{summary['data_date'] or '—'}</b>"
        )
