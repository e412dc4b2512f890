"""Portfolio figures for the desktop views: KPI tiles, chart data, renewals and whitespace.

Pure pandas/numpy (no Qt, no SQL, no workspace reads): the engine
(:func:`acctdesk.engine.portfolio.portfolio_inputs`) gathers the inputs once; everything here
is a function of those inputs and of the *slicers* (owner, segment, industry, region), so a
slicer change recomputes without reading the file again.

Every KPI carries its definition (shown on hover) and the rows behind it (shown on click):

* **ARR** = sum of ``accounts.arr`` over the accounts that are customers on the data date
  (:func:`acctdesk.domain.accounts.active_mask`).
* **NRR / GRR / logo churn** = :func:`acctdesk.analytics.metrics.retention` over the last
  12 months (fewer when the history is shorter), definition ``"standard"``, on the MRR of the
  sliced accounts' subscriptions (:func:`~acctdesk.analytics.metrics.mrr_by_month`).
* **Green / Yellow / Red accounts** = active accounts per band of the health scorecard each
  is assigned (the engine's health, :mod:`acctdesk.engine.health`).
* **ARR at risk** = sum over active accounts of ``arr x churn probability`` (the workspace's
  churn model, or the health fallback ``(100 - score) / 100``, labelled as such).
* **Whitespace value** = sum of ``expected_mrr x 12`` over the whitespace suggestions
  (:func:`acctdesk.analytics.whitespace.whitespace`).
* **Renewals in the next 90 days** = ARR of active accounts whose renewal date lies in
  ``(data date, data date + 90 days]``.
* **Forecast** of renewals: expected renewed ARR = sum of ``arr x (1 - p)`` with ``p`` the
  probability of churning *by the renewal date* (:func:`renewal_probability`).

The per-account figures (health, band, churn probability, ARR at risk, whitespace value) are
the engine's (:attr:`acctdesk.engine.Analysis.figures`), the same as every other screen's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..domain.accounts import attribute_mask, risk_from_health
from ..domain.dates import add_days, add_months, days as day_numbers, to_date, to_day
from ..domain.money import format_money
from ..frames import isin_text

__all__ = [
    "SLICERS", "KPI_KEYS", "RETENTION_MONTHS", "RENEWAL_MONTHS", "RENEWAL_SOON_DAYS",
    "PortfolioInputs", "Kpi", "slicer_options", "slice_accounts", "account_rows",
    "compute_kpis", "compute_portfolio", "portfolio_charts", "renewals", "renewal_forecast",
    "sliced_mrr", "renewing",
    "renewal_probability", "whitespace_grid",
]

#: the account attributes the views slice by, in the order they are shown.
SLICERS = ("owner", "segment", "industry", "region")
KPI_KEYS = ("arr", "nrr", "grr", "logo_churn", "green", "yellow", "red", "arr_at_risk",
            "whitespace", "renewals_90d", "pipeline")
RETENTION_MONTHS = 12
RENEWAL_MONTHS = 12
RENEWAL_SOON_DAYS = 90
NOT_SCORED = "Not scored"
NOT_SCORED_COLOUR = "#9a9a9a"


def _money(value: float | None, currency: str) -> str:
    return format_money(value, currency, compact=True)


# ====================================================================== inputs
@dataclass
class PortfolioInputs:
    """What the views compute from, gathered once per workspace data version.

    ``figures``: the engine's per-account figures (one row per account: ``account_id``,
    ``active``, ``arr``, ``health_score``, ``band``, ``churn_probability``, ``arr_at_risk``,
    ``whitespace_arr``, ...). ``health`` (account_id, score, band) and ``risk`` (account_id,
    churn_probability, drivers) are its columns for the active accounts. ``risk_horizon``:
    the days ahead the churn probabilities look (None for the health fallback).
    """

    as_of: str | None
    currency: str
    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    usage: pd.DataFrame | None = None
    figures: pd.DataFrame | None = None
    health: pd.DataFrame | None = None          # account_id, score, band
    bands: list[tuple[str, float, str]] = field(default_factory=list)   # label, lower, colour
    risk: pd.DataFrame | None = None            # account_id, churn_probability, drivers
    risk_info: dict[str, Any] = field(default_factory=dict)
    risk_label: str = ""
    risk_horizon: int | None = None
    suggestions: pd.DataFrame | None = None     # whitespace suggestions
    backtest: dict[str, Any] | None = None
    matrix: pd.DataFrame | None = None          # ownership matrix (long)
    pipeline: pd.DataFrame | None = None        # open CRM deals per account (never revenue)

    @property
    def empty(self) -> bool:
        return not len(self.accounts) or not self.as_of

    @property
    def band_colours(self) -> dict[str, str]:
        return {label: colour for label, _, colour in self.bands}

    def active(self) -> pd.DataFrame:
        """The accounts that are customers on the data date."""
        from ..domain.accounts import active_mask

        if self.empty:
            return self.accounts.iloc[:0]
        return self.accounts.loc[active_mask(self.accounts, self.as_of)]


# ====================================================================== slicers
def slicer_options(accounts: pd.DataFrame) -> dict[str, list[str]]:
    """The values each slicer offers (sorted, blanks left out)."""
    out = {}
    for key in SLICERS:
        if key in accounts:
            distinct = pd.unique(accounts[key].dropna().to_numpy(dtype=object))
            out[key] = sorted({str(v).strip() for v in distinct} - {""}, key=str.casefold)
        else:
            out[key] = []
    return out


def slice_accounts(accounts: pd.DataFrame, filters: Mapping[str, str | None] | None
                   ) -> pd.DataFrame:
    """The accounts matching every slicer in ``filters`` ({attribute: value}; None or ""
    means all), compared as :func:`acctdesk.domain.accounts.attribute_key` does (case and
    spacing ignored)."""
    if not filters:
        return accounts
    mask = np.ones(len(accounts), dtype=bool)
    for key, value in filters.items():
        if value in (None, "") or key not in accounts:
            continue
        mask &= attribute_mask(accounts[key], value)
    return accounts.loc[mask]


def _ids(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["account_id"].astype(str).to_numpy())


# ====================================================================== account rows
ACCOUNT_ROW_COLUMNS = [
    ("name", "Account", "text"), ("owner", "Owner", "text"), ("segment", "Segment", "text"),
    ("arr", "ARR", "currency"), ("renewal_date", "Renewal", "date"),
    ("health_score", "Health", "int"), ("band", "Band", "band"),
    ("churn_probability", "Churn risk", "percent"), ("arr_at_risk", "ARR at risk", "currency"),
    ("whitespace_arr", "Whitespace / yr", "currency"), ("priority", "Priority", "int"),
    ("drivers", "Risk drivers", "text"), ("industry", "Industry", "text"),
    ("region", "Region", "text"),
]


def account_rows(inp: PortfolioInputs, accounts: pd.DataFrame) -> pd.DataFrame:
    """One row per account of ``accounts`` with its ARR, health, churn risk and whitespace:
    the engine's per-account figures (``inp.figures``), and the risk drivers."""
    ids = _ids(accounts)
    cols = ["account_id", "name", "owner", "segment", "industry", "region", "renewal_date",
            "arr", "health_score", "band", "churn_probability", "arr_at_risk",
            "whitespace_arr", "priority", "rank"]
    f = inp.figures
    if f is None or not len(f):
        out = pd.DataFrame({"account_id": ids.to_numpy(dtype=object)})
        for key in cols[1:]:
            out[key] = accounts[key].to_numpy(dtype=object) if key in accounts else np.nan
        out["band"] = NOT_SCORED
        out["drivers"] = ""
        return out
    f = f.set_index(f["account_id"].astype(str))
    out = f.reindex(ids)[cols[1:]].reset_index().rename(columns={"index": "account_id"})
    out["account_id"] = ids.to_numpy(dtype=object)
    out["band"] = [b if isinstance(b, str) and b else NOT_SCORED
                   for b in out["band"].to_numpy(dtype=object)]
    if inp.risk is not None and len(inp.risk) and "drivers" in inp.risk:
        d = inp.risk.set_index(inp.risk["account_id"].astype(str))["drivers"]
        out["drivers"] = d.reindex(ids).fillna("").to_numpy(dtype=object)
    else:
        out["drivers"] = ""
    return out


