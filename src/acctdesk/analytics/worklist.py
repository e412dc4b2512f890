"""The worklist ("Today"): one ranked list of accounts that need attention, and team targets.

Pure functions over DataFrames (no Qt, no SQL, no workspace reads; the engine,
:mod:`acctdesk.engine`, feeds them). Everything is computed as of a date (the workspace's
data date), never the computer's clock.

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

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain.accounts import active_mask, risk_from_health
from ..domain.dates import days as _days
from ..domain.dates import to_day as _day
from ..domain.money import money_formatter
from ..domain.numbers import finite, whole
from ..domain.statuses import CLOSED_TICKET_STATUSES, status_keys
from ..frames import records_in_pieces

__all__ = [
    "COMPONENTS", "NEXT_STEPS", "WorklistWeights", "WorklistSettings", "build_worklist",
    "worklist_items", "health_alerts", "team_targets",
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
    #: ISO code of the workspace's currency (money in the reasons)
    currency: str = "USD"
    #: when no earlier snapshot is stored, recompute the score this many days before as_of.
    health_baseline_days: int = 30
    #: team targets: health alerts older than this without a touch are "unanswered".
    alert_response_hours: float = 48.0
    alert_lookback_days: int = 90
    retention_window_months: int = 12

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ helpers
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
    as_of = str(as_of)[:10]
    b = _book(accounts, as_of, st)
    b.health, b.before = _scores_of(scores, b.ids), _scores_of(previous_scores, b.ids)
    b.p, b.risk_source = _risk(churn_probability, b)
    b.days_to_renewal = _days(b.acc["renewal_date"]) - b.today \
        if "renewal_date" in b.acc else np.full(b.n, np.nan)
    has_tickets = tickets is not None and len(tickets) > 0
    b.urgent = _urgent_open(tickets, b, st) if has_tickets else np.zeros(b.n)
    b.nps, has_nps = _latest_nps(surveys, b, st)
    has_touch_data = activities is not None and len(activities) > 0
    b.days_since_touch = _days_since_touch(activities, b, st) if has_touch_data \
        else np.full(b.n, np.nan)
    b.exp_mrr = _expansion_mrr(expansion, b)
    sig, hit = _signals(b, st, has_touch_data)
    pts = {k: getattr(st.weights, k) * np.nan_to_num(sig[k], nan=0.0) for k in COMPONENTS}
    out = _items(b, st, pts, hit)
    if limit is not None:
        out = out.head(limit)
    out.attrs.update(as_of=as_of, risk_source=b.risk_source, arr_scale=b.arr_scale,
                     high_value_arr=b.high_value, weights=asdict(st.weights),
                     signals={"tickets": has_tickets, "nps": has_nps,
                              "activities": has_touch_data,
                              "expansion": expansion is not None})
    return out


@dataclass
class _Book:
    """The active accounts of a worklist and the per-account arrays its signals use."""

    acc: pd.DataFrame
    ids: pd.Index
    today: int
    arr: np.ndarray
    arr_scale: float
    high_value: float
    health: np.ndarray = None
    before: np.ndarray = None
    p: np.ndarray = None
    risk_source: str = "health"
    days_to_renewal: np.ndarray = None
    urgent: np.ndarray = None
    nps: np.ndarray = None
    days_since_touch: np.ndarray = None
    exp_mrr: np.ndarray = None

    @property
    def n(self) -> int:
        return len(self.acc)

    @property
    def at_risk(self) -> np.ndarray:
        return self.arr * np.nan_to_num(self.p, nan=0.0)


def _book(accounts: pd.DataFrame, as_of: str, st: WorklistSettings) -> _Book:
    """The accounts active on ``as_of``, their ARR, the ARR scale and the high-value bar."""
    acc = accounts[active_mask(accounts, as_of).to_numpy()].reset_index(drop=True)
    arr = pd.to_numeric(acc.get("arr", pd.Series(0.0, index=acc.index)), errors="coerce") \
        .fillna(0.0).to_numpy(dtype="float64")
    pos = arr[arr > 0]
    arr_scale = st.arr_scale or (float(np.percentile(pos, 90)) if pos.size else 1.0)
    high_value = st.high_value_arr if st.high_value_arr is not None else (
        float(np.percentile(pos, 75)) if pos.size else np.inf)
    return _Book(acc, pd.Index(acc["account_id"].astype(str)), _day(as_of), arr, arr_scale,
                 high_value)


def _scores_of(frame: pd.DataFrame | None, ids: pd.Index) -> np.ndarray:
    """A health frame's ``score`` per account of ``ids`` (NaN where none)."""
    if frame is None or len(frame) == 0:
        return np.full(len(ids), np.nan)
    s = pd.Series(pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype="float64"),
                  index=frame["account_id"].astype(str).to_numpy())
    return s[~s.index.duplicated(keep="last")].reindex(ids).to_numpy(dtype="float64")


