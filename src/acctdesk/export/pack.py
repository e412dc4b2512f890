"""The priority pack: one workbook an account manager can work from (no Qt).

This module lays out and writes what it is given: the figures of a pack
(:class:`acctdesk.engine.pack.PackData`, computed by the engine from the same analysis as the
app's screens) become :class:`~acctdesk.export.tables.SheetSpec` objects (:func:`pack_sheets`,
:func:`build_view`) written with :func:`~acctdesk.export.tables.write_xlsx` (:func:`write_pack`,
:func:`write_view`).

Sheets
------
``Worklist``
    The ranked accounts that need attention: rank in the book and in this list, priority,
    reasons, suggested next step, health, churn risk, ARR at risk, renewal; and four
    **editable** columns (yellow): Owner, Status (drop-down), Next step, Notes, prefilled with
    the account's owner and the latest values saved from an earlier pack. Importing the
    workbook back applies what was changed there (:mod:`acctdesk.importers.pack_roundtrip`).
``Accounts``
    Every account with segment, owner, ARR, renewal, status, health score and band (each on
    its assigned scorecard) and churn risk.
``Whitespace``
    Cross-sell and upsell suggestions.
``Renewals``
    Active accounts renewing in the next 12 calendar months, soonest first, with the churn
    risk and the probability of churning by the renewal date.
``Portfolio KPIs`` and ``MRR movements``
    The Portfolio view's figures for the same accounts, MRR, ARR, NRR, GRR, logo churn, CLV.
``Definitions``
    Every formula used and the data date.
``acctdesk`` (hidden)
    The round-trip marker: the exported values of the editable columns, per account id.

Churn risk comes from the workspace's churn model, or, without one, is
``p = (100 - health score) / 100`` and every sheet says so ("Churn risk (from health)").
"""
from __future__ import annotations

import os
from pathlib import Path
import pandas as pd

from ..domain.pack_format import (
    EDITABLE_COLUMNS, MARKER_PROPERTY, MARKER_SHEET, PACK_VERSION, STATUS_CHOICES,
    WORKLIST_SHEET,
)
from .tables import ColumnSpec, ExportError, ExportReport, SheetSpec, write_csv, write_xlsx

__all__ = [
    "VIEWS", "STATUS_CHOICES", "EDITABLE_COLUMNS", "MARKER_PROPERTY", "MARKER_SHEET",
    "PACK_VERSION", "build_view", "pack_sheets", "marker_properties", "write_pack",
    "write_view",
]

#: views ``acctdesk export --view`` accepts (``pack`` is the whole workbook).
VIEWS = ("worklist", "accounts", "whitespace", "renewals", "metrics", "pack")


# --------------------------------------------------------------------------- layout


def _title(pack, what: str) -> tuple[str, str]:
    scope = ", ".join(f"{k} {v}" for k, v in pack.filters.items())
    title = f"{pack.workspace} · {what}" + (f" · {scope}" if scope else "")
    subtitle = f"Exported {pack.exported_at} · data as of {pack.as_of}"
    return title, subtitle


def _risk_title(pack) -> str:
    return "Churn risk (model)" if pack.risk_source == "model" else "Churn risk (from health)"


def _sheet_worklist(pack) -> SheetSpec:
    t, s = _title(pack, "Worklist")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28),
        C("rank", "Rank", "int", width=7),
        C("rank_in_list", "Rank in this list", "int", width=9),
        C("priority", "Priority", "number", width=10),
        C("reasons_text", "Reasons", width=48, wrap=True),
        C("next_step", "Suggested next step", width=30, wrap=True),
        C("owner_edit", "Owner", width=18, editable=True),
        C("status_edit", "Status", width=16, editable=True, choices=STATUS_CHOICES),
        C("next_step_edit", "Next step", width=30, editable=True, wrap=True),
        C("notes_edit", "Notes", width=36, editable=True, wrap=True),
        C("arr", "ARR", "currency"),
        C("arr_at_risk", "ARR at risk", "currency"),
        C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9),
        C("churn_probability", _risk_title(pack), "percent"),
        C("days_to_renewal", "Days to renewal", "int"),
        C("renewal_date", "Renewal", "date"),
        C("segment", "Segment"),
        C("account_id", "Account ID"),
    ]
    return SheetSpec(WORKLIST_SHEET, pack.worklist, cols, title=t, subtitle=s)


def _sheet_accounts(pack) -> SheetSpec:
    t, s = _title(pack, "Accounts")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28), C("segment", "Segment"), C("industry", "Industry"),
        C("region", "Region"), C("owner", "Owner"), C("arr", "ARR", "currency"),
        C("seats", "Seats", "int"), C("renewal_date", "Renewal", "date"),
        C("status", "Status"), C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9), C("churn_risk", _risk_title(pack), "percent"),
    ]
    if pack.risk_source == "model":
        cols.append(C("drivers", "Risk drivers", width=50, wrap=True))
    cols += [C("domain", "Domain"), C("account_id", "Account ID")]
    return SheetSpec("Accounts", pack.accounts, cols, title=t, subtitle=s)


def _sheet_whitespace(pack) -> SheetSpec:
    t, s = _title(pack, "Whitespace suggestions")
    C = ColumnSpec
    frame = pack.whitespace
    if "at_risk" in frame.columns:
        frame = frame.assign(at_risk_text=frame["at_risk"].map(
            lambda v: "yes" if v is True or v == 1 else ""))
    else:
        frame = frame.assign(at_risk_text="")
    cols = [
        C("name", "Account", width=28), C("product", "Product"), C("kind", "Kind"),
        C("propensity", "Propensity", "percent"), C("expected_mrr", "Expected MRR", "currency"),
        C("reason", "Reason", width=60, wrap=True), C("at_risk_text", "At risk", width=8),
        C("owner", "Owner"), C("account_id", "Account ID"),
    ]
    for c in ("name", "product", "kind", "propensity", "expected_mrr", "reason", "owner",
              "account_id"):
        if c not in frame.columns:
            frame = frame.assign(**{c: None})
    return SheetSpec("Whitespace", frame, cols, title=t, subtitle=s)