# ====================================================================== KPIs
@dataclass
class Kpi:
    """One tile: ``value`` (``kind``: currency | percent | int), a short ``detail`` line,
    its ``definition`` and the ``rows`` behind it with their ``columns`` ((key, title, kind))."""

    key: str
    title: str
    value: float | None
    kind: str
    detail: str
    definition: str
    rows: pd.DataFrame
    columns: list[tuple[str, str, str]]
    colour: str | None = None

    def text(self, currency: str = "USD") -> str:
        if self.value is None or not np.isfinite(self.value):
            return "—"
        if self.kind == "currency":
            return _money(self.value, currency)
        if self.kind == "percent":
            return f"{self.value * 100:.1f}%"
        return f"{self.value:,.0f}"


def sliced_mrr(inp: PortfolioInputs, ids: pd.Index) -> pd.DataFrame:
    """The MRR ledger of the subscriptions of the accounts ``ids``."""
    from .metrics import mrr_by_month

    subs = inp.subscriptions
    subs = subs.loc[isin_text(subs["account_id"], ids)]
    return mrr_by_month(subs, as_of=inp.as_of)


def _retention_rows(inp: PortfolioInputs, mrr: pd.DataFrame, accounts: pd.DataFrame
                    ) -> tuple[pd.Series | None, pd.DataFrame, str, str]:
    """(period retention row, per-account rows of its start cohort, start, end)."""
    from .metrics import retention

    labels = list(mrr.attrs.get("months", []))
    if len(labels) < 2 or not len(mrr):
        return None, pd.DataFrame(), "", ""
    end = labels[-1]
    span = min(RETENTION_MONTHS, len(labels) - 1)
    start = labels[-1 - span]
    total = retention(mrr, start_month=start, end_month=end, definition="standard")
    acc = accounts.assign(_acct=accounts["account_id"].astype(str))
    per = retention(mrr.assign(account_id=mrr["account_id"].astype(str)), acc,
                    start_month=start, end_month=end, by="_acct", definition="standard")
    per = per.rename(columns={"_acct": "account_id"})
    names = acc.set_index("_acct")
    for key in ("name", "owner", "segment"):
        per[key] = names[key].reindex(per["account_id"]).to_numpy(dtype=object) \
            if key in names else None
    row = total.iloc[0] if len(total) else None
    return row, per, start, end


