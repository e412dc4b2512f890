"""The worklist ("Today"): one ranked list of accounts that need attention, and team targets.

Pure functions over DataFrames (no Qt, no SQL), plus thin ``*_from_workspace`` wrappers that
read a :class:`~acctdesk.models.Workspace`. Everything is computed as of a date (the
workspace's data date), never the computer's clock.

Priority
--------
For each account active on ``as_of`` seven signals are computed, each a number in [0, 1];
an account's priority is the weighted sum and each term is reported as a *component*::

    priority = sum_k  w_k x s_k                 (w = WorklistSettings.weights, points)

====================  =========================================================================
component             signal ``s`` (0 when the condition does not hold)
====================  =========================================================================
``arr_at_risk``       min(1, ARR x p / arr_scale); ``p`` = churn probability (input) or, when
                      absent, ``(100 - health score) / 100`` (labelled ``risk_source="health"``);
                      ``arr_scale`` defaults to the 90th percentile of active accounts' ARR
``renewal``           renewal in 0..``renewal_window_days`` days and health below
                      ``poor_health_below``: 0.5 + 0.5 x (1 - days / window); overdue: 1
``health_drop``       drop since the previous snapshot >= ``health_drop_min``:
                      min(1, drop / ``health_drop_full``)
``urgent_tickets``    open tickets of an urgent priority: min(1, n / ``urgent_full``)
``detractor``         latest NPS within ``nps_window_days`` <= 6:
                      0.5 + 0.5 x (6 - NPS) / 6
``no_touch``          days since the last CSM touch (an activity not of kind ``note``) above
                      ``touch_gap_days``: min(1, days / (2 x gap)); none on record: 1
``expansion``         open expansion (optional whitespace input, ``expected_mrr`` per month):
                      min(1, 12 x MRR / arr_scale)
====================  =========================================================================

An account is on the list when at least one condition holds (for ``arr_at_risk``: ``p >=
risk_reason_min``); each holding condition gives a reason in words (and so does an ARR-at-risk
component of at least ``risk_reason_points``, so the reasons explain the rank): "$78,000 ARR at
risk (health 35)", "renewal in 41 days",
"health down 18 points", "2 urgent tickets open", "NPS 3 (detractor)", "no CSM touch for 62
days", "$4,200/mo expansion open"). The list is ordered by priority, then ARR, then id.

Next step: "Escalate to an executive sponsor" for a high-value (ARR >= ``high_value_arr``,
default the 75th percentile) critical account (health below ``critical_health_below`` or
``p >= critical_churn_probability``); otherwise the step of the largest component
(:data:`NEXT_STEPS`).

The signals follow the playbooks of shared/domain/001 and 003 (renewal preparation, detractor
follow-up, escalations) and the risk-and-opportunity mix of DESIGN.md ("Worklist").
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..frames import date_part, records_in_pieces

from .health import CLOSED_TICKET_STATUSES, active_mask

__all__ = [
    "COMPONENTS", "NEXT_STEPS", "WorklistWeights", "WorklistSettings", "build_worklist",
    "worklist_items", "worklist_from_workspace", "health_alerts", "team_targets",
    "team_targets_from_workspace", "currency_symbol",
]

COMPONENTS = ("arr_at_risk", "renewal", "health_drop", "urgent_tickets", "detractor",
              "no_touch", "expansion")

#: the suggested next step when a component dominates an item's priority.
NEXT_STEPS = {
    "arr_at_risk": "Build a save plan for the account",
    "renewal": "Book an EBR before the renewal",
    "health_drop": "Review what moved the health score and call the champion",
    "urgent_tickets": "Review the open urgent tickets with support",
    "detractor": "Call the detractor to close the loop",
    "no_touch": "Schedule a check-in call",
    "expansion": "Open an expansion conversation",
}
ESCALATE = "Escalate to an executive sponsor"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$",
            "CHF": "CHF ", "INR": "₹"}


def currency_symbol(code: str | None) -> str:
    """Symbol for an ISO currency code (``"USD"`` -> ``"$"``; unknown -> ``"XYZ "``)."""
    if not code:
        return "$"
    return _SYMBOLS.get(code.upper(), code.upper() + " ")


@dataclass
class WorklistWeights:
    """Points each component is worth at full signal (see the module docstring)."""

    arr_at_risk: float = 35.0
    renewal: float = 25.0
    health_drop: float = 15.0
    urgent_tickets: float = 15.0
    detractor: float = 10.0
    no_touch: float = 10.0
    expansion: float = 20.0


@dataclass
class WorklistSettings:
    """Every threshold and weight of the worklist and the team targets (all settings)."""

    weights: WorklistWeights = field(default_factory=WorklistWeights)
    renewal_window_days: int = 90
    poor_health_below: float = 70.0
    critical_health_below: float = 40.0
    critical_churn_probability: float = 0.5
    risk_reason_min: float = 0.4
    #: an item already on the list also says "ARR at risk" when that component is this big.
    risk_reason_points: float = 10.0
    health_drop_min: float = 10.0
    health_drop_full: float = 30.0
    urgent_priorities: tuple[str, ...] = ("urgent",)
    urgent_full: int = 3
    detractor_max: float = 6.0
    nps_window_days: int = 365
    touch_gap_days: int = 45
    touch_excluded_kinds: tuple[str, ...] = ("note",)
    arr_scale: float | None = None
    high_value_arr: float | None = None
    currency_symbol: str = "$"
    #: when no earlier snapshot is stored, recompute the score this many days before as_of.
    health_baseline_days: int = 30
    #: team targets: health alerts older than this without a touch are "unanswered".
    alert_response_hours: float = 48.0
    alert_lookback_days: int = 90
    retention_window_months: int = 12

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ helpers
def _day(x) -> int:
    return (dt.date.fromisoformat(str(x)[:10]) - dt.date(1970, 1, 1)).days


def _days(col: pd.Series) -> np.ndarray:
    """Day numbers (float, NaN when missing/unparseable) of ISO dates or timestamps.

    Each distinct value is parsed once (a million activity dates hold a few hundred distinct
    days; parsing them all in one call held Python's interpreter lock for half a second)."""
    codes, uniques = pd.factorize(date_part(col), use_na_sentinel=True)
    text = pd.Series([str(v)[:10] for v in uniques], dtype=object)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    ns = parsed.to_numpy(dtype="datetime64[ns]")
    udays = ns.astype("datetime64[D]").astype("int64").astype("float64")
    udays[np.isnat(ns)] = np.nan
    return np.append(udays, np.nan)[codes]


def _per_account(ids: pd.Index, keys: pd.Series, values: np.ndarray, how: str) -> np.ndarray:
    """Reduce ``values`` grouped by account ``keys`` onto ``ids`` (NaN/0 where none).

    ``how``: ``count`` (rows per account, 0 where none), ``max`` (NaN values skipped; NaN
    where none) or ``sum`` (NaN where no row). Keys are looked up once per distinct value and
    reduced with numpy, so a million rows never sit in one long pandas group-by."""
    if not ids.is_unique:
        s = pd.Series(values, index=pd.Index(keys.astype(str).to_numpy()))
        g = s.groupby(level=0).size() if how == "count" else getattr(s.groupby(level=0), how)()
        out = g.reindex(ids)
        return (out.fillna(0) if how == "count" else out).to_numpy(dtype="float64")
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    at = ids.get_indexer(pd.Index([str(u) for u in uniques], dtype=object))
    target = np.append(at, -1)[codes]
    ok = target >= 0
    t, n = target[ok], len(ids)
    if how == "count":
        return np.bincount(t, minlength=n).astype("float64")
    vals = np.asarray(values, dtype="float64")[ok]
    if how == "max":
        out = np.full(n, np.nan)
        np.fmax.at(out, t, vals)
        return out
    if how == "sum":
        total = np.bincount(t, weights=np.nan_to_num(vals, nan=0.0), minlength=n)
        return np.where(np.bincount(t, minlength=n) > 0, total, np.nan)
    raise ValueError(f"unknown reduction {how!r}")


def _money(x: float, symbol: str) -> str:
    return f"{symbol}{x:,.0f}"


def _lower(col: pd.Series) -> pd.Series:
    """Text stripped and lower-cased ("" for missing), each distinct value once."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    table = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
    return pd.Series(table[codes], index=col.index, dtype=object)


# ------------------------------------------------------------------ the list
def build_worklist(
    accounts: pd.DataFrame,
    *,
    as_of: str,
    scores: pd.DataFrame | None = None,
    previous_scores: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    churn_probability: pd.Series | None = None,
    expansion: pd.DataFrame | None = None,
    settings: WorklistSettings | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Rank the accounts that need attention as of ``as_of``.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts (``account_id``, ``name``, ``owner``, ``arr``, ``renewal_date``,
        ``status``, ``churn_date``, ``contract_start``); only accounts active on ``as_of``
        are considered.
    as_of : str
        'YYYY-MM-DD', the data date.
    scores : DataFrame, optional
        Current health (``account_id``, ``score`` 0-100), e.g. ``health.score_accounts``.
    previous_scores : DataFrame, optional
        The previous snapshot (``account_id``, ``score``) for health drops.
    tickets, surveys, activities : DataFrame, optional
        Canonical frames; an absent or empty frame switches its signal off (it never flags
        every account for lack of data).
    churn_probability : Series, optional
        Churn probability (0-1) indexed by ``account_id`` (e.g. from the churn model). When
        absent the health score stands in: ``p = (100 - score) / 100``.
    expansion : DataFrame, optional
        Whitespace suggestions: ``account_id``, ``expected_mrr`` (per month; several rows per
        account are added up).
    settings : WorklistSettings, optional
    limit : int, optional
        Keep only the first ``limit`` items.

    Returns
    -------
    DataFrame
        One row per item, best first: ``rank``, ``account_id``, ``name``, ``owner``, ``arr``,
        ``priority``, ``components`` (dict component -> points, summing to ``priority``),
        ``reasons`` (list of phrases), ``next_step``, and the inputs behind them: ``health``,
        ``health_before``, ``health_delta``, ``churn_probability``, ``arr_at_risk``,
        ``days_to_renewal``, ``urgent_open``, ``nps``, ``days_since_touch``, ``expansion_mrr``.
        ``attrs``: ``as_of``, ``risk_source`` ("model" or "health"), ``arr_scale``,
        ``high_value_arr``, ``weights``.
    """
    st = settings or WorklistSettings()
    w = st.weights
    as_of = str(as_of)[:10]
    today = _day(as_of)
    acc = accounts[active_mask(accounts, as_of).to_numpy()].reset_index(drop=True)
    ids = pd.Index(acc["account_id"].astype(str))
    n = len(acc)
    arr = pd.to_numeric(acc.get("arr", pd.Series(0.0, index=acc.index)), errors="coerce") \
        .fillna(0.0).to_numpy(dtype="float64")
    pos = arr[arr > 0]
    arr_scale = st.arr_scale or (float(np.percentile(pos, 90)) if pos.size else 1.0)
    high_value = st.high_value_arr if st.high_value_arr is not None else (
        float(np.percentile(pos, 75)) if pos.size else np.inf)
    sym = st.currency_symbol

    # health now and before
    def _score(frame):
        if frame is None or len(frame) == 0:
            return np.full(n, np.nan)
        s = pd.Series(pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype="float64"),
                      index=frame["account_id"].astype(str).to_numpy())
        return s[~s.index.duplicated(keep="last")].reindex(ids).to_numpy(dtype="float64")

    health = _score(scores)
    before = _score(previous_scores)
    delta = health - before

    # risk
    if churn_probability is not None:
        cp = pd.Series(churn_probability)
        cp.index = cp.index.astype(str)
        cp = cp[~cp.index.duplicated(keep="last")]
        p = pd.to_numeric(cp.reindex(ids), errors="coerce").to_numpy(dtype="float64")
        risk_source = "model"
    else:
        p = (100.0 - health) / 100.0
        risk_source = "health"
    p = np.clip(p, 0.0, 1.0)
    at_risk = arr * np.nan_to_num(p, nan=0.0)

    # renewal
    if "renewal_date" in acc:
        days_to_renewal = _days(acc["renewal_date"]) - today
    else:
        days_to_renewal = np.full(n, np.nan)

    # urgent tickets open on as_of
    urgent = np.zeros(n)
    has_tickets = tickets is not None and len(tickets) > 0
    if has_tickets:
        t = tickets[tickets["account_id"].notna()]
        created = _days(t["created_at"])
        solved = _days(t["solved_at"]) if "solved_at" in t else np.full(len(t), np.nan)
        status = _lower(t["status"]) if "status" in t else pd.Series("", index=t.index)
        closed_now = np.where(np.isnan(solved),
                              status.isin(CLOSED_TICKET_STATUSES).to_numpy(), solved <= today)
        prio = _lower(t["priority"]) if "priority" in t else pd.Series("", index=t.index)
        is_urgent = prio.isin([x.lower() for x in st.urgent_priorities]).to_numpy()
        keep = is_urgent & ~closed_now & (created <= today)
        urgent = _per_account(ids, t["account_id"][keep], np.ones(int(keep.sum())), "count")

    # NPS: latest response within the window
    nps = np.full(n, np.nan)
    has_nps = False
    if surveys is not None and len(surveys) > 0:
        s = surveys[surveys["account_id"].notna()]
        kind = _lower(s["kind"]) if "kind" in s else pd.Series("nps", index=s.index)
        d = _days(s["date"])
        score = pd.to_numeric(s["score"], errors="coerce").to_numpy(dtype="float64")
        keep = (kind == "nps").to_numpy() & (d <= today) & (d > today - st.nps_window_days) \
            & ~np.isnan(score)
        has_nps = bool(((kind == "nps").to_numpy()).any())
        if keep.any():
            sub = pd.DataFrame({"a": s["account_id"].astype(str).to_numpy()[keep],
                                "d": d[keep], "v": score[keep]})
            sub = sub.sort_values(["a", "d"], kind="stable").drop_duplicates("a", keep="last")
            nps = sub.set_index("a")["v"].reindex(ids).to_numpy(dtype="float64")

    # last CSM touch
    days_since_touch = np.full(n, np.nan)
    has_touch_data = activities is not None and len(activities) > 0
    if has_touch_data:
        a = activities[activities["account_id"].notna()]
        kind = _lower(a["kind"]) if "kind" in a else pd.Series("", index=a.index)
        d = _days(a["date"])
        keep = ~kind.isin([k.lower() for k in st.touch_excluded_kinds]).to_numpy() \
            & (d <= today)
        last = _per_account(ids, a["account_id"][keep], d[keep], "max")
        days_since_touch = today - last
    started = _days(acc["contract_start"]) if "contract_start" in acc else np.full(n, np.nan)

    # expansion
    exp_mrr = np.zeros(n)
    if expansion is not None and len(expansion) > 0:
        e = expansion[expansion["account_id"].notna()]
        v = pd.to_numeric(e["expected_mrr"], errors="coerce").fillna(0.0).to_numpy("float64")
        exp_mrr = np.nan_to_num(_per_account(ids, e["account_id"], v, "sum"), nan=0.0)

    # ---------------------------------------------------------- signals
    sig = {k: np.zeros(n) for k in COMPONENTS}
    hit = {k: np.zeros(n, dtype=bool) for k in COMPONENTS}
    sig["arr_at_risk"] = np.minimum(1.0, at_risk / arr_scale) if arr_scale > 0 else 0 * at_risk
    hit["arr_at_risk"] = np.nan_to_num(p, nan=0.0) >= st.risk_reason_min
    win = float(st.renewal_window_days)
    poor = health < st.poor_health_below
    in_window = (days_to_renewal >= 0) & (days_to_renewal <= win)
    overdue = days_to_renewal < 0
    hit["renewal"] = (in_window | overdue) & poor
    sig["renewal"] = np.where(overdue, 1.0,
                              0.5 + 0.5 * (1 - np.nan_to_num(days_to_renewal) / win)) \
        * hit["renewal"]
    drop = -delta
    hit["health_drop"] = drop >= st.health_drop_min
    sig["health_drop"] = np.where(hit["health_drop"],
                                  np.minimum(1.0, np.nan_to_num(drop) / st.health_drop_full), 0)
    hit["urgent_tickets"] = urgent > 0
    sig["urgent_tickets"] = np.minimum(1.0, urgent / max(1, st.urgent_full))
    dm = st.detractor_max
    hit["detractor"] = nps <= dm
    sig["detractor"] = np.where(hit["detractor"],
                                0.5 + 0.5 * (dm - np.nan_to_num(nps)) / dm if dm > 0 else 1.0, 0)
    gap = float(st.touch_gap_days)
    if has_touch_data:
        never = np.isnan(days_since_touch)
        since_start = today - started
        never_due = never & ~(since_start <= gap)  # new accounts get their grace period
        late = ~never & (days_since_touch > gap)
        hit["no_touch"] = never_due | late
        sig["no_touch"] = np.where(never_due, 1.0,
                                   np.where(late, np.minimum(1.0, np.nan_to_num(
                                       days_since_touch) / (2 * gap)), 0.0))
    hit["expansion"] = exp_mrr > 0
    sig["expansion"] = np.minimum(1.0, 12 * exp_mrr / arr_scale) if arr_scale > 0 else 0 * exp_mrr

    pts = {k: getattr(w, k) * np.nan_to_num(sig[k], nan=0.0) for k in COMPONENTS}
    priority = np.sum([pts[k] for k in COMPONENTS], axis=0) if n else np.zeros(0)
    on_list = np.any([hit[k] for k in COMPONENTS], axis=0) if n else np.zeros(0, dtype=bool)

    critical = (health < st.critical_health_below) | \
        (np.nan_to_num(p, nan=0.0) >= st.critical_churn_probability)
    critical &= (health < st.poor_health_below) | (risk_source == "model") | np.isnan(health)
    escalate = critical & (arr >= high_value) & (arr > 0)

    # ---------------------------------------------------------- words
    # plain arrays for the per-row loop: pandas indexing per row cost more than the words
    names = acc["name"].to_numpy(dtype=object) if "name" in acc else ids
    owners = acc["owner"].to_numpy(dtype=object) if "owner" in acc else np.full(n, None)
    rows = []
    for i in np.flatnonzero(on_list):
        reasons = []
        if hit["arr_at_risk"][i] or pts["arr_at_risk"][i] >= st.risk_reason_points:
            if risk_source == "model":
                reasons.append(f"{_money(at_risk[i], sym)} ARR at risk "
                               f"(churn risk {p[i]:.0%})")
            else:
                reasons.append(f"{_money(at_risk[i], sym)} ARR at risk "
                               f"(health {health[i]:.0f})")
        if hit["renewal"][i]:
            dd = int(days_to_renewal[i])
            reasons.append(f"renewal overdue by {-dd} day{'s' if dd != -1 else ''}" if dd < 0
                           else "renewal today" if dd == 0
                           else f"renewal in {dd} day{'s' if dd != 1 else ''}")
        if hit["health_drop"][i]:
            reasons.append(f"health down {drop[i]:.0f} points")
        if hit["urgent_tickets"][i]:
            k = int(urgent[i])
            reasons.append(f"{k} urgent ticket{'s' if k != 1 else ''} open")
        if hit["detractor"][i]:
            reasons.append(f"NPS {nps[i]:.0f} (detractor)")
        if hit["no_touch"][i]:
            reasons.append("no CSM touch on record" if np.isnan(days_since_touch[i])
                           else f"no CSM touch for {int(days_since_touch[i])} days")
        if hit["expansion"][i]:
            reasons.append(f"{_money(exp_mrr[i], sym)}/mo expansion open")
        comps = {k: round(float(pts[k][i]), 2) for k in COMPONENTS}
        if escalate[i]:
            step = ESCALATE
        else:
            triggered = [k for k in COMPONENTS if hit[k][i]]
            top = max(triggered, key=lambda k: (pts[k][i], -COMPONENTS.index(k)))
            step = NEXT_STEPS[top]
        rows.append({
            "account_id": ids[i], "name": names[i], "owner": owners[i],
            "arr": float(arr[i]), "priority": round(float(priority[i]), 2),
            "components": comps, "reasons": reasons, "next_step": step,
            "health": _opt(health[i]), "health_before": _opt(before[i]),
            "health_delta": _opt(delta[i]), "churn_probability": _opt(p[i]),
            "arr_at_risk": float(at_risk[i]),
            "days_to_renewal": _opt(days_to_renewal[i], int),
            "urgent_open": int(urgent[i]), "nps": _opt(nps[i]),
            "days_since_touch": _opt(days_since_touch[i], int),
            "expansion_mrr": float(exp_mrr[i]),
        })
    cols = ["rank", "account_id", "name", "owner", "arr", "priority", "components", "reasons",
            "next_step", "health", "health_before", "health_delta", "churn_probability",
            "arr_at_risk", "days_to_renewal", "urgent_open", "nps", "days_since_touch",
            "expansion_mrr"]
    out = records_in_pieces(rows, [c for c in cols if c != "rank"])
    if len(out):
        out = out.sort_values(["priority", "arr", "account_id"],
                              ascending=[False, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    for c in ("days_to_renewal", "days_since_touch"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    if limit is not None:
        out = out.head(limit)
    out.attrs.update(as_of=as_of, risk_source=risk_source, arr_scale=arr_scale,
                     high_value_arr=high_value, weights=asdict(w),
                     signals={"tickets": has_tickets, "nps": has_nps,
                              "activities": has_touch_data,
                              "expansion": expansion is not None})
    return out


def _opt(x, kind=float):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else kind(x)


def worklist_items(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The worklist as JSON-ready dicts (None for missing values)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False)) if len(frame) else []


# ------------------------------------------------------------------ workspace wrappers
def _scoring(ws, as_of: str, scorecard=None, data=None):
    from ..models.scores import load_scorecard
    from .health import ScoringData, score_accounts
    from .scorecard_presets import DEFAULT_ID, default_scorecard

    data = data if data is not None else ScoringData.from_workspace(ws)
    card = scorecard or load_scorecard(ws, DEFAULT_ID) or default_scorecard(data)
    current = score_accounts(card, data, as_of)
    return data, card, current


def _baseline(ws, card, data, as_of: str, st: WorklistSettings):
    """(previous scores, label): the latest stored snapshot before ``as_of``, else the score
    recomputed ``health_baseline_days`` earlier."""
    from ..models.scores import load_snapshot
    from .health import score_accounts

    prev = load_snapshot(ws, card.id, before=as_of)
    if prev is not None:
        return prev, f"stored snapshot of {prev.attrs['as_of']}"
    when = (dt.date.fromisoformat(as_of) - dt.timedelta(days=st.health_baseline_days))
    prev = score_accounts(card, data, when.isoformat())
    return prev, f"recomputed as of {when.isoformat()} (no earlier snapshot stored)"


def health_baseline(ws, card, data, as_of: str, days: int | None = None):
    """(earlier scores, label): what a health change is measured against, the same for the
    worklist's "health down N points" and the Accounts table's Trend column: the latest
    stored snapshot of ``card`` before ``as_of``, else the score recomputed ``days``
    (default :attr:`WorklistSettings.health_baseline_days`) earlier."""
    st = WorklistSettings() if days is None else WorklistSettings(health_baseline_days=days)
    return _baseline(ws, card, data, as_of, st)


def worklist_from_workspace(
    ws,
    *,
    as_of: str | None = None,
    churn_probability: pd.Series | None = None,
    expansion: pd.DataFrame | None = None,
    settings: WorklistSettings | None = None,
    scorecard=None,
    limit: int | None = None,
    data=None,
) -> pd.DataFrame:
    """:func:`build_worklist` on a workspace as of its data date (``data``: its
    :class:`~acctdesk.analytics.health.ScoringData` when already read).

    Health is scored with the stored default scorecard (or the shipped default); the previous
    snapshot is the latest stored one before ``as_of``, or the score recomputed
    ``settings.health_baseline_days`` earlier. ``attrs["health_baseline"]`` says which.
    """
    st = settings or WorklistSettings()
    as_of = str(as_of or ws.data_date() or "")[:10]
    if not as_of:
        raise ValueError("the workspace has no data yet (no data date)")
    if st.currency_symbol == "$":
        st.currency_symbol = currency_symbol(ws.get_meta("currency"))
    data, card, current = _scoring(ws, as_of, scorecard, data)
    previous, label = _baseline(ws, card, data, as_of, st)
    out = build_worklist(data.accounts, as_of=as_of, scores=current, previous_scores=previous,
                         tickets=data.tickets, surveys=data.surveys,
                         activities=data.activities, churn_probability=churn_probability,
                         expansion=expansion, settings=st, limit=limit)
    out.attrs["health_baseline"] = label
    out.attrs["scorecard"] = card.id
    return out


# ------------------------------------------------------------------ team targets (point 9)
def health_alerts(snapshots: pd.DataFrame, *, red_below: float = 40.0,
                  drop_min: float = 10.0) -> pd.DataFrame:
    """Health alerts raised by a series of score snapshots.

    An alert is raised for an account at snapshot date ``d`` when its score is below
    ``red_below`` and was not at the previous snapshot (or there is no previous one), or when
    it fell by at least ``drop_min`` points since the previous snapshot.

    Parameters
    ----------
    snapshots : DataFrame
        Long: ``account_id``, ``as_of`` ('YYYY-MM-DD'), ``score``.

    Returns
    -------
    DataFrame
        ``account_id``, ``raised_at``, ``kind`` ("red" or "drop"), ``score``, ``score_before``.
    """
    cols = ["account_id", "raised_at", "kind", "score", "score_before"]
    if snapshots is None or len(snapshots) == 0:
        return pd.DataFrame({c: [] for c in cols})
    s = snapshots[["account_id", "as_of", "score"]].copy()
    s["account_id"] = s["account_id"].astype(str)
    s["as_of"] = s["as_of"].astype(str).str[:10]
    s["score"] = pd.to_numeric(s["score"], errors="coerce")
    s = s.sort_values(["account_id", "as_of"], kind="stable")
    s["score_before"] = s.groupby("account_id")["score"].shift(1)
    red_now = s["score"] < red_below
    red_before = s["score_before"] < red_below
    became_red = red_now & ~red_before
    dropped = (s["score_before"] - s["score"]) >= drop_min
    s = s[became_red | dropped].copy()
    s["kind"] = np.where(became_red.loc[s.index], "red", "drop")
    s = s.rename(columns={"as_of": "raised_at"})
    return s[cols].reset_index(drop=True)


def team_targets(
    accounts: pd.DataFrame,
    *,
    as_of: str,
    scores: pd.DataFrame | None = None,
    mrr: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
    settings: WorklistSettings | None = None,
    by: str = "owner",
) -> pd.DataFrame:
    """Team targets as a dashboard-ready frame: one row for the team ("(all)") and one per
    ``by`` value (owner).

    Columns
    -------
    ``accounts`` active on ``as_of``; ``scored``; ``share_green`` / ``share_red`` = accounts in
    the green / red band (band labels Green/Good and Red/Poor; without bands, score >= 70 and
    < 40) / scored accounts; ``grr`` and ``logo_retention`` over the trailing
    ``retention_window_months`` to ``as_of``'s month (standard definition of
    :func:`acctdesk.analytics.metrics.retention`: GRR = min(100%, (start MRR - contraction -
    churn) / start MRR), logo retention = 1 - logo churn); ``expansion_qtd`` = expansion MRR
    movements in the calendar quarter of ``as_of`` to date; ``renewals_due`` /
    ``renewals_due_arr`` = active accounts renewing within ``renewal_window_days``;
    ``health_alerts`` = accounts with an alert (:func:`health_alerts`) raised in the last
    ``alert_lookback_days``; ``alerts_unanswered`` = of those, alerts older than
    ``alert_response_hours`` (48 h; days at the data's resolution) with no CSM touch on or
    after the day they were raised.
    """
    st = settings or WorklistSettings()
    as_of = str(as_of)[:10]
    today = _day(as_of)
    every = accounts.assign(account_id=accounts["account_id"].astype(str))
    key = every[by].astype(object).where(every[by].notna(), "(unassigned)") if by in every \
        else pd.Series("(unassigned)", index=every.index)
    # group of every account (churned ones too: their churn counts against their owner)
    owner_all = pd.Series(key.astype(str).to_numpy(), index=every["account_id"].to_numpy())
    owner_all = owner_all[~owner_all.index.duplicated(keep="last")]
    acc = every[active_mask(every, as_of).to_numpy()].reset_index(drop=True)
    owner_of = owner_all.reindex(acc["account_id"].to_numpy())  # active accounts only
    groups = ["(all)"] + sorted(set(owner_all))
    out = pd.DataFrame({by: groups}).set_index(by)

    def per_group(values: pd.Series, how: str = "sum") -> pd.Series:
        """values indexed by account_id -> per group incl. (all)."""
        g = owner_all.reindex(values.index).fillna("(unassigned)")
        res = getattr(values.groupby(g.to_numpy()), how)()
        res.loc["(all)"] = getattr(values, how)()
        return res.reindex(groups)

    ones = pd.Series(1.0, index=owner_of.index)
    out["accounts"] = per_group(ones).fillna(0).astype(int)

    # bands
    if scores is not None and len(scores):
        sc = scores.assign(account_id=scores["account_id"].astype(str))
        sc = sc[sc["account_id"].isin(owner_of.index)].drop_duplicates("account_id", keep="last")
        sc = sc.set_index("account_id")
        score = pd.to_numeric(sc["score"], errors="coerce")
        if "band" in sc:
            band = _lower(sc["band"])
            green = band.isin(["green", "good"]) & score.notna()
            red = band.isin(["red", "poor"]) & score.notna()
        else:
            green, red = score >= 70, score < 40
        scored = score.notna().astype(float)
        out["scored"] = per_group(scored).fillna(0).astype(int)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_green"] = per_group(green.astype(float)) / out["scored"].replace(0, np.nan)
            out["share_red"] = per_group(red.astype(float)) / out["scored"].replace(0, np.nan)
    else:
        out["scored"] = 0
        out["share_green"] = np.nan
        out["share_red"] = np.nan

    # revenue
    out["grr"] = np.nan
    out["logo_retention"] = np.nan
    out["expansion_qtd"] = 0.0
    if mrr is not None and len(mrr):
        from . import metrics

        months = mrr.attrs.get("months") or sorted(mrr["month"].unique())
        end_m = as_of[:7]
        if end_m in months:
            i = months.index(end_m)
            start_m = months[max(0, i - st.retention_window_months)]
            if start_m < end_m:
                acc_attr = pd.DataFrame({"account_id": owner_all.index,
                                         by: owner_all.to_numpy()})
                tot = metrics.retention(mrr, start_month=start_m, end_month=end_m)
                grp = metrics.retention(mrr, acc_attr, start_month=start_m, end_month=end_m,
                                        by=by)
                grp = grp.set_index(by)
                for c in ("grr", "logo_retention"):
                    out.loc["(all)", c] = float(tot[c].iloc[0]) if len(tot) else np.nan
                    for gname in grp.index:
                        if gname in out.index:
                            out.loc[gname, c] = float(grp.loc[gname, c])
                out.attrs["retention_period"] = f"{start_m} to {end_m}"
            q0 = (int(end_m[5:7]) - 1) // 3 * 3 + 1
            q_months = [f"{end_m[:4]}-{m:02d}" for m in range(q0, int(end_m[5:7]) + 1)]
            mv = metrics.movements_by_account(mrr, kind="expansion")
            mv = mv[mv["month"].isin(q_months)]
            if len(mv):
                amt = mv.groupby(mv["account_id"].astype(str))["amount"].sum()
                out["expansion_qtd"] = per_group(amt).fillna(0.0)

    # renewals due
    if "renewal_date" in acc:
        days = _days(acc["renewal_date"]) - today
        due = (days >= 0) & (days <= st.renewal_window_days)
        arr = pd.to_numeric(acc.get("arr"), errors="coerce").fillna(0.0).to_numpy("float64")
        out["renewals_due"] = per_group(pd.Series(due.astype(float),
                                                  index=acc["account_id"])).fillna(0).astype(int)
        out["renewals_due_arr"] = per_group(pd.Series(np.where(due, arr, 0.0),
                                                      index=acc["account_id"])).fillna(0.0)
    else:
        out["renewals_due"] = 0
        out["renewals_due_arr"] = 0.0

    # alerts and response
    out["health_alerts"] = 0
    out["alerts_unanswered"] = 0
    if alerts is not None and len(alerts):
        al = alerts.assign(account_id=alerts["account_id"].astype(str))
        al = al[al["account_id"].isin(owner_of.index)]
        raised = _days(al["raised_at"])
        al = al[(raised <= today) & (raised > today - st.alert_lookback_days)]
        al = al.assign(_d=_days(al["raised_at"])).sort_values("_d", kind="stable") \
            .drop_duplicates("account_id", keep="last")
        touched_after = np.zeros(len(al), dtype=bool)
        if activities is not None and len(activities):
            a = activities[activities["account_id"].notna()]
            kind = _lower(a["kind"]) if "kind" in a else pd.Series("", index=a.index)
            d = _days(a["date"])
            keep = ~kind.isin([k.lower() for k in st.touch_excluded_kinds]).to_numpy() \
                & (d <= today)
            last = _per_account(pd.Index(al["account_id"]), a["account_id"][keep], d[keep],
                                "max")
            touched_after = last >= al["_d"].to_numpy()
        old = (today - al["_d"].to_numpy()) * 24 >= st.alert_response_hours
        unanswered = old & ~touched_after
        idx = al["account_id"].to_numpy()
        out["health_alerts"] = per_group(pd.Series(1.0, index=idx)).fillna(0).astype(int)
        out["alerts_unanswered"] = per_group(pd.Series(unanswered.astype(float), index=idx)) \
            .fillna(0).astype(int)
    out = out.reset_index()
    out.attrs.update(as_of=as_of, definition="standard",
                     renewal_window_days=st.renewal_window_days,
                     alert_response_hours=st.alert_response_hours)
    return out


def team_targets_from_workspace(ws, *, as_of: str | None = None,
                                settings: WorklistSettings | None = None,
                                scorecard=None, by: str = "owner") -> pd.DataFrame:
    """:func:`team_targets` on a workspace: current scores, MRR from subscriptions, and alerts
    from the stored score history plus the baseline and current scores (see
    :func:`worklist_from_workspace`)."""
    from ..models.scores import score_history
    from . import metrics

    st = settings or WorklistSettings()
    as_of = str(as_of or ws.data_date() or "")[:10]
    if not as_of:
        raise ValueError("the workspace has no data yet (no data date)")
    data, card, current = _scoring(ws, as_of, scorecard)
    previous, _label = _baseline(ws, card, data, as_of, st)
    hist = score_history(ws, card.id, expand=False)
    hist = hist[hist["as_of"] < as_of][["account_id", "as_of", "score"]]
    if previous is not None and not len(hist):
        hist = previous[["account_id", "score"]].assign(
            as_of=previous.attrs.get("as_of", as_of))
    snaps = pd.concat([hist, current[["account_id", "score"]].assign(as_of=as_of)],
                      ignore_index=True)
    red = next((b.lower for b in card.bands[1:2]), st.critical_health_below) \
        if len(card.bands) > 1 else st.critical_health_below
    alerts = health_alerts(snaps, red_below=red, drop_min=st.health_drop_min)
    subs = data.subscriptions
    mrr = metrics.mrr_by_month(subs, as_of=as_of) if subs is not None and len(subs) else None
    return team_targets(data.accounts, as_of=as_of, scores=current, mrr=mrr,
                        activities=data.activities, alerts=alerts, settings=st, by=by)
