"""The Account 360 view: everything about one account on one screen.

Header (name, owner, segment, ARR, renewal, health with its trend, churn risk), then tabs:
Overview (health trend chart with what moved it, measure breakdown, risk drivers, whitespace
suggestions), Usage (active users vs seats, logins by month), Revenue (MRR history and
subscriptions), Support (tickets, NPS responses), Contacts (roles and last touch) and Timeline
(activities and notes, with "Add note" and "Log meeting", undoable and audited).

Everything is read and computed in the task runner (kind ``account:load``): the account's
figures (health on its assigned scorecard, band, churn risk, whitespace) are the engine's
(:mod:`acctdesk.engine`), the same as every other screen's; score history from stored
snapshots of its card when there are at least two, else the scores recomputed as of the last
six month ends; the risk drivers of this account only.
Charts draw aggregated, per-month data only.
"""
from __future__ import annotations

import datetime as dt
import html
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
    QTabWidget, QVBoxLayout, QWidget,
)

from .table_model import Column
from .table_view import DataTableView
from .tasks import TaskRunner, TaskState
from ..domain.colours import GREEN, RED, YELLOW
from ..domain.dates import to_day
from ..domain.money import affixes, format_money
from ..domain.numbers import finite, readable
from .today_view import drivers_html, install_tooltips
from .undo import EditHistory

HISTORY_MONTHS = 6
MEASURE_COLUMNS = [
    Column("group", "Group", width=100),
    Column("name", "Measure", width=180),
    Column("value_text", "Value", width=96),
    Column("points", "Points", "int", tooltip="The measure's points, 0-100", width=60),
    Column("weight", "Weight", "percent", tooltip="The measure's share of the score", width=64),
    Column("contribution", "Adds", "number",
           tooltip="Points this measure adds to the health score (the column sums to the "
                   "score)", width=60),
]
SUB_COLUMNS = [
    Column("product", "Product", width=150), Column("plan", "Plan", width=90),
    Column("quantity", "Seats", "int", width=60), Column("mrr", "MRR", "currency", width=90),
    Column("start_date", "Start", "date", width=90), Column("end_date", "End", "date", width=90),
    Column("status", "Status", "status", width=80),
]
DEAL_COLUMNS = [
    Column("name", "Deal", width=230), Column("stage", "Stage", width=120),
    Column("status", "Outcome", "status", width=70),
    Column("amount", "Amount", "currency", width=100),
    Column("close_date", "Close date", "date", width=90), Column("owner", "Owner", width=120),
]
LINK_COLUMNS = [
    Column("system", "System", width=120), Column("kind", "Kind of id", width=110),
    Column("external_id", "Id", width=260),
]
TICKET_COLUMNS = [
    Column("created_at", "Opened", "date", width=90), Column("subject", "Subject", width=260),
    Column("priority", "Priority", "status", width=70), Column("status", "Status", "status",
                                                             width=70),
    Column("solved_at", "Solved", "date", width=90), Column("csat", "CSAT", "number", width=60),
]
NPS_COLUMNS = [
    Column("date", "Date", "date", width=90), Column("score", "Score", "int", width=56),
    Column("kind", "Survey", width=60), Column("contact_email", "Contact", width=220),
    Column("comment", "Comment", width=300),
]
CONTACT_COLUMNS = [
    Column("name", "Name", width=170), Column("title", "Title", width=200),
    Column("role", "Role", "status", width=140), Column("email", "Email", width=260),
    Column("last_contact", "Last touch", "date", width=100),
]
ACTIVITY_COLUMNS = [
    Column("date", "Date", "date", width=90), Column("kind_text", "Kind", width=80),
    Column("text", "What happened", width=420), Column("author", "By", width=140),
]
WS_COLUMNS = [
    Column("product", "Product", width=140), Column("kind_text", "Kind", width=80),
    Column("expected_mrr", "Expected MRR", "currency",
           tooltip="Chance the account buys x what its peers typically pay, per month",
           width=96),
    Column("propensity", "Chance to buy", "percent",
           tooltip="How likely the account is to buy it, from what similar accounts own",
           width=90),
    Column("reason", "Why", width=420),
]
KIND_TEXT = {"qbr": "QBR", "ebr": "EBR", "call": "Call", "email": "Email", "note": "Note",
             "meeting": "Meeting", "workshop": "Workshop"}
EMPTY_NO_ACCOUNTS = ("<b>No accounts yet.</b><br>Import your CRM and billing exports to see "
                     "an account's health, usage, revenue, tickets, contacts and timeline "
                     "here.")
EMPTY_UNDATED = ("<b>{name}: nothing dated yet.</b><br>Its health, usage, revenue and timeline "
                 "need something dated about your accounts: billing subscriptions, support "
                 "tickets, product usage or survey responses. Import them (File › Import, or "
                 "drop the files on this window).")


def _scoring_data_for(card, data, account_id: str):
    """The rows a score of ``account_id`` needs: only that account's when no measure of
    ``card`` ranks an account against the others (a percentile mapping), so the history's
    twelve month-end scores take milliseconds instead of a minute at 100k accounts;
    otherwise the whole portfolio."""
    from ..analytics.scorecards import ScoringData

    if any(m.mapping.kind == "percentile" for m in card.measures):
        return data
    frames = {}
    for name in ("accounts", "usage", "tickets", "surveys", "subscriptions", "activities",
                 "contacts"):
        df = getattr(data, name)
        if df is not None and "account_id" in df:
            df = df.loc[df["account_id"].astype(str).to_numpy() == account_id]
        frames[name] = df
    return ScoringData(**frames)


