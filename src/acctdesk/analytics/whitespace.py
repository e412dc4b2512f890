"""Whitespace: who lacks which product, how likely they are to buy it, what it is worth, and why.

Pure functions over DataFrames in the canonical columns of :mod:`acctdesk.models.schema`
(no Qt, no SQL). Everything is computed *as of* a date: subscriptions that start after it,
usage dated after it and accounts that were not customers on it are ignored.

The pieces
----------
* :func:`ownership_matrix` -- account x product on ``as_of``: ``owned`` (with MRR and
  quantity), ``trial`` / ``pipeline`` where the subscription status says so, ``gap``.
* :func:`association_rules` -- product rules ``A => B`` (A one or two products) with support,
  confidence and lift: the transparent second opinion.
* :func:`cross_sell` -- a propensity and an expected MRR for every gap, with its reason.
* :func:`upsell` -- seat expansion where seat utilisation is at or over the licence or usage
  grows faster than the seats.
* :func:`whitespace` -- both kinds of suggestion in one list, sorted by expected MRR, with
  churn risk flagged or suppressed.
* :func:`backtest` -- hides the last ``hidden_months`` of purchases, predicts from the data
  before, and reports precision at 5/10/20 next to a popularity baseline.

Modelling choice: one classifier per product
--------------------------------------------
Propensity is learnt with one L2-regularised logistic regression per product (label: the
account owns the product on ``as_of``; features: industry and segment one-hot, log seats,
tenure, seat utilisation, active-user growth, logins per active user, features adopted, and
which *other* products the account owns). Per product rather than one model with the product
as a feature because who buys a product is a product x firmographic interaction (Security & SSO
sells to regulated industries, AI Assistant to software companies): a single linear model
cannot express that without the full set of product x feature crosses, which is exactly the
per-product model; a single tree model could, but its propensities are harder to explain and
it must be retrained for every product anyway. There are few products (tens), each fit is a
vectorised solve over all accounts, and the coefficients stay inspectable. A product with
fewer than ``min_owners`` owners or non-owners gets the smoothed peer ownership rate instead.
The accounts scored are the same accounts the model learns from: the propensity of a gap is
"how much this account looks like the accounts that own the product" (look-alike scoring).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..domain.accounts import active_mask
from ..domain.dates import day_iso as _iso
from ..domain.dates import days as _days
from ..domain.dates import month_of_day as _month_of_day
from ..domain.dates import months_before as _months_before
from ..domain.dates import to_day as _day
from ..domain.numbers import percent
from ..domain.statuses import CLOSED_STATUSES as _CLOSED_STATUSES
from ..domain.statuses import PIPELINE_STATUSES, TRIAL_STATUSES
from ..frames import frame_in_pieces

__all__ = [
    "TRIAL_STATUSES", "PIPELINE_STATUSES", "ownership_matrix", "association_rules",
    "usage_features", "cross_sell", "upsell", "whitespace", "backtest", "WHITESPACE_COLUMNS",
]

STATES = ("owned", "trial", "pipeline", "gap")

#: columns of :func:`whitespace` (and :func:`cross_sell` / :func:`upsell`), in order.
WHITESPACE_COLUMNS = [
    "account_id", "name", "product", "kind", "propensity", "expected_mrr", "value_mrr",
    "reason", "at_risk", "churn_risk", "segment", "industry", "owner", "peer_share",
    "rule_antecedent", "rule_confidence", "rule_lift", "extra_seats",
]

_AU, _LOGINS, _FEATURES = "active_users", "logins", "features_adopted"


# ===================================================================== parsing helpers
def _text(frame: pd.DataFrame, col: str, default: str = "",
          fn: Callable[[str], str] | None = None) -> np.ndarray:
    """Column ``col`` as an object array of text (``default`` for missing cells), each
    distinct value converted (and passed through ``fn``) once: a 3-million-row usage column
    costs one factorisation and one take, not three passes of Python strings."""
    if col not in frame:
        return np.full(len(frame), default, dtype=object)
    codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    if fn is not None:
        texts = [fn(t) for t in texts]
        default = fn(default)
    return np.array(texts + [default], dtype=object)[codes]


def _positions(index: pd.Index, frame: pd.DataFrame, col: str) -> np.ndarray:
    """Position in ``index`` of each row's ``col`` value (-1 when absent), looking up each
    distinct value once."""
    if col not in frame:
        return np.full(len(frame), -1, dtype=np.intp)
    codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
    found = index.get_indexer(pd.Index([str(u) for u in uniques], dtype=object))
    return np.append(found, -1)[codes]


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)




# ===================================================================== prepared data
class _Data:
    """The three tables parsed once into arrays (date-independent); states are per date."""

    def __init__(self, subscriptions: pd.DataFrame, accounts: pd.DataFrame,
                 usage: pd.DataFrame | None):
        acc = accounts.reset_index(drop=True)
        self.ids = _text(acc, "account_id")
        self.index = pd.Index(self.ids)
        self.n = len(acc)
        self.name = _text(acc, "name")
        self.industry = np.where(_text(acc, "industry") == "", "Unknown", _text(acc, "industry"))
        self.segment = np.where(_text(acc, "segment") == "", "Unknown", _text(acc, "segment"))
        self.owner = _text(acc, "owner")
        self.seats_now = _num(acc, "seats")
        self.start_day = _days(acc["contract_start"]) if "contract_start" in acc else np.full(self.n, np.nan)
        self.accounts = acc

        subs = subscriptions.reset_index(drop=True)
        a = _positions(self.index, subs, "account_id")
        keep = a >= 0
        subs = subs.loc[keep].reset_index(drop=True)
        self.s_acct = a[keep]
        prod = _text(subs, "product")
        # products in order of how many accounts ever had them, then name
        counts = pd.DataFrame({"a": self.s_acct, "p": prod}).drop_duplicates().groupby("p").size()
        order = sorted(counts.index, key=lambda p: (-counts[p], p))
        self.products = np.array(order, dtype=object)
        self.P = len(self.products)
        self.s_prod = pd.Index(self.products).get_indexer(prod)
        status = _text(subs, "status", fn=lambda t: t.strip().lower())
        self.s_trial = np.isin(status, list(TRIAL_STATUSES))
        self.s_pipe = np.isin(status, list(PIPELINE_STATUSES))
        self.s_closed = np.isin(status, list(_CLOSED_STATUSES))
        self.s_start = _days(subs["start_date"]) if "start_date" in subs else np.full(len(subs), np.nan)
        self.s_end = _days(subs["end_date"]) if "end_date" in subs else np.full(len(subs), np.nan)
        self.s_mrr = np.nan_to_num(_num(subs, "mrr"))
        self.s_qty = _num(subs, "quantity")
        start = np.where(np.isnan(self.s_start), -np.inf, self.s_start)
        bought = ~self.s_trial & ~self.s_pipe
        self.first_buy = np.full(self.n * self.P, np.inf)
        np.minimum.at(self.first_buy, (self.s_acct * self.P + self.s_prod)[bought], start[bought])
        self.first_buy = self.first_buy.reshape(self.n, self.P)
        self.seat_priced = self._detect_seat_pricing()

        # usage: dense (account x month) arrays per metric, built per date in _usage_at
        if usage is None or len(usage) == 0:
            usage = pd.DataFrame(columns=["account_id", "metric", "date", "value"])
        ua = _positions(self.index, usage, "account_id")
        mc, mu = pd.factorize(usage["metric"], use_na_sentinel=True)
        known = {_AU: 0, _LOGINS: 1, _FEATURES: 2}
        mcode = np.array([known.get(str(u), -1) for u in mu] + [-1], dtype=np.int64)[mc]
        uday = _days(usage["date"]) if len(usage) else np.zeros(0)
        uval = _num(usage, "value")
        ok = (ua >= 0) & (mcode >= 0) & ~np.isnan(uday) & ~np.isnan(uval)
        self.u_acct, self.u_metric = ua[ok], mcode[ok]
        self.u_day, self.u_val = uday[ok], uval[ok]
        self.u_month = _month_of_day(self.u_day)

    def _detect_seat_pricing(self) -> np.ndarray:
        """A product is seat-priced when most of its rows have quantity within a factor 2 of
        the account's seats (and more than one unit): ``0.5 <= quantity / seats <= 2``."""
        out = np.zeros(self.P, bool)
        seats = self.seats_now[self.s_acct]
        ratio = self.s_qty / np.where(seats > 0, seats, np.nan)
        near = (ratio >= 0.5) & (ratio <= 2.0) & (self.s_qty > 1)
        valid = ~np.isnan(ratio)
        for p in range(self.P):
            m = (self.s_prod == p) & valid
            out[p] = m.sum() > 0 and near[m].mean() >= 0.6
        return out

    # ------------------------------------------------------------------ per date
    def active_at(self, day: int) -> np.ndarray:
        """Customers on ``day``: contract started (or no start), not churned by then, not a
        prospect (:func:`acctdesk.domain.accounts.active_mask`)."""
        return active_mask(self.accounts, _iso(day)).to_numpy(dtype=bool)

    def state_at(self, day: int) -> dict[str, np.ndarray]:
        """(n x P) arrays: owned, trial, pipeline, lapsed, mrr, quantity on ``day``."""
        start = np.where(np.isnan(self.s_start), -np.inf, self.s_start)
        end = np.where(np.isnan(self.s_end), np.inf, self.s_end)
        no_end_closed = self.s_closed & np.isnan(self.s_end)
        live = (start <= day) & (end >= day) & ~no_end_closed
        owned_row = live & ~self.s_trial & ~self.s_pipe
        trial_row = live & self.s_trial
        pipe_row = self.s_pipe & (end >= day)
        flat = self.s_acct * self.P + self.s_prod
        size = self.n * self.P

        def count(mask, w=None):
            weights = None if w is None else np.where(mask, w, 0.0)
            if w is None:
                return np.bincount(flat[mask], minlength=size).reshape(self.n, self.P)
            return np.bincount(flat, weights=weights, minlength=size).reshape(self.n, self.P)

        owned = count(owned_row) > 0
        qty = np.nan_to_num(self.s_qty, nan=1.0)
        # licensed seats: the largest quantity of a live seat-priced subscription
        seats = np.full(self.n, np.nan)
        sp = owned_row & self.seat_priced[self.s_prod] & (qty > 0)
        if sp.any():
            tmp = np.full(self.n, -np.inf)
            np.maximum.at(tmp, self.s_acct[sp], qty[sp])
            seats = np.where(np.isfinite(tmp), tmp, np.nan)
        seats = np.where(np.isnan(seats), self.seats_now, seats)
        return {
            "owned": owned,
            "trial": (count(trial_row) > 0) & ~owned,
            "pipeline": (count(pipe_row) > 0) & ~owned,
            "lapsed": (self.first_buy <= day) & ~owned,
            "mrr": count(owned_row, self.s_mrr),
            "quantity": count(owned_row, qty),
            "seat_price": count(owned_row & self.seat_priced[self.s_prod] & (qty > 0),
                                self.s_mrr / np.where(qty > 0, qty, 1.0)).sum(axis=1),
            "seats": seats,
        }

    def usage_at(self, day: int) -> pd.DataFrame:
        """Usage features on ``day`` (see :func:`usage_features`)."""
        ok = self.u_day <= day
        month_t = int(_month_of_day(np.array([day]))[0])
        out = pd.DataFrame(index=np.arange(self.n))
        if not ok.any():
            for c in ("active_users", "active_users_3m_ago", "logins", "features_adopted",
                      "usage_month"):
                out[c] = np.nan
            return out
        m0 = int(self.u_month[ok].min())
        width = month_t - m0 + 1
        dense = np.full((3, self.n, width), np.nan)
        a, k, mo, v = self.u_acct[ok], self.u_metric[ok], self.u_month[ok] - m0, self.u_val[ok]
        # active users and features: the month's largest sample; logins: the month's total
        for q, how in ((0, np.fmax), (1, None), (2, np.fmax)):
            sel = k == q
            flat = a[sel] * width + mo[sel]
            if how is None:
                tot = np.bincount(flat, weights=v[sel], minlength=self.n * width)
                cnt = np.bincount(flat, minlength=self.n * width)
                dense[q] = np.where(cnt > 0, tot, np.nan).reshape(self.n, width)
            else:
                d = dense[q].reshape(-1)
                how.at(d, flat, v[sel])
                dense[q] = d.reshape(self.n, width)
        has = ~np.isnan(dense[0])
        last = np.where(has.any(axis=1), width - 1 - np.argmax(has[:, ::-1], axis=1), -1)
        # usage older than two months before as_of is stale: treat it as missing
        last = np.where(last >= width - 3, last, -1)
        rows = np.arange(self.n)
        li = np.maximum(last, 0)
        pick = lambda q, off: np.where(  # noqa: E731
            (last >= 0) & (li - off >= 0), dense[q][rows, np.maximum(li - off, 0)], np.nan)
        out["active_users"] = pick(0, 0)
        out["active_users_3m_ago"] = pick(0, 3)
        out["logins"] = pick(1, 0)
        out["features_adopted"] = pick(2, 0)
        out["usage_month"] = np.where(last >= 0, last + m0, np.nan)
        return out


