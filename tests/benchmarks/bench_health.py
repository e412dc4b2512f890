"""Benchmark: scoring synthetic portfolios with the default scorecard.

Run: ``.venv/bin/python tests/benchmarks/bench_health.py [n_accounts ...]``
(default 1000 20000 100000). For each size, on fresh frames (nothing cached):

* ``score``: :func:`score_accounts` with the default scorecard (16 measures, 6 groups),
  from the raw frames (text dates and ids) to the banded scores, including the usage
  aggregates over 24 usage rows per account (2.4M rows at 100k accounts);
* ``hand``: a hand-vectorised numpy computation of the same thing written for this card only
  (the same aggregates with bincount / lexsort, the same point mappings, the weighted sum
  with weight redistribution), from the same raw frames; its scores are checked equal to
  ``score``'s;
* the ratio of the two (target: score < 5 s and within 3x of hand at 100k), and a second
  ``score`` call on the same frames (prepared arrays cached, as when the app rescores).
Synthetic frames: usage (3 metrics x 8 weekly samples now and 90 days earlier), tickets,
surveys, subscriptions, activities and contacts, in random row order.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from acctdesk.analytics.scorecards import ScoringData, score_accounts  # noqa: E402
from acctdesk.analytics.scorecards import default_scorecard  # noqa: E402

AS_OF = "2024-06-30"


def synthetic(n: int, usage_per_account: int = 25, seed: int = 0) -> ScoringData:
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:06d}" for i in range(n)], dtype=object)
    base = np.datetime64("2024-06-30")

    def dates(k, span):
        return (base - rng.integers(0, span, k).astype("timedelta64[D]")).astype(str)

    accounts = pd.DataFrame({
        "account_id": ids, "name": ids, "segment": rng.choice(["SMB", "Mid", "Ent"], n),
        "seats": rng.integers(5, 500, n), "arr": rng.uniform(1e3, 1e6, n),
        "contract_start": dates(n, 2000), "status": "active",
        "churn_date": np.where(rng.random(n) < 0.1, dates(n, 400), None),
        "renewal_date": (base + rng.integers(-10, 365, n).astype("timedelta64[D]")).astype(str),
    })
    # 3 metrics x 8 weekly samples (4 recent, 4 around 90 days earlier) = 24 rows per account
    lags = np.array([0, 7, 14, 21, 91, 98, 105, 112])
    metrics = np.array(["active_users", "logins", "features_adopted"], dtype=object)
    k = n * 24
    acc_i = np.repeat(np.arange(n), 24)
    met_i = np.tile(np.repeat(np.arange(3), 8), n)
    lag_i = np.tile(np.tile(lags, 3), n)
    shuffle = rng.permutation(k)
    usage = pd.DataFrame({
        "account_id": ids[acc_i[shuffle]], "metric": metrics[met_i[shuffle]],
        "date": (base - lag_i[shuffle].astype("timedelta64[D]")).astype(str),
        "value": rng.gamma(2.0, 20.0, k).round(),
    })
    t = n * 3
    tickets = pd.DataFrame({
        "source": "zd", "ticket_id": np.arange(t).astype(str),
        "account_id": ids[rng.integers(0, n, t)], "created_at": dates(t, 365),
        "solved_at": np.where(rng.random(t) < 0.8, dates(t, 30), None),
        "priority": rng.choice(["low", "normal", "high", "urgent"], t),
        "status": rng.choice(["open", "solved"], t), "csat": rng.integers(1, 6, t),
    })
    s = n
    surveys = pd.DataFrame({
        "source": "d", "response_id": np.arange(s).astype(str),
        "account_id": ids[rng.integers(0, n, s)], "date": dates(s, 400), "kind": "nps",
        "score": rng.integers(0, 11, s),
    })
    subs = pd.DataFrame({
        "sub_id": np.arange(2 * n).astype(str), "account_id": np.repeat(ids, 2),
        "product": "core", "mrr": rng.uniform(100, 10000, 2 * n),
        "start_date": dates(2 * n, 700), "end_date": np.where(
            rng.random(2 * n) < 0.2, dates(2 * n, 100), None),
        "status": rng.choice(["active", "past_due"], 2 * n, p=[0.95, 0.05]),
    })
    a = n * 5
    activities = pd.DataFrame({
        "activity_id": np.arange(a).astype(str), "account_id": ids[rng.integers(0, n, a)],
        "date": dates(a, 365), "kind": rng.choice(["call", "email", "qbr", "note"], a),
    })
    contacts = pd.DataFrame({
        "account_id": np.repeat(ids, 2), "email": [f"c{i}@x" for i in range(2 * n)],
        "role": rng.choice(["champion", "executive sponsor", "user"], 2 * n),
        "last_contact": dates(2 * n, 300),
    })
    return ScoringData(accounts, usage, tickets, surveys, subs, activities, contacts)


# ------------------------------------------------------------------ the hand-written baseline
def _day(values) -> np.ndarray:
    """Text dates -> days since 1970 (NaN if empty), parsing each distinct value once."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    u = pd.to_datetime(pd.Series(np.asarray(uniques, dtype=object)).astype(str).str[:10],
                       format="%Y-%m-%d", errors="coerce")
    ud = ((u - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(
        dtype=float, na_value=np.nan)
    return np.where(codes >= 0, ud[np.clip(codes, 0, None)], np.nan)


def _pos(index: pd.Index, ids) -> np.ndarray:
    return index.get_indexer(pd.Series(ids).astype(str))


def _last(pos, day, val, m, n):
    """Value of the latest row per account among rows ``m`` (NaN without one)."""
    p, d, v = pos[m], day[m], val[m]
    o = np.lexsort((d, p))
    p, v = p[o], v[o]
    out = np.full(n, np.nan)
    if len(p):
        end = np.r_[p[1:] != p[:-1], True]
        out[p[end]] = v[end]
    return out


def _mean(pos, val, m, n, how="mean"):
    c = np.bincount(pos[m], minlength=n)
    t = np.bincount(pos[m], weights=val[m], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = t / c if how == "mean" else t
    return np.where(c > 0, r, np.nan)


def _th(v, pairs):
    up = np.array([np.inf if u is None else u for u, _ in pairs])
    pts = np.array([p for _, p in pairs], dtype=float)
    return np.where(np.isnan(v), np.nan, pts[np.clip(np.searchsorted(up, v, "right"), 0,
                                                     len(pts) - 1)])


def _lin(v, lo, hi):
    with np.errstate(invalid="ignore"):
        return np.clip(100 * (v - lo) / (hi - lo), 0, 100)


def _pct(v, seg):
    g = pd.Series(v).groupby(seg)
    r, c = g.rank(method="average").to_numpy(float), g.transform("count").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isnan(v), np.nan, 100 * (r - 0.5) / c)


def hand_vectorised(data, card, as_of: str) -> np.ndarray:
    """The default scorecard's score for the active accounts, written out by hand."""
    D = float((np.datetime64(as_of) - np.datetime64("1970-01-01")).astype(int))
    acc = data.accounts
    idx = pd.Index(acc["account_id"].astype(str))
    n = len(idx)
    cs, ch = _day(acc["contract_start"]), _day(acc["churn_date"])
    active = (np.isnan(cs) | (cs <= D)) & (np.isnan(ch) | (ch > D))
    seg = acc["segment"].fillna("").to_numpy(dtype=object)
    # usage
    u = data.usage
    up, ud, uv = _pos(idx, u["account_id"]), _day(u["date"]), u["value"].to_numpy(float)
    met = u["metric"].to_numpy(dtype=object)
    au, lg, fa = met == "active_users", met == "logins", met == "features_adopted"
    ok = (up >= 0) & (ud <= D)
    w30, w90 = ok & (ud > D - 30), ok & (ud > D - 90)
    util = _last(up, ud, uv, w30 & au, n) / acc["seats"].to_numpy(float)
    logins = _mean(up, uv, w30 & lg, n, "sum")
    feats = _last(up, ud, uv, w90 & fa, n)
    now = _mean(up, uv, w30 & au, n)
    then_m = (up >= 0) & (ud <= D - 90) & (ud > D - 120) & au
    then = _mean(up, uv, then_m, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(then != 0, 100 * (now - then) / np.abs(then), np.nan)
    # tickets
    t = data.tickets
    tp, td, ts = _pos(idx, t["account_id"]), _day(t["created_at"]), _day(t["solved_at"])
    pr = t["priority"].str.lower().to_numpy(dtype=object)
    closed = t["status"].str.lower().isin(["solved", "closed", "resolved", "done",
                                           "cancelled", "canceled"]).to_numpy()
    tok = (tp >= 0) & (td <= D)
    t90 = tok & (td > D - 90)
    hi = (pr == "urgent") | (pr == "high")
    urgent = np.bincount(tp[t90 & hi], minlength=n).astype(float)
    is_open = np.where(np.isnan(ts), ~closed, ts > D)
    escal = np.bincount(tp[tok & is_open & (pr == "urgent")], minlength=n).astype(float)
    volume = np.bincount(tp[t90], minlength=n).astype(float)
    csat_v = pd.to_numeric(t["csat"], errors="coerce").to_numpy(float)
    csat = _mean(tp, csat_v, tok & (td > D - 180) & ~np.isnan(csat_v), n)
    # surveys
    s = data.surveys
    sp, sd, sv = _pos(idx, s["account_id"]), _day(s["date"]), s["score"].to_numpy(float)
    nps_rows = (sp >= 0) & (s["kind"].str.lower() == "nps").to_numpy()
    nps = _last(sp, sd, sv, nps_rows & (sd <= D) & (sd > D - 365), n)
    nps_trend = _last(sp, sd, sv, nps_rows & (sd <= D), n) - \
        _last(sp, sd, sv, nps_rows & (sd <= D - 180), n)
    # subscriptions
    b = data.subscriptions
    bp, bs, be = _pos(idx, b["account_id"]), _day(b["start_date"]), _day(b["end_date"])
    mrr = b["mrr"].to_numpy(float)

    def act(day):
        return (bp >= 0) & (bs <= day) & (np.isnan(be) | (be > day))
    m_now, m_then = _mean(bp, mrr, act(D), n, "sum"), _mean(bp, mrr, act(D - 90), n, "sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        mrr_chg = np.where(m_then != 0, 100 * (m_now - m_then) / np.abs(m_then), np.nan)
    past_due = np.bincount(bp[act(D) & (b["status"].str.lower() == "past_due").to_numpy()],
                           minlength=n).astype(float)
    # activities and contacts
    a = data.activities
    ap, ad = _pos(idx, a["account_id"]), _day(a["date"])
    kind = a["kind"].str.lower().to_numpy(dtype=object)
    aok = (ap >= 0) & (ad <= D)
    last = np.full(n, -np.inf)
    np.maximum.at(last, ap[aok & (kind != "note")], ad[aok & (kind != "note")])
    touch = np.where(np.isfinite(last), D - last, 365.0)
    q = np.datetime64(as_of, "M")
    q0 = float((q - (q.astype(int) % 3)).astype("datetime64[D]").astype(int))
    qbr = (np.bincount(ap[aok & (ad >= q0) & np.isin(kind, ["qbr", "ebr"])], minlength=n)
           > 0).astype(float)
    c = data.contacts
    cp = _pos(idx, c["account_id"])
    exec_ = (np.bincount(cp[(cp >= 0) & (c["role"].str.lower() == "executive sponsor")
                            .to_numpy()], minlength=n) > 0).astype(float)
    renewal = _day(acc["renewal_date"]) - D
    # points, on the active accounts (percentiles rank among them)
    A = active
    sg = seg[A]
    P = np.column_stack([
        _lin(util[A], 0.1, 0.8), _pct(logins[A], sg), _pct(feats[A], np.zeros(A.sum())),
        _th(trend[A], [(-25, 0), (-10, 50), (None, 100)]),
        _th(urgent[A], [(1, 100), (3, 50), (None, 0)]),
        _th(escal[A], [(1, 100), (2, 40), (None, 0)]), _pct(-volume[A], sg),
        _lin(csat[A], 1, 5), _th(nps[A], [(7, 0), (9, 60), (None, 100)]),
        _th(nps_trend[A], [(-2, 0), (0, 50), (None, 100)]),
        _th(mrr_chg[A], [(-10, 0), (0, 50), (None, 100)]),
        _th(past_due[A], [(1, 100), (None, 0)]),
        _th(touch[A], [(31, 100), (61, 70), (91, 40), (None, 0)]),
        _th(qbr[A], [(1, 0), (None, 100)]), _th(exec_[A], [(1, 0), (None, 100)]),
        _th(renewal[A], [(0, 30), (31, 50), (91, 80), (None, 100)])])
    # weighted sum with redistribution: within groups, then across groups
    w = np.array([10, 8, 6, 6, 6, 5, 3, 6, 10, 5, 8, 7, 6, 4, 5, 5], dtype=float)
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5])
    G = np.zeros((6, len(w)))
    G[groups, np.arange(len(w))] = 1
    have = ~np.isnan(P)
    num = (np.where(have, P, 0) * w) @ G.T
    den = (have * w) @ G.T
    gw = np.array([30, 20, 15, 15, 15, 5], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gs = num / den
        gh = den > 0
        return np.round((np.where(gh, gs, 0) @ gw) / (gh @ gw), 6)


def main(sizes):
    for n in sizes:
        data = synthetic(n)
        card = default_scorecard(data)
        ours, hand = [], []
        for _ in range(3):  # best of 3, each on fresh frames (no cached preparation)
            fresh = ScoringData(*(None if f is None else f.copy() for f in (
                data.accounts, data.usage, data.tickets, data.surveys, data.subscriptions,
                data.activities, data.contacts)))
            t0 = time.perf_counter()
            s = score_accounts(card, fresh, AS_OF)
            t1 = time.perf_counter()
            h = hand_vectorised(fresh, card, AS_OF)
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            hand.append(t2 - t1)
        t3 = time.perf_counter()
        score_accounts(card, fresh, AS_OF)
        cached = time.perf_counter() - t3
        same = np.allclose(s["score"].to_numpy(float), h, equal_nan=True, atol=1e-6)
        print(f"{n:>7} accounts, {len(data.usage):>9,} usage rows: score {min(ours):6.3f} s, "
              f"hand-vectorised {min(hand):6.3f} s, ratio {min(ours) / min(hand):4.2f}x "
              f"(same scores: {same}); rescoring with prepared arrays {cached:6.3f} s; "
              f"{int(s['score'].notna().sum()):,} active scored")
        if not same:
            raise SystemExit("the hand-written computation disagrees with score_accounts")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [1000, 20000, 100000])
