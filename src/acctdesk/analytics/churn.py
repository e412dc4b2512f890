"""Churn risk: a model trained on the workspace's own history, validated out of time,
calibrated, and explained per account; the health score when history is too thin.

Everything here is a pure function over DataFrames (a :class:`~.health.ScoringData`); storing
a trained model in a workspace is :mod:`acctdesk.models.model_store`.

Features (point in time)
------------------------
:func:`build_features` computes, for each account active on a date ``t`` (the rule of
the rule of :func:`acctdesk.domain.accounts.active_mask`), the columns of :data:`FEATURES` from rows dated on or before
``t`` only. Days are whole days since 1970-01-01; a window of ``w`` days counts rows with
``t - w < day <= t`` (the windowing of :mod:`.health`).

* Usage (``usage`` rows of metric ``active_users``, ``logins``, ``features_adopted``):
  ``active_users = U(t)`` with ``U(x)`` the mean ``active_users`` in ``(x_1, x]``, where ``x_k``
  is the day k calendar months before ``x`` (a month end maps to the month end: Jun 30 ->
  Dec 31, so monthly samples line up); ``usage_trend_km = 100 (U(t) - U(t_k)) / U(t_k)`` for
  k = 1, 3, 6 (NaN if ``U(t_k)`` is 0 or missing); ``seat_utilisation = active_users / seats(t)`` with
  ``seats(t)`` the largest ``quantity`` of the subscriptions active on ``t`` (``accounts.seats``
  when the subscriptions carry none); ``logins_per_user = sum(logins in (t_1, t]) /
  active_users``; ``features_adopted`` = the latest value in (t-92, t].
* Support (``tickets``, placed by ``created_at``): ``tickets_90d`` = tickets opened in (t-90, t];
  ``urgent_tickets_90d`` = those of priority urgent or high; ``urgent_open`` = urgent tickets
  opened by ``t`` and not solved by ``t`` (``solved_at`` after ``t``, or empty while the status
  is not a closed one); ``csat`` = mean ``csat`` of the tickets *solved* in (t-180, t] (a rating
  is given when a ticket is solved, so a ticket solved after ``t`` tells nothing at ``t``).
* Satisfaction (``surveys`` of kind ``nps``): ``nps`` = the latest score in (t-365, t];
  ``nps_change_6m = nps(t) - nps(t_6)`` (points; ``t_6`` as for usage).
* Relationship: ``days_since_touch = t - (latest activity that is not a note, dated <= t)``
  (NaN with none); ``qbr_90d`` = 1 if an activity of kind ``qbr``/``ebr`` is in (t-92, t];
  ``contacts`` = contacts whose ``last_contact`` is <= t or empty; ``exec_sponsor`` = 1 if one
  of them has role ``executive sponsor``.
* Money and lifecycle: ``mrr(t)`` = sum of ``mrr`` over subscriptions with ``start_date <= t``
  and ``end_date`` empty or ``>= t`` (the end date is the last day of service: a seat change
  ends one row the day before the next starts, so a month-end snapshot must not see a gap);
  ``arr = 12 mrr(t)``; ``arr_change_90d = 100 (mrr(t) - mrr(t-90)) / mrr(t-90)``; ``tenure_days = t - contract_start``; ``days_to_renewal`` = days
  from ``t`` to the next anniversary of ``contract_start`` after ``t`` (annual terms; from
  ``renewal_date`` when there is no start);
  ``past_due`` = 1 if a subscription active on ``t`` has status ``past_due``.
* Firmographics: ``segment`` and ``industry`` (one-hot in the model; the 20 most common
  values, the rest as "other").

Known limits, handled so that no feature sees the future: subscription ``status`` is the
export's *current* state, so ``past_due`` is known only as of the date the data describes
(``status_as_of``) and is NaN for earlier dates; training snapshots are all earlier, so the
model cannot learn from it and drops it (columns without any value in training are dropped).
``renewal_date`` is current state too (and empty for churned accounts, which would leak the
outcome), hence the anniversary rule. Contacts carry no creation date: one counts from the day
of its ``last_contact``. That is point in time, but biased: a churned account's contact dates
froze at churn while a live account's keep moving, so at past dates live accounts look as if
they had *fewer* contacts than churners, the opposite of today. ``contacts`` and
``exec_sponsor`` are therefore computed but left out of the model by default
(:data:`MODEL_EXCLUDE`). ``accounts.seats`` (a fallback only) is the current licence.

Labels and training
-------------------
Snapshots are month ends ``t`` from 91 days after the first dated event to ``cutoff - H``
(``H`` = ``horizon_days``, default 90; ``cutoff`` = the data date), so every label is fully
observed. Each account active on ``t`` is one example with label
``y = 1 if t < churn_date <= t + H``. A churn *event* is an account with at least one positive
example; with fewer than ``min_events`` (20) events :func:`train_churn_model` raises
:class:`TooFewChurnEvents` and :func:`churn_risk` falls back to the health score.

Out-of-time validation: the last ``test_snapshots`` (3) snapshot dates are the test period,
starting at ``t_test``; the models are trained on the snapshots with ``t + H <= t_test``, so
no training label looks into the test period (no leakage across the split). Two models:
``HistGradientBoostingClassifier`` and an L2-regularised ``LogisticRegression`` (C = 0.1 on
standardised features, median imputation plus missing-value indicators). The one with the
higher out-of-time ROC AUC wins; the winner is then refitted the same way on all labelled
snapshots for scoring, and the validation figures are the ones reported.

Calibration (Platt scaling, held out by account): inside any fit, about 30% of accounts
(chosen by a hash of ``account_id``) are kept out of the base model entirely; their examples
at the latest training snapshots (the last 3, more if needed to hold 10 churn events) form
the calibration slice, on which ``p = 1 / (1 + exp(-(a z + b)))`` is fitted to the base
model's log-odds ``z``. Holding out whole accounts means the calibrator never sees an event
the base model learned from, while the slice is still the most recent period (churn rates
drift); Platt's two parameters are stable on a few dozen events and, being monotone, keep the
ranking (AUC) of the base model. The reported AUC, top-decile lift, Brier score and
calibration table are of these calibrated probabilities on the test period.

Metrics (:func:`evaluate`): ROC AUC (Mann-Whitney), ``top_decile_lift`` = churn rate among
the 10% highest probabilities / overall churn rate, ``brier = mean((p - y)^2)``, and a
calibration table of probability deciles (equal counts): mean predicted vs observed rate.

Reasons
-------
Per-feature contributions on the log-odds scale, from the model itself
(:meth:`ChurnModel.contributions`):

* logistic regression: ``c_j = beta_j z_j (+ beta'_j m'_j)`` where ``z_j = (x_j - mean_j) /
  sd_j`` is the standardised (median-imputed) value and ``m'_j`` its standardised
  missing-value indicator; the contributions add up to ``logit - intercept``;
* gradient boosting: ``c_j = F(x) - F(x with feature j set to its reference)``, ``F`` the
  model's log-odds and the reference the training median (for a one-hot group: the most
  common category). A contribution > 0 means the account's value raises its risk above what a
  typical account's value would.

The top drivers are the features with the largest positive contributions, in words
(:func:`describe`): "usage down 48% in 3 months", "2 urgent tickets open", "NPS 3".
"""
from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import zlib
from dataclasses import dataclass, field as dc_field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..domain.accounts import NOT_CUSTOMER_STATUSES, RISK_FROM_HEALTH, risk_from_health
from ..domain.dates import add_months_days, days as _days
from ..domain.dates import to_day as _iso_to_day
from ..domain.numbers import readable
from ..domain.statuses import CLOSED_TICKET_STATUSES, status_keys
from .scorecards import ScoringData, auc