def _month_ends(as_of: str, months: int) -> list[str]:
    """The last ``months`` month ends before ``as_of``, oldest first, then ``as_of``."""
    from ..domain.dates import iso, month_ends_before

    return month_ends_before(as_of, months) + [iso(as_of)]


def _fmt_value(v: Any, unit: str) -> str:
    v = finite(v)
    if v is None:
        return "no data"
    text = readable(v)
    return f"{text}%" if unit == "%" else f"{text} {unit}".strip()


def load_account(ws, account_id: str, state: TaskState) -> dict[str, Any]:
    """Worker: everything the 360 view shows for one account (its figures are the engine's,
    its health on the scorecard it is assigned)."""
    from ..analytics.scorecards import explain_change, score_accounts
    from ..engine import Engine

    state.progress(0.02, "Reading the account…")
    currency = ws.get_meta("currency") or "USD"
    hit = ws.account(str(account_id))
    if hit.empty:
        return {"missing": True, "account_id": account_id, "count": ws.count("accounts"),
                "currency": currency}
    acc = hit.iloc[0].to_dict()
    if not ws.data_date():       # accounts imported, nothing dated yet: a normal first step
        return {"missing": True, "undated": True, "account_id": account_id,
                "name": acc.get("name"), "count": ws.count("accounts"), "currency": currency}
    a = Engine(ws).analysis()
    a.prepare(progress=lambda f, t: state.progress(0.05 + 0.45 * f, t), check=state.check)
    as_of = a.as_of
    fig = a.account(account_id) or {}
    h = a.health
    card = h.card_of(account_id) or h.default_card
    state.progress(0.5, "Health history…")
    data = _scoring_data_for(card, a.data, str(account_id))

    def scores_on(day: str) -> pd.DataFrame:
        if data is not a.data:        # this account's rows only: cheap
            return score_accounts(card, data, day)
        # the whole portfolio (a percentile measure ranks the account against the others):
        # computed once per day and card, then every account's 360 view reuses it
        return a.scores_on(card, day)

    points, source = _health_history(ws, card, account_id, as_of, scores_on, state)
    current = h.detail.loc[h.detail["account_id"] == str(account_id)]
    cur = current.iloc[0] if len(current) else None
    prev = points[points["as_of"] < as_of].iloc[-1] if len(points) and \
        (points["as_of"] < as_of).any() else None
    moved = [c.text for c in explain_change(prev, cur, card, top=4)] if cur is not None else []
    measures = _measure_rows(card, current) if cur is not None else []
    state.progress(0.8, "Usage, revenue and timeline…")
    by_month = _usage_by_month(ws.usage(account_id))
    subs = ws.subscriptions(account_id)
    mrr, seats_by_month = _revenue_by_month(subs, by_month, acc.get("seats"), as_of)
    wsx = a.whitespace
    wsx = wsx[wsx["account_id"].astype(str) == str(account_id)].copy() if len(wsx) else wsx

    score_now = finite(fig.get("health_score"))
    before = finite(fig.get("health_before"))
    p = finite(fig.get("churn_probability"))
    risk = a.risk
    return {
        "missing": False, "account": acc, "as_of": as_of, "currency": currency,
        "card": card, "score": score_now, "band": fig.get("band") if score_now is not None
        else None, "score_before": before,
        "before_as_of": h.baseline_dates.get(card.id) if before is not None else None,
        "history": points[["as_of", "score"]].reset_index(drop=True), "history_source": source,
        "moved": moved, "measures": pd.DataFrame(measures),
        "churn_probability": p,
        "drivers": a.drivers([str(account_id)])[str(account_id)] if p is not None else [],
        "risk_source": risk.source, "risk_note": risk.label,
        "risk_horizon": risk.horizon_days, "priority": finite(fig.get("priority")),
        "rank": finite(fig.get("rank")), "whitespace_value": finite(fig.get("whitespace_arr")),
        "whitespace": wsx, "usage": by_month, "seats": seats_by_month, "mrr": mrr,
        "subscriptions": subs, "tickets": ws.tickets(account_id),
        "surveys": ws.surveys(account_id), "contacts": ws.contacts(account_id),
        "activities": ws.activities(account_id), "deals": ws.opportunities(account_id),
        "links": _links(ws.account_links(account_id)),
    }


#: the systems' names in words, for the ids an account is known by
SYSTEM_WORDS = {"salesforce": "Salesforce", "hubspot": "HubSpot", "pipedrive": "Pipedrive",
                "stripe": "Stripe", "chargebee": "Chargebee", "recurly": "Recurly",
                "zendesk": "Zendesk", "zendesk_user": "Zendesk (a person)",
                "salesforce_contact": "Salesforce (a contact)", "intercom": "Intercom",
                "freshdesk": "Freshdesk", "product": "Your product", "mixpanel": "Mixpanel",
                "amplitude": "Amplitude", "name": "Name you confirmed"}