_RET_COLUMNS = [("name", "Account", "text"), ("owner", "Owner", "text"),
                ("segment", "Segment", "text"), ("start_mrr", "Start MRR", "currency"),
                ("expansion", "Expansion", "currency"),
                ("contraction", "Contraction", "currency"), ("churn", "Churn", "currency"),
                ("end_mrr", "End MRR", "currency"), ("nrr", "NRR", "percent")]


def compute_kpis(inp: PortfolioInputs, filters: Mapping[str, str | None] | None = None,
                 *, mrr: pd.DataFrame | None = None) -> list[Kpi]:
    """The tiles of the Portfolio view for the accounts the slicers select (see the module
    docstring for each definition)."""
    sliced = slice_accounts(inp.accounts, filters)
    ids = _ids(sliced)
    active_all = inp.active()
    active = active_all.loc[_ids(active_all).isin(ids)]
    rows = account_rows(inp, active)
    if mrr is None:
        mrr = sliced_mrr(inp, ids) if len(ids) else None
    kpis = [_arr_kpi(inp, rows), *_retention_kpis(inp, mrr, sliced), *_band_kpis(inp, rows),
            _risk_kpi(inp, rows), _whitespace_kpi(inp, active), _renewals_kpi(inp, rows)]
    if inp.pipeline is not None:
        kpis.append(_pipeline_kpi(inp, sliced))
    return kpis


PIPELINE_COLUMNS = [("name", "Account", "text"), ("owner", "Owner", "text"),
                    ("status", "Status", "text"), ("open_deals", "Open deals", "int"),
                    ("pipeline", "Open pipeline", "currency"),
                    ("weighted_pipeline", "Weighted by probability", "currency"),
                    ("next_close_date", "Next close date", "date")]


def _pipeline_kpi(inp: PortfolioInputs, sliced: pd.DataFrame) -> Kpi:
    """Open pipeline: the CRM deals not yet won or lost, of every account the slicers select
    (prospects included); pipeline, never revenue."""
    pipe = inp.pipeline
    pipe = pipe.loc[isin_text(pipe["account_id"], _ids(sliced))] if len(pipe) else pipe
    rows = pipe.merge(sliced[["account_id", "name", "owner", "status"]], on="account_id",
                      how="left") if len(pipe) else pd.DataFrame(
        columns=[c[0] for c in PIPELINE_COLUMNS])
    value = float(rows["pipeline"].fillna(0).sum()) if len(rows) else 0.0
    deals = int(rows["open_deals"].sum()) if len(rows) else 0
    return Kpi("pipeline", "Open pipeline", value, "currency",
               f"{deals:,} open deals · {len(rows):,} accounts",
               "The amount of the CRM deals (opportunities) still open on the data date: "
               "not won, not lost. Pipeline is not revenue: it never counts in ARR, MRR, NRR "
               "or GRR.",
               rows.sort_values("pipeline", ascending=False, kind="stable"), PIPELINE_COLUMNS)