__all__ = [
    "FEATURES", "CATEGORICAL", "MODEL_EXCLUDE", "MIN_EVENTS", "DEFAULT_HORIZON", "TooFewChurnEvents",
    "ChurnModel", "RiskResult", "build_features", "build_examples", "snapshot_dates",
    "train_churn_model", "evaluate", "calibration_table", "describe", "explain",
    "score_churn", "health_fallback", "weakest_measures", "churn_risk", "design_matrix",
    "account_names", "sort_by_risk",
]

DEFAULT_HORIZON = 90
MIN_EVENTS = 20
#: numeric features and what they are (formulas in the module docstring).
FEATURES: dict[str, str] = {
    "active_users": "mean active users, last month",
    "usage_trend_1m": "% change of active users vs 1 month earlier",
    "usage_trend_3m": "% change of active users vs 3 months earlier",
    "usage_trend_6m": "% change of active users vs 6 months earlier",
    "seat_utilisation": "active users / licensed seats",
    "logins_per_user": "logins in the last month per active user",
    "features_adopted": "latest features adopted (92 days)",
    "tickets_90d": "tickets opened in 90 days",
    "urgent_tickets_90d": "urgent or high tickets opened in 90 days",
    "urgent_open": "urgent tickets open",
    "csat": "mean CSAT of tickets solved in 180 days",
    "nps": "latest NPS within a year",
    "nps_change_6m": "NPS now minus 6 months earlier",
    "days_since_touch": "days since the last CSM touch (not a note)",
    "qbr_90d": "QBR held in the last 92 days",
    "contacts": "contacts known",
    "exec_sponsor": "executive sponsor known",
    "tenure_days": "days since contract start",
    "arr": "ARR of active subscriptions",
    "arr_change_90d": "% change of MRR vs 90 days earlier",
    "past_due": "an active subscription is past due",
    "days_to_renewal": "days to the next contract anniversary",
}
CATEGORICAL = ("segment", "industry")
#: features computed but not given to the model by default (survivorship bias, see above).
MODEL_EXCLUDE = ("contacts", "exec_sponsor")
MAX_CATEGORIES = 20
#: OpenMP threads for gradient boosting. One by default: libgomp's busy-waiting threads make
#: fitting many times slower when the cores are shared (a desktop running the UI, or a loaded
#: machine); ``ACCTDESK_THREADS`` overrides.
THREADS = max(1, int(os.environ.get("ACCTDESK_THREADS", "1") or 1))
_EPOCH = dt.date(1970, 1, 1)
# keys of (account, day): account * _SPAN + (day - _DAY0); exact in float64
_DAY0 = -100_000.0
_SPAN = 400_000.0


class TooFewChurnEvents(ValueError):
    """The history holds too few churn events to learn from; ``events`` says how many."""

    def __init__(self, events: int, needed: int, horizon_days: int, message: str | None = None):
        self.events, self.needed, self.horizon_days = events, needed, horizon_days
        super().__init__(message or (
            f"Only {events} churn event{'s' if events != 1 else ''} in the workspace's history "
            f"(at least {needed} are needed to learn from), so there is no churn model: "
            f"the risk shown is derived from the health score instead "
            f"((100 - score) / 100, not a calibrated probability)."))


# ====================================================================== point-in-time tracks
class _Track:
    """Dated rows of one kind, sorted by (account position, day), for vectorised windows.

    ``upto(a, d)`` = number of rows with key <= (a, d), so rows of account ``a`` dated in
    ``(lo, hi]`` are ``upto(a, hi) - upto(a, lo)`` and sums come from a cumulative sum.
    """

    def __init__(self, acct: np.ndarray, day: np.ndarray, values: np.ndarray | None = None):
        ok = ~np.isnan(day)
        if values is not None:
            ok &= ~np.isnan(values)
            values = values[ok]
        acct, day = acct[ok].astype(np.int64), day[ok]
        key = acct * _SPAN + (day - _DAY0)
        if len(key) > 1 and not (np.diff(key) >= 0).all():
            order = np.argsort(key, kind="stable")
            acct, day, key = acct[order], day[order], key[order]
            if values is not None:
                values = values[order]
        self.acct, self.day, self.key = acct, day, key
        self.values = values
        self.cs = None if values is None else np.r_[0.0, np.cumsum(values)]

    def upto(self, qa: np.ndarray, qd: np.ndarray) -> np.ndarray:
        rel = np.clip(qd - _DAY0, -0.5, _SPAN - 1)
        return np.searchsorted(self.key, qa * _SPAN + rel, side="right")

    def count(self, qa, lo, hi) -> np.ndarray:
        return (self.upto(qa, hi) - self.upto(qa, lo)).astype(float)

    def total(self, qa, lo, hi) -> np.ndarray:
        return self.cs[self.upto(qa, hi)] - self.cs[self.upto(qa, lo)]

    def mean(self, qa, lo, hi) -> np.ndarray:
        n = self.count(qa, lo, hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, self.total(qa, lo, hi) / n, np.nan)

    def last(self, qa, d, window: float | None = None, days: bool = False) -> np.ndarray:
        """The latest value (or its day, ``days=True``) dated <= d (and > d - window)."""
        i = self.upto(qa, d) - 1
        ic = np.clip(i, 0, None)
        if len(self.key) == 0:
            return np.full(len(qa), np.nan)
        ok = (i >= 0) & (self.acct[ic] == qa)
        if window is not None:
            ok &= self.day[ic] > d - window
        src = self.day if days else self.values
        return np.where(ok, src[ic], np.nan)


def _entity_track(data: ScoringData, entity: str, name: str, build) -> _Track:
    """A track built once per frame object (cached in ``data.cache`` like health's)."""
    df = data.frame(entity)
    key = ("churn", name)
    hit = data.cache.get(key)
    if hit is None or hit[0] is not df or hit[1] is not data.accounts:
        hit = (df, data.accounts, build(data.prepared(entity)))
        data.cache[key] = hit
    return hit[2]


