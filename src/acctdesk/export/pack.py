"""The priority pack: one workbook an account manager can work from (no Qt).

:func:`build_pack` computes, as of the workspace's data date, the tables of the pack and
returns them as :class:`~acctdesk.export.tables.SheetSpec` objects; :func:`write_pack` writes
them with :func:`~acctdesk.export.tables.write_xlsx`. Each view can also be written alone
(:func:`build_view`, used by ``acctdesk export --view``).

Sheets
------
``Worklist``
    The ranked accounts that need attention (:func:`acctdesk.analytics.worklist.
    worklist_from_workspace`): priority, reasons, suggested next step, health, churn risk,
    ARR at risk, renewal; and four **editable** columns (yellow): Owner, Status (drop-down),
    Next step, Notes, prefilled with the account's owner and the latest values saved from an
    earlier pack. Importing the workbook back applies what was changed there
    (:mod:`acctdesk.export.roundtrip`).
``Accounts``
    Every account with segment, owner, ARR, renewal, status, health score and band
    (:func:`acctdesk.analytics.health.score_accounts` with the stored default scorecard or
    :func:`~acctdesk.analytics.scorecard_presets.default_scorecard`) and churn risk.
``Whitespace``
    Cross-sell and upsell suggestions (:func:`acctdesk.analytics.whitespace.whitespace`).
``Renewals``
    Active accounts renewing in the 12 months after the data date (``0 <= renewal_date -
    as_of <= 365`` days), soonest first.
``Portfolio KPIs`` and ``MRR movements``
    MRR, ARR, NRR, GRR, logo churn, CLV (:mod:`acctdesk.analytics.metrics`) and book figures.
``Definitions``
    Every formula used and the data date.
``acctdesk`` (hidden)
    The round-trip marker: the exported values of the editable columns, per account id.

Churn risk comes from :func:`acctdesk.analytics.churn.churn_risk` when that module imports
and trains a model; otherwise (or with ``risk_source="health"``) it is
``p = (100 - health score) / 100`` and every sheet says so ("Churn risk (from health)").
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..importers.pack_marker import MARKER_PROPERTY, MARKER_SHEET, WORKLIST_SHEET
from .tables import ColumnSpec, ExportError, ExportReport, SheetSpec, write_csv, write_xlsx

__all__ = [
    "VIEWS", "STATUS_CHOICES", "EDITABLE_COLUMNS", "MARKER_PROPERTY", "MARKER_SHEET",
    "PACK_VERSION", "PackData", "build_pack", "build_view", "write_pack", "write_view",
]

#: views ``acctdesk export --view`` accepts (``pack`` is the whole workbook).
VIEWS = ("worklist", "accounts", "whitespace", "renewals", "metrics", "pack")
#: values offered in the Worklist's Status drop-down (others are accepted with a warning).
STATUS_CHOICES = ("Open", "In progress", "Waiting on customer", "Done", "Snoozed")
#: the Worklist's editable columns: header title -> field name used in the marker sheet.
EDITABLE_COLUMNS = {"Owner": "owner", "Status": "status", "Next step": "next_step",
                    "Notes": "notes"}
#: MARKER_PROPERTY, MARKER_SHEET and WORKLIST_SHEET live in importers.pack_marker
PACK_VERSION = "1"
RENEWAL_WINDOW_DAYS = 365


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


# --------------------------------------------------------------------------- helpers


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def _filter_accounts(accounts: pd.DataFrame, owner: str | None, segment: str | None
                     ) -> pd.DataFrame:
    out = accounts
    if owner:
        out = out[out["owner"].map(_norm) == _norm(owner)]
    if segment:
        out = out[out["segment"].map(_norm) == _norm(segment)]
    return out


def _churn_risk(ws, data, as_of: str, risk_source: str) -> tuple[pd.DataFrame | None, str]:
    """(frame account_id, churn_probability, drivers) from the churn model, or (None, why)."""
    if risk_source == "health":
        return None, "health score requested"
    try:
        from ..analytics import churn
    except Exception as exc:  # the model is optional: never break the pack
        return None, f"churn model not available ({exc.__class__.__name__})"
    try:
        result = churn.churn_risk(data, as_of)
        risk = result[0] if isinstance(result, tuple) else result
        info = getattr(risk, "model", {}) or {}
        if str(info.get("kind", "")).startswith("health"):
            return None, f"churn model not used: {info.get('reason') or 'too little history'}"
        frame = risk.accounts[["account_id", "churn_probability", "drivers"]].copy()
        frame["account_id"] = frame["account_id"].astype(str)
        auc = info.get("auc")
        detail = f", out-of-time AUC {auc:.2f}" if isinstance(auc, (int, float)) else ""
        return frame, f"churn model ({info.get('kind')}{detail})"
    except Exception as exc:  # noqa: BLE001 - an optional source must not break the export
        return None, f"churn model failed ({exc})"


def _latest_worklist_state(ws, ids: set[str]) -> dict[str, dict[str, str]]:
    """Latest status / next step / notes saved from an earlier pack, per account id."""
    rows = ws.conn.execute(
        "SELECT account_id, custom, text FROM activities WHERE kind = 'note' AND custom LIKE "
        "'%\"worklist\"%' ORDER BY date, rowid").fetchall()
    state: dict[str, dict[str, str]] = {}
    for aid, custom, text in rows:
        if aid not in ids:
            continue
        try:
            info = json.loads(custom or "{}")
        except ValueError:
            continue
        fld = info.get("worklist")
        value = info.get("value", text)
        if fld in ("status", "next_step", "notes"):
            state.setdefault(aid, {})[fld] = value
    return state


def _days_between(later: pd.Series, as_of: str) -> pd.Series:
    stamps = pd.to_datetime(later, errors="coerce")
    return (stamps - pd.Timestamp(as_of)).dt.days


def _kpi(rows: list[dict], metric: str, value: Any, kind: str, formula: str) -> None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        value = None
    rows.append({"metric": metric, "value": value, "kind": kind, "formula": formula})


# --------------------------------------------------------------------------- compute


def build_pack(ws, *, owner: str | None = None, segment: str | None = None,
               as_of: str | None = None, risk_source: str = "auto",
               now: dt.datetime | None = None) -> PackData:
    """Compute every table of the priority pack for a workspace.

    Parameters
    ----------
    ws : Workspace
    owner, segment : str, optional
        Restrict the pack to one CSM's book and/or one segment (case- and space-insensitive
        exact match on ``accounts.owner`` / ``accounts.segment``).
    as_of : str, optional
        ISO date; default the workspace's data date.
    risk_source : {"auto", "health"}
        ``"health"`` skips the churn model: ``p = (100 - health) / 100``.
    now : datetime, optional
        Export time shown in the title blocks (default: the computer's clock).

    Raises
    ------
    ExportError
        The workspace has no data yet, or the filters match no account.
    """
    from ..analytics import metrics
    from ..analytics.health import active_mask
    from ..analytics.whitespace import whitespace as whitespace_fn
    from ..analytics.worklist import WorklistSettings, build_worklist, currency_symbol
    from ..analytics.worklist import _baseline, _scoring

    as_of = str(as_of or ws.data_date() or "")[:10]
    if not as_of:
        raise ExportError(f"{Path(ws.path).name} has no data yet: import accounts first.")
    now = now or dt.datetime.now().replace(microsecond=0)
    name = ws.get_meta("name") or Path(ws.path).stem
    currency = (ws.get_meta("currency") or "USD").upper()
    filters = {k: v for k, v in (("owner", owner), ("segment", segment)) if v}

    all_accounts = ws.accounts()
    accounts = _filter_accounts(all_accounts, owner, segment)
    if filters and accounts.empty:
        what = " and ".join(f"{k} {v!r}" for k, v in filters.items())
        owners = sorted({str(o) for o in all_accounts["owner"].dropna()})[:8]
        hint = f" Owners include: {', '.join(owners)}." if owner and owners else ""
        raise ExportError(f"No account matches {what}.{hint}")
    ids = set(accounts["account_id"].astype(str))
    notes: list[str] = []

    # Health (stored default scorecard, else the shipped default), on every account.
    data, card, scores = _scoring(ws, as_of)
    scores = scores.assign(account_id=scores["account_id"].astype(str))
    risk, risk_note = _churn_risk(ws, data, as_of, risk_source)
    if risk is not None:
        probs = pd.Series(risk["churn_probability"].to_numpy(dtype=float),
                          index=risk["account_id"].to_numpy())
        risk_src = "model"
    else:
        probs = None
        risk_src = "health"
    risk_title = "Churn risk (model)" if risk_src == "model" else "Churn risk (from health)"

    subs = ws.subscriptions()
    usage = ws.usage()
    try:
        ws_frame = whitespace_fn(subs, all_accounts, usage, as_of, risk=probs)
    except Exception as exc:  # noqa: BLE001 - e.g. too few products to learn from
        ws_frame = pd.DataFrame(columns=["account_id", "name", "product", "kind", "propensity",
                                         "expected_mrr", "reason", "at_risk", "owner"])
        notes.append(f"whitespace suggestions unavailable: {exc}")

    # Worklist on the filtered book (the ranking's ARR scale is the filtered book's too).
    st = WorklistSettings()
    st.currency_symbol = currency_symbol(currency)
    previous, baseline = _baseline(ws, card, data, as_of, st)
    acc_mask = data.accounts["account_id"].astype(str).isin(ids)
    expansion = ws_frame[["account_id", "expected_mrr"]] if len(ws_frame) else None
    wl = build_worklist(data.accounts[acc_mask], as_of=as_of, scores=scores,
                        previous_scores=previous, tickets=data.tickets, surveys=data.surveys,
                        activities=data.activities, churn_probability=probs,
                        expansion=expansion, settings=st)
    wl = wl.assign(account_id=wl["account_id"].astype(str))
    info = accounts.set_index(accounts["account_id"].astype(str))
    state = _latest_worklist_state(ws, set(wl["account_id"]))
    wl = wl.assign(
        reasons_text=[
            "; ".join(r) if isinstance(r, (list, tuple, np.ndarray)) else (r or "")
            for r in wl["reasons"]],
        segment=wl["account_id"].map(info["segment"]),
        renewal_date=wl["account_id"].map(info["renewal_date"]),
        band=wl["account_id"].map(scores.set_index("account_id")["band"]),
        status_edit=[state.get(a, {}).get("status") or "Open" for a in wl["account_id"]],
        next_step_edit=[state.get(a, {}).get("next_step") for a in wl["account_id"]],
        notes_edit=[state.get(a, {}).get("notes") for a in wl["account_id"]],
        owner_edit=wl["owner"],
    )
    marker = pd.DataFrame({
        "account_id": wl["account_id"], "owner": wl["owner_edit"],
        "status": wl["status_edit"], "next_step": wl["next_step_edit"],
        "notes": wl["notes_edit"],
    })

    # Accounts with health and risk.
    sc = scores.set_index("account_id")
    acc = accounts.assign(account_id=accounts["account_id"].astype(str)).copy()
    acc["health"] = acc["account_id"].map(sc["score"])
    acc["band"] = acc["account_id"].map(sc["band"])
    if probs is not None:
        acc["churn_risk"] = acc["account_id"].map(probs)
        drivers = risk.set_index("account_id")["drivers"]
        acc["drivers"] = acc["account_id"].map(drivers).map(
            lambda d: "; ".join(d) if isinstance(d, (list, tuple, np.ndarray)) else d)
    else:
        acc["churn_risk"] = (100.0 - acc["health"]) / 100.0
        acc["drivers"] = None
    active = active_mask(acc, as_of).to_numpy()
    acc.loc[~active, "churn_risk"] = np.nan
    acc = acc.sort_values(["arr", "name"], ascending=[False, True], na_position="last",
                          kind="stable").reset_index(drop=True)

    # Whitespace for the filtered accounts.
    wsp = ws_frame[ws_frame["account_id"].astype(str).isin(ids)].reset_index(drop=True) \
        if len(ws_frame) else ws_frame

    # Renewals in the next 12 months (active accounts).
    days = _days_between(acc["renewal_date"], as_of)
    soon = active & days.between(0, RENEWAL_WINDOW_DAYS).to_numpy()
    ren = acc[soon].assign(days_to_renewal=days[soon]).sort_values(
        ["renewal_date", "name"], kind="stable").reset_index(drop=True)

    # Portfolio KPIs and movements.
    book_subs = subs[subs["account_id"].astype(str).isin(ids)] if filters else subs
    mrr = metrics.mrr_by_month(book_subs, as_of=as_of)
    labels = mrr.attrs.get("months", [])
    sym = currency_symbol(currency)
    kpis: list[dict] = []
    _kpi(kpis, "Data date", as_of, "text", "the latest date the workspace's data describes")
    _kpi(kpis, "Active accounts", int(active.sum()), "int",
         "accounts signed on or before the data date and not churned by then")
    _kpi(kpis, "ARR of active accounts", float(acc.loc[active, "arr"].fillna(0).sum()),
         "currency", "sum of accounts.arr over active accounts")
    movements = pd.DataFrame()
    definition = "standard"
    if len(mrr):
        mv = metrics.mrr_movements(mrr)
        last = mv.iloc[-1]
        _kpi(kpis, "MRR (billing)", float(last["end_mrr"]), "currency",
             "sum of the month-end MRR of paying subscriptions in the data date's month")
        _kpi(kpis, "ARR (billing)", 12 * float(last["end_mrr_cents"]) / 100.0, "currency",
             "12 x MRR (billing)")
        span = min(12, len(labels) - 1)
        if span >= 1:
            r = metrics.retention(mrr, start_month=labels[-1 - span], end_month=labels[-1],
                                  definition=definition)
            if len(r):
                row = r.iloc[0]
                period = f" ({labels[-1 - span]} to {labels[-1]})"
                formulas = metrics.RETENTION_DEFINITIONS[definition]
                _kpi(kpis, "NRR" + period, float(row["nrr"]), "percent", formulas["nrr"])
                _kpi(kpis, "GRR" + period, float(row["grr"]), "percent", formulas["grr"])
                _kpi(kpis, "Logo churn" + period, float(row["logo_churn"]), "percent",
                     formulas["logo_churn"])
        c = metrics.clv(mrr, window_months=min(12, max(1, len(labels) - 1)))
        if len(c):
            _kpi(kpis, "ARPA (per month)", float(c["arpa"].iloc[0]), "currency",
                 "MRR / active accounts")
            _kpi(kpis, "CLV", float(c["clv"].iloc[0]), "currency", metrics.CLV_FORMULA)
        keep = mv.iloc[-12:]
        movements = keep[["month", "start_mrr", "new", "expansion", "contraction", "churn",
                          "reactivation", "end_mrr", "net_change"]].reset_index(drop=True)
    health_active = acc.loc[active, "health"]
    _kpi(kpis, "Average health (active)", float(health_active.mean())
         if health_active.notna().any() else None, "number",
         f"mean of the {card.name} score (0-100) over active accounts with a score")
    for band in [b.label for b in card.bands]:
        _kpi(kpis, f"Accounts in band {band}", int((acc.loc[active, "band"] == band).sum()),
             "int", "active accounts whose health score falls in the band")
    _kpi(kpis, "Accounts on the worklist", int(len(wl)), "int",
         "active accounts with at least one worklist reason")
    _kpi(kpis, "ARR at risk", float(wl["arr_at_risk"].fillna(0).sum()) if len(wl) else 0.0,
         "currency", "sum over worklist accounts of ARR x churn probability")
    _kpi(kpis, "Renewals in the next 12 months", int(len(ren)), "int",
         f"active accounts with 0 <= renewal date - data date <= {RENEWAL_WINDOW_DAYS} days")
    _kpi(kpis, "ARR renewing in the next 12 months", float(ren["arr"].fillna(0).sum()),
         "currency", "sum of accounts.arr over those renewals")
    _kpi(kpis, "Open expansion (expected MRR)", float(wsp["expected_mrr"].fillna(0).sum())
         if len(wsp) else 0.0, "currency",
         "sum of whitespace expected MRR = propensity x typical MRR of the product")
    kpi_frame = pd.DataFrame(kpis)

    defs = _definitions(name, as_of, now, filters, card, risk_src, risk_note, baseline, sym,
                        definition)
    return PackData(
        workspace=name, currency=currency, as_of=as_of,
        exported_at=now.strftime("%Y-%m-%d %H:%M"), filters=filters,
        risk_source=risk_src, risk_note=risk_note, worklist=wl.reset_index(drop=True),
        accounts=acc, whitespace=wsp, renewals=ren, kpis=kpi_frame, movements=movements,
        definitions=defs, marker=marker.reset_index(drop=True), notes=notes,
    )


def _definitions(name, as_of, now, filters, card, risk_src, risk_note, baseline, sym,
                 definition) -> pd.DataFrame:
    from ..analytics import metrics
    from ..analytics.worklist import NEXT_STEPS, WorklistSettings

    st = WorklistSettings()
    w = st.weights
    groups = ", ".join(f"{g.name} {g.weight:g}" for g in card.groups)
    bands = ", ".join(f"{b.label} from {b.lower:g}" for b in card.bands)
    formulas = metrics.RETENTION_DEFINITIONS[definition]
    rows = [
        ("Workspace", name, ""),
        ("Data date", as_of, "every figure is computed as of this date, not the export date"),
        ("Exported", now.strftime("%Y-%m-%d %H:%M"), ""),
        ("Filters", ", ".join(f"{k} = {v}" for k, v in filters.items()) or "none (whole book)",
         ""),
        ("Health score", f"{card.name}: G_g = sum_m(w_m a_m p_m) / sum_m(w_m a_m); "
         "S = sum_g(W_g b_g G_g) / sum_g(W_g b_g); p_m = points 0-100 of measure m, "
         "a_m = 1 when m has data, b_g = 1 when group g has data",
         f"group weights W_g: {groups}"),
        ("Health band", bands, "a band covers [lower, next lower)"),
        ("Churn risk", (
            "probability the account churns within 90 days, from a model trained on this "
            "workspace's history (" + risk_note + ")") if risk_src == "model" else
         "p = (100 - health score) / 100 (no churn model: " + risk_note + ")",
         "labelled 'Churn risk (model)' or 'Churn risk (from health)' in the sheets"),
        ("ARR at risk", "ARR x churn risk", ""),
        ("Worklist priority", "priority = sum_k w_k x s_k, each signal s_k in [0, 1]; "
         + ", ".join(f"{k} {getattr(w, k):g}" for k in
                     ("arr_at_risk", "renewal", "health_drop", "urgent_tickets", "detractor",
                      "no_touch", "expansion") if hasattr(w, k)),
         "see acctdesk.analytics.worklist"),
        ("  arr_at_risk signal", "min(1, ARR x p / arr_scale); arr_scale = 90th percentile "
         "of active accounts' ARR", ""),
        ("  renewal signal", f"renewal within {st.renewal_window_days} days and health below "
         f"{st.poor_health_below:g}: 0.5 + 0.5 x (1 - days / window); overdue: 1", ""),
        ("  health_drop signal", f"drop >= {st.health_drop_min:g} points since the baseline: "
         f"min(1, drop / {st.health_drop_full:g})", f"baseline: {baseline}"),
        ("  urgent_tickets signal", f"open urgent tickets: min(1, n / {st.urgent_full:g})", ""),
        ("  detractor signal", f"latest NPS within {st.nps_window_days} days <= 6: "
         "0.5 + 0.5 x (6 - NPS) / 6", ""),
        ("  no_touch signal", f"days since the last CSM touch above {st.touch_gap_days}: "
         "min(1, days / (2 x gap)); notes are not touches", ""),
        ("  expansion signal", "min(1, 12 x expected MRR / arr_scale)", ""),
        ("Suggested next step", "the step of the largest component ("
         + "; ".join(f"{k}: {v}" for k, v in NEXT_STEPS.items())
         + "), or 'Escalate to an executive sponsor' for a high-value critical account", ""),
        ("Renewals", f"active accounts with 0 <= renewal date - data date <= "
         f"{RENEWAL_WINDOW_DAYS} days", ""),
        ("Whitespace propensity", "probability the account buys the product, from a model of "
         "what its peers (segment, industry, usage) own", "acctdesk.analytics.whitespace"),
        ("Expected MRR", "propensity x typical MRR of the product for similar accounts", ""),
        ("MRR", "sum of the month-end MRR of paying subscriptions", ""),
        ("ARR", "12 x MRR (billing); accounts.arr per account", ""),
        ("NRR", formulas["nrr"], f"definition '{definition}': {formulas['summary']}"),
        ("GRR", formulas["grr"], ""),
        ("Logo churn", formulas["logo_churn"], ""),
        ("CLV", metrics.CLV_FORMULA, ""),
        ("Editing the Worklist", "change Owner, Status, Next step or Notes (yellow columns), "
         "save, then run: acctdesk import WORKSPACE THIS_FILE.xlsx",
         "only changed cells are applied, as one import batch (acctdesk undo reverts it); "
         "owner -> the account's owner; status, next step and notes -> notes on the account"),
    ]
    return pd.DataFrame(rows, columns=["term", "definition", "notes"])


# --------------------------------------------------------------------------- layout


def _title(pack: PackData, what: str) -> tuple[str, str]:
    scope = ", ".join(f"{k} {v}" for k, v in pack.filters.items())
    title = f"{pack.workspace} · {what}" + (f" · {scope}" if scope else "")
    subtitle = f"Exported {pack.exported_at} · data as of {pack.as_of}"
    return title, subtitle


def _risk_title(pack: PackData) -> str:
    return "Churn risk (model)" if pack.risk_source == "model" else "Churn risk (from health)"


def _sheet_worklist(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Worklist")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28),
        C("rank", "Rank", "int", width=7),
        C("priority", "Priority", "number", width=10),
        C("reasons_text", "Reasons", width=48, wrap=True),
        C("next_step", "Suggested next step", width=30, wrap=True),
        C("owner_edit", "Owner", width=18, editable=True),
        C("status_edit", "Status", width=16, editable=True, choices=STATUS_CHOICES),
        C("next_step_edit", "Next step", width=30, editable=True, wrap=True),
        C("notes_edit", "Notes", width=36, editable=True, wrap=True),
        C("arr", "ARR", "currency"),
        C("arr_at_risk", "ARR at risk", "currency"),
        C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9),
        C("churn_probability", _risk_title(pack), "percent"),
        C("days_to_renewal", "Days to renewal", "int"),
        C("renewal_date", "Renewal", "date"),
        C("segment", "Segment"),
        C("account_id", "Account ID"),
    ]
    return SheetSpec(WORKLIST_SHEET, pack.worklist, cols, title=t, subtitle=s)


def _sheet_accounts(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Accounts")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28), C("segment", "Segment"), C("industry", "Industry"),
        C("region", "Region"), C("owner", "Owner"), C("arr", "ARR", "currency"),
        C("seats", "Seats", "int"), C("renewal_date", "Renewal", "date"),
        C("status", "Status"), C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9), C("churn_risk", _risk_title(pack), "percent"),
    ]
    if pack.risk_source == "model":
        cols.append(C("drivers", "Risk drivers", width=50, wrap=True))
    cols += [C("domain", "Domain"), C("account_id", "Account ID")]
    return SheetSpec("Accounts", pack.accounts, cols, title=t, subtitle=s)


def _sheet_whitespace(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Whitespace suggestions")
    C = ColumnSpec
    frame = pack.whitespace
    if "at_risk" in frame.columns:
        frame = frame.assign(at_risk_text=frame["at_risk"].map(
            lambda v: "yes" if v is True or v == 1 else ""))
    else:
        frame = frame.assign(at_risk_text="")
    cols = [
        C("name", "Account", width=28), C("product", "Product"), C("kind", "Kind"),
        C("propensity", "Propensity", "percent"), C("expected_mrr", "Expected MRR", "currency"),
        C("reason", "Reason", width=60, wrap=True), C("at_risk_text", "At risk", width=8),
        C("owner", "Owner"), C("account_id", "Account ID"),
    ]
    for c in ("name", "product", "kind", "propensity", "expected_mrr", "reason", "owner",
              "account_id"):
        if c not in frame.columns:
            frame = frame.assign(**{c: None})
    return SheetSpec("Whitespace", frame, cols, title=t, subtitle=s)


def _sheet_renewals(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Renewals in the next 12 months")
    C = ColumnSpec
    cols = [
        C("name", "Account", width=28), C("renewal_date", "Renewal", "date"),
        C("days_to_renewal", "Days to renewal", "int"), C("owner", "Owner"),
        C("segment", "Segment"), C("arr", "ARR", "currency"), C("seats", "Seats", "int"),
        C("health", "Health", "number", number_format="0", width=9),
        C("band", "Band", "band", width=9), C("churn_risk", _risk_title(pack), "percent"),
        C("account_id", "Account ID"),
    ]
    return SheetSpec("Renewals", pack.renewals, cols, title=t, subtitle=s)


def _sheet_kpis(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Portfolio KPIs")
    C = ColumnSpec
    cols = [C("metric", "Metric", width=40),
            C("value", "Value", "number", width=18, row_kinds="kind"),
            C("formula", "Formula", width=90, wrap=True)]
    return SheetSpec("Portfolio KPIs", pack.kpis, cols, title=t, subtitle=s)


def _sheet_movements(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "MRR movements by month")
    C = ColumnSpec
    frame = pack.movements if len(pack.movements) else pd.DataFrame(
        columns=["month", "start_mrr", "new", "expansion", "contraction", "churn",
                 "reactivation", "end_mrr", "net_change"])
    cols = [C("month", "Month", width=10)] + [
        C(k, title, "currency") for k, title in (
            ("start_mrr", "Start MRR"), ("new", "New"), ("expansion", "Expansion"),
            ("contraction", "Contraction"), ("churn", "Churn"),
            ("reactivation", "Reactivation"), ("end_mrr", "End MRR"),
            ("net_change", "Net change"))]
    return SheetSpec("MRR movements", frame, cols, title=t, subtitle=s)


def _sheet_definitions(pack: PackData) -> SheetSpec:
    t, s = _title(pack, "Definitions")
    C = ColumnSpec
    cols = [C("term", "Term", width=26), C("definition", "Definition / formula", width=90,
                                           wrap=True),
            C("notes", "Notes", width=50, wrap=True)]
    return SheetSpec("Definitions", pack.definitions, cols, title=t, subtitle=s)


def _sheet_marker(pack: PackData) -> SheetSpec:
    cols = [ColumnSpec("account_id", "account_id")] + [
        ColumnSpec(f, f) for f in EDITABLE_COLUMNS.values()]
    return SheetSpec(MARKER_SHEET, pack.marker, cols, hidden=True)


def marker_properties(pack: PackData) -> dict[str, str]:
    """The custom document properties that mark a priority pack."""
    return {MARKER_PROPERTY: PACK_VERSION, "acctdesk_workspace": pack.workspace,
            "acctdesk_data_date": pack.as_of, "acctdesk_exported": pack.exported_at}


def pack_sheets(pack: PackData) -> list[SheetSpec]:
    """The pack's sheets in order (the hidden marker sheet last)."""
    return [_sheet_worklist(pack), _sheet_accounts(pack), _sheet_whitespace(pack),
            _sheet_renewals(pack), _sheet_kpis(pack), _sheet_movements(pack),
            _sheet_definitions(pack), _sheet_marker(pack)]


_VIEW_SHEETS = {
    "worklist": _sheet_worklist, "accounts": _sheet_accounts,
    "whitespace": _sheet_whitespace, "renewals": _sheet_renewals, "metrics": _sheet_kpis,
}


def build_view(pack: PackData, view: str) -> list[SheetSpec]:
    """The sheet(s) of one view: ``metrics`` gives KPIs and MRR movements, ``pack`` all."""
    if view == "pack":
        return pack_sheets(pack)
    if view == "metrics":
        return [_sheet_kpis(pack), _sheet_movements(pack), _sheet_definitions(pack)]
    if view not in _VIEW_SHEETS:
        raise ExportError(f"Unknown view {view!r}; choose one of {', '.join(VIEWS)}.")
    return [_VIEW_SHEETS[view](pack)]


def write_pack(ws, path: str | os.PathLike[str], **kwargs) -> ExportReport:
    """Compute (:func:`build_pack`, same keyword arguments) and write the priority pack."""
    pack = build_pack(ws, **kwargs)
    report = write_xlsx(path, pack_sheets(pack), currency=pack.currency,
                        custom_properties=marker_properties(pack))
    report.warnings.extend(pack.notes)
    return report


def write_view(ws, path: str | os.PathLike[str], view: str, **kwargs) -> ExportReport:
    """Write one view to ``path``: ``.xlsx`` (``pack`` included) or ``.csv`` (one table).

    A ``.csv`` holds only the view's table (``metrics``: the KPIs); ``pack`` needs ``.xlsx``.
    Keyword arguments go to :func:`build_pack`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"Cannot export to {path.name}: use a name ending in .xlsx or .csv.")
    if view not in VIEWS:
        raise ExportError(f"Unknown view {view!r}; choose one of {', '.join(VIEWS)}.")
    if view == "pack" and suffix == ".csv":
        raise ExportError("The priority pack has several sheets: export it to an .xlsx file.")
    if view == "pack":
        return write_pack(ws, path, **kwargs)
    pack = build_pack(ws, **kwargs)
    sheets = build_view(pack, view)
    if suffix == ".csv":
        report = write_csv(path, sheets[0])
    else:
        report = write_xlsx(path, sheets, currency=pack.currency)
    report.warnings.extend(pack.notes)
    return report