def _arr_kpi(inp: PortfolioInputs, rows: pd.DataFrame) -> Kpi:
    return Kpi("arr", "ARR", float(rows["arr"].fillna(0).sum()), "currency",
               f"{len(rows):,} active accounts",
               "Annual recurring revenue: the sum of the ARR of the accounts that are "
               f"customers on the data date ({inp.as_of}): contract started, not churned, "
               "not a prospect.",
               rows.sort_values("arr", ascending=False, kind="stable"), ACCOUNT_ROW_COLUMNS)


def _retention_kpis(inp: PortfolioInputs, mrr: pd.DataFrame | None,
                    sliced: pd.DataFrame) -> list[Kpi]:
    """NRR, GRR and logo churn: standard definition, the last 12 months of the sliced
    accounts' MRR."""
    from .metrics import RETENTION_DEFINITIONS

    row, per, start, end = (None, pd.DataFrame(), "", "") if mrr is None else \
        _retention_rows(inp, mrr, sliced)
    defs = RETENTION_DEFINITIONS["standard"]
    period = f"{start} → {end}" if start else "not enough history"
    period_note = (f" Period: month-end {start} to month-end {end}; definition "
                   "'standard' (new business and reactivation excluded).") if start else ""

    def value(k):
        return None if row is None or not np.isfinite(row[k]) else float(row[k])

    ret_rows = per.sort_values("start_mrr", ascending=False, kind="stable") if len(per) \
        else pd.DataFrame(columns=[c[0] for c in _RET_COLUMNS])
    churned = per.loc[per["end_mrr"] <= 0] if len(per) else ret_rows.iloc[:0]
    lc_detail = (f"{int(row['logos_churned']):,} of {int(row['logos_start']):,} accounts"
                 if row is not None else period)
    return [
        Kpi("nrr", "NRR", value("nrr"), "percent", period,
            "Net revenue retention: " + defs["nrr"] + "." + period_note,
            ret_rows, _RET_COLUMNS),
        Kpi("grr", "GRR", value("grr"), "percent", period,
            "Gross revenue retention: " + defs["grr"] + "." + period_note,
            ret_rows, _RET_COLUMNS),
        Kpi("logo_churn", "Logo churn", value("logo_churn"), "percent", lc_detail,
            "Logo churn: " + defs["logo_churn"] + "." + period_note,
            churned.sort_values("start_mrr", ascending=False, kind="stable"),
            _RET_COLUMNS[:4]),
    ]


def _band_kpis(inp: PortfolioInputs, rows: pd.DataFrame) -> list[Kpi]:
    """One tile per health band, best first."""
    band_list = inp.bands or []
    n_active = len(rows)
    out = []
    for label, _, colour in sorted(band_list, key=lambda b: -b[1]):
        r = rows.loc[rows["band"] == label]
        out.append(Kpi(
            label.lower(), f"{label} accounts", float(len(r)), "int",
            f"{_money(r['arr'].fillna(0).sum(), inp.currency)} ARR · "
            f"{(len(r) / n_active if n_active else 0):.0%} of accounts",
            f"Active accounts whose health score (0-100, on the scorecard each is assigned) "
            f"is in the "
            f"{label} band{_band_range(band_list, label)}.",
            r.sort_values("health_score", kind="stable"), ACCOUNT_ROW_COLUMNS, colour))
    return out


def _risk_kpi(inp: PortfolioInputs, rows: pd.DataFrame) -> Kpi:
    arr = float(rows["arr"].fillna(0).sum())
    risky = rows.loc[rows["churn_probability"].notna()]
    at_risk = float((risky["arr"].fillna(0) * risky["churn_probability"]).sum())
    return Kpi("arr_at_risk", "ARR at risk", at_risk, "currency",
               f"{(at_risk / arr if arr else 0):.0%} of ARR",
               "Sum over active accounts of ARR × churn probability. "
               + (inp.risk_label or "No churn risk computed."),
               risky.sort_values("arr_at_risk", ascending=False, kind="stable"),
               ACCOUNT_ROW_COLUMNS)


