"""Revenue metrics: MRR per account per month, MRR movements, retention, cohorts and CLV.

Pure functions over DataFrames (no Qt, no database): the caller reads ``subscriptions`` and
``accounts`` from the workspace (canonical columns of :mod:`acctdesk.models.schema`) and passes
the workspace's data date as ``as_of``.

The pipeline is::

    mrr = mrr_by_month(subscriptions, as_of=data_date)      # account x month snapshots
    mrr_movements(mrr)                                       # new/expansion/... per month
    movements_by_account(mrr)                                # ... and the accounts behind them
    retention(mrr, accounts, start_month=..., end_month=..., by="segment")
    retention_monthly(mrr, accounts) / retention_trailing(mrr, accounts, window_months=12)
    cohorts(mrr) / cohort_matrix(...)
    clv(mrr, gross_margin=0.8)

Conventions (every function relies on them):

* **Month-end snapshots.** The MRR of an account in calendar month ``M`` is the sum of the MRR of
  its subscriptions that are active on ``M``'s last day; for the current, partial month (the
  month containing the data date) the snapshot is taken on the data date instead. A
  subscription is active on day ``d`` when ``start_date <= d`` and (``end_date`` is NULL or
  ``end_date >= d``): the end date is the last day of service, so a subscription ending after
  the data date is still active on it.
* **Money in integer cents.** MRR is rounded to cents per subscription once; every sum,
  difference and movement is then computed in ``int64`` cents, so the movement identity holds
  exactly. Float columns are the cents divided by 100 (for display); the ``*_cents`` columns are
  the exact values.
* **Active** means MRR > 0 at a month-end snapshot (a net negative month, e.g. credits larger
  than the charges, is treated as 0 by the movement and retention functions).

Why month-end snapshots: it is how billing tools and finance report MRR (the MRR *at* the end
of the month); each month is a point-in-time state, so the movements between two consecutive
snapshots add up exactly to the change, no partial-month proration is needed, and mid-month
churn-and-replace (an account switching billing systems, a plan swap) does not show as churn
plus new. An annual term ``2024-01-01 .. 2024-12-31`` counts in January through December; an
exclusive ``2025-01-01`` end gives the same months.

Statuses (:mod:`acctdesk.domain.statuses`) are the state *on the data date*; history comes
from the dates: trials and the other :data:`EXCLUDED_STATUSES` never count (not paying), nor
do CRM deals (``won``, ``lost``, ``open``: pipeline, never revenue); ``past_due`` and
``non_renewing`` count until their end date like ``active``; ``cancelled``/``ended``
(:data:`ENDED_STATUSES`) count until their end date, and without one the row is left out
(when it ended is unknown); other statuses are taken at their dates.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..domain.dates import month_index as _month_idx
from ..domain.dates import month_label as _month_label
from ..domain.dates import month_range
from ..domain.statuses import DEAL_STATUSES, NOT_PAYING_STATUSES, status_keys
from ..domain.statuses import ENDED_STATUSES as _ENDED

__all__ = [
    "MOVEMENT_KINDS",
    "RETENTION_DEFINITIONS",
    "EXCLUDED_STATUSES",
    "ENDED_STATUSES",
    "mrr_by_month",
    "mrr_movements",
    "movements_by_account",
    "retention",
    "retention_monthly",
    "retention_trailing",
    "cohorts",
    "cohort_matrix",
    "clv",
    "month_range",
]

NEW = "new"
EXPANSION = "expansion"
CONTRACTION = "contraction"
CHURN = "churn"
REACTIVATION = "reactivation"
#: movement kinds, in display order.
MOVEMENT_KINDS: tuple[str, ...] = (NEW, EXPANSION, CONTRACTION, CHURN, REACTIVATION)
_CODE = {NEW: 1, EXPANSION: 2, CONTRACTION: 3, CHURN: 4, REACTIVATION: 5}
#: amount = sign x (end - start) of the account-month; every amount is >= 0.
_SIGN = {NEW: 1, EXPANSION: 1, CONTRACTION: -1, CHURN: -1, REACTIVATION: 1}

#: statuses that never count towards MRR: not paying yet (trials), and CRM deals (pipeline,
#: never revenue) -- :mod:`acctdesk.domain.statuses`.
EXCLUDED_STATUSES = NOT_PAYING_STATUSES | DEAL_STATUSES
#: statuses that say the subscription is over; without an end_date we cannot tell when it ended,
#: so such rows are left out (and counted in ``attrs["excluded"]``) rather than guessed.
ENDED_STATUSES = _ENDED

_EPOCH_MONTH = 1970 * 12  # datetime64[M] counts months from 1970-01


# --------------------------------------------------------------------------------------------
# month helpers
# --------------------------------------------------------------------------------------------

def _as_day(value) -> np.datetime64:
    if isinstance(value, str):
        return np.datetime64(value.strip()[:10], "D")
    if isinstance(value, (_dt.date, pd.Timestamp, np.datetime64)):
        return np.datetime64(pd.Timestamp(value).date(), "D")
    raise TypeError(f"not a date: {value!r}")


def _to_days(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] values with NaT for NULL/unparseable, mask of non-NULL but unparseable)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_localize(None)
        values = col.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return values, np.zeros(len(col), dtype=bool)
    present = col.notna().to_numpy()
    text = col.astype("string").str.strip().str.slice(0, 10)
    present = present & (text.fillna("") != "").to_numpy()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    values = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    bad = present & np.isnat(values)
    return values, bad


def _append_doc(fn, text: str) -> None:
    """Append shared text to a docstring (no-op under ``python -OO``)."""
    if fn.__doc__ is not None:
        fn.__doc__ = fn.__doc__.rstrip() + "\n" + text


def _labels(values, chunk: int = 100_000) -> pd.Series:
    """Text labels as the default string dtype of the installed pandas (also when empty).

    Converted ``chunk`` labels at a time and joined (joining Arrow-backed text is free):
    a million labels in one conversion held Python's interpreter lock for a quarter of a
    second, long enough to stall the app's window while a view loaded in the background."""
    values = np.asarray(values, dtype=object)
    dtype = pd.Series(["x"]).dtype
    if len(values) <= chunk:
        return pd.Series(values, dtype=dtype)
    return pd.concat([pd.Series(values[i:i + chunk], dtype=dtype)
                      for i in range(0, len(values), chunk)], ignore_index=True)


