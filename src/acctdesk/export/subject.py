"""The access-request workbook: everything a workspace holds about one account, as given.

:func:`write_subject_export` writes the frames :func:`acctdesk.models.privacy.held_about`
found (one per table) through :func:`acctdesk.export.tables.write_xlsx`, after a first sheet
that lists what the workbook contains; every column as stored, formula-like text kept as text.
"""
from __future__ import annotations

import os

import pandas as pd

from .tables import ColumnSpec, ExportReport, SheetSpec, write_xlsx

__all__ = ["SHEET_TITLES", "write_subject_export"]

#: the sheet of each table
SHEET_TITLES = {
    "accounts": "Account", "subscriptions": "Subscriptions", "usage": "Usage",
    "tickets": "Tickets", "surveys": "Surveys", "contacts": "Contacts",
    "activities": "Activities", "score_history": "Health scores",
    "external_ids": "External ids", "row_history": "Earlier values",
    "rejected_rows": "Rejected import rows", "audit_log": "Audit trail",
    "worklist_state": "Worklist state",
}


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "text"


def write_subject_export(held: dict[str, pd.DataFrame], path: str | os.PathLike, *,
                         title: str, subtitle: str, currency: str = "USD") -> ExportReport:
    """Write ``held`` (table name -> its rows about the account) to ``path`` (.xlsx): a
    "Contents" sheet (``title``, ``subtitle``), then one sheet per table."""
    contents = pd.DataFrame({
        "sheet": [SHEET_TITLES.get(t, t) for t in held],
        "table": list(held),
        "rows": [len(f) for f in held.values()],
    })
    sheets = [SheetSpec(
        name="Contents", frame=contents,
        columns=[ColumnSpec("sheet", "Sheet"), ColumnSpec("table", "Table in the workspace"),
                 ColumnSpec("rows", "Rows", "int")],
        title=title, subtitle=subtitle)]
    for table, frame in held.items():
        frame = frame.astype({c: object for c in frame.columns
                              if frame[c].dtype == object or str(frame[c].dtype) == "str"})
        sheets.append(SheetSpec(
            name=SHEET_TITLES.get(table, table), frame=frame,
            columns=[ColumnSpec(str(c), str(c), _column_kind(frame[c])) for c in frame.columns]))
    return write_xlsx(path, sheets, currency=currency)