def _whitespace_kpi(inp: PortfolioInputs, active: pd.DataFrame) -> Kpi:
    sugg = inp.suggestions
    if sugg is not None and len(sugg):
        sugg = sugg.loc[isin_text(sugg["account_id"], _ids(active))]
        srows = sugg.assign(expected_arr=sugg["expected_mrr"] * 12.0)
        value = float(srows["expected_arr"].sum())
        detail = f"{len(srows):,} suggestions · {srows['account_id'].nunique():,} accounts"
    else:
        srows = pd.DataFrame(columns=[c[0] for c in SUGGESTION_COLUMNS])
        value = 0.0 if sugg is not None else None
        detail = "no suggestions"
    return Kpi("whitespace", "Whitespace value", value, "currency", detail,
               "Expected annual value of the products and seats the active accounts do "
               "not own yet: the sum of expected MRR × 12 over the whitespace "
               "suggestions (expected MRR = propensity × typical MRR).",
               srows, SUGGESTION_COLUMNS)


def _renewals_kpi(inp: PortfolioInputs, rows: pd.DataFrame) -> Kpi:
    soon = renewing(rows, inp.as_of, RENEWAL_SOON_DAYS)
    return Kpi("renewals_90d", "Renewals, next 90 days", float(soon["arr"].fillna(0).sum()),
               "currency", f"{len(soon):,} accounts",
               f"ARR of the active accounts whose renewal date falls in the 90 days after "
               f"the data date ({inp.as_of}).",
               soon.sort_values("renewal_date", kind="stable"), ACCOUNT_ROW_COLUMNS)


def _band_range(bands, label: str) -> str:
    ordered = sorted(bands, key=lambda b: b[1])
    for i, (lab, lower, _) in enumerate(ordered):
        if lab == label:
            upper = ordered[i + 1][1] if i + 1 < len(ordered) else 100
            return f" ({lower:g} to {'below ' if i + 1 < len(ordered) else ''}{upper:g})"
    return ""


def renewing(rows: pd.DataFrame, as_of: str, days: int | None = None,
             until: str | None = None) -> pd.DataFrame:
    """The ``rows`` whose renewal date lies after ``as_of`` and within ``days`` (or by
    ``until``)."""
    if not as_of or not len(rows):
        return rows.iloc[:0]
    end = until or add_days(as_of, days)
    r = rows["renewal_date"].astype(object).where(rows["renewal_date"].notna(), "") \
        .astype(str).str[:10]
    return rows.loc[(r > as_of[:10]) & (r <= end)]


SUGGESTION_COLUMNS = [
    ("name", "Account", "text"), ("product", "Product", "text"), ("kind", "Kind", "text"),
    ("propensity", "Chance to buy", "percent"), ("expected_arr", "Expected / yr", "currency"),
    ("reason", "Why", "text"), ("owner", "Owner", "text"), ("segment", "Segment", "text"),
]


# ====================================================================== charts
def compute_portfolio(inp: PortfolioInputs, filters: Mapping[str, str | None] | None = None
                      ) -> dict[str, Any]:
    """``{"kpis": [...], "charts": {...}, "accounts": n}`` for the sliced accounts, the MRR
    history computed once for both."""
    ids = _ids(slice_accounts(inp.accounts, filters))
    mrr = sliced_mrr(inp, ids) if len(ids) and inp.as_of else None
    return {"kpis": compute_kpis(inp, filters, mrr=mrr),
            "charts": portfolio_charts(inp, filters, mrr=mrr), "accounts": int(len(ids))}