def _tracks(data: ScoringData) -> dict[str, _Track]:
    def usage(metric):
        def b(ent):
            m = ent.text_mask("metric", metric) if len(ent) else np.zeros(0, bool)
            return _Track(ent.acct[m], ent.day[m], ent.num("value")[m])
        return b

    def tickets_created(priority=None, open_only=False):
        def b(ent):
            m = np.ones(len(ent), bool)
            if priority is not None and len(ent):
                m &= ent.text_mask("priority", priority)
            if open_only and len(ent):
                # a ticket with no solved date whose status says closed was closed at an
                # unknown time: it never counts as open
                codes, labels = ent.codes("status")
                closed = np.array([lab in CLOSED_TICKET_STATUSES for lab in labels] + [False])
                m &= ~(np.isnan(ent.dates("solved_at")) & closed[codes])
            return _Track(ent.acct[m], ent.day[m])
        return b

    def tickets_solved(priority=None, value=None):
        def b(ent):
            m = np.ones(len(ent), bool)
            if priority is not None and len(ent):
                m &= ent.text_mask("priority", priority)
            vals = ent.num(value)[m] if value else None
            return _Track(ent.acct[m], ent.dates("solved_at")[m], vals)
        return b

    def surveys(ent):
        m = ent.text_mask("kind", "nps") if len(ent) else np.zeros(0, bool)
        return _Track(ent.acct[m], ent.day[m], ent.num("score")[m])

    def activities(kinds=None, exclude=None):
        def b(ent):
            m = np.ones(len(ent), bool)
            if len(ent):
                if kinds is not None:
                    m &= ent.text_mask("kind", kinds)
                if exclude is not None:
                    m &= ent.text_mask("kind", {"not": exclude}) | (ent.codes("kind")[0] < 0)
            return _Track(ent.acct[m], ent.day[m])
        return b

    def contacts(role=None):
        def b(ent):
            m = np.ones(len(ent), bool)
            if role is not None and len(ent):
                m &= ent.text_mask("role", role)
            return _Track(ent.acct[m], np.where(np.isnan(ent.day[m]), _DAY0 + 0.0,
                                                ent.day[m]))  # undated: known from day 0
        return b

    urgent = ["urgent", "high"]
    return {
        "active_users": _entity_track(data, "usage", "u_active", usage("active_users")),
        "logins": _entity_track(data, "usage", "u_logins", usage("logins")),
        "features": _entity_track(data, "usage", "u_features", usage("features_adopted")),
        "tickets": _entity_track(data, "tickets", "t_all", tickets_created()),
        "urgent": _entity_track(data, "tickets", "t_urgent", tickets_created(urgent)),
        "escal_open": _entity_track(data, "tickets", "t_esc", tickets_created("urgent", True)),
        "escal_solved": _entity_track(data, "tickets", "t_esc_s", tickets_solved("urgent")),
        "csat": _entity_track(data, "tickets", "t_csat", tickets_solved(value="csat")),
        "nps": _entity_track(data, "surveys", "s_nps", surveys),
        "touch": _entity_track(data, "activities", "a_touch", activities(exclude=["note"])),
        "qbr": _entity_track(data, "activities", "a_qbr", activities(kinds=["qbr", "ebr"])),
        "contacts": _entity_track(data, "contacts", "c_all", contacts()),
        "sponsor": _entity_track(data, "contacts", "c_exec", contacts("executive sponsor")),
    }


def _subscription_state(data: ScoringData, qa: np.ndarray, days: Sequence[np.ndarray],
                        status_day: float | None):
    """Per query and per day in ``days``: MRR of the subscriptions active on the day; for
    the first day also the largest quantity and (when ``status_day`` allows) past due."""
    ent = data.prepared("subscriptions")
    q = len(qa)
    if len(ent) == 0:
        nan = np.full(q, np.nan)
        return [nan.copy() for _ in days], nan.copy(), nan.copy()
    acct = ent.acct
    first = np.searchsorted(acct, qa, side="left")
    cnt = np.searchsorted(acct, qa, side="right") - first
    total = int(cnt.sum())
    rep = np.repeat(np.arange(q), cnt)
    offs = np.cumsum(cnt) - cnt
    rows = first[rep] + (np.arange(total) - offs[rep])
    start = ent.day[rows]
    end = ent.dates("end_date")[rows]
    mrr = np.nan_to_num(ent.num("mrr")[rows])
    has_subs = np.bincount(rep, weights=~np.isnan(start), minlength=q) > 0
    out = []
    active0 = None
    for d in days:
        dd = d[rep]
        active = (start <= dd) & (np.isnan(end) | (end >= dd))
        if active0 is None:
            active0 = active
        val = np.bincount(rep, weights=np.where(active, mrr, 0.0), minlength=q)
        out.append(np.where(has_subs, val, np.nan))
    qty = ent.num("quantity")[rows]
    qv = np.where(active0 & ~np.isnan(qty), qty, -np.inf)
    seats = np.full(q, -np.inf)
    nz = np.flatnonzero(cnt > 0)
    if len(nz):
        seats[nz] = np.maximum.reduceat(qv, offs[nz])
    seats = np.where(np.isfinite(seats) & (seats > 0), seats, np.nan)
    if status_day is None:
        past_due = np.full(q, np.nan)
    else:
        codes, labels = ent.codes("status")
        pd_code = np.array([lab == "past_due" for lab in labels] + [False])[codes[rows]]
        pdue = np.bincount(rep, weights=active0 & pd_code, minlength=q) > 0
        past_due = np.where(days[0] >= status_day, pdue.astype(float), np.nan)
        past_due = np.where(has_subs, past_due, np.nan)
    return out, seats, past_due


