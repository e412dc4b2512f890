"""Pipeline: the CRM deals still open, per account (never revenue).

Pure functions over the ``opportunities`` frame (canonical columns: ``account_id``,
``status`` won/lost/open, ``amount``, ``close_date``, ``probability``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.statuses import status_keys

__all__ = ["open_pipeline", "PIPELINE_COLUMNS"]

PIPELINE_COLUMNS = ["account_id", "open_deals", "pipeline", "weighted_pipeline",
                    "next_close_date"]


def open_pipeline(opportunities: pd.DataFrame | None, as_of: str) -> pd.DataFrame:
    """Per account, the deals open on ``as_of``: ``open_deals`` (count), ``pipeline`` = sum of
    ``amount``, ``weighted_pipeline`` = sum of ``amount x probability`` (probability in
    0-1, or 0-100 read as a percentage; a deal without one counts in full) and
    ``next_close_date`` (the earliest close date on or after ``as_of``, else the earliest).

    Open = ``status`` ``open`` (trimmed, any case) and created on or before ``as_of`` (a deal
    without a created date counts). Won and lost deals are history, never pipeline.
    """
    if opportunities is None or not len(opportunities):
        return pd.DataFrame(columns=PIPELINE_COLUMNS)
    o = opportunities
    status = status_keys(o["status"])
    created = o["created_date"].astype(object).where(o["created_date"].notna(), "") \
        .astype(str).str[:10] if "created_date" in o else pd.Series("", index=o.index)
    keep = (status == "open") & (created <= str(as_of)[:10]) & o["account_id"].notna()
    o = o.loc[keep]
    if not len(o):
        return pd.DataFrame(columns=PIPELINE_COLUMNS)
    amount = pd.to_numeric(o["amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    prob = pd.to_numeric(o["probability"], errors="coerce").to_numpy(dtype=float) \
        if "probability" in o else np.full(len(o), np.nan)
    prob = np.where(prob > 1, prob / 100.0, prob)
    close = o["close_date"].astype(object).where(o["close_date"].notna(), "").astype(str) \
        .str[:10].to_numpy()
    frame = pd.DataFrame({"account_id": o["account_id"].astype(str).to_numpy(),
                          "amount": amount, "weighted": amount * np.nan_to_num(prob, nan=1.0),
                          "upcoming": np.where(close >= str(as_of)[:10], close, ""),
                          "close": close})
    g = frame.groupby("account_id", sort=True)
    upcoming = g["upcoming"].agg(lambda s: min((v for v in s if v), default=""))
    earliest = g["close"].agg(lambda s: min((v for v in s if v), default=""))
    return pd.DataFrame({
        "account_id": g.size().index.to_numpy(dtype=object),
        "open_deals": g.size().to_numpy(), "pipeline": g["amount"].sum().to_numpy(),
        "weighted_pipeline": g["weighted"].sum().to_numpy(),
        "next_close_date": [u or e or None for u, e in zip(upcoming, earliest)]})