def _risk(churn_probability: pd.Series | None, b: _Book) -> tuple[np.ndarray, str]:
    """(churn probability per account in [0, 1], "model" or "health")."""
    if churn_probability is not None:
        cp = pd.Series(churn_probability)
        cp.index = cp.index.astype(str)
        cp = cp[~cp.index.duplicated(keep="last")]
        p = pd.to_numeric(cp.reindex(b.ids), errors="coerce").to_numpy(dtype="float64")
        source = "model"
    else:
        p = risk_from_health(b.health)
        source = "health"
    return np.clip(p, 0.0, 1.0), source


def _urgent_open(tickets: pd.DataFrame, b: _Book, st: WorklistSettings) -> np.ndarray:
    """Tickets of an urgent priority open on the day, per account."""
    t = tickets[tickets["account_id"].notna()]
    created = _days(t["created_at"])
    solved = _days(t["solved_at"]) if "solved_at" in t else np.full(len(t), np.nan)
    status = status_keys(t["status"]) if "status" in t else pd.Series("", index=t.index)
    closed_now = np.where(np.isnan(solved),
                          status.isin(CLOSED_TICKET_STATUSES).to_numpy(), solved <= b.today)
    prio = status_keys(t["priority"]) if "priority" in t else pd.Series("", index=t.index)
    is_urgent = prio.isin([x.lower() for x in st.urgent_priorities]).to_numpy()
    keep = is_urgent & ~closed_now & (created <= b.today)
    return _per_account(b.ids, t["account_id"][keep], np.ones(int(keep.sum())), "count")


def _latest_nps(surveys: pd.DataFrame | None, b: _Book, st: WorklistSettings
                ) -> tuple[np.ndarray, bool]:
    """(the latest NPS response within the window per account, whether any NPS exists)."""
    nps = np.full(b.n, np.nan)
    if surveys is None or len(surveys) == 0:
        return nps, False
    s = surveys[surveys["account_id"].notna()]
    kind = status_keys(s["kind"]) if "kind" in s else pd.Series("nps", index=s.index)
    d = _days(s["date"])
    score = pd.to_numeric(s["score"], errors="coerce").to_numpy(dtype="float64")
    is_nps = (kind == "nps").to_numpy()
    keep = is_nps & (d <= b.today) & (d > b.today - st.nps_window_days) & ~np.isnan(score)
    if keep.any():
        sub = pd.DataFrame({"a": s["account_id"].astype(str).to_numpy()[keep],
                            "d": d[keep], "v": score[keep]})
        sub = sub.sort_values(["a", "d"], kind="stable").drop_duplicates("a", keep="last")
        nps = sub.set_index("a")["v"].reindex(b.ids).to_numpy(dtype="float64")
    return nps, bool(is_nps.any())