def _months_back(days: np.ndarray, k: int) -> np.ndarray:
    """The day ``k`` calendar months before each day (day numbers): the same day of month
    (clipped), or the month's last day when the day is a month end (Jun 30 -> Dec 31)."""
    uniq, inverse = np.unique(np.asarray(days, dtype=float), return_inverse=True)
    if len(uniq) < len(days):  # snapshots share a few dates: convert each once
        return _months_back(uniq, k)[inverse.ravel()]
    d = days.astype(np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    month_end = (d + 1).astype("datetime64[M]") != m
    same = add_months_days(d.astype(np.int64), np.full(len(d), -k))
    end = ((m - k + 1).astype("datetime64[D]") - 1).astype(np.int64).astype(float)
    return np.where(month_end, end, same)


def _next_anniversary(anchor: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The first anniversary of ``anchor`` (day numbers) strictly after ``t``; NaN anchors
    stay NaN. Vectorised over both arrays."""
    out = np.full(len(t), np.nan)
    ok = ~np.isnan(anchor)
    if not ok.any():
        return out
    a = anchor[ok].astype(np.int64)
    tt = t[ok].astype(np.int64)
    months = (tt.astype("datetime64[D]").astype("datetime64[M]")
              - a.astype("datetime64[D]").astype("datetime64[M]")).astype(np.int64)
    k = np.floor_divide(months, 12)
    cand = add_months_days(a, 12 * k)
    cand = np.where(cand <= tt, add_months_days(a, 12 * (k + 1)), cand)
    cand = np.where(cand <= tt, add_months_days(a, 12 * (k + 2)), cand)
    out[ok] = cand
    return out


def _account_arrays(data: ScoringData) -> dict[str, np.ndarray]:
    acc = data.accounts
    hit = data.cache.get(("churn", "accounts"))
    if hit is not None and hit[0] is acc:
        return hit[1]

    def col(name):
        return acc[name] if name in acc else pd.Series([None] * len(acc), index=acc.index)

    status = col("status").astype(object).where(col("status").notna(), "").astype(str)
    arrays = {
        "start": _days(col("contract_start").to_numpy(dtype=object)),
        "churn": _days(col("churn_date").to_numpy(dtype=object)),
        "renewal": _days(col("renewal_date").to_numpy(dtype=object)),
        "seats": pd.to_numeric(col("seats"), errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan),
    }
    keys = status_keys(status)
    # never a customer (a prospect or partner), or churned on a date nobody recorded
    arrays["not_customer"] = (keys.isin(NOT_CUSTOMER_STATUSES).to_numpy()
                              | ((keys == "churned").to_numpy() & np.isnan(arrays["churn"])))
    data.cache[("churn", "accounts")] = (acc, arrays)
    return arrays


def _active_pairs(data: ScoringData, days: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(account positions, snapshot index) of accounts active on each day: the rule of
    :func:`acctdesk.domain.accounts.active_mask` (started or no start, not churned by then,
    a customer: no prospect or partner, no churn flag without a date) on many days at once."""
    a = _account_arrays(data)
    d = np.asarray(days, dtype=float)[None, :]
    start, churn = a["start"][:, None], a["churn"][:, None]
    active = ((np.isnan(start) | (start <= d)) & (np.isnan(churn) | (churn > d))
              & ~a["not_customer"][:, None])
    snap, pos = np.nonzero(active.T)  # ordered by snapshot, then account
    return pos.astype(np.int64), snap


def _features(data: ScoringData, qa: np.ndarray, qd: np.ndarray,
              status_day: float | None) -> pd.DataFrame:
    """The :data:`FEATURES` (plus categorical columns) for queries (account position, day)."""
    tr = _tracks(data)
    acc = _account_arrays(data)
    f: dict[str, np.ndarray] = {}
    au = tr["active_users"]
    month_ago = _months_back(qd, 1)
    now = au.mean(qa, month_ago, qd)
    f["active_users"] = now
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in (1, 3, 6):
            ref = month_ago if k == 1 else _months_back(qd, k)
            then = au.mean(qa, _months_back(ref, 1), ref)
            f[f"usage_trend_{k}m"] = np.where(then > 0, 100.0 * (now - then) / then, np.nan)
        (mrr_now, mrr_then), seats, past_due = _subscription_state(
            data, qa, [qd, qd - 90], status_day)
        seats = np.where(np.isnan(seats), acc["seats"][qa], seats)
        f["seat_utilisation"] = np.where(seats > 0, now / seats, np.nan)
        logins = tr["logins"].total(qa, month_ago, qd)
        has_logins = tr["logins"].count(qa, month_ago, qd) > 0
        f["logins_per_user"] = np.where(has_logins & (now > 0), logins / now, np.nan)
    f["features_adopted"] = tr["features"].last(qa, qd, window=92)
    has_tickets = len(tr["tickets"].key) > 0
    for name, track in (("tickets_90d", "tickets"), ("urgent_tickets_90d", "urgent")):
        f[name] = tr[track].count(qa, qd - 90, qd) if has_tickets else np.full(len(qa), np.nan)
    if has_tickets:
        f["urgent_open"] = (tr["escal_open"].count(qa, qd - _SPAN, qd)
                            - tr["escal_solved"].count(qa, qd - _SPAN, qd))
    else:
        f["urgent_open"] = np.full(len(qa), np.nan)
    f["csat"] = tr["csat"].mean(qa, qd - 180, qd)
    nps = tr["nps"]
    f["nps"] = nps.last(qa, qd, window=365)
    f["nps_change_6m"] = f["nps"] - nps.last(qa, _months_back(qd, 6), window=365)
    last_touch = tr["touch"].last(qa, qd, days=True)
    f["days_since_touch"] = qd - last_touch
    has_acts = len(tr["touch"].key) + len(tr["qbr"].key) > 0
    f["qbr_90d"] = ((tr["qbr"].count(qa, qd - 92, qd) > 0).astype(float) if has_acts
                    else np.full(len(qa), np.nan))
    if len(tr["contacts"].key):
        f["contacts"] = tr["contacts"].count(qa, _DAY0 - 1, qd)
        f["exec_sponsor"] = (tr["sponsor"].count(qa, _DAY0 - 1, qd) > 0).astype(float)
    else:
        f["contacts"] = f["exec_sponsor"] = np.full(len(qa), np.nan)
    start = acc["start"][qa]
    f["tenure_days"] = np.where(start <= qd, qd - start, np.nan)
    f["arr"] = 12.0 * mrr_now
    with np.errstate(invalid="ignore", divide="ignore"):
        f["arr_change_90d"] = np.where(mrr_then > 0, 100.0 * (mrr_now - mrr_then) / mrr_then,
                                       np.nan)
    f["past_due"] = past_due
    anchor = np.where(np.isnan(start), acc["renewal"][qa], start)
    f["days_to_renewal"] = _next_anniversary(anchor, qd) - qd
    out = pd.DataFrame({k: f[k] for k in FEATURES}, dtype=float)
    for c in CATEGORICAL:
        vals = data.accounts[c] if c in data.accounts else pd.Series([None] * len(data.accounts))
        arr = vals.astype(object).to_numpy()[qa]
        out[c] = pd.Series(arr, dtype=object)
    return out


def _as_day(as_of) -> float:
    return float(_iso_to_day(str(as_of)[:10]))


def build_features(data: ScoringData, as_of: str, *, status_as_of: str | None = None
                   ) -> pd.DataFrame:
    """Point-in-time features of every account active on ``as_of``.

    Parameters
    ----------
    data
        The workspace's frames.
    as_of
        ISO date; only rows dated on or before it are read (formulas: module docstring).
    status_as_of
        The date the export's *current-state* columns describe (the data date). ``past_due``
        is filled only when ``as_of >= status_as_of``; None leaves it NaN.

    Returns
    -------
    DataFrame
        Index ``account_id`` (in ``data.accounts`` order), the :data:`FEATURES` columns
        (float, NaN = no data) and the :data:`CATEGORICAL` columns (text).
    """
    day = _as_day(as_of)
    pos, _ = _active_pairs(data, [day])
    qd = np.full(len(pos), day)
    status_day = _as_day(status_as_of) if status_as_of else None
    out = _features(data, pos, qd, status_day)
    out.index = pd.Index(data.accounts_index()[pos], name="account_id")
    out.attrs["as_of"] = str(as_of)[:10]
    return out


def snapshot_dates(data: ScoringData, cutoff: str, horizon_days: int = DEFAULT_HORIZON,
                   max_snapshots: int = 24) -> list[str]:
    """Month ends ``t`` whose labels are observed by ``cutoff`` (``t + H <= cutoff``), from 91
    days after the first dated usage/ticket/survey/activity row; the latest ``max_snapshots``.
    """
    firsts = []
    for ent in ("usage", "tickets", "surveys", "activities"):
        e = data.prepared(ent)
        if len(e) and np.isfinite(e.day).any():
            firsts.append(np.nanmin(e.day))
    if not firsts:
        return []
    lo = min(firsts) + 91
    hi = _as_day(cutoff) - horizon_days
    if hi < lo:
        return []
    m0 = np.datetime64(int(lo), "D").astype("datetime64[M]")
    m1 = np.datetime64(int(hi), "D").astype("datetime64[M]")
    ends = (np.arange(m0, m1 + 1) + 1).astype("datetime64[D]") - 1
    ends = ends[(ends.astype(np.int64) >= lo) & (ends.astype(np.int64) <= hi)]
    return [str(d) for d in ends[-max_snapshots:]]


def build_examples(data: ScoringData, dates: Sequence[str],
                   horizon_days: int = DEFAULT_HORIZON) -> pd.DataFrame:
    """Training examples: every account active on each date, its features as of that date
    and ``label = 1 if t < churn_date <= t + horizon_days`` (all dates in one vectorised
    pass). Columns: ``account_id``, ``as_of``, ``label``, then the features."""
    days = [_as_day(d) for d in dates]
    pos, snap = _active_pairs(data, days)
    qd = np.asarray(days, dtype=float)[snap] if len(days) else np.zeros(0)
    feats = _features(data, pos, qd, None)
    churn = _account_arrays(data)["churn"][pos]
    label = (churn > qd) & (churn <= qd + horizon_days)
    head = pd.DataFrame({
        "account_id": pd.Series(np.asarray(data.accounts_index(), dtype=object)[pos],
                                dtype=object),
        "as_of": pd.Series(np.asarray(dates, dtype=object)[snap] if len(dates) else [],
                           dtype=object),
        "label": label.astype(np.int8),
    })
    out = pd.concat([head, feats], axis=1)
    out.attrs["day"] = qd
    return out


# ====================================================================== model
def _design_columns(examples: pd.DataFrame, exclude: Sequence[str] = MODEL_EXCLUDE
                    ) -> tuple[list[str], dict[str, list[str]]]:
    """Model columns (numeric features with any value, then one-hots) and the driver groups
    (feature -> columns)."""
    cols, groups = [], {}
    for f in FEATURES:
        if f not in exclude and examples[f].notna().any():
            cols.append(f)
            groups[f] = [f]
    for c in CATEGORICAL:
        if c in exclude:
            continue
        vals = examples[c].astype(object).where(examples[c].notna(), None)
        top = vals.dropna().astype(str).value_counts().index[:MAX_CATEGORIES].tolist()
        if not top:
            continue
        levels = [f"{c}={v}" for v in top]
        if vals.dropna().astype(str).isin(top).sum() < vals.notna().sum() or vals.isna().any():
            levels.append(f"{c}=other")
        cols.extend(levels)
        groups[c] = levels
    return cols, groups


def design_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The model matrix: numeric columns as they are (NaN kept), one-hots from the
    categorical columns (``c=other`` = a value not among the model's levels, or none)."""
    n = len(frame)
    X = np.empty((n, len(columns)), dtype=float)
    cats: dict[str, tuple[np.ndarray, list[str]]] = {}
    for j, col in enumerate(columns):
        if "=" not in col:
            X[:, j] = frame[col].to_numpy(dtype=float, na_value=np.nan) if col in frame \
                else np.nan
            continue
        c, v = col.split("=", 1)
        if c not in cats:
            s = frame[c] if c in frame else pd.Series([None] * n, dtype=object)
            codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
            cats[c] = (np.asarray(codes), [str(u) for u in uniq])
        codes, labels = cats[c]
        if v == "other":
            known = {k.split("=", 1)[1] for k in columns if k.startswith(c + "=")} - {"other"}
            hit = np.array([lab not in known for lab in labels] + [True])
        else:
            hit = np.array([lab == v for lab in labels] + [False])
        X[:, j] = hit[codes].astype(float)  # code -1 (no value) picks the last entry
    return X


class _Platt:
    """``p = 1 / (1 + exp(-(a z + b)))`` fitted by maximum likelihood on log-odds ``z``."""

    def __init__(self):
        self.a, self.b = 1.0, 0.0

    def fit(self, z: np.ndarray, y: np.ndarray) -> "_Platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e4, max_iter=1000)
        lr.fit(z.reshape(-1, 1), y)
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * z + self.b)))


