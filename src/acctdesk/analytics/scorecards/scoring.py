"""Scoring: each measure's value as of a date, mapped to points, rolled up to a score and a
band (formulas in :mod:`acctdesk.analytics.scorecards`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.accounts import active_mask
from ...domain.dates import day_to_date, days, to_day
from ...domain.statuses import CLOSED_TICKET_STATUSES
from .data import PreparedEntity, ScoringData
from .schema import Measure, Scorecard, ScorecardError, Source

__all__ = ["compute_measures", "map_points", "score_accounts", "contributions",
           "evaluate_source"]

def _window_start(window: int | str | None, as_of_day: float) -> float:
    """First excluded day: rows count when ``start < day <= as_of``."""
    if window is None:
        return -np.inf
    if isinstance(window, str):
        d = day_to_date(as_of_day)
        first = {"month": d.replace(day=1),
                 "quarter": d.replace(month=3 * ((d.month - 1) // 3) + 1, day=1),
                 "year": d.replace(month=1, day=1)}[window]
        return float(to_day(first) - 1)
    return float(as_of_day - window)


def _filter_mask(ent: PreparedEntity, src: Source, as_of_day: float) -> tuple[np.ndarray, bool]:
    """Rows of the entity counted by ``src`` as of the day, and whether the entity "has
    data" (for ``fill``)."""
    dated = ent.dated_by(as_of_day)
    present = dated.copy()
    m = dated
    start = _window_start(src.window, as_of_day)
    if np.isfinite(start):
        m = m & (ent.day > start)
    filt = dict(src.filter or {})
    if src.metric is not None:
        filt["metric"] = src.metric
    for col, spec in filt.items():
        if col == "open" and spec:
            solved = ent.dates("solved_at")
            codes, labels = ent.codes("status")
            closed = np.array([lab in CLOSED_TICKET_STATUSES for lab in labels] + [False])
            m = m & np.where(np.isnan(solved), ~closed[codes], solved > as_of_day)
        elif col == "active" and spec:
            end = ent.dates("end_date")
            m = m & (np.isnan(end) | (end > as_of_day))
        else:
            tm = ent.text_mask(col, spec)
            m = m & tm
            if col == "metric":
                present &= tm
            else:  # the entity only "has" this kind of data if the column is filled somewhere
                present &= ent.codes(col)[0] >= 0
    return m, bool(present.any())


def _segments_reduce(acct: np.ndarray, values: np.ndarray, how: str, n: int) -> np.ndarray:
    """Per-account reduction of rows already sorted by account (NaN where no row)."""
    out = np.full(n, np.nan)
    if len(acct) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]])
    owners = acct[starts]
    if how == "last":
        ends = np.r_[starts[1:], len(acct)] - 1
        out[owners] = values[ends]
    elif how == "max":
        out[owners] = np.maximum.reduceat(values, starts)
    elif how == "min":
        out[owners] = np.minimum.reduceat(values, starts)
    return out