def _last_touch(activities: pd.DataFrame, ids: pd.Index, today: int,
                st: WorklistSettings) -> np.ndarray:
    """The day of each account's last CSM touch on or before ``today`` (an activity not of an
    excluded kind, e.g. not a note); NaN without one."""
    a = activities[activities["account_id"].notna()]
    kind = status_keys(a["kind"]) if "kind" in a else pd.Series("", index=a.index)
    d = _days(a["date"])
    keep = ~kind.isin([k.lower() for k in st.touch_excluded_kinds]).to_numpy() & (d <= today)
    return _per_account(ids, a["account_id"][keep], d[keep], "max")


def _days_since_touch(activities: pd.DataFrame, b: _Book, st: WorklistSettings
                      ) -> np.ndarray:
    """Days since the last CSM touch per account."""
    return b.today - _last_touch(activities, b.ids, b.today, st)


def _expansion_mrr(expansion: pd.DataFrame | None, b: _Book) -> np.ndarray:
    """Open expansion MRR per account (several suggestions added up)."""
    if expansion is None or len(expansion) == 0:
        return np.zeros(b.n)
    e = expansion[expansion["account_id"].notna()]
    v = pd.to_numeric(e["expected_mrr"], errors="coerce").fillna(0.0).to_numpy("float64")
    return np.nan_to_num(_per_account(b.ids, e["account_id"], v, "sum"), nan=0.0)