@dataclass
class ChurnModel:
    """A trained, calibrated churn model with what it needs to explain itself.

    ``kind`` is ``"hist_gradient_boosting"`` or ``"logistic_regression"``; ``info`` holds the
    validation figures and training facts (see :func:`train_churn_model`).
    """

    kind: str
    columns: list[str]
    groups: dict[str, list[str]]
    estimator: Any
    calibrator: _Platt
    reference: np.ndarray
    horizon_days: int
    prep: dict[str, np.ndarray] = dc_field(default_factory=dict)
    info: dict[str, Any] = dc_field(default_factory=dict)

    # --------------------------------------------------------------- prediction
    def _lr_design(self, X: np.ndarray) -> np.ndarray:
        p = self.prep
        Xi = np.where(np.isnan(X), p["median"], X)
        parts = [(Xi - p["mean"]) / p["sd"]]
        if len(p["ind_cols"]):
            ind = np.isnan(X[:, p["ind_cols"]]).astype(float)
            parts.append((ind - p["ind_mean"]) / p["ind_sd"])
        return np.hstack(parts)

    def logit(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated log-odds of churn within the horizon."""
        with _threads():
            if self.kind == "logistic_regression":
                return self.estimator.decision_function(self._lr_design(X))
            return self.estimator.decision_function(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability of churn within ``horizon_days`` (Platt on the log-odds)."""
        return self.calibrator(self.logit(X))

    # --------------------------------------------------------------- attributions
    def contributions(self, X: np.ndarray) -> pd.DataFrame:
        """Log-odds contribution of each driver group (columns = ``groups`` keys); formulas in
        the module docstring."""
        names = list(self.groups)
        col_idx = {c: i for i, c in enumerate(self.columns)}
        out = np.zeros((len(X), len(names)))
        if self.kind == "logistic_regression":
            Z = self._lr_design(X)
            coef = self.estimator.coef_[0]
            k = len(self.columns)
            ind_pos = {int(c): k + i for i, c in enumerate(self.prep["ind_cols"])}
            for g, name in enumerate(names):
                for c in self.groups[name]:
                    j = col_idx[c]
                    out[:, g] += coef[j] * Z[:, j]
                    if j in ind_pos:
                        out[:, g] += coef[ind_pos[j]] * Z[:, ind_pos[j]]
        else:
            base = self.logit(X)
            for g, name in enumerate(names):
                idx = [col_idx[c] for c in self.groups[name]]
                # rows already at the reference contribute 0: predict only the others
                ref = self.reference[idx]
                rows = np.flatnonzero((X[:, idx] != ref).any(axis=1)
                                      | np.isnan(X[:, idx]).any(axis=1))
                if not len(rows):
                    continue
                Xr = X[rows].copy()
                Xr[:, idx] = ref
                out[rows, g] = base[rows] - self.logit(Xr)
        return pd.DataFrame(out, columns=names)


def _threads():
    """Limit OpenMP/BLAS threads to :data:`THREADS` for the enclosed block."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency of scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=THREADS)


def _col_medians(X: np.ndarray) -> np.ndarray:
    """Median of each column's non-missing values (0 for a column without any)."""
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):  # a loop over columns, not rows
        col = X[:, j]
        col = col[~np.isnan(col)]
        if len(col):
            out[j] = float(np.median(col))
    return out


def _fit_estimator(kind: str, X: np.ndarray, y: np.ndarray, random_state: int):
    """Fit one base model; returns (estimator, prep)."""
    if kind == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        median = _col_medians(X)
        Xi = np.where(np.isnan(X), median, X)
        mean, sd = Xi.mean(axis=0), Xi.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        ind_cols = np.flatnonzero(np.isnan(X).any(axis=0))
        ind = np.isnan(X[:, ind_cols]).astype(float)
        ind_mean, ind_sd = ind.mean(axis=0), ind.std(axis=0)
        ind_sd = np.where(ind_sd > 0, ind_sd, 1.0)
        prep = {"median": median, "mean": mean, "sd": sd, "ind_cols": ind_cols,
                "ind_mean": ind_mean, "ind_sd": ind_sd}
        Z = np.hstack([(Xi - mean) / sd, (ind - ind_mean) / ind_sd])
        est = LogisticRegression(C=0.1, max_iter=1000)
        with _threads():
            est.fit(Z, y)
        return est, prep
    from sklearn.ensemble import HistGradientBoostingClassifier

    est = HistGradientBoostingClassifier(
        max_iter=120, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=random_state)
    with _threads():
        est.fit(X, y)
    return est, {}


def _holdout_accounts(account_ids: np.ndarray, share: float = 0.3) -> np.ndarray:
    """Deterministic ~``share`` of accounts (crc32 of the id) kept out of the base fit."""
    ids = pd.Series(account_ids, dtype=object)
    codes, uniq = pd.factorize(ids)
    h = np.array([zlib.crc32(str(u).encode()) % 1000 for u in uniq], dtype=np.int64)
    return (h < share * 1000)[codes]