def portfolio_charts(inp: PortfolioInputs, filters: Mapping[str, str | None] | None = None,
                     *, mrr: pd.DataFrame | None = None, months: int = 12) -> dict[str, Any]:
    """Aggregated data for the Portfolio charts (never per-account points).

    Returns ``health_hist`` (bin_lo, bin_hi, accounts, band, colour: 10-point bins),
    ``arr_by_band`` (band, accounts, arr, colour), ``movements`` (the last ``months`` of
    :func:`~acctdesk.analytics.metrics.mrr_movements`), ``trend`` (end_month, nrr, grr of
    trailing 12-month retention, the last ``months``) and ``cohorts`` (the quarterly
    cohort x age matrix of net revenue retention, ages 0-5, the last 8 cohorts).
    """
    from .metrics import cohort_matrix, cohorts, mrr_movements, retention_trailing

    sliced = slice_accounts(inp.accounts, filters)
    ids = _ids(sliced)
    active_all = inp.active()
    rows = account_rows(inp, active_all.loc[_ids(active_all).isin(ids)])
    colours = inp.band_colours
    ordered = sorted(inp.bands, key=lambda b: b[1])
    out: dict[str, Any] = {}
    edges = np.arange(0, 101, 10, dtype=float)
    scores = rows["health_score"].to_numpy(dtype=float)
    scores = scores[np.isfinite(scores)]
    counts = np.histogram(np.clip(scores, 0, 100), bins=edges)[0]
    hist_band = []
    for lo in edges[:-1]:
        label = None
        for lab, lower, _ in ordered:
            if lo >= lower:
                label = lab
        hist_band.append(label or NOT_SCORED)
    out["health_hist"] = pd.DataFrame({
        "bin_lo": edges[:-1], "bin_hi": edges[1:], "accounts": counts, "band": hist_band,
        "colour": [colours.get(b, NOT_SCORED_COLOUR) for b in hist_band]})
    labels = [b[0] for b in ordered]
    if (rows["band"] == NOT_SCORED).any():
        labels.append(NOT_SCORED)
    g = rows.groupby("band")["arr"]
    out["arr_by_band"] = pd.DataFrame({
        "band": labels,
        "accounts": [int(g.size().get(b, 0)) for b in labels],
        "arr": [float(g.sum().get(b, 0.0)) for b in labels],
        "colour": [colours.get(b, NOT_SCORED_COLOUR) for b in labels]})
    if mrr is None:
        mrr = sliced_mrr(inp, ids) if len(ids) and inp.as_of else None
    mv_cols = ["month", "new", "expansion", "reactivation", "contraction", "churn",
               "net_change", "end_mrr"]
    if mrr is not None and len(mrr):
        mv = mrr_movements(mrr)
        out["movements"] = mv[mv_cols].tail(months).reset_index(drop=True)
        labels = list(mrr.attrs.get("months", []))
        first = labels[max(RETENTION_MONTHS, len(labels) - months)] \
            if len(labels) > RETENTION_MONTHS else None
        tr = retention_trailing(mrr, window_months=RETENTION_MONTHS, start_month=first) \
            if first is not None else pd.DataFrame(columns=["end_month", "nrr", "grr"])
        out["trend"] = tr[["end_month", "nrr", "grr"]].tail(months).reset_index(drop=True) \
            if len(tr) else pd.DataFrame(columns=["end_month", "nrr", "grr"])
        c = cohorts(mrr, period="quarter", max_age=5)
        if len(c):
            m = cohort_matrix(c, "revenue_retention")
            out["cohorts"] = m.tail(8)
            sizes = c.drop_duplicates("cohort").set_index("cohort")["cohort_accounts"]
            out["cohort_sizes"] = sizes.reindex(out["cohorts"].index)
        else:
            out["cohorts"] = pd.DataFrame()
            out["cohort_sizes"] = pd.Series(dtype=float)
    else:
        out["cohort_sizes"] = pd.Series(dtype=float)
        out["movements"] = pd.DataFrame(columns=mv_cols)
        out["trend"] = pd.DataFrame(columns=["end_month", "nrr", "grr"])
        out["cohorts"] = pd.DataFrame()
    return out


# ====================================================================== renewals
RENEWAL_COLUMNS = [
    ("name", "Account", "text"), ("owner", "Owner", "text"), ("segment", "Segment", "text"),
    ("arr", "ARR", "currency"), ("renewal_date", "Renewal", "date"),
    ("health_score", "Health", "int"), ("band", "Band", "band"),
    ("horizon_probability", "Churn risk", "percent"),
    ("churn_probability", "Churn by renewal", "percent"),
    ("expected_renewed_arr", "Expected renewed", "currency"),
    ("arr_at_risk", "ARR at risk", "currency"), ("drivers", "Risk drivers", "text"),
]


