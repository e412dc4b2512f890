"""The figures of the priority pack (what :mod:`acctdesk.export.pack` lays out and writes).

Every table is cut from the engine's analysis, so the pack shows what the app shows:

* Worklist: the worklist ranked on the *whole book* (``rank``), then filtered to the owner
  and/or segment asked for (``rank_in_list``: the rank within the filtered list), with the
  editable columns prefilled from an earlier pack's edits.
* Accounts: the per-account figures (:attr:`acctdesk.engine.Analysis.figures`).
* Whitespace: the suggestions of the filtered accounts.
* Renewals: :func:`acctdesk.analytics.portfolio.renewals` (the Renewals view's window and
  forecast).
* Portfolio KPIs: the Portfolio view's tiles for the same filter
  (:func:`acctdesk.analytics.portfolio.compute_portfolio`) and the revenue metrics of the
  same accounts (:func:`.metrics.metrics_summary`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analytics import metrics as M
from ..analytics import portfolio as P
from ..analytics.worklist import COMPONENTS, NEXT_STEPS, WorklistSettings
from ..domain.accounts import attribute_mask
from .core import Analysis, Engine
from .metrics import metrics_summary, retention_period
from .portfolio import portfolio_inputs


class PackError(ValueError):
    """The pack cannot be made (no data, or no account matches the filters)."""


@dataclass
class PackData:
    """Everything computed for a pack, before it is laid out as sheets."""

    workspace: str
    currency: str
    as_of: str
    exported_at: str
    filters: dict[str, str]
    risk_source: str                   # "model" or "health"
    risk_note: str
    worklist: pd.DataFrame
    accounts: pd.DataFrame
    whitespace: pd.DataFrame
    renewals: pd.DataFrame
    kpis: pd.DataFrame
    movements: pd.DataFrame
    definitions: pd.DataFrame
    marker: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def build_pack(ws, *, owner: str | None = None, segment: str | None = None,
               as_of: str | None = None, risk_source: str = "auto",
               now: dt.datetime | None = None) -> PackData:
    """Compute every table of the priority pack for a workspace.

    ``owner``, ``segment``: restrict the pack to one CSM's book and/or one segment (matched
    as the views' filters match: case and spacing ignored). ``as_of``: default the data
    date. ``risk_source="health"`` skips the churn model. ``now``: the export time shown in
    the title blocks (default the computer's clock).

    Raises :class:`PackError` when the workspace has no data yet or the filters match no
    account.
    """
    a = Engine(ws).analysis(as_of, risk_source=risk_source)
    if not a.as_of or a.empty:
        raise PackError(f"{Path(ws.path).name} has no data yet: import accounts first.")
    now = now or dt.datetime.now().replace(microsecond=0)
    filters = {k: v for k, v in (("owner", owner), ("segment", segment)) if v}
    accounts = a.data.accounts          # the filters are checked before anything is computed
    mask = np.ones(len(accounts), dtype=bool)
    for key, value in filters.items():
        mask &= attribute_mask(accounts[key], value) if key in accounts else False
    if filters and not mask.any():
        what = " and ".join(f"{k} {v!r}" for k, v in filters.items())
        owners = sorted({str(o) for o in accounts["owner"].dropna()})[:8] \
            if "owner" in accounts else []
        hint = f" Owners include: {', '.join(owners)}." if owner and owners else ""
        raise PackError(f"No account matches {what}.{hint}")
    ids = set(accounts.loc[mask, "account_id"].astype(str))
    figures = a.figures
    mask = figures["account_id"].astype(str).isin(ids).to_numpy()
    notes: list[str] = []
    wl = _worklist(a, ids, figures)
    inp = portfolio_inputs(a)
    kpis, movements = _kpis(a, inp, filters, wl)
    return PackData(
        workspace=a.name, currency=a.currency, as_of=a.as_of,
        exported_at=now.strftime("%Y-%m-%d %H:%M"), filters=filters,
        risk_source=a.risk.source, risk_note=a.risk.label, worklist=wl,
        accounts=_accounts(a, figures.loc[mask]), whitespace=_whitespace(a, ids),
        renewals=_renewals(inp, filters), kpis=kpis, movements=movements,
        definitions=definitions(a, now, filters),
        marker=pd.DataFrame({"account_id": wl["account_id"], "owner": wl["owner_edit"],
                             "status": wl["status_edit"], "next_step": wl["next_step_edit"],
                             "notes": wl["notes_edit"]}).reset_index(drop=True),
        notes=notes)


def _worklist(a: Analysis, ids: set[str], figures: pd.DataFrame) -> pd.DataFrame:
    """The book's worklist filtered to ``ids``, with the rank in the book and in the list."""
    from ..models.edits import pack_edits

    book = a.worklist
    wl = book.loc[book["account_id"].astype(str).isin(ids)].reset_index(drop=True)
    wl = wl.assign(account_id=wl["account_id"].astype(str))
    info = figures.set_index(figures["account_id"].astype(str))
    state = pack_edits(a.ws, set(wl["account_id"]))
    return wl.assign(
        rank_in_list=np.arange(1, len(wl) + 1),
        reasons_text=["; ".join(r) for r in wl["reasons"]],
        segment=wl["account_id"].map(info["segment"]),
        renewal_date=wl["account_id"].map(info["renewal_date"]),
        band=wl["account_id"].map(info["band"]),
        status_edit=[state.get(x, {}).get("status") or "Open" for x in wl["account_id"]],
        next_step_edit=[state.get(x, {}).get("next_step") for x in wl["account_id"]],
        notes_edit=[state.get(x, {}).get("notes") for x in wl["account_id"]],
        owner_edit=wl["owner"],
    )


def _accounts(a: Analysis, figures: pd.DataFrame) -> pd.DataFrame:
    """Every account of the filter with its figures; risk drivers for the active ones."""
    acc = a.data.accounts
    extra = acc.set_index(acc["account_id"].astype(str))
    out = figures.assign(account_id=figures["account_id"].astype(str)).copy()
    for key in ("domain", "seats"):
        out[key] = extra[key].reindex(out["account_id"]).to_numpy() if key in extra else None
    out["health"] = out["health_score"]
    out["churn_risk"] = out["churn_probability"]
    if a.risk.source == "model":
        active = out.loc[out["active"], "account_id"].tolist()
        drivers = a.drivers(active)
        out["drivers"] = [("; ".join(drivers[x]) if x in drivers else None)
                          for x in out["account_id"]]
    else:
        out["drivers"] = None
    return out.sort_values(["arr", "name"], ascending=[False, True], na_position="last",
                           kind="stable").reset_index(drop=True)


def _whitespace(a: Analysis, ids: set[str]) -> pd.DataFrame:
    wsx = a.whitespace
    if not len(wsx):
        return wsx
    return wsx.loc[wsx["account_id"].astype(str).isin(ids)].reset_index(drop=True)


def _renewals(inp, filters: dict[str, str]) -> pd.DataFrame:
    rows, _ = P.renewals(inp, filters)
    rows = rows.assign(health=rows["health_score"], churn_risk=rows["horizon_probability"])
    seats = inp.figures.set_index(inp.figures["account_id"].astype(str))["seats"]
    rows["seats"] = seats.reindex(rows["account_id"].astype(str)).to_numpy()
    rows["days_to_renewal"] = pd.array(rows["days_to_renewal"].round().tolist(),
                                       dtype="Int64") if len(rows) else rows["days_to_renewal"]
    return rows.sort_values(["renewal_date", "name"], kind="stable").reset_index(drop=True)


def _kpi(rows: list[dict], metric: str, value: Any, kind: str, formula: str) -> None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        value = None
    rows.append({"metric": metric, "value": value, "kind": kind, "formula": formula})


def _kpis(a: Analysis, inp, filters: dict[str, str], wl: pd.DataFrame
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The KPI rows (the Portfolio tiles of the same accounts, then the revenue metrics) and
    the last 12 months of MRR movements."""
    result = P.compute_portfolio(inp, filters)
    tiles = {k.key: k for k in result["kpis"]}
    ids = P.slice_accounts(inp.accounts, filters)["account_id"].astype(str)
    mrr = a.mrr if not filters else P.sliced_mrr(inp, pd.Index(ids))
    summary = metrics_summary(mrr, as_of=a.as_of, currency=a.currency,
                              arr=tiles["arr"].value or 0.0, bands={})
    rows: list[dict] = []
    _kpi(rows, "Data date", a.as_of, "text", "the latest date the workspace's data describes")
    _kpi(rows, "Active accounts", len(tiles["arr"].rows), "int",
         "accounts signed on or before the data date and not churned by then (not "
         "prospects)")
    _kpi(rows, "ARR", tiles["arr"].value, "currency", tiles["arr"].definition)
    _kpi(rows, "MRR (billing)", summary["mrr"], "currency",
         "sum of the month-end MRR of paying subscriptions in the data date's month")
    _kpi(rows, "ARR (billing)", summary["arr_billing"], "currency", "12 x MRR (billing)")
    start, end, _span = retention_period(list(mrr.attrs.get("months", [])), 12)
    if start:
        formulas = M.RETENTION_DEFINITIONS["standard"]
        period = f" ({start} to {end})"
        for key, title in (("nrr", "NRR"), ("grr", "GRR"), ("logo_churn", "Logo churn")):
            _kpi(rows, title + period, tiles[key].value, "percent", formulas[key])
    clv = summary.get("clv")
    if clv:
        _kpi(rows, "ARPA (per month)", clv["arpa"], "currency", "MRR / active accounts")
        _kpi(rows, "CLV", clv["value"], "currency", M.CLV_FORMULA)
    health = tiles["arr"].rows["health_score"]
    _kpi(rows, "Average health (active)", float(health.mean()) if health.notna().any()
         else None, "number",
         "mean of the health score (0-100, each account on its assigned scorecard) over "
         "active accounts with a score")
    for label, _lower, _colour in inp.bands:
        tile = tiles.get(label.lower())
        if tile is not None:
            _kpi(rows, f"Accounts in band {label}", int(tile.value or 0), "int",
                 "active accounts whose health score falls in the band")
    _kpi(rows, "Accounts on the worklist", int(len(wl)), "int",
         "active accounts with at least one worklist reason")
    _kpi(rows, "ARR at risk", tiles["arr_at_risk"].value, "currency",
         "sum over active accounts of ARR x churn probability")
    _kpi(rows, "Whitespace value (per year)", tiles["whitespace"].value, "currency",
         "sum of expected MRR x 12 over the whitespace suggestions (expected MRR = "
         "propensity x typical MRR of the product)")
    _kpi(rows, "Renewals in the next 90 days (ARR)", tiles["renewals_90d"].value, "currency",
         tiles["renewals_90d"].definition)
    ren, _ = P.renewals(inp, filters)
    forecast = P.renewal_forecast(ren)
    _kpi(rows, "Renewals in the next 12 months", forecast["accounts"], "int",
         "active accounts whose renewal date falls in the next 12 calendar months")
    _kpi(rows, "ARR renewing in the next 12 months", forecast["arr"], "currency",
         "sum of accounts.arr over those renewals")
    _kpi(rows, "Expected renewed ARR (12 months)", forecast["expected_renewed_arr"],
         "currency", "sum of ARR x (1 - probability of churning by the renewal date)")
    if "pipeline" in tiles:         # CRM deals were imported: pipeline, never revenue
        _kpi(rows, "Open pipeline (CRM deals)", tiles["pipeline"].value, "currency",
             tiles["pipeline"].definition)
    movements = pd.DataFrame(summary["movements"])
    cols = ["month", "start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
            "end_mrr", "net_change"]
    movements = movements[cols] if len(movements) else pd.DataFrame(columns=cols)
    return pd.DataFrame(rows), movements


def definitions(a: Analysis, now: dt.datetime, filters: dict[str, str]) -> pd.DataFrame:
    """The Definitions sheet: every formula the pack uses, the data date and the filters."""
    st = WorklistSettings()
    w = st.weights
    h, risk = a.health, a.risk
    card = h.default_card
    groups = ", ".join(f"{g.name} {g.weight:g}" for g in card.groups)
    bands = ", ".join(f"{b.label} from {b.lower:g}" for b in card.bands)
    formulas = M.RETENTION_DEFINITIONS["standard"]
    rows = [
        ("Workspace", a.name, ""),
        ("Data date", a.as_of, "every figure is computed as of this date, not the export date"),
        ("Exported", now.strftime("%Y-%m-%d %H:%M"), ""),
        ("Filters", ", ".join(f"{k} = {v}" for k, v in filters.items()) or "none (whole book)",
         ""),
        ("Health score", f"{card.name}: G_g = sum_m(w_m a_m p_m) / sum_m(w_m a_m); "
         "S = sum_g(W_g b_g G_g) / sum_g(W_g b_g); p_m = points 0-100 of measure m, "
         "a_m = 1 when m has data, b_g = 1 when group g has data",
         f"group weights W_g: {groups}; each account is scored with the scorecard its "
         "assignment rules give it"),
        ("Health band", bands, "a band covers [lower, next lower)"),
        ("Churn risk", (
            f"probability the account churns within {risk.horizon_days} days. {risk.label}")
         if risk.source == "model" else risk.label,
         "labelled 'Churn risk (model)' or 'Churn risk (from health)' in the sheets"),
        ("ARR at risk", "ARR x churn risk", ""),
        ("Worklist priority", "priority = sum_k w_k x s_k, each signal s_k in [0, 1]; "
         + ", ".join(f"{k} {getattr(w, k):g}" for k in COMPONENTS),
         "computed on the whole book, then filtered: 'Rank' is the rank in the book, 'Rank "
         "in this list' the rank among the accounts shown"),
        ("  arr_at_risk signal", "min(1, ARR x p / arr_scale); arr_scale = 90th percentile "
         "of active accounts' ARR", ""),
        ("  renewal signal", f"renewal within {st.renewal_window_days} days and health below "
         f"{st.poor_health_below:g}: 0.5 + 0.5 x (1 - days / window); overdue: 1", ""),
        ("  health_drop signal", f"drop >= {st.health_drop_min:g} points since the baseline: "
         f"min(1, drop / {st.health_drop_full:g})", f"baseline: {h.baseline}"),
        ("  urgent_tickets signal", f"open urgent tickets: min(1, n / {st.urgent_full:g})", ""),
        ("  detractor signal", f"latest NPS within {st.nps_window_days} days <= 6: "
         "0.5 + 0.5 x (6 - NPS) / 6", ""),
        ("  no_touch signal", f"days since the last CSM touch above {st.touch_gap_days}: "
         "min(1, days / (2 x gap)); notes are not touches", ""),
        ("  expansion signal", "min(1, 12 x expected MRR / arr_scale)", ""),
        ("Suggested next step", "the step of the largest component ("
         + "; ".join(f"{k}: {v}" for k, v in NEXT_STEPS.items())
         + "), or 'Escalate to an executive sponsor' for a high-value critical account", ""),
        ("Renewals", "active accounts whose renewal date falls in the next 12 calendar "
         "months after the data date", ""),
        ("Churn by renewal", f"within {risk.horizon_days} days: the churn risk p; later: "
         f"1 - (1 - p) ^ (days to renewal / {risk.horizon_days}), the model's probability "
         "carried to the renewal date with a constant hazard (the health fallback is used "
         "as it is)", "acctdesk.analytics.portfolio"),
        ("Whitespace propensity", "probability the account buys the product, from a model of "
         "what its peers (segment, industry, usage) own", "acctdesk.analytics.whitespace"),
        ("Expected MRR", "propensity x typical MRR of the product for similar accounts", ""),
        ("MRR", "sum of the month-end MRR of paying subscriptions", ""),
        ("ARR", "sum of accounts.arr over active accounts; ARR (billing) = 12 x MRR", ""),
        ("NRR", formulas["nrr"], f"definition 'standard': {formulas['summary']}"),
        ("GRR", formulas["grr"], ""),
        ("Logo churn", formulas["logo_churn"], ""),
        ("CLV", M.CLV_FORMULA, ""),
        ("Editing the Worklist", "change Owner, Status, Next step or Notes (yellow columns), "
         "save, then run: acctdesk import WORKSPACE THIS_FILE.xlsx",
         "only changed cells are applied, as one import batch (acctdesk undo reverts it); "
         "owner -> the account's owner; status, next step and notes -> notes on the account"),
    ]
    return pd.DataFrame(rows, columns=["term", "definition", "notes"])