def _links(links: pd.DataFrame) -> pd.DataFrame:
    """The account's ids in words; the names a hand-kept list used as keys are left out."""
    if not len(links):
        return links
    links = links.loc[links["kind"] != "name"]
    system = links["system"].astype(str).str.split("~").str[0]
    words = system.map(lambda v: SYSTEM_WORDS.get(v, v.replace("custom:", "your file's ")
                                                  .replace("_", " ")))
    return links.assign(system=words, kind=links["kind"].replace(
        {"record": "record", "account": "account", "customer": "customer",
         "workspace": "workspace", "subscription": "subscription", "user": "person"}))


def _health_history(ws, card, account_id: str, as_of: str, scores_on, state: TaskState):
    """(the account's scores over time, where they come from): its stored snapshots, else
    its score recomputed at the last :data:`HISTORY_MONTHS` month ends."""
    from ..models.scores import score_history

    hist = score_history(ws, card.id, account_id)
    if len(hist) >= 2:
        return hist.sort_values("as_of").reset_index(drop=True), "stored score snapshots"
    rows = []
    for d in _month_ends(as_of, HISTORY_MONTHS):
        state.check()
        s = scores_on(d)
        r = s[s["account_id"].astype(str) == str(account_id)]
        if len(r):
            rows.append(r.assign(as_of=d))
    points = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["as_of", "score"])
    return points, f"recomputed as of the last {HISTORY_MONTHS} month ends"


def _measure_rows(card, current: pd.DataFrame) -> list[dict[str, Any]]:
    """The measures of the account's score: value, points, weight and what each adds."""
    from ..analytics.scorecards import contributions

    cur = current.iloc[0]
    contrib = contributions(card, current).iloc[0]
    eff = card.effective_weights()
    return [{"group": g.name, "name": m.name,
             "value_text": _fmt_value(cur.get(f"val:{m.id}"), m.unit),
             "points": cur.get(f"pts:{m.id}"), "weight": eff[m.id],
             "contribution": float(contrib[m.id])}
            for g in card.groups for m in g.measures]


def _usage_by_month(usage: pd.DataFrame) -> pd.DataFrame:
    """Active users (monthly mean), logins (sum) and features adopted (max) by month."""
    if not len(usage):
        return pd.DataFrame()
    u = usage.assign(month=usage["date"].astype(str).str[:7],
                     value=pd.to_numeric(usage["value"], errors="coerce"))
    agg = {"active_users": "mean", "logins": "sum", "features_adopted": "max"}
    parts = {m: u[u["metric"] == m].groupby("month")["value"].agg(how)
             for m, how in agg.items() if (u["metric"] == m).any()}
    return pd.DataFrame(parts).sort_index()


def _revenue_by_month(subs: pd.DataFrame, by_month: pd.DataFrame, seats: Any, as_of: str):
    """(MRR by month, the last 24; seats by month of ``by_month``, from the subscriptions'
    quantities, else the account's seats, or None)."""
    from ..analytics.metrics import mrr_by_month

    seats_by_month = None
    mrr = pd.Series(dtype=float)
    if len(subs):
        m = mrr_by_month(subs, as_of=as_of)
        if len(m):
            mrr = m.groupby("month")["mrr"].sum().sort_index().tail(24)
        if len(by_month):
            q = pd.to_numeric(subs["quantity"], errors="coerce")
            values = []
            for month in by_month.index:
                end = (pd.Period(month, "M").end_time.date()).isoformat()
                active = (subs["start_date"].astype(str) <= end) & (
                    subs["end_date"].isna() | (subs["end_date"].astype(str) >= end))
                values.append(float(q[active].max()) if active.any() and
                              q[active].notna().any() else np.nan)
            seats_by_month = pd.Series(values, index=by_month.index)
    if seats_by_month is not None and seats_by_month.isna().all() and seats:
        seats_by_month = pd.Series(float(seats), index=by_month.index)
    return mrr, seats_by_month


# ====================================================================== small widgets
class _Tile(QFrame):
    """A header figure: caption over a value, with a tooltip."""

    def __init__(self, caption: str, tooltip: str = ""):
        super().__init__()
        self.setObjectName("tile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet("color: palette(mid); font-size: 9pt;")
        self.value = QLabel("—")
        self.value.setTextFormat(Qt.TextFormat.RichText)
        self.value.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.note = QLabel("")
        self.note.setStyleSheet("font-size: 9pt;")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(1)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.note)
        self.setToolTip(tooltip)
        self.setMinimumWidth(150)

    def set(self, value: str, note: str = "", colour: str | None = None) -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.setStyleSheet(f"QFrame#tile {{ border-left: 5px solid {colour}; }}" if colour
                           else "")


def _table(columns, view_id: str, noun: str, empty: str) -> DataTableView:
    grid = DataTableView(columns, view_id, noun=noun, empty_text=empty)
    grid.filter_bar.hide()          # a handful of rows: the count is enough
    grid.search_box.hide()
    grid.columns_button.hide()
    install_tooltips(grid)
    return grid


def _plot(title: str, left: str, left_units: str | None = None, prefix: str = ""):
    import pyqtgraph as pg

    class NumberAxis(pg.AxisItem):
        """Ticks with thousands separators (and a currency symbol for money)."""

        prefix_text = prefix

        def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph name)
            return [f"{self.prefix_text}{v:,.0f}" for v in values]

    w = pg.PlotWidget(background="w", axisItems={"left": NumberAxis("left")})
    w.setTitle(title, color="#333", size="10pt")
    w.setLabel("left", left, units=left_units, color="#333")
    w.setLabel("bottom", "Month", color="#333")
    w.showGrid(x=False, y=True, alpha=0.25)
    w.setMouseEnabled(x=False, y=False)
    w.hideButtons()
    w.setMenuEnabled(False)
    w.setMinimumHeight(220)
    for ax in ("left", "bottom"):
        w.getAxis(ax).setTextPen("#333")
        w.getAxis(ax).setPen("#888")
    w.getAxis("left").enableAutoSIPrefix(False)
    return w


