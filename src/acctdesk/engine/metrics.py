"""The revenue metrics summary (what ``acctdesk metrics`` prints and the pack's KPIs show).

ARR is the book's ARR: the sum of ``accounts.arr`` over the accounts that are customers on
the date, the figure every screen shows (Portfolio's tile, the Accounts table's total, the
pack); ``arr_billing`` = 12 x the month-end MRR of the paying subscriptions (the revenue
ledger of :func:`acctdesk.analytics.metrics.mrr_by_month`). NRR, GRR and logo churn are
:func:`acctdesk.analytics.metrics.retention` over the last ``months`` months of the ledger.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..analytics import metrics as M
from ..domain.numbers import finite

MOVEMENT_FIELDS = ["start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
                   "end_mrr", "net_change"]


def retention_period(labels: list[str], months: int) -> tuple[str | None, str | None, int]:
    """(start month, end month, months) of the retention period: the last ``months`` months
    of the ledger (fewer when the history is shorter)."""
    if not labels:
        return None, None, 0
    span = min(months, len(labels) - 1)
    if span < 1:
        return None, labels[-1], 0
    return labels[-1 - span], labels[-1], span


def metrics_summary(mrr: pd.DataFrame, *, as_of: str, currency: str | None, arr: float,
                    bands: dict[str, int], months: int = 12,
                    definition: str = "standard") -> dict[str, Any]:
    """The metrics of a book as a JSON-ready dict (keys: the ``metrics`` command's)."""
    labels = list(mrr.attrs.get("months", []))
    out: dict[str, Any] = {
        "as_of": str(as_of)[:10], "currency": currency, "definition": definition,
        "formulas": dict(M.RETENTION_DEFINITIONS[definition]),
        "mrr": 0.0, "arr": finite(arr, 2) or 0.0, "arr_billing": 0.0, "accounts": 0,
        "period": {"start_month": None, "end_month": labels[-1] if labels else None,
                   "months": 0},
        "nrr": None, "grr": None, "logo_churn": None, "logo_retention": None,
        "clv": None, "bands": dict(bands), "movements": [],
    }
    if not len(mrr):
        return out
    mv = M.mrr_movements(mrr)
    last = mv.iloc[-1]
    out["mrr"] = finite(last["end_mrr"], 2)
    out["arr_billing"] = finite(12 * last["end_mrr_cents"] / 100.0, 2)
    out["accounts"] = int(last["end_accounts"])
    start, end, span = retention_period(labels, months)
    if span >= 1:
        r = M.retention(mrr, start_month=start, end_month=end, definition=definition)
        row = r.iloc[0] if len(r) else None
        out["period"] = {"start_month": start, "end_month": end, "months": span}
        if row is not None:
            for k in ("nrr", "grr", "logo_churn", "logo_retention"):
                out[k] = finite(row[k], 6)
            detail = {k: finite(row[k], 2) for k in (
                "start_mrr", "expansion", "contraction", "churn", "reactivation", "end_mrr",
                "retained_mrr")}
            detail["logos_start"] = int(row["logos_start"])
            detail["logos_churned"] = int(row["logos_churned"])
            out["retention_detail"] = detail
    c = M.clv(mrr, window_months=min(12, max(1, len(labels) - 1)))
    if len(c):
        out["clv"] = {"value": finite(c["clv"].iloc[0], 2), "arpa": finite(c["arpa"].iloc[0], 2),
                      "monthly_churn_rate": finite(c["monthly_churn_rate"].iloc[0], 6),
                      "note": str(c["note"].iloc[0]) or None, "formula": M.CLV_FORMULA}
    out["movements"] = [
        {"month": str(rec["month"]), **{k: finite(rec[k], 2) for k in MOVEMENT_FIELDS},
         "new_accounts": int(rec["new_accounts"]),
         "churned_accounts": int(rec["churned_accounts"]),
         "reactivated_accounts": int(rec["reactivated_accounts"])}
        for rec in mv.iloc[-months:].to_dict(orient="records")
    ]
    return out