def _to_cents(values) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    return np.rint(np.nan_to_num(arr, nan=0.0) * 100.0).astype(np.int64)


# --------------------------------------------------------------------------------------------
# 1. MRR per account per month
# --------------------------------------------------------------------------------------------

def mrr_by_month(
    subscriptions: pd.DataFrame,
    *,
    as_of,
    months: int | None = None,
    discount_col: str | None = None,
    discount_kind: str = "fraction",
) -> pd.DataFrame:
    """MRR per account per calendar month, from subscriptions, as of the data date.

    A subscription counts in month ``M`` when it is active on ``M``'s last day, or on
    ``as_of`` for the month that contains it (conventions and statuses: module docstring).
    Rows with no or unparseable start date, an unparseable end date, a status that does not
    pay, or an ended status without an end date are left out; their counts by reason are in
    ``result.attrs["excluded"]``.

    Parameters
    ----------
    subscriptions : DataFrame
        ``account_id``, ``mrr`` (per month; ``arr / 12`` where ``mrr`` is missing),
        ``start_date``, ``end_date`` (ISO text or datetimes; NULL = open-ended), ``status``.
    as_of : str or date
        The data date. Later starts are ignored; the last month is ``as_of``'s.
    months : int, optional
        Only the last ``months`` months ending with ``as_of``'s (default: from the first month
        any counted subscription starts). A truncated frame is flagged
        (``attrs["history_truncated"]``): :func:`mrr_movements` then takes its first month as
        an opening balance.
    discount_col, discount_kind : optional
        A column with a discount: ``"fraction"`` (``mrr * (1 - discount)``) or ``"amount"``
        (``mrr - discount``, per month).

    Returns
    -------
    DataFrame
        ``account_id``, ``month`` ('YYYY-MM'), ``mrr`` (rounded to cents), ``mrr_cents``
        (int64): one row per account and month with non-zero MRR, by account and month.
        ``attrs``: ``as_of``, ``months`` (every month of the range), ``history_truncated``,
        ``excluded``. Vectorised: each subscription adds a contiguous range of months to a
        dense account x month difference grid (one ``bincount``), accumulated along months.
    """
    if discount_kind not in ("fraction", "amount"):
        raise ValueError("discount_kind must be 'fraction' or 'amount'")
    if months is not None and months < 1:
        raise ValueError("months must be >= 1")
    as_of_day = _as_day(as_of)
    as_of_m = int(as_of_day.astype("datetime64[M]").astype(np.int64)) + _EPOCH_MONTH
    subs = subscriptions
    cents = _to_cents(_subscription_mrr(subs, discount_col, discount_kind))
    start, end, ok, excluded = _counted_rows(subs, cents)
    first, last = _month_span(start, end, as_of_day, as_of_m)
    ok &= (start <= as_of_day) & (first <= last) & (cents != 0)
    idx = np.flatnonzero(ok)
    m0 = as_of_m - months + 1 if months is not None else (
        int(first[idx].min()) if idx.size else as_of_m)
    truncated = bool(months is not None and idx.size and int(first[idx].min()) < m0)
    idx = idx[last[idx] >= m0]
    labels = [_month_label(m) for m in range(m0, as_of_m + 1)]
    grid, accounts = _month_grid(subs["account_id"].take(idx), cents[idx],
                                 np.maximum(first[idx], m0) - m0, last[idx] - m0, len(labels))
    rows, cols = np.nonzero(grid)
    vals = grid[rows, cols]
    out = pd.DataFrame({
        "account_id": accounts.take(rows) if len(accounts) else pd.Index([], dtype=object),
        "month": _labels(np.array(labels, dtype=object)[cols]),
        "mrr": vals / 100.0,
        "mrr_cents": vals,
    })
    out.attrs.update({
        "as_of": str(as_of_day), "months": labels, "history_truncated": truncated,
        "excluded": excluded,
        "convention": "month-end snapshot (as_of for the current month); end_date inclusive",
    })
    return out