def renewal_probability(p: np.ndarray, days: np.ndarray, horizon_days: float) -> np.ndarray:
    """The probability of churning by a renewal ``days`` ahead, from the probability ``p``
    of churning within ``horizon_days`` (the churn model's horizon, ``H``).

    * A renewal within the horizon (``days <= H``): ``p``. The model was trained for that
      window, the renewal lies in it, and churn comes at renewals.
    * A renewal beyond it: the survival curve continued with a constant hazard (exponential
      survival) through the model's point, ``S(t) = (1 - p) ** (t / H)``, so
      ``P(churn by the renewal) = 1 - (1 - p) ** (days / H)``. A 90-day probability is never
      used as such for a renewal months away. For such an account the model's ``p`` carries
      little of the renewal itself (it lies outside the window): read the figure as the churn
      that today's signals imply by then.
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    d = np.asarray(days, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        beyond = 1.0 - np.power(1.0 - p, d / float(horizon_days))
    out = np.where(d > horizon_days, beyond, p)
    return np.where(np.isfinite(p), out, np.nan)


def renewals(inp: PortfolioInputs, filters: Mapping[str, str | None] | None = None,
             months: int = RENEWAL_MONTHS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, by_month): the active accounts renewing in the next ``months`` calendar months.

    The window runs from the day after the data date to the end of the ``months``-th
    calendar month counting the day after's month as the first (data date 2026-10-31:
    November 2026 to October 2027; 2026-10-15: the rest of October 2026 to September 2027),
    bucketed by the calendar month of the renewal date.

    Per row ``horizon_probability`` is the account's churn risk as every screen shows it
    (:attr:`PortfolioInputs.risk_label`; an account without one gets the health fallback
    ``(100 - score) / 100``, else the mean of the others; ``probability_source`` says which)
    and ``churn_probability`` the probability of churning *by its renewal date*: for the
    churn model's probabilities :func:`renewal_probability` over the days to the renewal,
    for the health fallback (which has no horizon) the same figure.
    ``expected_renewed_arr = arr x (1 - churn_probability)``, ``arr_at_risk = arr x
    churn_probability``.

    ``by_month``: ``month`` ('YYYY-MM'), ``accounts``, ``arr``, ``expected_renewed_arr``,
    ``arr_at_risk`` and ``arr:<band>`` per health band (and ``arr:Not scored``).
    """
    empty_rows = pd.DataFrame(columns=["account_id"] + [c[0] for c in RENEWAL_COLUMNS]
                              + ["month", "probability_source", "days_to_renewal"])
    if inp.empty:
        return empty_rows, pd.DataFrame(columns=["month", "accounts", "arr",
                                                 "expected_renewed_arr", "arr_at_risk"])
    first = to_date(add_days(inp.as_of, 1))
    month_labels = [f"{y:04d}-{m:02d}" for y, m in
                    (add_months(first.year, first.month, k) for k in range(months))]
    ly, lm = add_months(first.year, first.month, months)
    until = add_days(dt.date(ly, lm, 1), -1)
    sliced = slice_accounts(inp.accounts, filters)
    active_all = inp.active()
    rows = account_rows(inp, active_all.loc[_ids(active_all).isin(_ids(sliced))])
    rows = renewing(rows, inp.as_of, until=until).copy()
    p = rows["churn_probability"].to_numpy(dtype=float).copy()
    source = np.where(np.isfinite(p), "risk", "").astype(object)
    fallback = risk_from_health(rows["health_score"].to_numpy(dtype=float))
    use = ~np.isfinite(p) & np.isfinite(fallback)
    p[use] = fallback[use]
    source[use] = "health score"
    missing = ~np.isfinite(p)
    if missing.any():
        p[missing] = float(np.nanmean(p)) if np.isfinite(p).any() else 0.0
        source[missing] = "portfolio average"
    days = day_numbers(rows["renewal_date"]) - to_day(inp.as_of)
    by_renewal = p.copy()
    if inp.risk_horizon:
        model = source == "risk"
        by_renewal[model] = renewal_probability(p[model], days[model], inp.risk_horizon)
    rows["horizon_probability"] = p
    rows["churn_probability"] = by_renewal
    rows["days_to_renewal"] = days
    rows["probability_source"] = source
    arr = rows["arr"].fillna(0.0).to_numpy(dtype=float)
    rows["expected_renewed_arr"] = arr * (1.0 - by_renewal)
    rows["arr_at_risk"] = arr * by_renewal
    rows["month"] = rows["renewal_date"].astype(str).str[:7].to_numpy()
    rows = rows.sort_values(["arr_at_risk", "renewal_date"], ascending=[False, True],
                            kind="stable").reset_index(drop=True)
    bands = [b[0] for b in sorted(inp.bands, key=lambda b: b[1])]
    if (rows["band"] == NOT_SCORED).any() or not bands:
        bands.append(NOT_SCORED)
    g = rows.groupby("month")
    bm = pd.DataFrame({"month": month_labels})
    bm["accounts"] = g.size().reindex(month_labels).fillna(0).astype(int).to_numpy()
    for key in ("arr", "expected_renewed_arr", "arr_at_risk"):
        bm[key] = g[key].sum().reindex(month_labels).fillna(0.0).to_numpy(dtype=float)
    by_band = rows.pivot_table(index="month", columns="band", values="arr", aggfunc="sum")
    for b in bands:
        bm[f"arr:{b}"] = (by_band[b].reindex(month_labels).fillna(0.0).to_numpy(dtype=float)
                          if b in by_band else 0.0)
    return rows, bm