def _short(label: str) -> str:
    """'2026-04-30' or '2026-04' -> 'Apr 2026'."""
    try:
        return dt.date.fromisoformat(label[:7] + "-01").strftime("%b %Y")
    except ValueError:
        return label


def _month_ticks(plot, labels: list[str]) -> None:
    step = max(1, (len(labels) + 7) // 8)
    ticks = [(i, _short(lab)) for i, lab in enumerate(labels)
             if i % step == 0 or i == len(labels) - 1]
    plot.getAxis("bottom").setTicks([ticks])
    plot.setXRange(-0.6, len(labels) - 0.4, padding=0)


# ====================================================================== the view
class AccountView(QWidget):
    """One account's 360 view.

    ``set_workspace(ws)`` (None clears) then ``show_account(account_id)``, which loads in the
    runner (kind ``account:load``) and emits ``loaded``. ``account_activated`` is emitted
    with the shown account's id when it is (re)shown, so a window can sync its selection.
    Notes and meetings go through ``history`` (undoable, audited).
    """

    loaded = Signal()
    account_activated = Signal(str)
    KIND = "account:load"

    def __init__(self, runner: TaskRunner, parent=None, history: EditHistory | None = None):
        super().__init__(parent)
        self.runner = runner
        self.history = history or EditHistory(self)
        self.history.edited.connect(self._edited)
        self.history.failed.connect(lambda m: self.message.setText(m))
        self.workspace = None
        self.account_id: str | None = None
        self.result: dict[str, Any] | None = None
        self._currency = "USD"

        self._build_header()
        overview = self._build_overview()
        usage = self._build_usage()
        revenue = self._build_revenue()
        support = self._build_support()
        self._build_contacts()
        timeline = self._build_timeline()

        self.tabs = QTabWidget()
        self.tabs.addTab(overview, "Overview")
        self.tabs.addTab(usage, "Usage")
        self.tabs.addTab(revenue, "Revenue")
        self.tabs.addTab(support, "Support and NPS")
        self.tabs.addTab(self.contacts_page, "Contacts")
        self.tabs.addTab(timeline, "Timeline")
        self.content = QWidget()
        cl = QVBoxLayout(self.content)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.header)
        cl.addWidget(self.tabs, 1)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.empty, 1)
        self._show_empty("Open a workspace, then pick an account in Today or Accounts to see "
                         "its 360 view.")

    def _build_header(self):
        """The name, the tiles and the export button."""
        self.name_label = QLabel("")
        self.name_label.setObjectName("accountName")
        self.name_label.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sub_label = QLabel("")
        self.sub_label.setWordWrap(True)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save this account's tables to one Excel workbook")
        self.export_button.clicked.connect(self.choose_export)
        self.tiles = {
            "arr": _Tile("ARR", "Annual recurring revenue on the data date"),
            "renewal": _Tile("Renewal", "Next contract renewal date"),
            "health": _Tile("Health", "Health score 0-100 on the account's assigned scorecard "
                                      "and its change since the previous score"),
            "risk": _Tile("Churn risk", "Chance the account churns within the churn model's "
                                        "horizon"),
            "owner": _Tile("Owner", "The customer success manager who owns the account"),
            "today": _Tile("Today", "The account's place on today's worklist (ranked on the "
                                    "whole book) and its priority, out of 130 points"),
            "whitespace": _Tile("Whitespace", "Expected annual value of the products and seats "
                                              "the account does not own yet"),
        }
        tiles = QHBoxLayout()
        for key in ("owner", "arr", "renewal", "health", "risk", "today", "whitespace"):
            tiles.addWidget(self.tiles[key], 1)
        top = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.name_label)
        names.addWidget(self.sub_label)
        top.addLayout(names, 1)
        top.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        self.header = QWidget()
        hl = QVBoxLayout(self.header)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addLayout(top)
        hl.addLayout(tiles)

    def _build_overview(self):
        """Health over time, what moved it, the measures, the churn drivers and the whitespace."""
        self.health_plot = _plot("Health score", "Score", None)
        self.moved_label = QLabel("")
        self.moved_label.setWordWrap(True)
        self.moved_label.setTextFormat(Qt.TextFormat.RichText)
        self.moved_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.measures = _table(MEASURE_COLUMNS, "account_measures", "measures",
                               "No health measures.")
        self.drivers_label = QLabel("")
        self.drivers_label.setWordWrap(True)
        self.drivers_label.setTextFormat(Qt.TextFormat.RichText)
        self.drivers_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.ws_table = _table(WS_COLUMNS, "account_whitespace", "suggestions",
                               "No expansion suggestions for this account.")
        overview = QWidget()
        og = QHBoxLayout(overview)
        og.setContentsMargins(4, 8, 4, 4)
        left = QVBoxLayout()
        left.addWidget(self.health_plot, 1)
        left.addWidget(self.moved_label)
        left.addWidget(self.drivers_label)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Health measures</b> (points of 0-100; “Adds” sums to the "
                               "score)"))
        right.addWidget(self.measures, 4)
        right.addWidget(QLabel("<b>Whitespace</b>: products and seats to offer, with why"))
        right.addWidget(self.ws_table, 2)
        og.addLayout(left, 1)
        og.addLayout(right, 1)
        return overview

    def _build_usage(self):
        """Active users against seats and logins by month."""
        self.users_plot = _plot("Active users vs seats", "Users (monthly mean)", None)
        self.logins_plot = _plot("Logins per month", "Logins per month", None)
        usage = QWidget()
        ul = QHBoxLayout(usage)
        ul.addWidget(self.users_plot, 1)
        ul.addWidget(self.logins_plot, 1)
        self.usage_empty = QLabel("")
        return usage

    def _build_revenue(self):
        """MRR by month, the subscriptions, and the CRM deals (pipeline, not revenue)."""
        self.mrr_plot = _plot("MRR by month", "MRR", None, prefix="$")
        self.subs = _table(SUB_COLUMNS, "account_subscriptions", "subscriptions",
                           "No subscriptions.")
        self.deals = _table(DEAL_COLUMNS, "account_deals", "deals",
                            "No CRM deals imported for this account.")
        revenue = QWidget()
        rl = QVBoxLayout(revenue)
        rl.addWidget(self.mrr_plot, 2)
        rl.addWidget(self.subs, 3)
        self.deals_label = QLabel("<b>Deals in the CRM</b> (pipeline: never counted as revenue)")
        rl.addWidget(self.deals_label)
        rl.addWidget(self.deals, 2)
        return revenue

    def _build_support(self):
        """Tickets and survey responses."""
        self.tickets = _table(TICKET_COLUMNS, "account_tickets", "tickets", "No tickets.")
        self.nps = _table(NPS_COLUMNS, "account_nps", "responses", "No survey responses.")
        support = QSplitter(Qt.Orientation.Vertical)
        for label, w in (("<b>Tickets</b>", self.tickets), ("<b>NPS and CSAT responses</b>",
                                                           self.nps)):
            box = QWidget()
            bl = QVBoxLayout(box)
            bl.setContentsMargins(0, 0, 0, 0)
            bl.addWidget(QLabel(label))
            bl.addWidget(w, 1)
            support.addWidget(box)
        return support

    def _build_contacts(self):
        """The contacts, and the ids other systems know the account by."""
        self.contacts = _table(CONTACT_COLUMNS, "account_contacts", "contacts", "No contacts.")
        self.links = _table(LINK_COLUMNS, "account_links", "ids",
                            "No ids from other systems yet.")
        self.links.setToolTip("Every id an export carried for this company (CRM record, "
                              "billing customer, product workspace...): a later file keyed "
                              "by any of them links here")
        split = QSplitter(Qt.Orientation.Vertical)
        for label, w in (("<b>Contacts</b>", self.contacts),
                         ("<b>Known in other systems as</b>", self.links)):
            box = QWidget()
            bl = QVBoxLayout(box)
            bl.setContentsMargins(0, 0, 0, 0)
            bl.addWidget(QLabel(label))
            bl.addWidget(w, 1)
            split.addWidget(box)
        self.contacts_page = split

    def _build_timeline(self):
        """Activities, and the form to add a note or log a meeting."""
        self.activities = _table(ACTIVITY_COLUMNS, "account_activities", "activities",
                                 "No activities yet: log a call or add a note above.")
        self.note_kind = QComboBox()
        for key, label in (("note", "Note"), ("meeting", "Meeting"), ("call", "Call"),
                           ("email", "Email"), ("qbr", "QBR")):
            self.note_kind.addItem(label, key)
        self.note_text = QLineEdit()
        self.note_text.setPlaceholderText("Write a note or what the meeting covered")
        self.note_text.returnPressed.connect(lambda: self.add_activity())
        self.note_date = QDateEdit(dt.date.today())
        self.note_date.setCalendarPopup(True)
        self.note_date.setDisplayFormat("yyyy-MM-dd")
        self.note_button = QPushButton("Add note")
        self.note_button.clicked.connect(lambda: self.add_activity("note"))
        self.meeting_button = QPushButton("Log meeting")
        self.meeting_button.clicked.connect(lambda: self.add_activity("meeting"))
        self.message = QLabel("")
        form = QHBoxLayout()
        form.addWidget(self.note_text, 1)
        form.addWidget(self.note_date)
        form.addWidget(self.note_button)
        form.addWidget(self.meeting_button)
        timeline = QWidget()
        tl = QVBoxLayout(timeline)
        tl.addLayout(form)
        tl.addWidget(self.message)
        tl.addWidget(self.activities, 1)
        return timeline

    # ------------------------------------------------------------------ loading
    def _show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.empty.show()
        self.content.hide()

    def set_workspace(self, ws) -> None:
        """Use ``ws`` (None clears); the account shown before is shown again if it exists."""
        changed = ws is not self.workspace
        self.workspace = ws
        self.history.set_workspace(ws)
        if ws is None:
            self.runner.cancel(self.KIND)
            self.account_id, self.result = None, None
            self._show_empty("Open a workspace, then pick an account in Today or Accounts to "
                             "see its 360 view.")
            return
        if changed:
            self.account_id = None
        if self.account_id:
            self.show_account(self.account_id)
        else:
            self._show_empty("Pick an account in Today or Accounts (double-click) to see its "
                             "health, usage, revenue, tickets, contacts and timeline here.")

    def show_account(self, account_id: str) -> None:
        """Load and show one account (in the runner; ``loaded`` when shown)."""
        if self.workspace is None:
            return
        self.account_id = str(account_id)
        ws = self.workspace
        self.message.setText("")
        if self.content.isHidden() or self.result is None:
            self._show_empty("Loading the account…")
        else:
            self.sub_label.setText("Loading…")
        self.runner.start(self.KIND, "Loading the account",
                          lambda st: load_account(ws, str(account_id), st), self._loaded)

    def _loaded(self, r: dict[str, Any]) -> None:
        self._currency = r.get("currency") or "USD"
        if r.get("missing"):
            self.result = None
            self._show_empty(EMPTY_UNDATED.format(name=html.escape(str(r.get("name") or "")))
                             if r.get("undated") else
                             EMPTY_NO_ACCOUNTS if not r.get("count") else
                             f"Account {html.escape(str(r['account_id']))} is not in this "
                             "workspace (it may have been removed by an undone import).")
            self.loaded.emit()
            return
        self.result = r
        self.empty.hide()
        self.content.show()
        self._fill_header(r)
        self._fill_overview(r)
        self._fill_usage(r)
        self._fill_revenue(r)
        self._fill_tables(r)
        self.loaded.emit()

    # ------------------------------------------------------------------ header
    def header_values(self) -> dict[str, Any]:
        """The raw values behind the header (for tests and the export)."""
        r = self.result or {}
        a = r.get("account", {})
        return {"account_id": a.get("account_id"), "name": a.get("name"),
                "owner": a.get("owner"), "segment": a.get("segment"), "arr": a.get("arr"),
                "renewal_date": a.get("renewal_date"), "health": r.get("score"),
                "band": r.get("band"), "health_before": r.get("score_before"),
                "churn_probability": r.get("churn_probability"),
                "priority": r.get("priority"), "rank": r.get("rank"),
                "whitespace_value": r.get("whitespace_value")}

    def _fill_header(self, r: dict[str, Any]) -> None:
        a = r["account"]

        def e(text: str) -> str:
            return html.escape(text, quote=False)

        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        self.name_label.setText(str(a.get("name")))
        bits = [a.get("segment"), a.get("industry"), a.get("region"), a.get("domain")]
        status = a.get("status")
        if status and status != "active":
            bits.append(str(status).replace("_", " "))
        self.sub_label.setText(" · ".join(str(b) for b in bits if b) +
                               f" · data as of {r['as_of']}")
        self.tiles["owner"].set(e(str(a.get("owner") or "No owner")), "CSM")
        self.tiles["arr"].set(format_money(a.get("arr"), self._currency),
                              f"{a.get('seats'):,.0f} seats" if a.get("seats") == a.get("seats")
                              and a.get("seats") is not None else "")
        ren = a.get("renewal_date")
        if ren:
            days = to_day(ren) - to_day(r["as_of"])
            note = f"in {days} days" if days > 0 else "today" if days == 0 else \
                f"overdue by {-days} days"
            self.tiles["renewal"].set(str(ren)[:10], note,
                                      RED if days < 0 else YELLOW if days <= 90 else None)
        else:
            self.tiles["renewal"].set("—", "no renewal date")
        score, before = r.get("score"), r.get("score_before")
        colour = r["card"].band_color(r.get("band")) if r.get("band") else None
        if score is None:
            self.tiles["health"].set("—", "no data to score")
        else:
            if before is None:
                trend = "no earlier score"
                arrow = ""
            else:
                d = score - before
                arrow = " <span style='color:#1e7b45'>▲</span>" if d >= 1 else \
                    " <span style='color:#b3261e'>▼</span>" if d <= -1 else " ▬"
                trend = f"{d:+.0f} since {r.get('before_as_of')}"
            self.tiles["health"].set(f"{score:.0f}{arrow}", f"{r.get('band')} · {trend}", colour)
        p = r.get("churn_probability")
        if p is None or p != p:
            self.tiles["risk"].set("—", "not scored (inactive account)")
        else:
            src = f"churn model, {r['risk_horizon']} days" if r["risk_source"] == "model" else \
                "from health (no model)"
            self.tiles["risk"].set(f"{p:.0%}", src, RED if p >= 0.5 else
                                   YELLOW if p >= 0.2 else GREEN)
        self.tiles["risk"].setToolTip(r["risk_note"])
        rank = r.get("rank")
        if rank is None:
            self.tiles["today"].set("—", "not on today's list")
        else:
            self.tiles["today"].set(f"#{rank:,.0f}", f"priority {r['priority']:.0f}")
        ws_value = r.get("whitespace_value")
        self.tiles["whitespace"].set(format_money(ws_value, self._currency),
                                     "a year, expected" if ws_value is not None else
                                     "not a customer")

    # ------------------------------------------------------------------ overview
    def _fill_overview(self, r: dict[str, Any]) -> None:
        import pyqtgraph as pg

        e = html.escape
        p = self.health_plot
        p.clear()
        h = r["history"]
        card = r["card"]
        bands = sorted(card.bands, key=lambda b: b.lower)
        for i, b in enumerate(bands):     # band colours behind the line
            hi = bands[i + 1].lower if i + 1 < len(bands) else 100
            c = pg.mkColor(b.color)
            c.setAlpha(40)
            region = pg.LinearRegionItem((b.lower, hi), orientation="horizontal",
                                         movable=False, brush=c, pen=pg.mkPen(None))
            p.addItem(region)
        if len(h):
            x = np.arange(len(h))
            y = pd.to_numeric(h["score"], errors="coerce").to_numpy(dtype=float)
            p.plot(x, y, pen=pg.mkPen("#1f3864", width=2), symbol="o", symbolSize=7,
                   symbolBrush="#1f3864")
            _month_ticks(p, [str(d)[:10] for d in h["as_of"]])
        p.setYRange(0, 100, padding=0.02)
        p.setLabel("bottom", "Score date")
        p.setTitle(f"Health score ({r['history_source']})", color="#333", size="10pt")
        moved = r["moved"]
        if r.get("score_before") is None:
            text = "<b>What moved</b><br>No earlier score to compare with."
        elif moved:
            text = (f"<b>What moved since {e(str(r.get('before_as_of')))}</b><ul "
                    "style='margin-left:-20px'>" + "".join(f"<li>{e(m)}</li>" for m in moved) +
                    "</ul>")
        else:
            text = f"<b>What moved</b><br>Nothing changed since {e(str(r['before_as_of']))}."
        self.moved_label.setText(text)
        self.measures.set_frame(r["measures"] if len(r["measures"]) else
                                pd.DataFrame({c.key: [] for c in MEASURE_COLUMNS}))
        label = "Risk drivers" if r["risk_source"] == "model" else \
            "Risk drivers (weakest health measures; no churn model)"
        self.drivers_label.setText(drivers_html(r["drivers"], r.get("churn_probability"),
                                                r["risk_source"], label))
        w = r["whitespace"]
        if len(w):
            w = w.assign(kind_text=w["kind"].map(lambda k: {
                "cross-sell": "Cross-sell", "cross_sell": "Cross-sell",
                "upsell": "More seats"}.get(k, k)))
        else:
            w = pd.DataFrame({c.key: [] for c in WS_COLUMNS})
        self.ws_table.set_frame(w)

    # ------------------------------------------------------------------ usage, revenue
    def _fill_usage(self, r: dict[str, Any]) -> None:
        import pyqtgraph as pg

        u = r["usage"]
        for plot in (self.users_plot, self.logins_plot):
            plot.clear()
            if plot.plotItem.legend is not None:
                plot.plotItem.legend.clear()
        if not len(u):
            self.users_plot.setTitle("Active users vs seats: no usage data", color="#333")
            self.logins_plot.setTitle("Logins per month: no usage data", color="#333")
            return
        self.users_plot.setTitle("Active users vs seats", color="#333", size="10pt")
        self.logins_plot.setTitle("Logins per month", color="#333", size="10pt")
        x = np.arange(len(u))
        months = [str(m) for m in u.index]
        if self.users_plot.plotItem.legend is None:    # the series' names label them
            self.users_plot.addLegend(offset=(-10, -10), labelTextColor="#333")
        if "active_users" in u:
            self.users_plot.plot(x, u["active_users"].to_numpy(dtype=float),
                                 pen=pg.mkPen("#1f3864", width=2), symbol="o", symbolSize=6,
                                 symbolBrush="#1f3864", name="Active users (monthly mean)")
        seats = r.get("seats")
        if seats is not None and len(seats):
            self.users_plot.plot(x, seats.to_numpy(dtype=float),
                                 pen=pg.mkPen(RED, width=2, style=Qt.PenStyle.DashLine),
                                 name="Seats licensed")
        self.users_plot.setYRange(0, max(1.0, np.nanmax(np.r_[
            u.get("active_users", pd.Series([0])).to_numpy(dtype=float),
            seats.to_numpy(dtype=float) if seats is not None else [0]])) * 1.1, padding=0)
        _month_ticks(self.users_plot, months)
        if "logins" in u:
            bars = pg.BarGraphItem(x=x, height=u["logins"].to_numpy(dtype=float), width=0.7,
                                   brush="#5b7db1", pen=pg.mkPen(None))
            self.logins_plot.addItem(bars)
            self.logins_plot.setYRange(0, max(1.0, float(u["logins"].max())) * 1.1, padding=0)
        _month_ticks(self.logins_plot, months)

    def _fill_revenue(self, r: dict[str, Any]) -> None:
        import pyqtgraph as pg

        p = self.mrr_plot
        p.clear()
        m = r["mrr"]
        p.setLabel("left", f"MRR ({r.get('currency') or 'USD'} per month)", color="#333")
        p.getAxis("left").prefix_text = affixes(self._currency)[0]
        if len(m):
            x = np.arange(len(m))
            p.addItem(pg.BarGraphItem(x=x, height=m.to_numpy(dtype=float), width=0.7,
                                      brush=GREEN, pen=pg.mkPen(None)))
            p.setYRange(0, max(1.0, float(m.max())) * 1.1, padding=0)
            _month_ticks(p, [str(i) for i in m.index])
            p.setTitle(f"MRR by month (now {format_money(m.iloc[-1], self._currency)}/month)",
                       color="#333", size="10pt")
        else:
            p.setTitle("MRR by month: no subscriptions", color="#333", size="10pt")
        subs = r["subscriptions"]
        self.subs.set_frame(subs if len(subs) else pd.DataFrame({c.key: [] for c in
                                                                 SUB_COLUMNS}))

    def _fill_tables(self, r: dict[str, Any]) -> None:
        def put(grid, frame, columns, sort_key=None):
            if not len(frame):
                frame = pd.DataFrame({c.key: [] for c in columns})
            elif sort_key:
                frame = frame.sort_values(sort_key, ascending=False, kind="stable")
            grid.set_frame(frame.reset_index(drop=True))

        put(self.tickets, r["tickets"], TICKET_COLUMNS, "created_at")
        put(self.nps, r["surveys"], NPS_COLUMNS, "date")
        contacts = r["contacts"]
        if len(contacts):
            order = {"executive sponsor": 0, "decision maker": 1, "champion": 2}
            contacts = contacts.assign(_o=contacts["role"].map(
                lambda v: order.get(str(v).lower(), 9))).sort_values(["_o", "name"])
        put(self.contacts, contacts, CONTACT_COLUMNS)
        put(self.links, r.get("links", pd.DataFrame()), LINK_COLUMNS)
        put(self.deals, r.get("deals", pd.DataFrame()), DEAL_COLUMNS, "close_date")
        self.deals_label.setVisible(len(r.get("deals", ())) > 0)
        self.deals.setVisible(len(r.get("deals", ())) > 0)
        self._fill_activities(r["activities"])
        n_tickets = len(r["tickets"])
        self.tabs.setTabText(3, f"Support and NPS ({n_tickets})")
        self.tabs.setTabText(4, f"Contacts ({len(r['contacts'])})")

    def _fill_activities(self, acts: pd.DataFrame) -> None:
        if len(acts):
            acts = acts.assign(kind_text=acts["kind"].map(
                lambda k: KIND_TEXT.get(str(k).lower(), str(k).capitalize())))
            acts = acts.sort_values(["date", "activity_id"], ascending=False, kind="stable")
        else:
            acts = pd.DataFrame({c.key: [] for c in ACTIVITY_COLUMNS} | {"activity_id": []})
        self._activities = acts.reset_index(drop=True)
        self.activities.set_frame(self._activities)
        self.tabs.setTabText(5, f"Timeline ({len(acts)})")

    # ------------------------------------------------------------------ timeline edits
    def timeline(self) -> pd.DataFrame:
        """The activities shown in the timeline, newest first."""
        return getattr(self, "_activities", pd.DataFrame())

    def add_activity(self, kind: str | None = None, text: str | None = None,
                     date: Any = None) -> str | None:
        """Add a note or log a meeting (undoable, audited); returns the activity id."""
        if self.workspace is None or self.account_id is None:
            return None
        kind = kind or self.note_kind.currentData()
        text = self.note_text.text().strip() if text is None else text
        if not text:
            self.message.setText("Write what the note or meeting was about first.")
            self.note_text.setFocus()
            return None
        date = date or self.note_date.date().toString("yyyy-MM-dd")
        aid = self.history.log_activity(self.workspace, self.account_id, kind, text, date)
        if aid:
            self.note_text.clear()
            label = KIND_TEXT.get(kind, kind)
            self.message.setText(f"{label} added. Undo with Ctrl+Z.")
        return aid

    def _edited(self, what: str, account_id: str) -> None:
        if what == "activity" and self.workspace is not None and \
                account_id == self.account_id and self.result is not None:
            acts = self.workspace.activities(account_id)
            self.result["activities"] = acts
            self._fill_activities(acts)

    # ------------------------------------------------------------------ export
    def export_to(self, path):
        """Write the account's header and tables to one xlsx workbook (one sheet each)."""
        from ..export.tables import ColumnSpec, SheetSpec, write_xlsx

        if self.result is None:
            raise ValueError("no account is shown")
        hv = self.header_values()
        head = pd.DataFrame({
            "field": ["Account", "Account id", "Owner", "Segment", "ARR", "Renewal date",
                      "Health score", "Health band", "Health before", "Churn risk",
                      "Rank on today's list", "Priority", "Whitespace / yr"],
            "value": [hv["name"], hv["account_id"], hv["owner"], hv["segment"], hv["arr"],
                      hv["renewal_date"], None if hv["health"] is None else
                      round(hv["health"], 1), hv["band"], None if hv["health_before"] is None
                      else round(hv["health_before"], 1), hv["churn_probability"],
                      hv["rank"], hv["priority"], hv["whitespace_value"]],
            "kind": ["text", "text", "text", "text", "currency", "text", "number", "text",
                     "number", "percent", "int", "number", "currency"]})
        sheets = [SheetSpec("Account", head, [ColumnSpec("field", "Field"),
                                              ColumnSpec("value", "Value", "number",
                                                         row_kinds="kind")],
                            title=str(hv["name"]), subtitle=f"Data as of "
                                                            f"{self.result['as_of']}")]
        for name, grid in (("Health measures", self.measures), ("Whitespace", self.ws_table),
                           ("Subscriptions", self.subs), ("Tickets", self.tickets),
                           ("NPS", self.nps), ("Contacts", self.contacts),
                           ("Timeline", self.activities)):
            frame, specs = grid.visible_frame()
            sheets.append(SheetSpec(name, frame, specs))
        return write_xlsx(path, sheets, currency=self.result.get("currency") or "USD")

    def choose_export(self) -> None:
        if self.result is None:
            return
        name = str(self.header_values()["name"] or "account").replace("/", "-")
        from .analysis_view import choose_export_path

        self.export_dialog = choose_export_path(self, f"{name}.xlsx", self.export_to,
                                                "Export the account")