def _signals(b: _Book, st: WorklistSettings, has_touch_data: bool
             ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(signal in [0, 1], condition holds) per component (module docstring)."""
    n = b.n
    sig = {k: np.zeros(n) for k in COMPONENTS}
    hit = {k: np.zeros(n, dtype=bool) for k in COMPONENTS}
    scale = b.arr_scale
    sig["arr_at_risk"] = np.minimum(1.0, b.at_risk / scale) if scale > 0 else 0 * b.at_risk
    hit["arr_at_risk"] = np.nan_to_num(b.p, nan=0.0) >= st.risk_reason_min
    win = float(st.renewal_window_days)
    dtr = b.days_to_renewal
    overdue = dtr < 0
    hit["renewal"] = (((dtr >= 0) & (dtr <= win)) | overdue) & (b.health < st.poor_health_below)
    sig["renewal"] = np.where(overdue, 1.0, 0.5 + 0.5 * (1 - np.nan_to_num(dtr) / win)) \
        * hit["renewal"]
    drop = b.before - b.health
    hit["health_drop"] = drop >= st.health_drop_min
    sig["health_drop"] = np.where(hit["health_drop"],
                                  np.minimum(1.0, np.nan_to_num(drop) / st.health_drop_full), 0)
    hit["urgent_tickets"] = b.urgent > 0
    sig["urgent_tickets"] = np.minimum(1.0, b.urgent / max(1, st.urgent_full))
    dm = st.detractor_max
    hit["detractor"] = b.nps <= dm
    sig["detractor"] = np.where(hit["detractor"],
                                0.5 + 0.5 * (dm - np.nan_to_num(b.nps)) / dm if dm > 0 else 1.0,
                                0)
    if has_touch_data:
        sig["no_touch"], hit["no_touch"] = _no_touch(b, st)
    hit["expansion"] = b.exp_mrr > 0
    sig["expansion"] = np.minimum(1.0, 12 * b.exp_mrr / scale) if scale > 0 \
        else 0 * b.exp_mrr
    return sig, hit


def _no_touch(b: _Book, st: WorklistSettings) -> tuple[np.ndarray, np.ndarray]:
    """(signal, condition) of a missing CSM touch; new accounts get their grace period."""
    gap = float(st.touch_gap_days)
    started = _days(b.acc["contract_start"]) if "contract_start" in b.acc \
        else np.full(b.n, np.nan)
    days = b.days_since_touch
    never = np.isnan(days)
    never_due = never & ~(b.today - started <= gap)
    late = ~never & (days > gap)
    signal = np.where(never_due, 1.0,
                      np.where(late, np.minimum(1.0, np.nan_to_num(days) / (2 * gap)), 0.0))
    return signal, never_due | late


def _reasons(i: int, b: _Book, st: WorklistSettings, pts, hit, money) -> list[str]:
    """The phrases that say why account ``i`` is on the list."""
    reasons = []
    if hit["arr_at_risk"][i] or pts["arr_at_risk"][i] >= st.risk_reason_points:
        why = f"churn risk {b.p[i]:.0%}" if b.risk_source == "model" \
            else f"health {b.health[i]:.0f}"
        reasons.append(f"{money(b.at_risk[i])} ARR at risk ({why})")
    if hit["renewal"][i]:
        dd = int(b.days_to_renewal[i])
        reasons.append(f"renewal overdue by {-dd} day{'s' if dd != -1 else ''}" if dd < 0
                       else "renewal today" if dd == 0
                       else f"renewal in {dd} day{'s' if dd != 1 else ''}")
    if hit["health_drop"][i]:
        reasons.append(f"health down {b.before[i] - b.health[i]:.0f} points")
    if hit["urgent_tickets"][i]:
        k = int(b.urgent[i])
        reasons.append(f"{k} urgent ticket{'s' if k != 1 else ''} open")
    if hit["detractor"][i]:
        reasons.append(f"NPS {b.nps[i]:.0f} (detractor)")
    if hit["no_touch"][i]:
        reasons.append("no CSM touch on record" if np.isnan(b.days_since_touch[i])
                       else f"no CSM touch for {int(b.days_since_touch[i])} days")
    if hit["expansion"][i]:
        reasons.append(f"{money(b.exp_mrr[i])}/mo expansion open")
    return reasons


def _escalate(b: _Book, st: WorklistSettings) -> np.ndarray:
    """High-value critical accounts: escalate to an executive sponsor."""
    p = np.nan_to_num(b.p, nan=0.0)
    critical = (b.health < st.critical_health_below) | (p >= st.critical_churn_probability)
    critical &= (b.health < st.poor_health_below) | (b.risk_source == "model") \
        | np.isnan(b.health)
    return critical & (b.arr >= b.high_value) & (b.arr > 0)


_COLUMNS = ["rank", "account_id", "name", "owner", "arr", "priority", "components",
            "reasons", "next_step", "health", "health_before", "health_delta",
            "churn_probability", "arr_at_risk", "days_to_renewal", "urgent_open", "nps",
            "days_since_touch", "expansion_mrr"]


def _items(b: _Book, st: WorklistSettings, pts, hit) -> pd.DataFrame:
    """The accounts with at least one condition, ranked by priority, ARR, id."""
    n = b.n
    priority = np.sum([pts[k] for k in COMPONENTS], axis=0) if n else np.zeros(0)
    on_list = np.any([hit[k] for k in COMPONENTS], axis=0) if n \
        else np.zeros(0, dtype=bool)
    escalate = _escalate(b, st)
    money = money_formatter(st.currency)
    # plain arrays for the per-row loop: pandas indexing per row cost more than the words
    names = b.acc["name"].to_numpy(dtype=object) if "name" in b.acc else b.ids
    owners = b.acc["owner"].to_numpy(dtype=object) if "owner" in b.acc \
        else np.full(n, None)
    delta, at_risk = b.health - b.before, b.at_risk
    rows = []
    for i in np.flatnonzero(on_list):
        if escalate[i]:
            step = ESCALATE
        else:
            triggered = [k for k in COMPONENTS if hit[k][i]]
            step = NEXT_STEPS[max(triggered, key=lambda k: (pts[k][i], -COMPONENTS.index(k)))]
        rows.append({
            "account_id": b.ids[i], "name": names[i], "owner": owners[i],
            "arr": float(b.arr[i]), "priority": round(float(priority[i]), 2),
            "components": {k: round(float(pts[k][i]), 2) for k in COMPONENTS},
            "reasons": _reasons(i, b, st, pts, hit, money), "next_step": step,
            "health": finite(b.health[i]), "health_before": finite(b.before[i]),
            "health_delta": finite(delta[i]), "churn_probability": finite(b.p[i]),
            "arr_at_risk": float(at_risk[i]),
            "days_to_renewal": whole(b.days_to_renewal[i]),
            "urgent_open": int(b.urgent[i]), "nps": finite(b.nps[i]),
            "days_since_touch": whole(b.days_since_touch[i]),
            "expansion_mrr": float(b.exp_mrr[i]),
        })
    out = records_in_pieces(rows, _COLUMNS[1:])
    if len(out):
        out = out.sort_values(["priority", "arr", "account_id"],
                              ascending=[False, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    for c in ("days_to_renewal", "days_since_touch"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    return out




def worklist_items(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The worklist as JSON-ready dicts (None for missing values)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False)) if len(frame) else []


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
    t = _Teams(accounts, as_of, by)
    out = pd.DataFrame({by: t.groups}).set_index(by)
    out["accounts"] = t.per_group(pd.Series(1.0, index=t.active_ids)).fillna(0).astype(int)
    for key, values in _team_bands(scores, t).items():
        out[key] = values
    out["grr"], out["logo_retention"], out["expansion_qtd"] = np.nan, np.nan, 0.0
    if mrr is not None and len(mrr):
        _team_revenue(out, mrr, t, st)
    out["renewals_due"], out["renewals_due_arr"] = _team_renewals(t, st)
    out["health_alerts"], out["alerts_unanswered"] = _team_alerts(alerts, activities, t, st)
    out = out.reset_index()
    out.attrs.update(as_of=as_of, definition="standard",
                     renewal_window_days=st.renewal_window_days,
                     alert_response_hours=st.alert_response_hours)
    return out


class _Teams:
    """Every account's group (churned ones too: their churn counts against their owner),
    the active accounts, and sums per group with the team's total as ``(all)``."""

    def __init__(self, accounts: pd.DataFrame, as_of: str, by: str):
        self.as_of, self.today, self.by = as_of, _day(as_of), by
        every = accounts.assign(account_id=accounts["account_id"].astype(str))
        key = every[by].astype(object).where(every[by].notna(), "(unassigned)") \
            if by in every else pd.Series("(unassigned)", index=every.index)
        owner = pd.Series(key.astype(str).to_numpy(), index=every["account_id"].to_numpy())
        self.owner_all = owner[~owner.index.duplicated(keep="last")]
        self.active = every[active_mask(every, as_of).to_numpy()].reset_index(drop=True)
        self.active_ids = pd.Index(self.active["account_id"].to_numpy())
        self.groups = ["(all)"] + sorted(set(self.owner_all))

    def per_group(self, values: pd.Series, how: str = "sum") -> pd.Series:
        """``values`` indexed by account id -> per group, with ``(all)``."""
        g = self.owner_all.reindex(values.index).fillna("(unassigned)")
        res = getattr(values.groupby(g.to_numpy()), how)()
        res.loc["(all)"] = getattr(values, how)()
        return res.reindex(self.groups)


def _team_bands(scores: pd.DataFrame | None, t: _Teams) -> dict[str, pd.Series | float]:
    """``scored``, ``share_green`` and ``share_red`` of the active accounts per group."""
    if scores is None or not len(scores):
        return {"scored": 0, "share_green": np.nan, "share_red": np.nan}
    sc = scores.assign(account_id=scores["account_id"].astype(str))
    sc = sc[sc["account_id"].isin(t.active_ids)].drop_duplicates("account_id", keep="last")
    sc = sc.set_index("account_id")
    score = pd.to_numeric(sc["score"], errors="coerce")
    if "band" in sc:
        band = status_keys(sc["band"])
        green = band.isin(["green", "good"]) & score.notna()
        red = band.isin(["red", "poor"]) & score.notna()
    else:
        green, red = score >= 70, score < 40
    scored = t.per_group(score.notna().astype(float)).fillna(0).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"scored": scored,
                "share_green": t.per_group(green.astype(float)) / scored.replace(0, np.nan),
                "share_red": t.per_group(red.astype(float)) / scored.replace(0, np.nan)}