def _fit_calibrated(kind: str, examples: pd.DataFrame, X: np.ndarray, columns, groups,
                    horizon_days: int, random_state: int, max_rows: int,
                    cal_snapshots: int = 3, min_cal_events: int = 10) -> ChurnModel:
    """Base model on the non-held-out accounts, Platt on the held-out accounts' latest
    snapshots (module docstring)."""
    y = examples["label"].to_numpy(dtype=int)
    held = _holdout_accounts(examples["account_id"].to_numpy(dtype=object))
    dates = sorted(examples["as_of"].unique())
    as_of = examples["as_of"].to_numpy(dtype=object)
    k = min(cal_snapshots, len(dates))
    while True:
        cal = held & np.isin(as_of, dates[-k:])
        if y[cal].sum() >= min_cal_events or k >= len(dates):
            break
        k += 1
    fit = ~held
    if y[fit].sum() < 2 or (1 - y[fit]).sum() < 2:
        fit = np.ones(len(y), bool)  # too small to hold accounts out: calibrate in-sample
    fit_idx = np.flatnonzero(fit)
    if len(fit_idx) > max_rows:
        rng = np.random.default_rng(random_state)
        fit_idx = np.sort(rng.choice(fit_idx, size=max_rows, replace=False))
    est, prep = _fit_estimator(kind, X[fit_idx], y[fit_idx], random_state)
    ref = _col_medians(X[fit_idx])
    for name, cols in groups.items():  # one-hot groups: the most common category
        if len(cols) > 1 or "=" in cols[0]:
            idx = [columns.index(c) for c in cols]
            mode = int(np.argmax(X[fit_idx][:, idx].sum(axis=0)))
            ref[idx] = 0.0
            ref[idx[mode]] = 1.0
    model = ChurnModel(kind=kind, columns=list(columns), groups=groups, estimator=est,
                       calibrator=_Platt(), reference=ref, horizon_days=horizon_days,
                       prep=prep)
    cal_idx = np.flatnonzero(cal)
    if len(cal_idx) and 0 < y[cal_idx].sum() < len(cal_idx):
        model.calibrator.fit(model.logit(X[cal_idx]), y[cal_idx])
        model.info["calibration_rows"] = int(len(cal_idx))
        model.info["calibration_events"] = int(y[cal_idx].sum())
    else:  # no usable slice: the base model's own probabilities (a = 1, b = 0)
        model.info["calibration_rows"] = 0
        model.info["calibration_events"] = 0
    return model


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Deciles of predicted probability (equal counts, by rank): ``bin`` (1 = lowest), ``n``,
    ``mean_predicted``, ``observed_rate``, ``events``."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return pd.DataFrame(columns=["bin", "n", "mean_predicted", "observed_rate", "events"])
    order = np.argsort(p, kind="stable")
    b = np.empty(len(p), dtype=int)
    b[order] = np.floor(np.arange(len(p)) * bins / len(p)).astype(int)
    df = pd.DataFrame({"bin": b + 1, "p": p, "y": y})
    g = df.groupby("bin")
    return pd.DataFrame({
        "bin": g.size().index.to_numpy(), "n": g.size().to_numpy(),
        "mean_predicted": g["p"].mean().to_numpy(), "observed_rate": g["y"].mean().to_numpy(),
        "events": g["y"].sum().to_numpy().astype(int),
    })


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Out-of-sample figures of probabilities ``p`` for outcomes ``y`` (0/1).

    ``auc`` = Mann-Whitney ROC AUC (ties 1/2); ``top_decile_lift`` = mean(y | the
    ceil(n/10) highest p) / mean(y); ``brier`` = mean((p - y)^2); ``base_rate`` = mean(y);
    ``calibration`` = :func:`calibration_table` as records.
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n = len(y)
    base = float(y.mean()) if n else float("nan")
    k = max(1, int(math.ceil(0.1 * n))) if n else 0
    top = np.argsort(-p, kind="stable")[:k]
    lift = float(y[top].mean() / base) if k and base > 0 else float("nan")
    return {
        "auc": auc(p, y.astype(bool)) if n else float("nan"),
        "top_decile_lift": lift,
        "brier": float(np.mean((p - y) ** 2)) if n else float("nan"),
        "base_rate": base, "n": int(n), "events": int(y.sum()),
        "calibration": calibration_table(y, p).to_dict("records"),
    }


def _events(examples: pd.DataFrame) -> int:
    """Churn events: accounts with at least one positive example."""
    return int(examples.loc[examples["label"] == 1, "account_id"].nunique())


def train_churn_model(
    data: ScoringData, cutoff: str, horizon_days: int = DEFAULT_HORIZON, *,
    min_events: int = MIN_EVENTS, test_snapshots: int = 3, max_snapshots: int = 24,
    max_train_rows: int = 250_000, random_state: int = 0,
    kinds: Sequence[str] = ("hist_gradient_boosting", "logistic_regression"),
    examples: pd.DataFrame | None = None, exclude: Sequence[str] = MODEL_EXCLUDE,
) -> ChurnModel:
    """Train, validate out of time, choose, refit and calibrate a churn model.

    Parameters
    ----------
    cutoff
        The last date whose data may be used (the data date, or an earlier ``--as-of``):
        snapshots satisfy ``t + horizon_days <= cutoff``.
    horizon_days
        ``H``: an example is positive when the account churns in ``(t, t + H]``.
    min_events
        Fewer churn events than this raise :class:`TooFewChurnEvents`.
    test_snapshots
        Snapshot dates in the out-of-time test period (the latest ones).
    max_train_rows
        Training rows above this are sampled uniformly (seeded) for speed; the base rate is
        unchanged, so calibration is unaffected.
    exclude
        Features not given to the model (default :data:`MODEL_EXCLUDE`).

    Returns
    -------
    ChurnModel
        Refitted on all labelled snapshots; ``info`` has ``auc``, ``top_decile_lift``,
        ``brier``, ``base_rate``, ``calibration`` (the test period's table), ``candidates``
        (the figures of each kind), ``train_period``, ``test_period``, ``n_train``, ``n_test``
        (examples), ``events`` (accounts that churned within the horizon of a snapshot; also
        ``events_train``/``events_test``), ``positives_train``/``positives_test`` (positive
        examples), ``snapshots`` and ``features`` (the driver groups the model uses).

    Raises
    ------
    TooFewChurnEvents
        Too few events in the labels, or too little history to validate out of time.
    """
    dates = snapshot_dates(data, cutoff, horizon_days, max_snapshots)
    if examples is None:
        examples = build_examples(data, dates, horizon_days)
    events = _events(examples)
    if events < min_events:
        raise TooFewChurnEvents(events, min_events, horizon_days)
    split = _out_of_time_split(examples, horizon_days, test_snapshots, events, min_events)
    tr, te = split["train"], split["test"]
    y = examples["label"].to_numpy(dtype=int)
    columns, groups = _design_columns(examples[tr], exclude)
    X = design_matrix(examples, columns)
    candidates: dict[str, dict] = {}
    for kind in kinds:
        m = _fit_calibrated(kind, examples[tr].reset_index(drop=True), X[tr], columns,
                            groups, horizon_days, random_state, max_train_rows)
        candidates[kind] = evaluate(y[te], m.predict_proba(X[te]))
    best = max(candidates, key=lambda k: (np.nan_to_num(candidates[k]["auc"]),
                                          -np.nan_to_num(candidates[k]["brier"])))
    # refit the winner on every labelled snapshot, with the design of all of them
    columns, groups = _design_columns(examples, exclude)
    X = design_matrix(examples, columns)
    model = _fit_calibrated(best, examples, X, columns, groups, horizon_days, random_state,
                            max_train_rows)
    model.info.update(_training_info(examples, split, candidates, best, cutoff,
                                     horizon_days, events, groups))
    return model