def _subscription_mrr(subs: pd.DataFrame, discount_col: str | None,
                      discount_kind: str) -> np.ndarray:
    """Each row's MRR (``arr / 12`` where ``mrr`` is missing), discounted."""
    n = len(subs)
    mrr = pd.to_numeric(subs["mrr"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) \
        if "mrr" in subs.columns else np.full(n, np.nan)
    if "arr" in subs.columns:
        arr = pd.to_numeric(subs["arr"], errors="coerce").to_numpy(dtype="float64",
                                                                   na_value=np.nan)
        mrr = np.where(np.isnan(mrr), arr / 12.0, mrr)
    if discount_col is not None:
        disc = np.nan_to_num(pd.to_numeric(subs[discount_col], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan), nan=0.0)
        mrr = mrr * (1.0 - disc) if discount_kind == "fraction" else mrr - disc
    return mrr


def _counted_rows(subs: pd.DataFrame, cents: np.ndarray):
    """(start, end, rows that can count, left-out counts by reason)."""
    n = len(subs)
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    start, bad_start = _to_days(subs["start_date"]) if "start_date" in subs.columns \
        else (nat, np.zeros(n, bool))
    end, bad_end = _to_days(subs["end_date"]) if "end_date" in subs.columns \
        else (nat.copy(), np.zeros(n, bool))
    if "status" in subs.columns:
        status = status_keys(subs["status"])
        status_excl = status.isin(EXCLUDED_STATUSES).to_numpy()
        status_ended = status.isin(ENDED_STATUSES).to_numpy()
    else:
        status_excl = status_ended = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    excluded: dict[str, int] = {}
    for reason, mask in (
        ("no_account", subs["account_id"].isna().to_numpy()),
        ("status_not_paying", status_excl),
        ("no_start_date", np.isnat(start) & ~bad_start),
        ("bad_start_date", bad_start),
        ("bad_end_date", bad_end),
        ("ended_without_end_date", status_ended & np.isnat(end) & ~bad_end),
        ("end_before_start", ~np.isnat(end) & ~np.isnat(start) & (end < start)),
    ):
        hit = mask & ok
        if hit.any():
            excluded[reason] = int(hit.sum())
        ok &= ~mask
    return start, end, ok, excluded


def _month_span(start: np.ndarray, end: np.ndarray, as_of_day, as_of_m: int):
    """(first, last) month number each subscription counts in: from its start's month to
    the month of its end (a month whose last day it covers), or ``as_of``'s month when it is
    open on ``as_of``."""
    with np.errstate(invalid="ignore"):
        first = start.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH
        end_m = end.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH
        end_is_month_end = (end + np.timedelta64(1, "D")).astype("datetime64[M]") \
            != end.astype("datetime64[M]")
    open_on_as_of = np.isnat(end) | (end >= as_of_day)
    last = np.where(open_on_as_of, as_of_m, end_m - 1 + end_is_month_end.astype(np.int64))
    return first, last


def _month_grid(accounts: pd.Series, cents: np.ndarray, c_first: np.ndarray,
                c_last: np.ndarray, T: int) -> tuple[np.ndarray, pd.Index]:
    """(account x month cents, the accounts): each row adds ``cents`` to its months
    ``c_first .. c_last`` of a difference grid, accumulated along the months."""
    codes, uniques = pd.factorize(accounts, sort=True)
    A, width = len(uniques), T + 1
    w = cents.astype("float64")
    flat = np.concatenate([codes * width + c_first, codes * width + c_last + 1])
    diff = np.bincount(flat, weights=np.concatenate([w, -w]),
                       minlength=A * width).reshape(A, width)
    return np.rint(np.cumsum(diff[:, :T], axis=1)).astype(np.int64), uniques


# --------------------------------------------------------------------------------------------
# the ledger: dense account x month grid with per-cell movement classification
# --------------------------------------------------------------------------------------------

@dataclass
class _Ledger:
    accounts: pd.Index          # account ids, one per row
    labels: list[str]           # month labels, one per column
    cents: np.ndarray           # (A, T) int64, MRR at each month-end, clipped at 0
    delta: np.ndarray           # (A, T) int64, cents - previous month's cents
    kind: np.ndarray            # (A, T) int8, movement code (0 = none)
    first_col: int              # first reportable column (1 when column 0 is an opening balance)
    first_paid: np.ndarray      # (A,) int64 column of first paid month; -1 unknown/never

    @property
    def T(self) -> int:
        return len(self.labels)

    def col(self, month) -> int:
        i = _month_idx(month) - _month_idx(self.labels[0]) if self.labels else -1
        if not 0 <= i < self.T:
            raise ValueError(
                f"month {month!r} is outside the data ({self.labels[0] if self.labels else '-'}"
                f" .. {self.labels[-1] if self.labels else '-'})"
            )
        return i

    def amount(self, kind: str, rows=slice(None), cols=slice(None)) -> np.ndarray:
        """Signed-to-positive amounts of one movement kind over a block (same shape)."""
        k = self.kind[rows, cols]
        d = self.delta[rows, cols]
        return np.where(k == _CODE[kind], d * _SIGN[kind], 0)


def _ledger(frame: pd.DataFrame, signup_window_months: int = 1) -> _Ledger:
    if signup_window_months < 0:
        raise ValueError("signup_window_months must be >= 0")
    for c in ("account_id", "month", "mrr"):
        if c not in frame.columns:
            raise ValueError(f"MRR frame needs column {c!r} (use mrr_by_month)")
    attr_months = frame.attrs.get("months") or []
    truncated = bool(frame.attrs.get("history_truncated", False))

    a_codes, accounts = pd.factorize(frame["account_id"], sort=True)
    m_codes, m_uniques = pd.factorize(frame["month"].astype("string"))
    m_abs_u = np.array([_month_idx(str(m)) for m in m_uniques], dtype=np.int64)
    m_abs = m_abs_u[m_codes] if len(frame) else np.array([], dtype=np.int64)
    bounds = [_month_idx(m) for m in attr_months] + ([int(m_abs.min()), int(m_abs.max())]
                                                     if len(frame) else [])
    if not bounds:
        empty = np.zeros((0, 0), dtype=np.int64)
        return _Ledger(pd.Index([], dtype=object), [], empty, empty, empty.astype(np.int8), 0,
                       np.zeros(0, dtype=np.int64))
    lo, hi = min(bounds), max(bounds)
    T = hi - lo + 1
    A = len(accounts)
    if "mrr_cents" in frame.columns:
        vals = frame["mrr_cents"].to_numpy(dtype="float64", na_value=0.0)
    else:
        vals = _to_cents(pd.to_numeric(frame["mrr"], errors="coerce")).astype("float64")
    grid = np.bincount(a_codes * T + (m_abs - lo), weights=vals, minlength=A * T)
    cents = np.maximum(np.rint(grid).astype(np.int64).reshape(A, T), 0)

    prev = np.zeros_like(cents)
    prev[:, 1:] = cents[:, :-1]
    delta = cents - prev
    active = cents > 0
    prev_active = prev > 0
    had_before = np.zeros_like(active)
    had_before[:, 1:] = np.logical_or.accumulate(active, axis=1)[:, :-1]

    any_active = active.any(axis=1)
    first_paid = np.where(any_active, active.argmax(axis=1), -1).astype(np.int64)
    if truncated and T:
        # accounts already paying in the opening month started before the data: no window
        first_paid = np.where(active[:, 0], -1, first_paid)
    age = np.arange(T)[None, :] - first_paid[:, None]
    in_window = (first_paid[:, None] >= 0) & (age >= 1) & (age <= signup_window_months)

    kind = np.zeros(cents.shape, dtype=np.int8)
    starts = active & ~prev_active
    kind[starts & ~had_before] = _CODE[NEW]
    kind[starts & had_before] = _CODE[REACTIVATION]
    kind[prev_active & ~active] = _CODE[CHURN]
    both = active & prev_active & (delta != 0)
    kind[both & in_window & (delta > 0)] = _CODE[NEW]
    kind[both & ~in_window & (delta > 0)] = _CODE[EXPANSION]
    kind[both & (delta < 0)] = _CODE[CONTRACTION]

    labels = [_month_label(m) for m in range(lo, hi + 1)]
    return _Ledger(accounts, labels, cents, delta, kind, 1 if truncated else 0, first_paid)


# --------------------------------------------------------------------------------------------
# 2. MRR movements
# --------------------------------------------------------------------------------------------

_MOVEMENTS_DOC_RULES = """
    Classification (per account and month ``t``, ``prev`` = MRR at the previous month-end,
    ``cur`` = MRR at this month-end, an account is *active* when its MRR > 0):

    * **new** = ``cur`` when ``prev == 0`` and the account never had MRR before;
    * **reactivation** = ``cur`` when ``prev == 0`` and the account had MRR in some earlier
      month (it churned and came back);
    * **churn** = ``prev`` when ``prev > 0`` and ``cur == 0``;
    * **expansion** = ``cur - prev`` when both > 0 and ``cur > prev`` (outside the sign-up
      window, see below);
    * **contraction** = ``prev - cur`` when both > 0 and ``cur < prev``;
    * **sign-up window**: in the ``signup_window_months`` month-ends after the first paid
      month, an increase between two positive values is folded into **new** (not expansion);
      a decrease stays a contraction, so that a retention figure never hides a loss and every
      amount is >= 0. Changes within the sign-up month itself are
      already absorbed by the month-end snapshot: an account that starts at 100 and goes to
      150 in its first month is new 150. With the default window of 1, a start at 100 on
      20 January and an upgrade to 150 on 10 February count as new 100 (January) + new 50
      (February), i.e. one new-business movement of 150, not new 100 + expansion 50.

    Identity (exact, in integer cents, every month)::

        start_mrr + new + expansion - contraction - churn + reactivation == end_mrr

    It holds because every account-month with a change gets exactly one kind and the amounts
    are that change (sign-adjusted).
"""


def mrr_movements(mrr: pd.DataFrame, *, signup_window_months: int = 1) -> pd.DataFrame:
    """MRR movements per month: start, new, expansion, contraction, churn, reactivation, end.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`mrr_by_month` (``account_id``, ``month``, ``mrr``; ``mrr_cents`` used
        when present). Months absent from the frame are zero for everybody. The month before
        the first month is taken as zero MRR (so the first month is all new business) unless the
        frame is flagged ``attrs["history_truncated"]``, in which case the first month is only
        the opening balance and is not reported.
    signup_window_months : int, default 1
        Month-ends after the first paid month during which changes count as new business.

    Returns
    -------
    DataFrame
        One row per month: ``month``, ``start_mrr``, ``new``, ``expansion``, ``contraction``,
        ``churn``, ``reactivation``, ``end_mrr``, ``net_change`` (floats, currency) and the
        same with a ``_cents`` suffix (int64, exact), plus the account counts
        ``start_accounts``, ``end_accounts``, ``new_accounts``, ``churned_accounts``,
        ``reactivated_accounts``. Amounts are positive (contraction and churn are subtracted).
    """
    led = _ledger(mrr, signup_window_months)
    cols = slice(led.first_col, led.T)
    prev = led.cents - led.delta
    data: dict[str, object] = {"month": _labels(led.labels[led.first_col:])}
    cents_cols: dict[str, np.ndarray] = {"start_mrr": prev[:, cols].sum(axis=0)}
    for k in MOVEMENT_KINDS:
        cents_cols[k] = led.amount(k, cols=cols).sum(axis=0)
    cents_cols["end_mrr"] = led.cents[:, cols].sum(axis=0)
    cents_cols["net_change"] = cents_cols["end_mrr"] - cents_cols["start_mrr"]
    for name, v in cents_cols.items():
        data[name] = np.asarray(v, dtype=np.int64) / 100.0
    for name, v in cents_cols.items():
        data[name + "_cents"] = np.asarray(v, dtype=np.int64)
    data["start_accounts"] = (prev[:, cols] > 0).sum(axis=0)
    data["end_accounts"] = (led.cents[:, cols] > 0).sum(axis=0)
    kind = led.kind[:, cols]
    starts = (led.cents[:, cols] > 0) & (prev[:, cols] == 0)
    data["new_accounts"] = (starts & (kind == _CODE[NEW])).sum(axis=0)
    data["churned_accounts"] = (kind == _CODE[CHURN]).sum(axis=0)
    data["reactivated_accounts"] = (kind == _CODE[REACTIVATION]).sum(axis=0)
    out = pd.DataFrame(data)
    out.attrs["signup_window_months"] = signup_window_months
    out.attrs["identity"] = (
        "start_mrr + new + expansion - contraction - churn + reactivation == end_mrr"
    )
    return out


_append_doc(mrr_movements, _MOVEMENTS_DOC_RULES)


def movements_by_account(
    mrr: pd.DataFrame,
    *,
    signup_window_months: int = 1,
    month: str | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """The account-level movements behind :func:`mrr_movements` (drill-down).

    Same classification as :func:`mrr_movements`; summing ``amount`` by ``month`` and ``kind``
    gives its columns exactly.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`mrr_by_month`.
    signup_window_months : int, default 1
        As in :func:`mrr_movements`.
    month : str, optional
        Only this month ('YYYY-MM').
    kind : str, optional
        Only this movement kind (one of :data:`MOVEMENT_KINDS`).

    Returns
    -------
    DataFrame
        ``account_id``, ``month``, ``kind``, ``start_mrr``, ``end_mrr``, ``amount`` (floats)
        and ``amount_cents`` (int64): one row per account and month with a movement, sorted by
        month, kind (display order) and account.
    """
    if kind is not None and kind not in _CODE:
        raise ValueError(f"kind must be one of {MOVEMENT_KINDS}")
    led = _ledger(mrr, signup_window_months)
    mask = led.kind != 0
    if led.first_col:
        mask[:, : led.first_col] = False
    if month is not None:
        c = led.col(month)
        keep = np.zeros(led.T, dtype=bool)
        keep[c] = True
        mask &= keep[None, :]
    if kind is not None:
        mask &= led.kind == _CODE[kind]
    rows, cols = np.nonzero(mask)
    codes = led.kind[rows, cols]
    d = led.delta[rows, cols]
    sign = np.where((codes == _CODE[CONTRACTION]) | (codes == _CODE[CHURN]), -1, 1)
    amount = d * sign
    kinds = np.array([""] + list(MOVEMENT_KINDS), dtype=object)
    end = led.cents[rows, cols]
    out = pd.DataFrame(
        {
            "account_id": led.accounts.take(rows),
            "month": _labels(np.array(led.labels, dtype=object)[cols]),
            "kind": _labels(kinds[codes]),
            "start_mrr": (end - d) / 100.0,
            "end_mrr": end / 100.0,
            "amount": amount / 100.0,
            "amount_cents": amount.astype(np.int64),
            "_order": codes,
        }
    )
    out = out.sort_values(["month", "_order", "account_id"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# 3. Retention
# --------------------------------------------------------------------------------------------

#: retention definitions by name: the formulas reported with every retention figure.
RETENTION_DEFINITIONS: dict[str, dict[str, str]] = {
    "standard": {
        "summary": "period flows of the accounts active at start; new business and "
                   "reactivation excluded",
        "nrr": "(start MRR + expansion - contraction - churn) / start MRR, over accounts "
               "active at start, flows of the months after start_month through end_month",
        "grr": "min(100%, (start MRR - contraction - churn) / start MRR)",
        "logo_churn": "accounts active at start and not active at end / accounts active at start",
    },
    "nrr_with_reactivation": {
        "summary": "as standard, but an account of the start cohort that churns and comes back "
                   "within the period has its reactivation counted",
        "nrr": "(start MRR + expansion - contraction - churn + reactivation) / start MRR, "
               "over accounts active at start",
        "grr": "min(100%, (start MRR - contraction - churn + reactivation) / start MRR)",
        "logo_churn": "accounts active at start and not active at end / accounts active at start",
    },
    "start_cohort": {
        "summary": "snapshot of the start cohort: end MRR of the accounts active at start "
                   "against their start MRR, whatever happened in between",
        "nrr": "sum over accounts active at start of end MRR / sum of their start MRR",
        "grr": "sum over accounts active at start of min(end MRR, start MRR) / sum of their "
               "start MRR",
        "logo_churn": "accounts active at start and not active at end / accounts active at start",
    },
}

_RET_MONEY = ("start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
              "end_mrr", "retained_mrr")


def _group_keys(led: _Ledger, accounts: pd.DataFrame | None, by) -> list[str]:
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    if accounts is None:
        raise ValueError("grouping by account attributes needs the accounts frame")
    missing = [k for k in keys if k not in accounts.columns]
    if missing:
        raise ValueError(f"accounts frame has no column(s) {missing}")
    return keys


def _attributes(led: _Ledger, accounts: pd.DataFrame | None, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame(index=range(len(led.accounts)))
    attrs = accounts.drop_duplicates("account_id", keep="last").set_index("account_id")[keys]
    attrs = attrs.reindex(led.accounts)
    attrs = attrs.astype(object).where(attrs.notna(), "(unassigned)")
    return attrs.reset_index(drop=True)


def _retention_block(
    led: _Ledger, attrs: pd.DataFrame, keys: list[str], s: int, e: int, definition: str
) -> pd.DataFrame:
    """Retention of the accounts active at column ``s`` over the flows of ``s+1 .. e``."""
    rows = np.flatnonzero(led.cents[:, s] > 0)
    cols = slice(s + 1, e + 1)
    start = led.cents[rows, s]
    end = led.cents[rows, e]
    frame = pd.DataFrame({
        "start_mrr": start,
        "new": led.amount(NEW, rows, cols).sum(axis=1),
        "expansion": led.amount(EXPANSION, rows, cols).sum(axis=1),
        "contraction": led.amount(CONTRACTION, rows, cols).sum(axis=1),
        "churn": led.amount(CHURN, rows, cols).sum(axis=1),
        "reactivation": led.amount(REACTIVATION, rows, cols).sum(axis=1),
        "end_mrr": end,
        "capped_end": np.minimum(end, start),
        "logos_start": np.ones(len(rows), dtype=np.int64),
        "logos_churned": (end <= 0).astype(np.int64),
    })
    for k in keys:
        frame[k] = attrs[k].to_numpy()[rows]
    if keys:
        agg = frame.groupby(keys, sort=True, dropna=False).sum().reset_index()
        if agg.empty:  # nothing active at start: no groups
            agg = pd.DataFrame(columns=keys + list(frame.columns.drop(keys)))
    else:
        agg = frame.sum().to_frame().T
    agg = agg.copy()
    money = agg[["start_mrr", "expansion", "contraction", "churn", "reactivation",
                 "capped_end", "end_mrr"]].astype("int64")
    st = money["start_mrr"].to_numpy()
    if definition == "standard":
        retained = st + money["expansion"] - money["contraction"] - money["churn"]
        gross = st - money["contraction"] - money["churn"]
    elif definition == "nrr_with_reactivation":
        retained = (st + money["expansion"] - money["contraction"] - money["churn"]
                    + money["reactivation"])
        gross = st - money["contraction"] - money["churn"] + money["reactivation"]
    else:  # start_cohort
        retained = money["end_mrr"]
        gross = money["capped_end"]
    retained = np.asarray(retained, dtype=np.int64)
    gross = np.asarray(gross, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        stf = st.astype("float64")
        nrr = np.where(st > 0, retained / np.where(st > 0, stf, 1.0), np.nan)
        grr = np.where(st > 0, np.minimum(1.0, gross / np.where(st > 0, stf, 1.0)), np.nan)
        ls = agg["logos_start"].to_numpy(dtype="float64")
        lc = agg["logos_churned"].to_numpy(dtype="float64")
        logo_churn = np.where(ls > 0, lc / np.where(ls > 0, ls, 1.0), np.nan)

    out = pd.DataFrame({k: agg[k].to_numpy() for k in keys}, index=pd.RangeIndex(len(agg)))
    out["start_month"] = led.labels[s]
    out["end_month"] = led.labels[e]
    out["definition"] = definition
    for name in ("start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
                 "end_mrr"):
        out[name] = agg[name].to_numpy(dtype=np.int64) / 100.0
    out["retained_mrr"] = retained / 100.0
    out["nrr"] = nrr
    out["grr"] = grr
    out["logos_start"] = agg["logos_start"].to_numpy(dtype=np.int64)
    out["logos_churned"] = agg["logos_churned"].to_numpy(dtype=np.int64)
    out["logo_churn"] = logo_churn
    out["logo_retention"] = 1.0 - logo_churn
    return out


def _check_definition(definition: str) -> None:
    if definition not in RETENTION_DEFINITIONS:
        raise ValueError(
            f"unknown retention definition {definition!r}; choose one of "
            f"{sorted(RETENTION_DEFINITIONS)}"
        )


def _finish(frames: list[pd.DataFrame], keys: list[str], definition: str) -> pd.DataFrame:
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = _empty_retention(keys)
    out.attrs["definition"] = definition
    out.attrs["formulas"] = dict(RETENTION_DEFINITIONS[definition])
    return out


def _empty_retention(keys: list[str]) -> pd.DataFrame:
    cols = keys + ["start_month", "end_month", "definition", *_RET_MONEY[:7], "retained_mrr",
                   "nrr", "grr", "logos_start", "logos_churned", "logo_churn", "logo_retention"]
    return pd.DataFrame({c: [] for c in cols})


_RETENTION_RETURNS = """
    Returns
    -------
    DataFrame
        One row per group (and period): the ``by`` columns, ``start_month``, ``end_month``,
        ``definition`` (the name used), the start cohort's ``start_mrr``, its flows ``new``
        (sign-up-window increases of accounts that had just started), ``expansion``,
        ``contraction``, ``churn``, ``reactivation``, its ``end_mrr`` (so ``start_mrr + new +
        expansion - contraction - churn + reactivation == end_mrr``), ``retained_mrr`` (the
        NRR numerator), ``nrr``, ``grr``, ``logos_start``, ``logos_churned``, ``logo_churn``
        and ``logo_retention``. Ratios are fractions (1.0 = 100%), NaN when nothing was active
        at start. ``attrs["formulas"]`` holds the formulas of the definition used.
"""

_RETENTION_DEFS_DOC = """
    Definitions (``definition=``)
    -----------------------------
    The start cohort is the accounts with MRR > 0 at ``start_month``'s snapshot; the flows are
    the movements of :func:`mrr_movements` of those accounts in the months after
    ``start_month`` through ``end_month``.

    ``"standard"``
        NRR = (start MRR + expansion - contraction - churn) / start MRR; new business and
        reactivation excluded. GRR = min(100%, (start MRR - contraction - churn) / start MRR).
        Logo churn = accounts active at start and not active at end / accounts active at start.
    ``"nrr_with_reactivation"``
        As standard, with the start cohort's reactivation added to the NRR and GRR numerators
        (a churn and re-sign inside the period nets out). GRR still capped at 100%.
    ``"start_cohort"``
        Snapshot view: NRR = sum of the start cohort's end MRR / their start MRR; GRR = sum of
        min(end MRR, start MRR) / start MRR (each account's retained revenue capped at its
        start). Over one month it differs from ``"standard"`` only by sign-up-window changes
        (counted here); over longer periods it ignores what happened in between (a churn and
        re-sign counts as retained).

    Logo churn is the same for every definition. Grouping attributes (segment, owner,
    industry, region...) are the accounts frame's current values.
"""


def retention(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    start_month: str,
    end_month: str,
    by: str | Sequence[str] | None = None,
    definition: str = "standard",
    signup_window_months: int = 1,
) -> pd.DataFrame:
    """NRR, GRR and logo churn over one period, with the definition named in the output.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`mrr_by_month` (full history, so movements classify correctly).
    accounts : DataFrame, optional
        Canonical accounts; needed when ``by`` is given (``account_id`` + the attributes).
    start_month, end_month : str
        'YYYY-MM'. The opening snapshot is ``start_month``'s month-end, the closing one
        ``end_month``'s: a 12-month period ending December 2024 is ``start_month="2023-12"``,
        ``end_month="2024-12"``.
    by : str or list of str, optional
        Account attribute(s) to group by, e.g. ``"segment"``, ``["owner", "region"]``;
        accounts missing from ``accounts`` or with no value are grouped as "(unassigned)".
    definition : str, default "standard"
        One of :data:`RETENTION_DEFINITIONS` (see below).
    signup_window_months : int, default 1
        As in :func:`mrr_movements`.
    """
    _check_definition(definition)
    led = _ledger(mrr, signup_window_months)
    keys = _group_keys(led, accounts, by)
    if not led.T:
        return _finish([], keys, definition)
    s, e = led.col(start_month), led.col(end_month)
    if e <= s:
        raise ValueError("end_month must be after start_month")
    attrs = _attributes(led, accounts, keys)
    return _finish([_retention_block(led, attrs, keys, s, e, definition)], keys, definition)


_append_doc(retention, _RETENTION_DEFS_DOC + _RETENTION_RETURNS)


def _view(mrr, accounts, by, definition, signup_window_months, start_month, end_month, span):
    _check_definition(definition)
    led = _ledger(mrr, signup_window_months)
    keys = _group_keys(led, accounts, by)
    if not led.T:
        return _finish([], keys, definition)
    first = led.col(start_month) if start_month is not None else led.first_col + span
    last = led.col(end_month) if end_month is not None else led.T - 1
    first = max(first, span)
    attrs = _attributes(led, accounts, keys)
    frames = [
        _retention_block(led, attrs, keys, e - span, e, definition)
        for e in range(first, last + 1)  # one vectorised block per month (<= a few dozen)
    ]
    out = _finish(frames, keys, definition)
    out.attrs["window_months"] = span
    return out


def retention_monthly(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    start_month: str | None = None,
    end_month: str | None = None,
    by: str | Sequence[str] | None = None,
    definition: str = "standard",
    signup_window_months: int = 1,
) -> pd.DataFrame:
    """Monthly retention: for each month ``M`` the period from ``M - 1``'s to ``M``'s snapshot.

    Rows for every ``end_month`` from ``start_month`` (default: the first month with a previous
    month) to ``end_month`` (default: the last); other parameters as :func:`retention`.
    """
    return _view(mrr, accounts, by, definition, signup_window_months, start_month, end_month, 1)


_append_doc(retention_monthly, _RETENTION_DEFS_DOC + _RETENTION_RETURNS)


def retention_trailing(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    start_month: str | None = None,
    end_month: str | None = None,
    window_months: int = 12,
    by: str | Sequence[str] | None = None,
    definition: str = "standard",
    signup_window_months: int = 1,
) -> pd.DataFrame:
    """Trailing retention (default trailing 12 months, "TTM NRR/GRR").

    For each month ``M`` from ``start_month`` to ``end_month`` (defaults: the first month with
    ``window_months`` of history before it, and the last month), the period from the snapshot
    ``window_months`` earlier to ``M``'s snapshot; other parameters as :func:`retention`.
    """
    if window_months < 1:
        raise ValueError("window_months must be >= 1")
    return _view(mrr, accounts, by, definition, signup_window_months, start_month, end_month,
                 window_months)


_append_doc(retention_trailing, _RETENTION_DEFS_DOC + _RETENTION_RETURNS)


# --------------------------------------------------------------------------------------------
# 4. Cohorts
# --------------------------------------------------------------------------------------------

def cohorts(
    mrr: pd.DataFrame,
    *,
    period: str = "month",
    max_age: int | None = None,
) -> pd.DataFrame:
    """Cohort retention by first paid month or quarter: logo and revenue retention per age.

    A cohort is the accounts whose first paid month (first month-end with MRR > 0) falls in the
    same month (``period="month"``) or quarter (``"quarter"``). For age ``k`` (months or
    quarters since the cohort's period), with the snapshot of period ``cohort + k`` (its last
    month's month-end; the latest month for the current, partial period)::

        revenue_retention(k) = sum of the cohort's MRR at the snapshot
                               / sum of each account's MRR in its first paid month
        logo_retention(k)    = cohort accounts with MRR > 0 at the snapshot / cohort accounts

    Revenue retention is net (expansion and reactivation included, like a cohort NRR), so it
    can exceed 100%. Ages not yet observed are left out. With a truncated history
    (``attrs["history_truncated"]``) accounts already paying in the first month have an unknown
    cohort and are left out.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`mrr_by_month`.
    period : {"month", "quarter"}
    max_age : int, optional
        Largest age reported.

    Returns
    -------
    DataFrame
        Long format: ``cohort`` ('YYYY-MM' or 'YYYY-Qn'), ``age``, ``cohort_accounts``,
        ``cohort_start_mrr``, ``retained_accounts``, ``retained_mrr``, ``logo_retention``,
        ``revenue_retention``. Use :func:`cohort_matrix` for the triangle.
    """
    if period not in ("month", "quarter"):
        raise ValueError("period must be 'month' or 'quarter'")
    led = _ledger(mrr, 0)
    cols_out = ["cohort", "age", "cohort_accounts", "cohort_start_mrr", "retained_accounts",
                "retained_mrr", "logo_retention", "revenue_retention"]
    rows = np.flatnonzero(led.first_paid >= 0)
    if not rows.size:
        return pd.DataFrame({c: [] for c in cols_out})
    f = led.first_paid[rows]
    p_of, p_last, snap_col = _cohort_periods(led, f, period)
    n_age = int(p_last - p_of.min()) + 1
    if max_age is not None:
        n_age = min(n_age, max_age + 1)
    out = _cohort_ages(led, rows, led.cents[rows, f], p_of, p_last, snap_col, n_age)
    if period == "month":
        labels = [_month_label(int(p)) for p in out["cohort_p"]]
    else:
        labels = [f"{int(p) // 4:04d}-Q{int(p) % 4 + 1}" for p in out["cohort_p"]]
    out = out.drop(columns="cohort_p").reset_index(drop=True)
    out.insert(0, "cohort", _labels(labels))
    out["logo_retention"] = out["retained_accounts"] / out["cohort_accounts"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["revenue_retention"] = np.where(
            out["cohort_start_mrr"] > 0, out["retained_mrr"] / out["cohort_start_mrr"], np.nan)
    out.attrs["period"] = period
    return out[cols_out]


def _cohort_periods(led, first_paid: np.ndarray, period: str):
    """(absolute period of each account's first paid month, the last period, the function
    giving the ledger column of a period's snapshot: its last month-end, or the latest month
    for the current, partial period)."""
    m0 = _month_idx(led.labels[0])
    last_abs = m0 + led.T - 1
    if period == "month":
        return m0 + first_paid, last_abs, lambda p: p - m0
    return ((m0 + first_paid) // 3, last_abs // 3,
            lambda p: np.minimum(p * 3 + 2, last_abs) - m0)


def _cohort_ages(led, rows: np.ndarray, base: np.ndarray, p_of: np.ndarray, p_last: int,
                 snap_col, n_age: int) -> pd.DataFrame:
    """Per cohort (``cohort_p``, its absolute period) and age observed: size, start MRR,
    accounts and MRR retained; one vectorised pass per age (a few dozen at most)."""
    cohort_codes, cohort_ids = pd.factorize(p_of, sort=True)
    n_c = len(cohort_ids)
    size = np.bincount(cohort_codes, minlength=n_c)
    start_mrr = np.bincount(cohort_codes, weights=base.astype("float64"), minlength=n_c)
    parts = []
    for k in range(n_age):
        p = p_of + k
        seen = p <= p_last
        c = np.where(seen, snap_col(np.minimum(p, p_last)), 0)
        val = np.where(seen, led.cents[rows, c], 0)
        ret_mrr = np.bincount(cohort_codes, weights=val.astype("float64"), minlength=n_c)
        ret_log = np.bincount(cohort_codes, weights=(val > 0).astype("float64"), minlength=n_c)
        observed = np.bincount(cohort_codes, weights=seen.astype("float64"), minlength=n_c) > 0
        parts.append(pd.DataFrame({
            "cohort_p": cohort_ids[observed], "age": k,
            "cohort_accounts": size[observed],
            "cohort_start_mrr": np.rint(start_mrr[observed]) / 100.0,
            "retained_accounts": ret_log[observed].astype(np.int64),
            "retained_mrr": np.rint(ret_mrr[observed]) / 100.0,
        }))
    return pd.concat(parts, ignore_index=True).sort_values(["cohort_p", "age"], kind="stable")


def cohort_matrix(cohort_frame: pd.DataFrame, value: str = "revenue_retention") -> pd.DataFrame:
    """Pivot :func:`cohorts` output to the cohort x age triangle of ``value``."""
    return cohort_frame.pivot(index="cohort", columns="age", values=value)


# --------------------------------------------------------------------------------------------
# 5. CLV
# --------------------------------------------------------------------------------------------

CLV_FORMULA = (
    "CLV = ARPA x gross margin / monthly customer churn rate "
    "(D. Skok, 'SaaS Metrics 2.0', forEntrepreneurs.com); ARPA = MRR / active accounts at "
    "as_of_month; churn rate = accounts churned in the trailing window / account-months at "
    "risk (sum of accounts active at each previous month-end)"
)


def clv(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    as_of_month: str | None = None,
    window_months: int = 12,
    gross_margin: float = 1.0,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Customer lifetime value from ARPA, gross margin and the trailing customer churn rate.

    Formula (David Skok, "SaaS Metrics 2.0 - A Guide to Measuring and Improving What Matters",
    forEntrepreneurs.com; no discounting)::

        CLV   = ARPA x gross_margin / c
        ARPA  = MRR at as_of_month / accounts with MRR > 0 at as_of_month
        c     = sum over the trailing months t of accounts churned in t
                / sum over the same months of accounts active at t - 1

    ``c`` is the exposure-weighted average monthly logo churn rate (an account that churns and
    returns still counted as churned when it left). ``1 / c`` is the expected lifetime in
    months. CLV is **undefined (NaN, not infinite)** when ``c == 0``; the ``note`` says so.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`mrr_by_month`.
    accounts : DataFrame, optional
        Needed with ``by``.
    as_of_month : str, optional
        'YYYY-MM'; default the last month of the frame.
    window_months : int, default 12
        Trailing months for the churn rate (fewer if the history is shorter; the number used
        is reported).
    gross_margin : float, default 1.0
        Gross margin as a fraction (setting; 1.0 gives revenue CLV).
    by : str or list of str, optional
        Account attribute(s) to group by.

    Returns
    -------
    DataFrame
        ``by`` columns, ``as_of_month``, ``window_months``, ``accounts``, ``arpa``,
        ``gross_margin``, ``churned_accounts``, ``accounts_at_risk``, ``monthly_churn_rate``,
        ``expected_lifetime_months``, ``clv``, ``formula``, ``note``.
    """
    if not 0 <= gross_margin <= 1:
        raise ValueError("gross_margin is a fraction between 0 and 1")
    led = _ledger(mrr, 0)
    keys = _group_keys(led, accounts, by)
    if not led.T:
        raise ValueError("no MRR data")
    e = led.col(as_of_month) if as_of_month is not None else led.T - 1
    lo = max(led.first_col, 1, e - window_months + 1)
    agg = _clv_counts(led, accounts, keys, e, lo)
    n = agg["accounts"].to_numpy(dtype="float64")
    risk = agg["accounts_at_risk"].to_numpy(dtype="float64")
    ch = agg["churned_accounts"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        arpa = np.where(n > 0, agg["mrr"].to_numpy(dtype="float64") / 100.0 / n, np.nan)
        rate = np.where(risk > 0, ch / risk, np.nan)
        life = np.where(rate > 0, 1.0 / rate, np.nan)
        value = np.where(rate > 0, arpa * gross_margin / rate, np.nan)
    note = np.where(
        rate > 0, "",
        np.where(np.isnan(rate), "undefined: no accounts at risk in the window",
                 "undefined: no churn in the window (lifetime not measurable)"))
    out = pd.DataFrame({k: agg[k].to_numpy() for k in keys}, index=pd.RangeIndex(len(agg)))
    out["as_of_month"] = led.labels[e]
    out["window_months"] = e - lo + 1
    out["accounts"] = n.astype(np.int64)
    out["arpa"] = arpa
    out["gross_margin"] = float(gross_margin)
    out["churned_accounts"] = ch.astype(np.int64)
    out["accounts_at_risk"] = risk.astype(np.int64)
    out["monthly_churn_rate"] = rate
    out["expected_lifetime_months"] = life
    out["clv"] = value
    out["formula"] = CLV_FORMULA
    out["note"] = note
    return out


def _clv_counts(led, accounts, keys: list[str], e: int, lo: int) -> pd.DataFrame:
    """Per group (or one row): accounts paying and MRR (cents) at column ``e``, churns and
    account-months at risk in columns ``lo..e``."""
    span = slice(lo, e + 1)
    prev_active = (led.cents[:, span] - led.delta[:, span]) > 0
    churned = (led.kind[:, span] == _CODE[CHURN])
    frame = pd.DataFrame({
        "accounts": (led.cents[:, e] > 0).astype(np.int64),
        "mrr": led.cents[:, e],
        "churned_accounts": churned.sum(axis=1),
        "accounts_at_risk": prev_active.sum(axis=1),
    })
    attrs = _attributes(led, accounts, keys)
    for k in keys:
        frame[k] = attrs[k].to_numpy()
    return (frame.groupby(keys, sort=True, dropna=False).sum().reset_index() if keys
            else frame.sum().to_frame().T)