def _sheet_renewals(pack) -> SheetSpec:
    t, s = _title(pack, "Renewals in the next 12 months")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28), C("renewal_date", "Renewal", "date"),
        C("days_to_renewal", "Days to renewal", "int"), C("owner", "Owner"),
        C("segment", "Segment"), C("arr", "ARR", "currency"), C("seats", "Seats", "int"),
        C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9), C("churn_risk", _risk_title(pack), "percent"),
        C("churn_probability", "Churn by renewal", "percent"),
        C("expected_renewed_arr", "Expected renewed", "currency"),
        C("account_id", "Account ID"),
    ]
    return SheetSpec("Renewals", pack.renewals, cols, title=t, subtitle=s)


def _sheet_kpis(pack) -> SheetSpec:
    t, s = _title(pack, "Portfolio KPIs")
    C = ColumnSpec
    cols = [C("metric", "Metric", width=40),
            C("value", "Value", "number", width=18, row_kinds="kind"),
            C("formula", "Formula", width=90, wrap=True)]
    return SheetSpec("Portfolio KPIs", pack.kpis, cols, title=t, subtitle=s)


def _sheet_movements(pack) -> SheetSpec:
    t, s = _title(pack, "MRR movements by month")
    C = ColumnSpec
    frame = pack.movements if len(pack.movements) else pd.DataFrame(
        columns=["month", "start_mrr", "new", "expansion", "contraction", "churn",
                 "reactivation", "end_mrr", "net_change"])
    cols = [C("month", "Month", width=10)] + [
        C(k, title, "currency") for k, title in (
            ("start_mrr", "Start MRR"), ("new", "New"), ("expansion", "Expansion"),
            ("contraction", "Contraction"), ("churn", "Churn"),
            ("reactivation", "Reactivation"), ("end_mrr", "End MRR"),
            ("net_change", "Net change"))]
    return SheetSpec("MRR movements", frame, cols, title=t, subtitle=s)


def _sheet_definitions(pack) -> SheetSpec:
    t, s = _title(pack, "Definitions")
    C = ColumnSpec
    cols = [C("term", "Term", width=26), C("definition", "Definition / formula", width=90,
                                           wrap=True),
            C("notes", "Notes", width=50, wrap=True)]
    return SheetSpec("Definitions", pack.definitions, cols, title=t, subtitle=s)


def _sheet_marker(pack) -> SheetSpec:
    cols = [ColumnSpec("account_id", "account_id")] + [
        ColumnSpec(f, f) for f in EDITABLE_COLUMNS.values()]
    return SheetSpec(MARKER_SHEET, pack.marker, cols, hidden=True)


def marker_properties(pack) -> dict[str, str]:
    """The custom document properties that mark a priority pack."""
    return {MARKER_PROPERTY: PACK_VERSION, "acctdesk_workspace": pack.workspace,
            "acctdesk_data_date": pack.as_of, "acctdesk_exported": pack.exported_at}


def pack_sheets(pack) -> list[SheetSpec]:
    """The pack's sheets in order (the hidden marker sheet last)."""
    return [_sheet_worklist(pack), _sheet_accounts(pack), _sheet_whitespace(pack),
            _sheet_renewals(pack), _sheet_kpis(pack), _sheet_movements(pack),
            _sheet_definitions(pack), _sheet_marker(pack)]


_VIEW_SHEETS = {
    "worklist": _sheet_worklist, "accounts": _sheet_accounts,
    "whitespace": _sheet_whitespace, "renewals": _sheet_renewals, "metrics": _sheet_kpis,
}


def build_view(pack, view: str) -> list[SheetSpec]:
    """The sheet(s) of one view: ``metrics`` gives KPIs and MRR movements, ``pack`` all."""
    if view == "pack":
        return pack_sheets(pack)
    if view == "metrics":
        return [_sheet_kpis(pack), _sheet_movements(pack), _sheet_definitions(pack)]
    if view not in _VIEW_SHEETS:
        raise ExportError(f"Unknown view {view!r}; choose one of {', '.join(VIEWS)}.")
    return [_VIEW_SHEETS[view](pack)]


def write_pack(pack, path: str | os.PathLike[str]) -> ExportReport:
    """Write the priority pack ``pack`` (:class:`acctdesk.engine.pack.PackData`) to
    ``path`` (.xlsx)."""
    report = write_xlsx(path, pack_sheets(pack), currency=pack.currency,
                        custom_properties=marker_properties(pack))
    report.warnings.extend(pack.notes)
    return report


def write_view(pack, path: str | os.PathLike[str], view: str) -> ExportReport:
    """Write one view of ``pack`` to ``path``: ``.xlsx`` (``pack`` included) or ``.csv``
    (one table; ``metrics``: the KPIs; ``pack`` needs ``.xlsx``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"Cannot export to {path.name}: use a name ending in .xlsx or .csv.")
    if view not in VIEWS:
        raise ExportError(f"Unknown view {view!r}; choose one of {', '.join(VIEWS)}.")
    if view == "pack" and suffix == ".csv":
        raise ExportError("The priority pack has several sheets: export it to an .xlsx file.")
    if view == "pack":
        return write_pack(pack, path)
    sheets = build_view(pack, view)
    if suffix == ".csv":
        report = write_csv(path, sheets[0])
    else:
        report = write_xlsx(path, sheets, currency=pack.currency)
    report.warnings.extend(pack.notes)
    return report
