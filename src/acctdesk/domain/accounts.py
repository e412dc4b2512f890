"""Rules about accounts: who is a customer on a date, what stands in for churn risk without a
churn model, how account attributes are matched."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .statuses import status_keys


def _text(accounts: pd.DataFrame, name: str) -> pd.Series:
    if name not in accounts:
        return pd.Series("", index=accounts.index, dtype=object)
    col = accounts[name]
    return col.astype(object).where(col.notna(), "").astype(str)


#: account statuses that are never customers
NOT_CUSTOMER_STATUSES = frozenset({"prospect", "partner"})


def active_mask(accounts: pd.DataFrame, as_of: Any) -> pd.Series:
    """True for the accounts that are customers on ``as_of``.

    A customer has started (``contract_start`` on or before ``as_of``; empty counts as
    started), has not churned by then (``churn_date`` after ``as_of``, or empty while the
    status is not ``churned``: a churn flag nobody dated still means churned) and is not a
    prospect or a partner. Statuses are compared trimmed and lower-cased, dates by their
    first ten characters. The one rule of "active" for every count, list and figure.
    """
    as_of = str(as_of)[:10]
    churn = _text(accounts, "churn_date").str[:10]
    start = _text(accounts, "contract_start").str[:10]
    status = status_keys(_text(accounts, "status"))
    not_churned = ((churn == "") & (status != "churned")) | (churn > as_of)
    return not_churned & (start <= as_of) & ~status.isin(NOT_CUSTOMER_STATUSES)


def churned_mask(accounts: pd.DataFrame, as_of: Any) -> pd.Series:
    """True for the accounts churned by ``as_of``: a churn date on or before it, or no
    churn date and the status ``churned``."""
    churn = _text(accounts, "churn_date").str[:10]
    status = status_keys(_text(accounts, "status"))
    return ((churn != "") & (churn <= str(as_of)[:10])) | ((churn == "") & (status == "churned"))


#: how the churn-risk fallback is written wherever it is explained
RISK_FROM_HEALTH = "(100 - health score) / 100"


def risk_from_health(score) -> Any:
    """The churn-risk stand-in when there is no churn model: ``(100 - score) / 100`` for a
    0-100 health score (NaN stays NaN). A rescaling of the score, *not* a calibrated
    probability: every screen that shows it says so."""
    if isinstance(score, pd.Series):
        return (100.0 - score.astype(float)) / 100.0
    return (100.0 - np.asarray(score, dtype=float)) / 100.0


def attribute_key(value: Any) -> str:
    """An account attribute (owner, segment, ...) as compared by a filter: words separated by
    single spaces, case-folded (``"  Ana  Ruiz"`` matches ``"ana ruiz"``); ``""`` when
    missing."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return " ".join(str(value).split()).casefold()


def attribute_mask(column: pd.Series, value: Any) -> np.ndarray:
    """Rows whose attribute matches ``value`` (see :func:`attribute_key`), each distinct
    value compared once."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    want = attribute_key(value)
    hit = np.array([attribute_key(u) == want for u in uniques] + [want == ""], dtype=bool)
    return hit[codes]