def _out_of_time_split(examples: pd.DataFrame, horizon_days: int, test_snapshots: int,
                       events: int, min_events: int) -> dict[str, Any]:
    """The latest ``test_snapshots`` snapshot dates test, the earlier ones whose outcome is
    known before the test period starts train: ``train``/``test`` row masks and
    ``train_dates``/``test_dates``/``dates``. Raises :class:`TooFewChurnEvents` when either
    side is too thin to validate."""
    dates = sorted(examples["as_of"].unique())
    day = np.array([_as_day(d) for d in dates])
    if len(dates) < test_snapshots + 2:
        raise TooFewChurnEvents(events, min_events, horizon_days, (
            f"The history covers {len(dates)} monthly snapshot(s) with observed "
            f"{horizon_days}-day outcomes, too few to train on earlier months and test on "
            f"later ones; the risk shown is derived from the health score instead."))
    test_start = day[-test_snapshots]
    train_dates = [d for d, x in zip(dates, day) if x + horizon_days <= test_start]
    test_dates = dates[-test_snapshots:]
    as_of = examples["as_of"].to_numpy(dtype=object)
    tr = np.isin(as_of, train_dates)
    te = np.isin(as_of, test_dates)
    y = examples["label"].to_numpy(dtype=int)
    if _events(examples[tr]) < max(5, min_events // 4) or y[te].sum() < 3:
        raise TooFewChurnEvents(events, min_events, horizon_days, (
            f"{events} churn events in the history, but too few of them fall before "
            f"({_events(examples[tr])}) and inside ({int(y[te].sum())}) the out-of-time test "
            f"period to validate a model; the risk shown is derived from the health score "
            f"instead."))
    return {"train": tr, "test": te, "train_dates": train_dates, "test_dates": test_dates,
            "dates": dates}


def _training_info(examples: pd.DataFrame, split: dict[str, Any], candidates: dict,
                   best: str, cutoff: str, horizon_days: int, events: int,
                   groups: dict) -> dict[str, Any]:
    """The model's ``info``: the chosen kind's out-of-time figures, the candidates', the
    periods and the counts (see :func:`train_churn_model`)."""
    import sklearn

    tr, te = split["train"], split["test"]
    train_dates, test_dates = split["train_dates"], split["test_dates"]
    y = examples["label"].to_numpy(dtype=int)
    v = candidates[best]
    return {
        "kind": best, "trained_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "data_date": str(cutoff)[:10], "horizon_days": int(horizon_days),
        "sklearn_version": sklearn.__version__,
        "auc": v["auc"], "top_decile_lift": v["top_decile_lift"], "brier": v["brier"],
        "base_rate": v["base_rate"], "calibration": v["calibration"],
        "calibration_method": "platt (held-out accounts, latest training snapshots)",
        "chosen_by": "out-of-time ROC AUC",
        "candidates": {k: {kk: c[kk] for kk in ("auc", "top_decile_lift", "brier")}
                       for k, c in candidates.items()},
        "train_period": [train_dates[0], train_dates[-1]] if train_dates else None,
        "test_period": [test_dates[0], test_dates[-1]],
        "n_train": int(tr.sum()), "n_test": int(te.sum()),
        "events_train": _events(examples[tr]), "events_test": _events(examples[te]),
        "positives_train": int(y[tr].sum()), "positives_test": int(y[te].sum()),
        "events": events, "snapshots": len(split["dates"]), "examples": int(len(examples)),
        "features": list(groups),
    }


# ====================================================================== reasons
def _n(v: float) -> str:
    return f"{v:,.0f}"


def _plural(v: float, one: str, many: str) -> str:
    return f"{_n(v)} {one if round(v) == 1 else many}"


def _pct_change(v: float, what: str, span: str) -> str:
    if not np.isfinite(v):
        return f"no {what} to compare with {span} earlier"
    if round(v) == 0:
        return f"{what} flat over {span}"
    return f"{what} {'down' if v < 0 else 'up'} {abs(v):.0f}% in {span}"


def describe(feature: str, value: Any) -> str:
    """One driver in words, from the feature's name and the account's value.

    >>> describe("usage_trend_3m", -48.2)
    'usage down 48% in 3 months'
    >>> describe("urgent_open", 2)
    '2 urgent tickets open'
    """
    if feature in CATEGORICAL:
        return f"{feature} {value}" if value not in (None, "") and not (
            isinstance(value, float) and np.isnan(value)) else f"no {feature} recorded"
    v = float(value) if value is not None else float("nan")
    fin = np.isfinite(v)
    if feature.startswith("usage_trend_"):
        k = feature.rsplit("_", 1)[1][:-1]
        return _pct_change(v, "usage", "1 month" if k == "1" else f"{k} months")
    if not fin:
        return {
            "active_users": "no usage data in the last month",
            "seat_utilisation": "no seat utilisation data",
            "logins_per_user": "no logins in the last month",
            "features_adopted": "no feature adoption data",
            "csat": "no CSAT ratings in 180 days",
            "nps": "no NPS response in a year",
            "nps_change_6m": "no NPS trend (no responses 6 months apart)",
            "days_since_touch": "no CSM touch on record",
            "arr": "no active subscription",
            "arr_change_90d": "no ARR 90 days ago to compare with",
            "days_to_renewal": "renewal date unknown",
            "tenure_days": "contract start unknown",
        }.get(feature, f"no {FEATURES.get(feature, feature)} data")
    if feature == "active_users":
        return _plural(v, "active user", "active users")
    if feature == "seat_utilisation":
        return f"seat utilisation {100 * v:.0f}%"
    if feature == "logins_per_user":
        return f"{v:.1f} logins per active user in the last month"
    if feature == "features_adopted":
        return _plural(v, "feature adopted", "features adopted")
    if feature == "tickets_90d":
        return _plural(v, "ticket", "tickets") + " in 90 days"
    if feature == "urgent_tickets_90d":
        return _plural(v, "urgent ticket", "urgent tickets") + " in 90 days"
    if feature == "urgent_open":
        return _plural(v, "urgent ticket", "urgent tickets") + " open"
    if feature == "csat":
        return f"CSAT {v:.1f}"
    if feature == "nps":
        return f"NPS {v:.0f}"
    if feature == "nps_change_6m":
        if round(v) == 0:
            return "NPS unchanged in 6 months"
        return f"NPS {'down' if v < 0 else 'up'} {_plural(abs(v), 'point', 'points')} in 6 months"
    if feature == "days_since_touch":
        return f"no CSM touch for {_n(v)} days" if v >= 1 else "CSM touch today"
    if feature == "qbr_90d":
        return "QBR held in the last 90 days" if v >= 0.5 else "no QBR in the last 90 days"
    if feature == "contacts":
        return _plural(v, "contact", "contacts") + " known"
    if feature == "exec_sponsor":
        return "executive sponsor known" if v >= 0.5 else "no executive sponsor known"
    if feature == "tenure_days":
        if v < 365:
            return f"customer for {_plural(v / 30.44, 'month', 'months')}"
        return f"customer for {v / 365.25:.1f} years"
    if feature == "arr":
        return f"ARR {_n(v)}"
    if feature == "arr_change_90d":
        return _pct_change(v, "ARR", "90 days")
    if feature == "past_due":
        return "payment past due" if v >= 0.5 else "payments up to date"
    if feature == "days_to_renewal":
        return f"renewal in {_plural(v, 'day', 'days')}"
    return f"{FEATURES.get(feature, feature)}: {v:g}"


def explain(model: ChurnModel, features: pd.DataFrame, X: np.ndarray | None = None,
            top: int = 3, min_contribution: float = 0.0) -> list[list[str]]:
    """The ``top`` drivers of each row, in words: the groups with the largest positive
    log-odds contributions (:meth:`ChurnModel.contributions`), worded by :func:`describe`
    with the row's own value. Rows follow ``features``."""
    if X is None:
        X = design_matrix(features, model.columns)
    C = model.contributions(X).to_numpy()
    names = list(model.groups)
    order = np.argsort(-C, axis=1, kind="stable")[:, :top]
    raw = {g: (features[g].to_numpy(dtype=object) if g in CATEGORICAL
               else features[g].to_numpy(dtype=float)) for g in names if g in features}
    out = []
    for i in range(len(C)):  # strings only: the arithmetic above is vectorised
        out.append([describe(names[j], raw[names[j]][i]) for j in order[i]
                    if C[i, j] > min_contribution])
    return out


# ====================================================================== scoring
@dataclass
class RiskResult:
    """Risk per active account (``accounts``: ``account_id``, ``name``,
    ``churn_probability``, ``drivers``; sorted by probability, highest first) and ``model``:
    a dict with ``kind`` (``"health_fallback"`` with a ``reason`` when there is no model),
    ``trained_at``, ``auc``, ``top_decile_lift``, ``brier`` and the rest of the figures."""

    accounts: pd.DataFrame
    model: dict[str, Any]


def account_names(data: ScoringData, ids: pd.Index) -> np.ndarray:
    """The names of the accounts ``ids`` (their ids where there is no name column)."""
    acc = data.accounts
    if "name" not in acc:
        return np.asarray(ids, dtype=object)
    s = pd.Series(acc["name"].to_numpy(dtype=object), index=data.accounts_index())
    return s.reindex(ids).to_numpy(dtype=object)


def sort_by_risk(frame: pd.DataFrame) -> pd.DataFrame:
    """Highest churn probability first (ties by account id; missing last)."""
    return frame.sort_values(["churn_probability", "account_id"], ascending=[False, True],
                             na_position="last", kind="stable", ignore_index=True)


def score_churn(model: ChurnModel, data: ScoringData, as_of: str, *,
                status_as_of: str | None = None, top: int = 3,
                explain_limit: int | None = None) -> pd.DataFrame:
    """Calibrated churn probability and drivers of every account active on ``as_of``.

    ``explain_limit`` limits the drivers to the riskiest accounts (the rest get none).
    """
    feats = build_features(data, as_of, status_as_of=status_as_of)
    X = design_matrix(feats, model.columns)
    p = model.predict_proba(X) if len(X) else np.zeros(0)
    drivers: list[list[str]] = [[] for _ in range(len(feats))]
    if len(X):
        idx = np.argsort(-p, kind="stable")
        if explain_limit is not None:
            idx = idx[:explain_limit]
        for i, d in zip(idx, explain(model, feats.iloc[idx], X[idx], top=top)):
            drivers[i] = d
    out = pd.DataFrame({
        "account_id": feats.index.to_numpy(dtype=object),
        "name": account_names(data, feats.index), "churn_probability": p,
        "drivers": pd.Series(drivers, dtype=object),
    })
    return sort_by_risk(out)




def weakest_measures(detail: pd.DataFrame, cards, top: int = 3) -> list[list[str]]:
    """For each row of ``detail`` (health scores with their ``scorecard``, ``pts:`` and
    ``val:`` columns, e.g. :func:`~.assignment.score_assigned`), the ``top`` measures of the
    row's own card with the fewest points below 60 of 100, worded "NPS (latest) 3: 0 of 100
    points" (the reasons shown when the health score stands in for a churn model)."""
    out: list[list[str]] = [[] for _ in range(len(detail))]
    card_ids = detail["scorecard"].to_numpy(dtype=object) if "scorecard" in detail else \
        np.full(len(detail), next(iter(cards)), dtype=object)
    for cid in pd.unique(card_ids):
        rows = np.flatnonzero(card_ids == cid)
        ms = cards[cid].measures
        sub = detail.iloc[rows]
        P = np.column_stack([sub[f"pts:{m.id}"].to_numpy(dtype=float) for m in ms])
        V = np.column_stack([sub[f"val:{m.id}"].to_numpy(dtype=float) for m in ms])
        order = np.argsort(np.where(np.isnan(P), np.inf, P), axis=1, kind="stable")[:, :top]
        for k, i in enumerate(rows):
            row = []
            for j in order[k]:
                if not (P[k, j] < 60):
                    continue
                unit = f" {ms[j].unit}" if ms[j].unit and ms[j].unit != "%" else ms[j].unit
                val = f" {readable(V[k, j])}{unit}" if np.isfinite(V[k, j]) else ""
                row.append(f"{ms[j].name}{val}: {P[k, j]:.0f} of 100 points")
            out[i] = row
    return out


def health_fallback(data: ScoringData, scores: pd.DataFrame, cards, as_of: str, reason: str,
                    top: int = 3) -> RiskResult:
    """Risk from the health scores, labelled as such.

    ``scores``: health of the active accounts with their ``scorecard`` (``cards``: id ->
    Scorecard), e.g. :func:`~.assignment.score_assigned`. ``churn_probability = (100 -
    score) / 100`` (a 0-1 rescaling of the score, *not* a calibrated probability; NaN without
    a score); ``drivers``: :func:`weakest_measures`.
    """
    ids = pd.Index(scores["account_id"].astype(str).to_numpy(dtype=object))
    frame = pd.DataFrame({
        "account_id": ids.to_numpy(dtype=object), "name": account_names(data, ids),
        "churn_probability": risk_from_health(scores["score"].to_numpy(dtype=float)),
        "drivers": pd.Series(weakest_measures(scores, cards, top), dtype=object),
    })
    info = {
        "kind": "health_fallback", "reason": reason, "trained_at": None, "auc": None,
        "top_decile_lift": None, "brier": None, "scorecard": "assigned health scorecards",
        "probability": f"{RISK_FROM_HEALTH}, not a calibrated probability",
        "as_of": str(as_of)[:10],
    }
    return RiskResult(sort_by_risk(frame), info)


def model_summary(model: ChurnModel) -> dict[str, Any]:
    """The JSON-ready facts of a model (``kind``, ``trained_at``, figures...)."""
    keys = ("kind", "trained_at", "data_date", "horizon_days", "sklearn_version", "auc",
            "top_decile_lift", "brier", "base_rate", "calibration", "calibration_method",
            "chosen_by", "candidates", "train_period", "test_period", "n_train", "n_test",
            "events", "events_train", "events_test", "positives_train", "positives_test",
            "snapshots", "examples", "features")
    return {k: model.info.get(k) for k in keys}


def churn_risk(data: ScoringData, as_of: str, *, scores: pd.DataFrame | None = None,
               cards=None, horizon_days: int = DEFAULT_HORIZON, model: ChurnModel | None = None,
               status_as_of: str | None = None, min_events: int = MIN_EVENTS,
               explain_limit: int | None = None, **train_kw
               ) -> tuple[RiskResult, ChurnModel | None]:
    """Score every account active on ``as_of``: with ``model`` (or one trained on the history
    up to ``as_of``), else the health fallback on ``scores`` (see :func:`health_fallback`;
    ``scores`` and ``cards`` are needed then) with the reason. Returns the result and the
    model (None on fallback)."""
    if model is None:
        try:
            model = train_churn_model(data, as_of, horizon_days, min_events=min_events,
                                      **train_kw)
        except TooFewChurnEvents as exc:
            if scores is None or cards is None:
                raise ValueError("no churn model can be trained, and the health fallback "
                                 "needs the health scores and their cards") from exc
            return health_fallback(data, scores, cards, as_of, str(exc)), None
    frame = score_churn(model, data, as_of, status_as_of=status_as_of,
                        explain_limit=explain_limit)
    info = model_summary(model)
    info["as_of"] = str(as_of)[:10]
    return RiskResult(frame, info), model