def _team_revenue(out: pd.DataFrame, mrr: pd.DataFrame, t: _Teams,
                  st: WorklistSettings) -> None:
    """GRR and logo retention over the trailing window, expansion this quarter, per group."""
    from . import metrics

    months = mrr.attrs.get("months") or sorted(mrr["month"].unique())
    end_m = t.as_of[:7]
    if end_m not in months:
        return
    start_m = months[max(0, months.index(end_m) - st.retention_window_months)]
    if start_m < end_m:
        attrs = pd.DataFrame({"account_id": t.owner_all.index, t.by: t.owner_all.to_numpy()})
        total = metrics.retention(mrr, start_month=start_m, end_month=end_m)
        per = metrics.retention(mrr, attrs, start_month=start_m, end_month=end_m,
                                by=t.by).set_index(t.by)
        for c in ("grr", "logo_retention"):
            out.loc["(all)", c] = float(total[c].iloc[0]) if len(total) else np.nan
            for name in per.index:
                if name in out.index:
                    out.loc[name, c] = float(per.loc[name, c])
        out.attrs["retention_period"] = f"{start_m} to {end_m}"
    q0 = (int(end_m[5:7]) - 1) // 3 * 3 + 1
    quarter = [f"{end_m[:4]}-{m:02d}" for m in range(q0, int(end_m[5:7]) + 1)]
    mv = metrics.movements_by_account(mrr, kind="expansion")
    mv = mv[mv["month"].isin(quarter)]
    if len(mv):
        amount = mv.groupby(mv["account_id"].astype(str))["amount"].sum()
        out["expansion_qtd"] = t.per_group(amount).fillna(0.0)


