"""Canonical rows: a planned sheet's cells coerced to typed values and the profile's meaning.

``canonical_rows(plan)`` coerces every mapped column by its kind (a value that cannot be read
rejects its row, with row, column, value and reason), keeps unmapped columns as custom fields,
runs the profile's transform (billing MRR, deal stages, report clean-up ...) and rejects rows
still missing a required value. The result carries each record's source row number in
:data:`ROW` so every later step can say which row it speaks of.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import coerce
from .errors import CellError, ImportCancelled, ImportFileError
from .plan import SheetPlan, melted_columns

#: the column holding each record's 1-based row number in the source file
ROW = "rownum.src"
#: prefix of columns kept as custom fields
CUSTOM = "custom."
#: the column in which a transform says how many more source rows a record stands for
FOLDED = "rows.folded"
#: the column in which a transform rejects a record, with the reason in words
REJECT = "rows.reject"

_COERCERS: dict[str, Callable[..., coerce.Coerced]] = {
    "text": coerce.to_text, "number": coerce.to_number, "int": coerce.to_number,
    "money": coerce.to_money, "percent": coerce.to_percent, "date": coerce.to_date,
    "datetime": coerce.to_datetime, "bool": coerce.to_bool,
}


@dataclass
class CanonicalRows:
    """A sheet's records after coercion and the profile's transform."""

    records: pd.DataFrame                     # canonical columns + custom.* + ROW
    errors: list[CellError]                   # cells that could not be read / were missing
    rejected: int                             # records rejected for those errors
    rows_read: int                            # rows read (records + rejected + folded)
    notes: list[str] = field(default_factory=list)
    folded: int = 0                           # source rows counted into other records


def coerce_column(s: pd.Series, kind: str, hints: dict) -> coerce.Coerced:
    if kind == "money_cents":
        return coerce.to_money(s, cents=True)
    if kind in ("date", "datetime"):
        return _COERCERS[kind](s, order=hints.get("date_order"))
    return _COERCERS.get(kind, coerce.to_text)(s)


def _period_to_date(s: pd.Series) -> coerce.Coerced:
    """'2025-03' (a month) -> '2025-03-01'; full dates go through ``to_date``."""
    text = s.astype(object).where(s.notna(), None)
    month = text.map(lambda v: f"{v}-01" if isinstance(v, str) and len(v) == 7 else v)
    return coerce.to_date(month.astype(object))


def _kind_of(prof, target: str) -> str:
    kinds = {f.target: f.kind for f in prof.fields}
    if target in kinds:
        return kinds[target]
    if target.startswith(("value@", "value:")) or target == "value":
        return "number"
    return "text"


def _coerced(plan: SheetPlan, cancel) -> tuple[pd.DataFrame, list[CellError], np.ndarray,
                                               list[str]]:
    """Coerce mapped columns; return the frame, cell errors, bad-row mask and notes."""
    sheet, prof = plan.sheet, plan.profile
    frame = sheet.frame
    rows = np.asarray(sheet.row_numbers)
    hints = dict(prof.reader_hints)
    melted = melted_columns(sheet)
    out: dict[str, Any] = {}
    errors: list[CellError] = []
    notes: list[str] = []
    bad = np.zeros(len(frame), dtype=bool)
    for src, tgt in plan.mapping.items():
        if src not in frame.columns:
            continue
        if cancel is not None and cancel():
            raise ImportCancelled()
        kind = _kind_of(prof, tgt)
        if tgt == "date" and melted:
            result = _period_to_date(frame[src])
        else:
            result = coerce_column(frame[src], kind, hints)
        values = result.values
        if kind == "int":
            values = values.round()
        out[tgt] = values.reset_index(drop=True)
        notes.extend(f"'{src}': {n}" for n in result.notes)
        for pos, value, reason in result.errors:
            bad[pos] = True
            errors.append(CellError(int(rows[pos]), src, str(value), reason))
    if any("subtotal rows inside the data" in n for n in sheet.notes):
        # a grouped ("summary") report: the group value is printed on a group's first row only
        for tgt in ("account.name", "account.external_id", "owner"):
            if tgt in out and not (prof.entity == "accounts" and tgt != "owner"):
                col = out[tgt]
                out[tgt] = col.ffill().astype(object).where(col.ffill().notna(), None)
    if melted and prof.wide_metric and "metric" not in out:
        out["metric"] = pd.Series([prof.wide_metric] * len(frame), dtype=object)
    mapped = set(plan.mapping)
    for col in frame.columns:
        if col not in mapped and not str(col).startswith("column_"):
            s = frame[col]
            out[CUSTOM + str(col)] = s.astype(object).where(s.notna(), None).reset_index(drop=True)
    out[ROW] = pd.Series(rows, dtype="int64")
    return pd.DataFrame(out), errors, bad, notes


def _required(frame: pd.DataFrame, plan: SheetPlan, notes: list[str]
              ) -> tuple[pd.DataFrame, list[CellError], int]:
    """Drop total rows of usage reports; reject rows still missing a required value.

    Returns the kept records, one error per rejected record and the number of total rows
    dropped.
    """
    errors: list[CellError] = []
    totals = 0
    if frame.empty:
        return frame, errors, totals
    prof = plan.profile
    hints = [c for c in frame.columns if c in ("account.name", "account.domain",
                                               "account.external_id", "account_id",
                                               "account.key") or c.startswith("xid:")]
    if prof.entity == "usage" and "date" in frame.columns:
        total = frame["date"].isna()
        for c in hints:
            total &= frame[c].isna()
        if total.any():
            totals = int(total.sum())
            notes.append(f"dropped {totals} total row(s) with no account and no date")
            frame = frame[~total]
    source_of = {t: s for s, t in plan.mapping.items()}
    bad = pd.Series(False, index=frame.index)
    for f in prof.fields:
        if f.required and f.target in frame.columns and not f.target.startswith("_"):
            missing = frame[f.target].isna()
            for rownum in frame.loc[missing & ~bad, ROW]:
                errors.append(CellError(int(rownum), source_of.get(f.target, f.target), "",
                                        "a value is required here"))
            bad |= missing
    return frame[~bad].reset_index(drop=True), errors, totals


def canonical_rows(plan: SheetPlan, cancel: Callable[[], bool] | None = None, *,
                   path=None) -> CanonicalRows:
    """Coerce, transform and check one planned sheet (nothing is written)."""
    frame, errors, bad, notes = _coerced(plan, cancel)
    good = frame[~bad].reset_index(drop=True)
    try:
        transformed = plan.profile.transform(good) if len(good) else good
    except (ValueError, KeyError) as exc:
        raise ImportFileError.for_file(
            path or plan.sheet.file, f"could not be interpreted as {plan.profile.id} ({exc})",
            "Check that the file is an unmodified export, or map its columns by hand."
        ) from exc
    if ROW not in transformed.columns:
        transformed[ROW] = pd.Series(dtype="int64")
    dropped = len(good) - transformed[ROW].nunique() if len(good) else 0
    if dropped > 0:
        notes.append(f"left out {dropped} row(s) that are no records (report totals, footers, "
                     "test or preview responses)")
    if REJECT in transformed.columns:
        why = transformed[REJECT]
        for rownum, reason in zip(transformed.loc[why.notna(), ROW], why[why.notna()]):
            errors.append(CellError(int(rownum), "", "", str(reason)))
        transformed = transformed[why.isna()].drop(columns=[REJECT]).reset_index(drop=True)
    folded = 0
    if FOLDED in transformed.columns:
        # a transform that counts rows together (events into daily counts) says how many
        # source rows each record stands for beyond the first
        folded = int(pd.to_numeric(transformed[FOLDED], errors="coerce").fillna(0).sum())
        transformed = transformed.drop(columns=[FOLDED])
    records, more, totals = _required(transformed.copy(), plan, notes)
    bad_rows = {e.row for e in errors}
    return CanonicalRows(records=records, errors=errors + more, rejected=len(bad_rows) + len(more),
                         rows_read=len(bad_rows) + len(transformed) - totals + folded,
                         notes=notes, folded=folded)