def _features(data: _Data, day: int, state: dict) -> pd.DataFrame:
    u = data.usage_at(day)
    seats = state["seats"]
    au = u["active_users"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        u["seats"] = seats
        u["utilisation"] = np.where(seats > 0, au / seats, np.nan)
        au3 = u["active_users_3m_ago"].to_numpy()
        u["au_growth_3m"] = np.where(au3 > 0, au / au3 - 1.0, np.nan)
        u["logins_per_user"] = np.where(au > 0, u["logins"].to_numpy() / au, np.nan)
    u["tenure_years"] = np.where(np.isnan(data.start_day), np.nan, (day - data.start_day) / 365.25)
    return u


# ===================================================================== 5. the matrix
def ownership_matrix(subscriptions: pd.DataFrame, accounts: pd.DataFrame, as_of) -> pd.DataFrame:
    """The account x product matrix on ``as_of``, one row per (customer, product).

    Rows cover every account that is a customer on ``as_of`` (contract started, not churned,
    not a prospect) times every product that appears in ``subscriptions``.

    A subscription is *live* on day ``t`` when ``start_date <= t <= end_date`` (missing start:
    started; missing end: open, unless its status is a closing one such as ``'ended'`` or
    ``'cancelled'``). Then, per (account, product)::

        state = 'owned'     if a live subscription whose status is not a trial/pipeline status
                'trial'     elif a live subscription with a trial status (TRIAL_STATUSES)
                'pipeline'  elif a subscription with a pipeline status (PIPELINE_STATUSES)
                            that has not ended by t (its start may lie in the future)
                'gap'       otherwise
        mrr       = sum of mrr over the owned live subscriptions        (0 for non-owned)
        quantity  = sum of quantity over them (missing quantity counts 1)
        lapsed    = a gap (or trial/pipeline) that the account bought before and dropped

    Parameters
    ----------
    subscriptions, accounts : DataFrame
        Canonical columns (``schema.ENTITY_FIELDS``).
    as_of : str or date

    Returns
    -------
    DataFrame
        ``account_id, product, state, mrr, quantity, lapsed``; pivot it for a grid, e.g.
        ``m.pivot(index="account_id", columns="product", values="state")``.
    """
    data = _Data(subscriptions, accounts, None)
    return _matrix_frame(data, _day(as_of), data.state_at(_day(as_of)))


def _matrix_frame(data: _Data, day: int, st: dict) -> pd.DataFrame:
    act = np.flatnonzero(data.active_at(day))
    P = data.P
    state = np.select(
        [st["owned"][act], st["trial"][act], st["pipeline"][act]],
        ["owned", "trial", "pipeline"], "gap").astype(object)
    return frame_in_pieces({
        "account_id": np.repeat(data.ids[act], P),
        "product": np.tile(data.products, len(act)),
        "state": state.reshape(-1),
        "mrr": st["mrr"][act].reshape(-1),
        "quantity": np.where(st["owned"][act], st["quantity"][act], 0.0).reshape(-1),
        "lapsed": st["lapsed"][act].reshape(-1),
    }, len(act) * P)


# ===================================================================== association rules
def association_rules(owned: pd.DataFrame, *, max_antecedent: int = 2,
                      min_count: int = 10) -> pd.DataFrame:
    """Product rules ``A => B`` over a boolean account x product frame.

    With ``N`` accounts, ``n(S)`` the number owning every product in the set ``S``::

        support(A => B)    = n(A + B) / N
        confidence(A => B) = n(A + B) / n(A)          (P(B | A))
        lift(A => B)       = confidence / (n(B) / N)  (> 1: A makes B more likely)

    ``A`` is one product or (``max_antecedent=2``) a pair; rules whose ``n(A + B)`` is below
    ``min_count`` are dropped (too few accounts to trust). Counts are matrix products:
    ``X.T @ X`` for single antecedents, ``(X_i * X_j).T @ X`` for pairs.

    Parameters
    ----------
    owned : DataFrame
        Index: accounts; columns: products; truthy where the account owns the product (e.g.
        ``ownership_matrix(...).assign(o=lambda m: m.state == "owned").pivot(index="account_id",
        columns="product", values="o")``).

    Returns
    -------
    DataFrame
        ``antecedent`` ("A + B" text), ``antecedent_items`` (tuple), ``consequent``, ``count``,
        ``antecedent_count``, ``support``, ``confidence``, ``lift``; sorted by lift, descending.
    """
    X = owned.fillna(False).to_numpy(dtype=bool)
    return _rules(X, np.asarray(owned.columns, dtype=object), max_antecedent, min_count)[0]


def _rules(X: np.ndarray, products: np.ndarray, max_antecedent: int, min_count: int):
    """Rules frame plus arrays for scoring: (frame, ante_masks (R x P bool), cons (R,), conf, lift)."""
    N, P = X.shape
    Xf = X.astype(np.float32)
    n_b = X.sum(axis=0).astype(float)
    antes: list[tuple[int, ...]] = []
    ante_n: list[float] = []
    joint: list[np.ndarray] = []
    if N and P:
        C = (Xf.T @ Xf).astype(float)
        for i in range(P):
            antes.append((i,))
            ante_n.append(C[i, i])
            joint.append(C[i])
        if max_antecedent >= 2 and P >= 2:
            I, J = np.triu_indices(P, 1)
            keep = C[I, J] >= min_count
            I, J = I[keep], J[keep]
            if len(I):
                pair_n = C[I, J]
                PJ = np.zeros((len(I), P))
                step = max(1, 4_000_000 // max(len(I), 1))
                for s in range(0, N, step):
                    blk = Xf[s:s + step]
                    PJ += ((blk[:, I] * blk[:, J]).T @ blk).astype(float)
                for r in range(len(I)):
                    antes.append((int(I[r]), int(J[r])))
                    ante_n.append(pair_n[r])
                    joint.append(PJ[r])
    rows_a, rows_c, rows_n, rows_na = [], [], [], []
    for r, items in enumerate(antes):
        for b in range(P):
            if b in items:
                continue
            if joint[r][b] >= min_count and ante_n[r] > 0:
                rows_a.append(r)
                rows_c.append(b)
                rows_n.append(joint[r][b])
                rows_na.append(ante_n[r])
    cnt = np.array(rows_n, float)
    na = np.array(rows_na, float)
    cons = np.array(rows_c, dtype=np.int64)
    conf = cnt / na if len(cnt) else np.zeros(0)
    base = n_b[cons] / N if len(cnt) else np.zeros(0)
    lift = np.where(base > 0, conf / np.where(base > 0, base, 1), np.nan)
    masks = np.zeros((len(rows_a), P), bool)
    for k, r in enumerate(rows_a):
        masks[k, list(antes[r])] = True
    frame = pd.DataFrame({
        "antecedent": [" + ".join(products[list(antes[r])]) for r in rows_a],
        "antecedent_items": [tuple(products[list(antes[r])]) for r in rows_a],
        "consequent": products[cons] if len(cons) else np.array([], dtype=object),
        "count": cnt.astype(np.int64),
        "antecedent_count": na.astype(np.int64),
        "support": cnt / N if N else cnt,
        "confidence": conf,
        "lift": lift,
    })
    order = np.lexsort((frame["antecedent"].to_numpy(dtype=str), -frame["lift"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    # the scoring arrays in the frame's order, so a rule index means the same row in both
    return frame, masks[order], cons[order], conf[order], lift[order]


def _best_rule(owned: np.ndarray, gap_a: np.ndarray, gap_p: np.ndarray, masks, cons, conf, lift,
               max_rules: int = 64):
    """For each gap (account, product): the applicable rule (antecedent owned by the account,
    consequent the product) with the highest lift. Returns (rule index or -1) per gap."""
    best = np.full(len(gap_a), -1, dtype=np.int64)
    best_lift = np.full(len(gap_a), -np.inf)
    for p in np.unique(gap_p):
        rid = np.flatnonzero(cons == p)
        if not len(rid):
            continue
        rid = rid[np.argsort(-lift[rid], kind="stable")[:max_rules]]
        g = np.flatnonzero(gap_p == p)
        step = max(1, 2_000_000 // len(rid))
        for s in range(0, len(g), step):
            gg = g[s:s + step]
            acc = owned[gap_a[gg]].astype(np.float32)                    # (g x P)
            need = masks[rid].sum(axis=1)                                 # (r,)
            applies = (acc @ masks[rid].T.astype(np.float32)) >= need     # (g x r)
            val = np.where(applies, lift[rid][None, :], -np.inf)
            k = np.argmax(val, axis=1)
            v = val[np.arange(len(gg)), k]
            ok = np.isfinite(v) & (v > best_lift[gg])
            best[gg[ok]] = rid[k[ok]]
            best_lift[gg[ok]] = v[ok]
    return best


# ===================================================================== usage features
def usage_features(usage: pd.DataFrame, accounts: pd.DataFrame, as_of,
                   subscriptions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Point-in-time usage features per account (index ``account_id``).

    Usage rows dated after ``as_of`` are ignored. Per calendar month: active users and
    features adopted are the month's largest sample, logins the month's total. With ``L`` the
    latest month with active users (no older than two months before ``as_of``, else missing)::

        utilisation     = active_users(L) / licensed seats
        au_growth_3m    = active_users(L) / active_users(L - 3) - 1
        logins_per_user = logins(L) / active_users(L)

    Licensed seats on ``as_of`` are the largest quantity among the account's live seat-priced
    subscriptions (a product is seat-priced when its quantities track ``accounts.seats``), else
    ``accounts.seats``.
    """
    subs = subscriptions if subscriptions is not None else pd.DataFrame(
        columns=["account_id", "product", "quantity", "mrr", "start_date", "end_date", "status"])
    data = _Data(subs, accounts, usage)
    day = _day(as_of)
    out = _features(data, day, data.state_at(day))
    out.index = pd.Index(data.ids, name="account_id")
    return out


# ===================================================================== 6. cross-sell
@dataclass
class _Scored:
    """Cross-sell scoring on one date (arrays over the gap pairs)."""

    day: int
    active: np.ndarray           # account rows that are customers
    state: dict
    feats: pd.DataFrame
    gap_a: np.ndarray            # account row per gap
    gap_p: np.ndarray            # product per gap
    propensity: np.ndarray
    popularity: np.ndarray       # share of customers owning the product (baseline score)
    rule: np.ndarray             # best rule index per gap (-1: none)
    rules: tuple
    method: np.ndarray           # per product: 'model' or 'peer rate'


def _design(data: _Data, feats: pd.DataFrame, owned: np.ndarray, rows: np.ndarray):
    """Standardised design matrix over ``rows`` (owned-product columns last, P of them)."""
    num = pd.DataFrame({
        "log_seats": np.log1p(np.clip(feats["seats"].to_numpy(), 0, None)),
        "tenure": np.clip(feats["tenure_years"].to_numpy(), 0, 30),
        "utilisation": np.clip(feats["utilisation"].to_numpy(), 0, 1.5),
        "growth": np.clip(feats["au_growth_3m"].to_numpy(), -1, 2),
        "log_logins": np.log1p(np.clip(feats["logins_per_user"].to_numpy(), 0, None)),
        "features": feats["features_adopted"].to_numpy(dtype=float),
    }).iloc[rows]
    cols = []
    for c in num:
        v = num[c].to_numpy(dtype=float)
        miss = np.isnan(v)
        if miss.all():
            continue
        mu, sd = np.nanmean(v), np.nanstd(v)
        z = np.where(miss, 0.0, (v - mu) / (sd if sd > 0 else 1.0))
        cols.append(z)
        if miss.any():
            cols.append(miss.astype(float))
    for values in (data.industry[rows], data.segment[rows]):
        cats = pd.Index(pd.unique(values))
        if len(cats) > 1:
            onehot = np.zeros((len(rows), len(cats)))
            onehot[np.arange(len(rows)), cats.get_indexer(values)] = 1.0
            cols.extend(onehot.T)
    base = np.column_stack(cols) if cols else np.zeros((len(rows), 0))
    return np.hstack([base, owned[rows].astype(float)])


def _peer_groups(data: _Data, rows: np.ndarray, owned: np.ndarray, min_peers: int):
    """Peer ownership share per (row, product): segment x industry, falling back to industry,
    then segment, then all customers when the group has fewer than ``min_peers`` accounts.

    Returns (share (r x P), owners (r x P), size (r,), label (r,) object)."""
    R = len(rows)
    share = np.full((R, data.P), np.nan)
    owners = np.zeros((R, data.P))
    size = np.zeros(R)
    label = np.empty(R, dtype=object)
    todo = np.ones(R, bool)
    seg, ind = data.segment[rows], data.industry[rows]
    keys = [(seg + "\x00" + ind, lambda i: f"{seg[i]} {ind[i]}"),
            (ind, lambda i: f"{ind[i]}"), (seg, lambda i: f"{seg[i]}"),
            (np.full(R, "all", dtype=object), None)]
    O = owned[rows].astype(float)
    for level, (key, _) in enumerate(keys):
        codes, uniq = pd.factorize(pd.Series(key, dtype=object))
        n_g = np.bincount(codes, minlength=len(uniq)).astype(float)
        own_g = np.zeros((len(uniq), data.P))
        np.add.at(own_g, codes, O)
        ok = todo & ((n_g[codes] >= min_peers) | (level == len(keys) - 1))
        share[ok] = own_g[codes[ok]] / n_g[codes[ok]][:, None]
        owners[ok] = own_g[codes[ok]]
        size[ok] = n_g[codes[ok]]
        if level == 0:
            label[ok] = seg[ok] + " " + ind[ok]
        elif level == 1:
            label[ok] = ind[ok]
        elif level == 2:
            label[ok] = seg[ok]
        else:
            label[ok] = ""
        todo &= ~ok
    return share, owners, size, label


def _score(data: _Data, day: int, **kw) -> _Scored:
    """Score every gap on ``day``. BLAS runs single-threaded: the matrices are tall and thin
    (accounts x a few dozen columns), where thread start-up and, on a busy machine, thread
    contention cost more than they save (measured: 4-20x slower with 2 threads under load)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _score_inner(data, day, **kw)


def _score_inner(data: _Data, day: int, *, min_owners: int = 10, C: float = 1.0,
                 max_antecedent: int = 2, min_rule_count: int = 10,
                 max_train: int = 50_000) -> _Scored:
    from sklearn.linear_model import LogisticRegression

    st = data.state_at(day)
    active = np.flatnonzero(data.active_at(day))
    feats = _features(data, day, st)
    owned = st["owned"]
    X = _design(data, feats, owned, active) if len(active) else np.zeros((0, data.P))
    nb = X.shape[1] - data.P
    O = owned[active]
    prop = np.zeros((len(active), data.P))
    method = np.empty(data.P, dtype=object)
    # smoothed peer rate (fallback): (owners + 1) / (peers + 2) in the segment x industry group
    _, own_g, n_g, _ = _peer_groups(data, active, owned, 10) if len(active) else (None, np.zeros((0, data.P)), np.zeros(0), None)
    peer_rate = (own_g + 1) / (n_g[:, None] + 2) if len(active) else prop
    X = np.ascontiguousarray(X, dtype=np.float64)
    # training rows: all customers up to max_train, else a fixed random sample (the model has
    # a few dozen coefficients; 50k rows pin them down as well as 500k)
    train = np.arange(len(active))
    if len(train) > max_train:
        train = np.sort(np.random.default_rng(0).choice(len(active), max_train, replace=False))
    for p in range(data.P):
        y = O[:, p]
        if y[train].sum() >= min_owners and (~y[train]).sum() >= min_owners:
            cols = np.r_[0:nb + p, nb + p + 1:X.shape[1]]
            # Newton-Cholesky: a handful of exact Newton steps on few features (fast, exact)
            model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=100)
            model.fit(X[np.ix_(train, cols)], y[train])
            prop[:, p] = model.predict_proba(X[:, cols])[:, 1]
            method[p] = "model"
        else:
            prop[:, p] = peer_rate[:, p]
            method[p] = "peer rate"
    gap = ~O & ~st["trial"][active] & ~st["pipeline"][active] & ~st["lapsed"][active]
    ga, gp = np.nonzero(gap)
    popularity = O.mean(axis=0) if len(active) else np.zeros(data.P)
    rules = _rules(O, data.products, max_antecedent, min_rule_count)
    best = _best_rule(owned, active[ga], gp, *rules[1:]) if len(ga) else np.zeros(0, np.int64)
    return _Scored(day=day, active=active, state=st, feats=feats, gap_a=active[ga], gap_p=gp,
                   propensity=prop[ga, gp], popularity=popularity[gp], rule=best, rules=rules,
                   method=method)


def _typical_mrr(data: _Data, sc: _Scored, rows: np.ndarray, prods: np.ndarray) -> np.ndarray:
    """What product ``p`` typically earns from an account like row ``a`` (peer median).

    Peers are the owners in the same segment (all owners when the segment has fewer than 5)::

        seat-priced p:  typical = median_peers(mrr_p / seats) * seats_a
        otherwise:      typical = median_peers(mrr_p)
    """
    st, act = sc.state, sc.active
    seats = st["seats"]
    out = np.full(len(rows), np.nan)
    O = st["owned"][act]
    mrr = st["mrr"][act]
    seg_all = data.segment[act]
    seat_act = seats[act]
    for p in np.unique(prods):
        owners = O[:, p]
        if not owners.any():
            continue
        if data.seat_priced[p]:
            val = mrr[owners, p] / np.where(seat_act[owners] > 0, seat_act[owners], np.nan)
        else:
            val = mrr[owners, p]
        frame = pd.DataFrame({"seg": seg_all[owners], "v": val})
        med = frame.groupby("seg")["v"].median()
        n = frame.groupby("seg")["v"].count()
        overall = float(np.nanmedian(val)) if np.isfinite(val).any() else np.nan
        sel = np.flatnonzero(prods == p)
        segs = data.segment[rows[sel]]
        m = pd.Series(segs).map(med.where(n >= 5)).to_numpy(dtype=float)
        m = np.where(np.isnan(m), overall, m)
        if data.seat_priced[p]:
            m = m * np.nan_to_num(seats[rows[sel]], nan=0.0)
        out[sel] = m
    return out


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _cross_frame(data: _Data, sc: _Scored, min_lift_shown: float = 1.2) -> pd.DataFrame:
    a, p = sc.gap_a, sc.gap_p
    share, owners, size, label = _peer_groups(data, sc.active, sc.state["owned"], 10)
    pos = np.searchsorted(sc.active, a)
    peer_share = share[pos, p]
    peer_own = owners[pos, p]
    peer_n = size[pos]
    peer_lab = label[pos]
    typical = _typical_mrr(data, sc, a, p)
    expected = sc.propensity * np.nan_to_num(typical)
    rf, _, _, conf, lift = sc.rules
    has_rule = sc.rule >= 0
    r = np.where(has_rule, sc.rule, 0)
    r_lift = np.where(has_rule, lift[r] if len(lift) else np.nan, np.nan)
    r_conf = np.where(has_rule, conf[r] if len(conf) else np.nan, np.nan)
    ante = rf["antecedent"].to_numpy(dtype=object) if len(rf) else np.array([""], dtype=object)
    r_ante = np.where(has_rule, ante[r], None)
    prod = data.products[p]
    seats = sc.state["seats"]
    # the reason text, built from plain Python lists (numpy scalar access per row is slow)
    show_rule = (has_rule & (np.nan_to_num(r_lift) >= min_lift_shown)).tolist()
    seat_p = data.seat_priced[p].tolist()
    fin = np.isfinite(typical).tolist()
    seg_l = data.segment[a].tolist()
    seats_l = np.nan_to_num(seats[a]).tolist()
    reasons = []
    for (lab, sh, own, n_, pr, rl, ra, rc, pp, ty, show, sp, ok, sg, se) in zip(
            peer_lab.tolist(), peer_share.tolist(), peer_own.tolist(), peer_n.tolist(),
            prod.tolist(), r_lift.tolist(), r_ante.tolist(), r_conf.tolist(),
            sc.propensity.tolist(), typical.tolist(), show_rule, seat_p, fin, seg_l, seats_l):
        who = f"{lab} accounts" if lab else "customers"
        text = f"{100 * sh:.0f}% of {who} own {pr} ({own:.0f} of {n_:.0f})"
        if show:
            text += (f"; {rl:.1f} times as common among accounts with {ra} "
                     f"({100 * rc:.0f}% of those accounts own it)")
        text += f"; {100 * pp:.0f}% chance to buy"
        if ok:
            if sp:
                text += (f", typically {_money(ty)}/month (what {sg} peers pay per seat, "
                         f"median, x {se:,.0f} seats)")
            else:
                text += f", typically {_money(ty)}/month (what {sg} peers pay, median)"
        reasons.append(text)
    return frame_in_pieces({
        "account_id": data.ids[a], "name": data.name[a], "product": prod, "kind": "cross-sell",
        "propensity": sc.propensity, "expected_mrr": expected, "value_mrr": typical,
        "reason": np.array(reasons, dtype=object), "at_risk": False, "churn_risk": np.nan,
        "segment": data.segment[a], "industry": data.industry[a], "owner": data.owner[a],
        "peer_share": peer_share, "rule_antecedent": r_ante,
        "rule_confidence": r_conf, "rule_lift": r_lift, "extra_seats": np.nan,
    }, len(a))


def cross_sell(subscriptions: pd.DataFrame, accounts: pd.DataFrame, usage: pd.DataFrame | None,
               as_of, *, min_owners: int = 10) -> pd.DataFrame:
    """A propensity, an expected MRR and a reason for every gap on ``as_of``.

    Gaps are the ``'gap'`` cells of :func:`ownership_matrix` that the account never owned
    before (lapsed products are win-backs, not cross-sells; trials and pipeline are already
    being worked). For product ``p`` and account ``a``::

        propensity(a, p)   = P(owns p | x_a), a logistic regression per product on all
                             customers (x: industry, segment, log seats, tenure, utilisation,
                             active-user growth, logins per user, features adopted, the other
                             products owned); with fewer than ``min_owners`` owners (or
                             non-owners) the smoothed peer rate (owners + 1) / (peers + 2)
        value_mrr(a, p)    = peer median MRR of p for a's segment (per seat x a's seats for a
                             seat-priced product)
        expected_mrr(a, p) = propensity(a, p) * value_mrr(a, p)

    The reason quotes the peer share in the account's segment x industry group (falling back
    to industry, segment, all customers below 10 peers), the applicable association rule with
    the highest lift when it is at least 1.2, the propensity and the typical MRR.

    Returns
    -------
    DataFrame
        :data:`WHITESPACE_COLUMNS`, sorted by ``expected_mrr`` descending.
    """
    data = _Data(subscriptions, accounts, usage)
    sc = _score(data, _day(as_of), min_owners=min_owners)
    return _sorted(_cross_frame(data, sc))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["expected_mrr", "account_id", "product"],
                             ascending=[False, True, True], kind="stable",
                             ignore_index=True)[WHITESPACE_COLUMNS]


# ===================================================================== 7. upsell
def _upsell_flags(feats: pd.DataFrame, seats_then: np.ndarray | None, seats: np.ndarray,
                  threshold: float, growth_margin: float):
    util = feats["utilisation"].to_numpy()
    growth = feats["au_growth_3m"].to_numpy()
    seat_growth = np.zeros(len(util))
    if seats_then is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            seat_growth = np.where(seats_then > 0, seats / seats_then - 1.0, 0.0)
    seat_growth = np.nan_to_num(seat_growth)
    full = np.nan_to_num(util) >= threshold
    outgrowing = (np.nan_to_num(growth) - seat_growth >= growth_margin) & (np.nan_to_num(util) >= 0.75)
    return full, outgrowing, np.nan_to_num(growth), seat_growth


def _upsell_frame(data: _Data, day: int, st: dict, feats: pd.DataFrame, *, threshold: float,
                  growth_margin: float, headroom: float, history_months: int) -> pd.DataFrame:
    active = data.active_at(day)
    seats = st["seats"]
    st3 = data.state_at(_day(_months_before(_iso(day), 3)))
    full, outgrowing, growth, seat_growth = _upsell_flags(feats, st3["seats"], seats,
                                                          threshold, growth_margin)
    au = feats["active_users"].to_numpy()
    cand = active & (full | outgrowing) & (seats > 0) & ~np.isnan(au)
    rows = np.flatnonzero(cand)
    if not len(rows):
        return pd.DataFrame(columns=WHITESPACE_COLUMNS)
    # propensity: how often accounts flagged the same way history_months earlier added seats
    past = _day(_months_before(_iso(day), history_months))
    pst = data.state_at(past)
    pf = _features(data, past, pst)
    pst3 = data.state_at(_day(_months_before(_iso(past), 3)))
    pfull, pout, _, _ = _upsell_flags(pf, pst3["seats"], pst["seats"], threshold, growth_margin)
    was = data.active_at(past) & (pfull | pout) & ~np.isnan(pf["active_users"].to_numpy()) & active
    n_hist = int(was.sum())
    k_hist = int((was & (np.nan_to_num(seats) > np.nan_to_num(pst["seats"]))).sum())
    if n_hist >= 10:
        prop = (k_hist + 1) / (n_hist + 2)
        basis = (f"{k_hist} of {n_hist} accounts this full {history_months} months earlier "
                 f"added seats within {history_months} months")
    else:
        prop = 0.5
        basis = "too little history to measure how often full accounts add seats (50% assumed)"
    g = np.clip(growth[rows], 0, None)
    projected = au[rows] * np.where(outgrowing[rows], 1.0 + g, 1.0)
    target = np.ceil(np.maximum(projected, au[rows]) / headroom - 1e-9)
    extra = np.maximum(target - seats[rows], 0)
    seat_price = st["seat_price"][rows]
    own_price = seat_price > 0
    mrr_total = st["mrr"][rows].sum(axis=1)
    price = np.where(own_price, seat_price, mrr_total / seats[rows])
    value = extra * price
    keep = extra >= 1
    rows, extra, price, value, own_price = rows[keep], extra[keep], price[keep], value[keep], own_price[keep]
    # the product named: the account's largest seat-priced subscription (else its largest)
    mrr = st["mrr"][rows] * np.where(data.seat_priced, 1.0, 1e-9)[None, :]
    prod = data.products[np.argmax(mrr, axis=1)] if data.P else np.full(len(rows), "", object)
    util = feats["utilisation"].to_numpy()[rows]
    au_r = au[rows]
    reasons = []
    for i, r in enumerate(rows):
        parts = [f"{percent(util[i])} of seats used ({int(au_r[i])} active users on "
                 f"{int(seats[r])} seats)"]
        if outgrowing[r]:
            parts.append(f"active users {growth[r]:+.0%} in 3 months vs seats "
                         f"{seat_growth[r]:+.0%}")
        how = "the account's seat-priced MRR" if own_price[i] else "the account's MRR per seat"
        parts.append(f"{int(extra[i])} more seats at {_money(price[i])}/seat/month "
                     f"({how}) brings use to {percent(headroom)}")
        parts.append(basis)
        reasons.append("; ".join(parts))
    return frame_in_pieces({
        "account_id": data.ids[rows], "name": data.name[rows], "product": prod, "kind": "upsell",
        "propensity": prop, "expected_mrr": prop * value, "value_mrr": value,
        "reason": np.array(reasons, dtype=object), "at_risk": False, "churn_risk": np.nan,
        "segment": data.segment[rows], "industry": data.industry[rows],
        "owner": data.owner[rows], "peer_share": np.nan, "rule_antecedent": None,
        "rule_confidence": np.nan, "rule_lift": np.nan, "extra_seats": extra,
    }, len(rows))


def upsell(subscriptions: pd.DataFrame, accounts: pd.DataFrame, usage: pd.DataFrame, as_of, *,
           threshold: float = 0.9, growth_margin: float = 0.15, headroom: float = 0.85,
           history_months: int = 6) -> pd.DataFrame:
    """Seat-expansion suggestions (``kind = 'upsell'``) on ``as_of``.

    With ``u = active_users(L) / seats`` (:func:`usage_features`), ``g`` the active-user growth
    over 3 months and ``s`` the licensed-seat growth over the same 3 months, an account is a
    candidate when::

        u >= threshold                                  (at or over the licence), or
        g - s >= growth_margin  and  u >= 0.75          (usage outgrowing the plan)

    Value::

        projected    = active_users * (1 + max(g, 0))   if outgrowing, else active_users
        extra_seats  = ceil(projected / headroom) - seats          (at least 1)
        seat_price   = sum over the account's live seat-priced subscriptions of mrr / quantity
                       (its total MRR / seats when it has none)
        value_mrr    = extra_seats * seat_price
        propensity   = (k + 1) / (n + 2): of the n accounts flagged by the same rule
                       ``history_months`` before ``as_of`` (and still customers), k had more
                       licensed seats on ``as_of``; 0.5 when n < 10
        expected_mrr = propensity * value_mrr
    """
    data = _Data(subscriptions, accounts, usage)
    day = _day(as_of)
    st = data.state_at(day)
    frame = _upsell_frame(data, day, st, _features(data, day, st), threshold=threshold,
                          growth_margin=growth_margin, headroom=headroom,
                          history_months=history_months)
    return _sorted(frame) if len(frame) else frame


# ===================================================================== together
def whitespace(subscriptions: pd.DataFrame, accounts: pd.DataFrame, usage: pd.DataFrame | None,
               as_of, *, risk: pd.Series | None = None, risk_threshold: float = 0.5,
               risk_action: str = "flag", min_owners: int = 10, upsell_threshold: float = 0.9,
               headroom: float = 0.85) -> pd.DataFrame:
    """Cross-sell (:func:`cross_sell`) and upsell (:func:`upsell`) suggestions on ``as_of``.

    Parameters
    ----------
    risk : Series, optional
        Churn probability per ``account_id`` (e.g. from the churn model). Accounts with
        ``risk >= risk_threshold`` are at risk: with ``risk_action='flag'`` their suggestions
        stay, with ``at_risk = True`` and the reason ending in "churn risk 72%: secure the
        renewal first"; with ``risk_action='suppress'`` they are dropped.

    Returns
    -------
    DataFrame
        :data:`WHITESPACE_COLUMNS`, sorted by ``expected_mrr`` descending (ties: account,
        product).
    """
    if risk_action not in ("flag", "suppress"):
        raise ValueError("risk_action must be 'flag' or 'suppress'")
    data = _Data(subscriptions, accounts, usage)
    day = _day(as_of)
    sc = _score(data, day, min_owners=min_owners)
    frames = [_cross_frame(data, sc)]
    up = _upsell_frame(data, day, sc.state, sc.feats, threshold=upsell_threshold,
                       growth_margin=0.15, headroom=headroom, history_months=6)
    if len(up):
        frames.append(up)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if risk is not None and len(out):
        r = pd.Series(risk, dtype=float)
        r.index = r.index.astype(str)
        prob = out["account_id"].astype(str).map(r).to_numpy(dtype=float)
        at_risk = np.nan_to_num(prob, nan=-1.0) >= risk_threshold
        out["churn_risk"] = prob
        out["at_risk"] = at_risk
        if risk_action == "suppress":
            out = out.loc[~at_risk].reset_index(drop=True)
        elif at_risk.any():
            out.loc[at_risk, "reason"] = [
                f"{t}; churn risk {percent(p)}: secure the renewal first"
                for t, p in zip(out.loc[at_risk, "reason"], prob[at_risk])]
    return _sorted(out)


# ===================================================================== 8. backtest
def _precision_at(scores: np.ndarray, hit: np.ndarray, group: np.ndarray, tie: np.ndarray,
                  ks) -> dict[int, float]:
    """Mean over account sets of (hits among the set's top-k gaps) / min(k, gaps in set)."""
    order = np.lexsort((tie, -scores, group))
    g = group[order]
    h = hit[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    sizes = np.diff(np.r_[starts, len(g)])
    out = {}
    for k in ks:
        top = rank < k
        hits = np.bincount(g[top], weights=h[top].astype(float), minlength=g.max() + 1 if len(g) else 0)
        denom = np.minimum(k, sizes)
        out[k] = float(np.mean(hits[g[starts]] / denom)) if len(starts) else float("nan")
    return out


def backtest(subscriptions: pd.DataFrame, accounts: pd.DataFrame, usage: pd.DataFrame | None,
             as_of, *, hidden_months: int = 6, ks=(5, 10, 20), by: str = "owner",
             min_owners: int = 10) -> dict:
    """Hide the last ``hidden_months`` of purchases and check the cross-sell ranking.

    Definition (precise)::

        cutoff      = as_of - hidden_months (calendar months)
        candidates  = the gap cells (never owned, not in trial / pipeline) of the accounts
                      that are customers on ``cutoff``, scored from the data as of ``cutoff``
        purchased   = candidate (a, p) whose first non-trial subscription starts in
                      (cutoff, as_of]
        account set = the accounts of one owner (CSM book; column ``by``; all customers form
                      one set when the column is missing or empty)
        precision@k = mean over account sets of
                      (purchased among the set's k highest-scored candidates) / min(k, #candidates)

    Scores: ours = the model propensity (:func:`cross_sell`); the popularity baseline = the
    share of customers owning the product on ``cutoff`` (every account is offered the most-owned
    products it lacks, in that order); ``rules`` = the confidence of the best-lift applicable
    association rule (the second opinion, 0 when none applies). Ties are broken by account
    and product order, the same for all three. Upsell is not part of the backtest.

    Returns
    -------
    dict
        ``precision_at_{k}``, ``baseline_precision_at_{k}``, ``rules_precision_at_{k}`` for each
        k, ``hidden_months``, ``as_of``, ``cutoff``, ``account_sets``, ``accounts``,
        ``candidates``, ``purchases``, ``base_rate`` (purchases / candidates), ``definition``.
    """
    cutoff = _months_before(as_of, hidden_months)
    data = _Data(subscriptions, accounts, usage)
    day_c, day_t = _day(cutoff), _day(as_of)
    sc = _score(data, day_c, min_owners=min_owners)
    first = data.first_buy[sc.gap_a, sc.gap_p]
    hit = (first > day_c) & (first <= day_t)
    groups = data.owner[sc.gap_a] if by == "owner" else (
        _text(accounts.reset_index(drop=True), by)[sc.gap_a] if by in accounts else
        np.full(len(sc.gap_a), "", dtype=object))
    gcode = pd.factorize(pd.Series(groups, dtype=object))[0] if len(groups) else np.zeros(0, np.int64)
    tie = sc.gap_a * max(data.P, 1) + sc.gap_p
    ks = tuple(int(k) for k in ks)
    rules_conf = sc.rules[3]
    rscore = np.where(sc.rule >= 0, rules_conf[np.maximum(sc.rule, 0)] if len(rules_conf) else 0.0, 0.0)
    ours = _precision_at(sc.propensity, hit, gcode, tie, ks) if len(hit) else {k: float("nan") for k in ks}
    base = _precision_at(sc.popularity, hit, gcode, tie, ks) if len(hit) else {k: float("nan") for k in ks}
    rul = _precision_at(rscore, hit, gcode, tie, ks) if len(hit) else {k: float("nan") for k in ks}
    out: dict = {}
    for k in ks:
        out[f"precision_at_{k}"] = round(ours[k], 4)
    for k in ks:
        out[f"baseline_precision_at_{k}"] = round(base[k], 4)
    for k in ks:
        out[f"rules_precision_at_{k}"] = round(rul[k], 4)
    out.update({
        "hidden_months": int(hidden_months), "as_of": _iso(day_t), "cutoff": cutoff,
        "account_sets": int(len(np.unique(gcode))), "accounts": int(len(sc.active)),
        "candidates": int(len(hit)), "purchases": int(hit.sum()),
        "base_rate": round(float(hit.mean()), 4) if len(hit) else float("nan"),
        "definition": (f"products first bought in ({cutoff}, {_iso(day_t)}] by customers of "
                       f"{cutoff}, predicted from data as of {cutoff}; precision@k = mean over "
                       f"account sets ('{by}') of hits among the set's top-k suggestions / min(k, its gaps); "
                       "baseline = most-owned products the account lacks"),
    })
    return out