def _team_renewals(t: _Teams, st: WorklistSettings):
    """(renewals due, their ARR) within the renewal window, per group."""
    acc = t.active
    if "renewal_date" not in acc:
        return 0, 0.0
    days = _days(acc["renewal_date"]) - t.today
    due = (days >= 0) & (days <= st.renewal_window_days)
    arr = pd.to_numeric(acc.get("arr"), errors="coerce").fillna(0.0).to_numpy("float64")
    return (t.per_group(pd.Series(due.astype(float), index=t.active_ids)).fillna(0)
            .astype(int),
            t.per_group(pd.Series(np.where(due, arr, 0.0), index=t.active_ids)).fillna(0.0))


def _team_alerts(alerts: pd.DataFrame | None, activities: pd.DataFrame | None, t: _Teams,
                 st: WorklistSettings):
    """(accounts with a recent health alert, of those unanswered) per group: an alert is
    unanswered when it is older than the response time and no CSM touch followed."""
    if alerts is None or not len(alerts):
        return 0, 0
    al = alerts.assign(account_id=alerts["account_id"].astype(str))
    al = al[al["account_id"].isin(t.active_ids)]
    raised = _days(al["raised_at"])
    al = al[(raised <= t.today) & (raised > t.today - st.alert_lookback_days)]
    al = al.assign(_d=_days(al["raised_at"])).sort_values("_d", kind="stable") \
        .drop_duplicates("account_id", keep="last")
    ids = pd.Index(al["account_id"])
    touched_after = np.zeros(len(al), dtype=bool)
    if activities is not None and len(activities):
        touched_after = _last_touch(activities, ids, t.today, st) >= al["_d"].to_numpy()
    old = (t.today - al["_d"].to_numpy()) * 24 >= st.alert_response_hours
    idx = al["account_id"].to_numpy()
    return (t.per_group(pd.Series(1.0, index=idx)).fillna(0).astype(int),
            t.per_group(pd.Series((old & ~touched_after).astype(float), index=idx))
            .fillna(0).astype(int))
