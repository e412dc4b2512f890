"""The Accounts view: every account of the workspace in one spreadsheet-like table.

Health, churn risk and whitespace columns stay blank until :meth:`AccountsView.set_scores`
provides them (scoring runs in the background and may come later than the accounts).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..domain.colours import BAND_COLOURS
from ..domain.money import format_money
from .table_model import Column, PreparedFrame, prepare_frame
from .table_view import DataTableView

ACCOUNT_COLUMNS = [
    Column("name", "Account", width=220),
    Column("owner", "Owner", tooltip="The customer success manager who owns the account",
           width=130),
    Column("segment", "Segment", width=90),
    Column("arr", "ARR", "currency", tooltip="Annual recurring revenue on the data date",
           width=100),
    Column("health_score", "Health", "int",
           tooltip="Health score, 0-100, on the account's assigned scorecard", width=66),
    Column("health_band", "Band", "band", tooltip="Health band", width=74),
    Column("health_trend", "Trend", "trend",
           tooltip="Change of the health score since the previous snapshot, in points "
                   "(\"new\": no earlier score)", width=70),
    Column("churn_risk", "Churn risk", "percent",
           tooltip="Chance the account churns within the model's horizon", width=84),
    Column("priority", "Priority", "int",
           tooltip="Priority on today's worklist, out of 130 points (blank: not on the list)",
           width=66),
    Column("renewal_date", "Renewal", "date", tooltip="Next contract renewal date", width=96),
    Column("whitespace_value", "Whitespace", "currency",
           tooltip="Expected annual value of the products the account does not own yet",
           width=100),
    Column("status", "Status", "status", width=100),
    Column("seats", "Seats", "int", width=64),
    Column("industry", "Industry", width=130),
    Column("region", "Region", width=120),
]
#: the columns :meth:`AccountsView.set_scores` fills, and the names it also accepts for them
#: (``score_accounts`` output uses ``score`` and ``band``).
SCORE_COLUMNS = {
    "health_score": ("health_score", "score"),
    "health_band": ("health_band", "band"),
    "health_trend": ("health_trend", "trend", "score_change"),
    "churn_risk": ("churn_risk", "risk", "probability"),
    "priority": ("priority",),
    "whitespace_value": ("whitespace_value", "whitespace"),
}
EMPTY_TEXT = ("<b>This workspace has no accounts yet.</b><br>Drop CSV or Excel exports here: "
              "accounts from your CRM or your own spreadsheet, subscriptions from your "
              "billing system (Help › What to Export From Which System).")


@dataclass
class PreparedAccounts:
    """Accounts made ready for :meth:`AccountsView.set_data` (see :func:`prepare_accounts`)."""

    frame: object               # the accounts as read
    ids: np.ndarray             # account_id per frame row
    table: PreparedFrame        # the frame converted for the table's model


def prepare_accounts(accounts, sort) -> PreparedAccounts:
    """Worker-safe part of :meth:`AccountsView.set_data`: the score columns added and the
    table's arrays (and the sort by ``sort``, the model's ``sort_state()``) built."""
    n = len(accounts)
    columns = {k: accounts[k] for k in accounts.columns}
    for key in SCORE_COLUMNS:           # blank until set_scores
        columns[key] = np.full(n, None, dtype=object) if key == "health_band" \
            else np.full(n, np.nan)
    ids = accounts["account_id"].to_numpy(dtype=object) if "account_id" in accounts \
        else np.full(n, None, dtype=object)
    return PreparedAccounts(accounts, ids, prepare_frame(ACCOUNT_COLUMNS, columns, sort, n))


#: where the "Show churned accounts" choice is remembered
SHOW_CHURNED_KEY = "accounts/show_churned"


class AccountsView(QWidget):
    """The accounts table. ``account_activated(account_id)`` on double-click or Enter.

    Churned accounts (a churn date on or before the data date) are left out until "Show
    churned accounts" is ticked; the choice is remembered.
    """

    account_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setObjectName("viewSummary")
        self.summary.setWordWrap(True)
        from . import settings as app_settings

        self.show_churned = QCheckBox("Show churned accounts")
        self.show_churned.setObjectName("showChurned")
        self.show_churned.setChecked(
            str(app_settings.settings().value(SHOW_CHURNED_KEY, "false")).lower() == "true")
        self.show_churned.toggled.connect(self._show_churned_toggled)
        self._churned = np.zeros(0, dtype=bool)
        self.grid = DataTableView(ACCOUNT_COLUMNS, "accounts", self, noun="accounts",
                                  noun_one="account", empty_text=EMPTY_TEXT)
        self.model = self.grid.model
        self.table = self.grid.table
        self.grid.set_band_colours("health_band", BAND_COLOURS)
        hh = self.table.horizontalHeader()
        if self.model.sort_state() is None:         # nothing remembered: by name
            from PySide6.QtCore import Qt

            hh.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.grid.row_activated.connect(self._row_activated)
        self._accounts = None
        self._ids = np.array([], dtype=object)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_churned)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)

    # ------------------------------------------------------------------ data
    def set_data(self, accounts, summary: dict) -> None:
        """Show a workspace's accounts (scores cleared until :meth:`set_scores`).

        ``accounts``: a frame of accounts, or what :func:`prepare_accounts` made of one on a
        worker thread (the UI thread then only swaps it in).
        """
        if not isinstance(accounts, PreparedAccounts):
            accounts = prepare_accounts(accounts, self.model.sort_state())
        self._accounts = accounts.frame
        self._ids = accounts.ids
        currency = summary.get("currency") or "USD"
        self.grid.set_frame(accounts.table)   # made for another sort: the model redoes it
        from ..domain.accounts import churned_mask

        frame = accounts.frame
        self._churned = (churned_mask(frame, summary.get("data_date") or "")
                         .to_numpy(dtype=bool)
                         if {"churn_date", "status"} <= set(getattr(frame, "columns", ()))
                         else np.zeros(len(self._ids), dtype=bool))
        self._apply_churned()
        arr = format_money(summary["arr_active"], currency)
        self.summary.setText(
            f"<b>{summary['accounts']:,}</b> accounts · <b>{summary['active_accounts']:,}</b> "
            f"active · <b>{summary['churned_accounts']:,}</b> churned · active ARR "
            f"<b>{arr}</b> · data as of <b>{summary['data_date'] or '—'}</b>"
        )

    def set_scores(self, scores, band_colours: Mapping[str, str] | None = None, *,
                   trend_basis: str | None = None) -> None:
        """Fill the health, trend, churn-risk and whitespace columns.

        ``scores`` is indexed by ``account_id`` (or has an ``account_id`` column) and holds any
        of ``health_score`` (0-100), ``health_band`` (label), ``health_trend`` (points of
        change), ``churn_risk`` (0-1) and ``whitespace_value`` (currency); the names in
        :data:`SCORE_COLUMNS` are accepted too. Accounts without a score stay blank.
        ``band_colours`` maps band labels to ``#rrggbb`` (default: red/yellow/green).
        ``trend_basis`` says what the trend is measured against (the Trend header's tip).
        """
        import pandas as pd

        if self._accounts is None:
            return
        if "account_id" in getattr(scores, "columns", ()):
            scores = scores.set_index("account_id")
        aligned = len(scores) == len(self._ids) and \
            np.array_equal(scores.index.to_numpy(dtype=object), self._ids)
        ids = None if aligned else pd.Index(self._ids)
        update = {}
        for key, names in SCORE_COLUMNS.items():
            name = next((n for n in names if n in scores.columns), None)
            if name is not None:
                column = scores[name] if aligned else scores[name].reindex(ids)
                update[key] = column.to_numpy()
        if band_colours:
            self.grid.set_band_colours("health_band", band_colours)
        if trend_basis:
            import dataclasses

            i = self.model.column_index("health_trend")
            self.model.columns[i] = dataclasses.replace(
                self.model.columns[i], tooltip=f"Change of the health score since the "
                f"{trend_basis}, in points (\"new\": no score then)")
        if update:
            self.model.update_columns(pd.DataFrame(update))

    # ------------------------------------------------------------------ churned accounts
    def _show_churned_toggled(self, on: bool) -> None:
        from . import settings as app_settings

        app_settings.settings().setValue(SHOW_CHURNED_KEY, "true" if on else "false")
        self._apply_churned()

    def _apply_churned(self) -> None:
        n = int(self._churned.sum())
        self.show_churned.setText(f"Show churned accounts ({n:,})")
        self.show_churned.setEnabled(n > 0)
        self.grid.left_out_text = (
            f"All {n:,} accounts of this workspace have churned. Tick “Show churned "
            "accounts” to see them.")
        self.model.set_row_mask(None if self.show_churned.isChecked() or not n
                                else ~self._churned)

    def _row_activated(self, frame_row: int) -> None:
        account_id = self._ids[frame_row]
        if account_id is not None:
            self.account_activated.emit(str(account_id))