def _aggregate(ent: PreparedEntity, src: Source, as_of_day: float) -> np.ndarray:
    n = ent.n_accounts
    m, present = _filter_mask(ent, src, as_of_day)
    agg = src.agg if src.kind == "aggregate" else "days_since"
    fill = src.fill
    if fill is None and agg in ("count", "any"):
        fill = 0.0
    if agg in ("count", "any"):
        out = np.bincount(ent.acct[m], minlength=n).astype(float)
        if agg == "any":
            out = (out > 0).astype(float)
        if not present:
            return np.full(n, np.nan)
        if fill != 0.0:
            has = np.bincount(ent.acct[m], minlength=n) > 0
            out[~has] = fill
        return out
    if agg == "days_since":
        m = m & ~np.isnan(ent.day)
        latest = _segments_reduce(ent.acct[m], ent.day[m], "last", n)
        out = as_of_day - latest
    else:
        col = src.field or {"usage": "value", "surveys": "score"}[src.entity]
        vals = ent.num(col)
        m = m & ~np.isnan(vals)
        a, v = ent.acct[m], vals[m]
        if agg in ("sum", "mean"):
            cnt = np.bincount(a, minlength=n)
            tot = np.bincount(a, weights=v, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = tot if agg == "sum" else tot / cnt
            out = np.where(cnt > 0, out, np.nan)
        else:
            out = _segments_reduce(a, v, agg, n)
    if present and fill is not None:
        out = np.where(np.isnan(out), fill, out)
    elif not present:
        out = np.full(n, np.nan)
    return out


def _account_col(data: ScoringData, col: str, dates: bool) -> np.ndarray:
    acc = data.accounts
    key = ("acc", col, dates)
    hit = data.cache.get(key)
    if hit is None or hit[0] is not acc:
        if col not in acc:
            arr = np.full(len(acc), np.nan)
        elif dates:
            arr = days(acc[col])
        else:
            arr = pd.to_numeric(acc[col], errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
        hit = (acc, arr)
        data.cache[key] = hit
    return hit[1]


def evaluate_source(src: Source, data: ScoringData, as_of_day: float) -> np.ndarray:
    """Raw values of a source for every row of ``data.accounts`` (NaN = no data)."""
    k = src.kind
    if k == "field":
        return _account_col(data, src.field, dates=False)
    if k == "days_until":
        return _account_col(data, src.field, dates=True) - as_of_day
    if k == "days_since" and src.entity == "accounts":
        d = _account_col(data, src.field, dates=True)
        return np.where(d <= as_of_day, as_of_day - d, np.nan)
    if k in ("aggregate", "days_since"):
        return _aggregate(data.prepared(src.entity), src, as_of_day)
    if k == "change":
        now = evaluate_source(src.of, data, as_of_day)
        then = evaluate_source(src.of, data, as_of_day - src.lag_days)
        with np.errstate(invalid="ignore", divide="ignore"):
            if src.mode == "diff":
                return now - then
            return np.where(then != 0, 100.0 * (now - then) / np.abs(then), np.nan)
    if k == "ratio":
        num = evaluate_source(src.numerator, data, as_of_day)
        den = evaluate_source(src.denominator, data, as_of_day)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den != 0, num / den, np.nan)
    raise ScorecardError([f"unknown source kind {k!r}"])


def compute_measures(card: Scorecard, data: ScoringData, as_of: str) -> pd.DataFrame:
    """Raw value of every measure for every account active on ``as_of``.

    Returns
    -------
    DataFrame
        Index ``account_id`` (accounts in ``data.accounts`` order, active only, see
        :func:`acctdesk.domain.accounts.active_mask`), one float column per measure id; NaN = no data. Only rows dated
        on or before ``as_of`` are read (see the module docstring).
    """
    card.validate()
    as_of = str(as_of)[:10]
    day = to_day(as_of)
    active = active_mask(data.accounts, as_of).to_numpy()
    ids = data.accounts_index()
    cols = {m.id: evaluate_source(m.source, data, day)[active] for m in card.measures}
    out = pd.DataFrame(cols, index=pd.Index(ids[active], name="account_id"),
                       columns=[m.id for m in card.measures], dtype=float)
    out.attrs["as_of"] = as_of
    return out


def _thresholds_points(values: np.ndarray, thresholds) -> np.ndarray:
    uppers = np.array([np.inf if u is None else u for u, _ in thresholds], dtype=float)
    pts = np.array([p for _, p in thresholds], dtype=float)
    i = np.searchsorted(uppers, values, side="right")  # first i with v < upper_i
    out = pts[np.clip(i, 0, len(pts) - 1)]
    return np.where(np.isnan(values), np.nan, out)


def map_points(measure: Measure, values: pd.Series | np.ndarray,
               segments: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Points 0-100 for raw values (NaN stays NaN); formulas in :class:`PointMapping`."""
    v = np.asarray(values, dtype=float)
    mp = measure.mapping
    if mp.kind == "thresholds":
        return _thresholds_points(v, mp.thresholds)
    if mp.kind == "linear":
        with np.errstate(invalid="ignore"):
            p = 100.0 * (v - mp.zero_at) / (mp.full_at - mp.zero_at)
        return np.clip(p, 0.0, 100.0)
    # percentile: mid-rank = rank(average) - 0.5, over the accounts that have a value
    key = v if measure.direction == "higher" else -v
    if mp.scope == "segment" and segments is not None:
        seg = pd.Series(np.asarray(segments, dtype=object)).fillna("\x00").astype(str)
    else:
        seg = pd.Series(np.zeros(len(v), dtype=np.int8))
    s = pd.Series(key)
    g = s.groupby(seg.to_numpy())
    rank = g.rank(method="average").to_numpy(dtype=float)
    n = g.transform("count").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 100.0 * (rank - 0.5) / n
    p = np.where(np.isnan(v), np.nan, p)
    if mp.thresholds is not None:
        p = _thresholds_points(p, mp.thresholds)
    return p


def _rollup(card: Scorecard, points: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised roll-up of an (accounts x measures) points matrix (module docstring)."""
    n = points.shape[0]
    avail = ~np.isnan(points)
    p0 = np.where(avail, points, 0.0)
    gw_all = np.array([g.weight for g in card.groups], dtype=float)
    total_w = gw_all.sum()
    group_scores, group_avail = [], []
    coverage = np.zeros(n)
    contrib_parts = []  # (weights within group x available) per group, for contributions
    j = 0
    for g in card.groups:
        k = len(g.measures)
        w = np.array([m.weight for m in g.measures], dtype=float)
        a = avail[:, j:j + k]
        den = (a * w).sum(axis=1)
        num = (p0[:, j:j + k] * w).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            gs = np.where(den > 0, num / den, np.nan)
            share = np.where(den[:, None] > 0, a * w / den[:, None], 0.0)
        group_scores.append(gs)
        group_avail.append(den > 0)
        if w.sum() > 0 and total_w > 0:
            coverage += (a * w).sum(axis=1) / w.sum() * (g.weight / total_w)
        contrib_parts.append(share)
        j += k
    G = np.column_stack(group_scores) if group_scores else np.zeros((n, 0))
    B = np.column_stack(group_avail) if group_avail else np.zeros((n, 0), bool)
    den = (B * gw_all).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, (np.where(B, G, 0.0) * gw_all).sum(axis=1) / den, np.nan)
        gshare = np.where(den[:, None] > 0, B * gw_all / den[:, None], 0.0)
    eff = np.column_stack([gshare[:, i:i + 1] * part for i, part in enumerate(contrib_parts)]) \
        if contrib_parts else np.zeros((n, 0))
    return {"score": score, "groups": G, "coverage": coverage, "eff": eff}


def _bands(card: Scorecard, score: np.ndarray) -> np.ndarray:
    lowers = np.array([b.lower for b in card.bands], dtype=float)
    labels = np.array([b.label for b in card.bands], dtype=object)
    i = np.searchsorted(lowers, np.round(score, 6), side="right") - 1
    out = labels[np.clip(i, 0, len(labels) - 1)]
    return np.where(np.isnan(score), None, out)


def score_accounts(card: Scorecard, data: ScoringData, as_of: str,
                   measures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every account active on ``as_of``.

    Parameters
    ----------
    measures
        Output of :func:`compute_measures` to reuse (computed when None).

    Returns
    -------
    DataFrame
        One row per active account: ``account_id``, ``score`` (0-100, NaN with no data or
        coverage below ``card.min_coverage``), ``display_score`` (on the card's scale),
        ``band`` (label, None without a score), ``coverage`` (0-1), then ``grp:<group>``
        (group scores), ``pts:<measure id>`` (points) and ``val:<measure id>`` (raw values).
        The roll-up formula is in the module docstring.
    """
    vals = compute_measures(card, data, as_of) if measures is None else measures
    segments = data.accounts.set_index(data.accounts_index())["segment"].reindex(vals.index) \
        if "segment" in data.accounts else None
    P = np.column_stack([map_points(m, vals[m.id].to_numpy(), segments)
                         for m in card.measures])
    r = _rollup(card, P)
    score = r["score"]
    score = np.where(r["coverage"] + 1e-12 >= card.min_coverage, score, np.nan)
    score = np.round(score, 6)
    out = {
        "account_id": vals.index.to_numpy(),
        "score": score,
        "display_score": np.round(score * card.scale / 100.0, 1),
        "band": pd.Series(_bands(card, score), dtype=object),
        "coverage": np.round(r["coverage"], 6),
    }
    for i, g in enumerate(card.groups):
        out[f"grp:{g.name}"] = r["groups"][:, i]
    for i, m in enumerate(card.measures):
        out[f"pts:{m.id}"] = P[:, i]
    for m in card.measures:
        out[f"val:{m.id}"] = vals[m.id].to_numpy()
    frame = pd.DataFrame(out)
    frame.attrs["as_of"] = vals.attrs.get("as_of", str(as_of)[:10])
    frame.attrs["scorecard"] = card.id
    return frame


def contributions(card: Scorecard, scores: pd.DataFrame) -> pd.DataFrame:
    """Each measure's contribution in points to each account's score.

    ``contribution_m = (W_g b_g / sum_h W_h b_h) (w_m a_m / sum_{k in g} w_k a_k) p_m``, the
    terms of the roll-up, so a row sums to its score. Reads the ``pts:`` columns of
    :func:`score_accounts` output (or a history frame); index = ``scores.index``.
    """
    P = np.column_stack([pd.to_numeric(scores.get(f"pts:{m.id}", np.nan), errors="coerce")
                         * np.ones(len(scores)) for m in card.measures]).astype(float)
    r = _rollup(card, P)
    c = r["eff"] * np.where(np.isnan(P), 0.0, P)
    return pd.DataFrame(c, index=scores.index, columns=[m.id for m in card.measures])