def renewal_forecast(rows: pd.DataFrame) -> dict[str, float]:
    """``arr`` renewing, ``expected_renewed_arr = sum arr x (1 - p)``, ``arr_at_risk``,
    ``accounts`` and ``expected_rate`` (expected / arr) over renewal ``rows``."""
    arr = float(rows["arr"].fillna(0).sum()) if len(rows) else 0.0
    p = rows["churn_probability"].to_numpy(dtype=float) if len(rows) else np.zeros(0)
    a = rows["arr"].fillna(0).to_numpy(dtype=float) if len(rows) else np.zeros(0)
    expected = float((a * (1.0 - p)).sum())
    return {"accounts": int(len(rows)), "arr": arr, "expected_renewed_arr": expected,
            "arr_at_risk": arr - expected,
            "expected_rate": expected / arr if arr else float("nan")}


# ====================================================================== whitespace grid
def whitespace_grid(inp: PortfolioInputs, *, segment: str | None = None,
                    product: str | None = None, top: int = 30
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(states, values, totals) of the account x product heat map.

    ``totals``: one row per active account with a suggestion (``account_id``, ``name``,
    ``segment``, ``owner``, ``owned`` products, ``gaps``, ``whitespace_arr`` = sum of the
    expected MRR x 12 of its suggestions, cross-sell and seat upsell (in ``product`` only,
    when given): the account's whitespace value of every other screen), sorted by
    whitespace, highest first, filtered by ``segment``. ``states`` and ``values`` are the
    matrices (index: the ``top`` accounts' ids in that order, columns: products) of the
    ownership state (owned/trial/pipeline/gap) and of the expected annual value of each gap
    (NaN where owned or nothing is suggested).
    """
    m = inp.matrix
    cols = ["account_id", "name", "segment", "owner", "owned", "gaps", "whitespace_arr"]
    if m is None or not len(m):
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame(columns=cols)
    m = m.assign(account_id=m["account_id"].astype(str))
    products = sorted(m["product"].dropna().unique().tolist(), key=str.casefold)
    states = m.pivot(index="account_id", columns="product", values="state") \
        .reindex(columns=products)
    sugg = inp.suggestions if inp.suggestions is not None else pd.DataFrame(
        columns=["account_id", "product", "expected_mrr"])
    sugg = sugg.assign(account_id=sugg["account_id"].astype(str))
    if product:
        sugg = sugg.loc[sugg["product"] == product]
    vals = (sugg.groupby(["account_id", "product"])["expected_mrr"].sum() * 12.0) \
        .unstack("product").reindex(index=states.index, columns=products)
    vals = vals.where(states != "owned")
    acc = inp.accounts.assign(account_id=inp.accounts["account_id"].astype(str)) \
        .drop_duplicates("account_id").set_index("account_id")
    totals = pd.DataFrame({"account_id": states.index.to_numpy(dtype=object)})
    for key in ("name", "segment", "owner"):
        totals[key] = acc[key].reindex(states.index).to_numpy(dtype=object) \
            if key in acc else None
    totals["owned"] = (states == "owned").sum(axis=1).to_numpy()
    totals["gaps"] = (states != "owned").sum(axis=1).to_numpy()
    # every suggestion of the account (seat upsells of owned products too): the account's
    # whitespace value as every screen shows it; the cells show the gaps' share of it
    value = sugg.groupby("account_id")["expected_mrr"].sum() * 12.0
    totals["whitespace_arr"] = value.reindex(states.index).fillna(0.0).to_numpy(dtype=float)
    if segment:
        totals = totals.loc[totals["segment"].astype(str) == segment]
    if product:
        totals = totals.loc[totals["account_id"].map(
            states[product] != "owned" if product in states else pd.Series(dtype=bool))
            .fillna(False).astype(bool).to_numpy()]
    totals = totals.loc[totals["whitespace_arr"] > 0] \
        .sort_values(["whitespace_arr", "account_id"], ascending=[False, True],
                     kind="stable").reset_index(drop=True)
    keep = totals["account_id"].head(top).to_numpy(dtype=object)
    return states.reindex(keep), vals.reindex(keep), totals
