"""A seeded, realistic B2B SaaS book of business for the demo workspace and benchmarks.

The generator is driven by one latent variable per account and month, *health* ``h`` in [0, 1].
Everything a CSM sees is drawn from it with noise, so the signals real churn shows are present
statistically and analytics have something true to find:

* usage: active users = seats x utilisation(h); logins per active user and breadth of feature
  adoption rise with h;
* support: ticket rate and the share of urgent tickets rise as h falls; CSAT falls;
* satisfaction: NPS ~ 10 h + noise (detractors before churn);
* relationship: QBRs are held with probability rising with h (missed before churn);
* money: healthy accounts expand (seats, add-ons), declining ones contract, churners cancel at
  a contract anniversary after six months of decline.

Some active accounts show early warning (decline over the last four months) and some show
expansion signals (seats nearly full, products their peers own and they lack).

Every array is generated with numpy over (account, month) grids; there are no per-row Python
loops, so 100,000 accounts generate in seconds.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .workspace import Workspace

MONTHS = 24
#: product-analytics exports usually keep a year of history: usage covers the last 12 months.
USAGE_MONTHS = 12
INDUSTRIES = np.array([
    "FinTech", "Healthcare", "Retail", "Manufacturing", "Education", "Media", "Logistics",
    "Software", "Insurance", "Public Sector",
])
SEGMENTS = np.array(["Enterprise", "Mid-Market", "SMB"])
SEGMENT_P = np.array([0.12, 0.33, 0.55])
REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"])
REGION_P = np.array([0.45, 0.32, 0.15, 0.08])

_FIRST = (
    "Acme Apex Arbor Argent Atlas Aurora Axiom Beacon Birch Blue Bold Bright Brook Cedar Cinder "
    "Citadel Clear Cobalt Copper Coral Crest Crystal Cypress Delta Drift Eagle Echo Ember Emerald "
    "Falcon Fern Finch First Flint Forge Fox Frontier Galaxy Garnet Glacier Globe Golden Granite "
    "Green Grove Harbor Hawk Helix Heron High Horizon Hudson Indigo Iron Ivy Jade Juniper Keystone "
    "Kite Lake Lantern Laurel Legacy Liberty Linden Lumen Lunar Maple Marble Meadow Mercury Meridian "
    "Mesa Metro Micro Mint Monarch Nimbus Noble North Nova Oak Ocean Omni Onyx Opal Orbit Orchid "
    "Pacific Peak Pearl Pine Pioneer Pixel Polar Prairie Prime Prism Quartz Quest Radiant Raven "
    "Redwood Ridge River Rock Ruby Sage Sapphire Scarlet Sequoia Sierra Silver Sky Slate Solar "
    "Spark Spruce Star Sterling Stone Summit Sun Swift Terra Thunder Tidal Titan Topaz True Union "
    "Vale Valley Vanguard Vector Velvet Vertex Vista Willow Wind Zenith Zephyr"
).split()
_SECOND = (
    "Analytics Bank Bio Brands Capital Care Cloud Commerce Communications Consulting Data "
    "Dynamics Energy Engineering Financial Foods Freight Games Goods Health Holdings Home "
    "Industries Insurance Interactive Labs Learning Logistics Machines Management Manufacturing "
    "Media Medical Metrics Mobility Motors Networks Optics Outfitters Partners Payments Pharma "
    "Press Progress Properties Publishing Retail Robotics Security Semiconductors Services Shipping "
    "Software Solutions Studios Supply Systems Technologies Therapeutics Trading Travel Ventures Works"
).split()
_SUFFIX = ["Inc.", "LLC", "Ltd", "GmbH", "Group", "Corp.", "Co.", "S.A.", "AG", "PLC", "BV", "Pty Ltd"]
_TLD = [".com", ".io", ".co", ".net", ".ai", ".dev", ".app", ".biz", ".tech", ".cloud", ".so", ".org"]
_PEOPLE_FIRST = (
    "Ava Ben Chloe Dan Elena Felix Grace Hugo Iris Jonas Kara Liam Maya Noah Olivia Priya Quinn "
    "Rosa Sam Tara Umar Vera Will Xena Yusuf Zoe Aiko Bruno Carmen Diego Esther Farid Greta Hana "
    "Ines Jamal Kenji Lena Mateo Nadia Omar Paula Ravi Sofia Tomas Uma Victor Wen Yara"
).split()
_PEOPLE_LAST = (
    "Adams Baker Chen Diaz Evans Fischer Garcia Hansen Ito Jensen Kim Lopez Müller Novak O'Brien "
    "Patel Quinn Rossi Silva Tanaka Umarov Varga Weber Xu Yilmaz Zhang Andersson Bianchi Costa "
    "Dubois Eriksen Fernandes Gupta Horvat Ivanova Jovanovic Kowalski Larsen Moreau Nakamura"
).split()

#: products: (name, pricing kind, price by segment (Enterprise, Mid-Market, SMB), base take-up)
PRODUCTS = [
    ("Core Platform", "seat", (45.0, 35.0, 25.0), 1.00),
    ("Analytics", "seat", (9.0, 8.0, 6.0), 0.45),
    ("Automation", "seat", (7.0, 6.0, 5.0), 0.35),
    ("Integrations Hub", "flat", (1500.0, 450.0, 150.0), 0.40),
    ("Security & SSO", "seat", (5.0, 4.0, 3.0), 0.30),
    ("Premium Support", "flat", (2500.0, 800.0, 200.0), 0.25),
    ("AI Assistant", "seat", (12.0, 10.0, 8.0), 0.20),
    ("Data Warehouse Sync", "flat", (1200.0, 600.0, 250.0), 0.15),
    ("Sandbox", "flat", (400.0, 200.0, 100.0), 0.15),
]
#: industry affinity per add-on (multiplies take-up): peers in an industry own certain products.
_AFFINITY = {
    "Analytics": {"Retail": 1.8, "Media": 1.7, "Software": 1.3},
    "Security & SSO": {"FinTech": 2.6, "Healthcare": 2.3, "Insurance": 2.2, "Public Sector": 2.0},
    "Automation": {"Logistics": 1.9, "Manufacturing": 1.8},
    "Integrations Hub": {"Software": 1.6, "FinTech": 1.4},
    "Data Warehouse Sync": {"FinTech": 1.8, "Retail": 1.6, "Media": 1.4},
    "Premium Support": {"Healthcare": 1.5, "Public Sector": 1.7},
    "AI Assistant": {"Software": 1.9, "Media": 1.6, "Education": 1.4},
}
_SEGMENT_TAKEUP = np.array([1.6, 1.1, 0.7])  # Enterprise, Mid-Market, SMB
METRICS = ("active_users", "logins", "features_adopted")
FEATURES_TOTAL = 12


@dataclass
class DemoPortfolio:
    """The generated tables, as DataFrames in canonical columns (see ``schema.ENTITY_FIELDS``)."""

    data_date: str
    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    usage: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    contacts: pd.DataFrame
    activities: pd.DataFrame
    #: latent truth kept for tests and benchmarks (not written to the workspace)
    truth: pd.DataFrame = field(repr=False, default=None)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "accounts": self.accounts, "subscriptions": self.subscriptions, "usage": self.usage,
            "tickets": self.tickets, "surveys": self.surveys, "contacts": self.contacts,
            "activities": self.activities,
        }


def default_data_date(today: dt.date | None = None) -> dt.date:
    """The last day of the month before ``today``: the demo's exports were pulled then."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Same day-of-month ``months`` later (clipped to the month's last day), vectorised."""
    days = days.astype("datetime64[D]")
    m = days.astype("datetime64[M]")
    dom = (days - m.astype("datetime64[D]")).astype(int)
    target = m + np.asarray(months).astype("timedelta64[M]")
    last = (target + 1).astype("datetime64[D]") - 1
    return np.minimum(target.astype("datetime64[D]") + dom.astype("timedelta64[D]"), last)


def _frame(columns: dict) -> pd.DataFrame:
    """A DataFrame that keeps object (Python str) columns as they are.

    pandas 3 would convert every string column to Arrow, which costs more than generating it
    and is undone again when the rows are written to SQLite.
    """
    length = next(len(v) for v in columns.values() if not isinstance(v, (str, type(None))))
    out = {}
    for key, v in columns.items():
        if isinstance(v, (str, type(None))):
            v = np.full(length, v, dtype=object)
        v = np.asarray(v)
        out[key] = pd.Series(v, dtype=object) if v.dtype == object else v
    return pd.DataFrame(out)


def _iso(days: np.ndarray) -> np.ndarray:
    """datetime64[D] array -> ISO strings (object array; NaT -> None).

    A portfolio spans a few hundred distinct days, so format each distinct day once.
    """
    days = np.asarray(days).astype("datetime64[D]")
    nat = np.isnat(days)
    uniq, inverse = np.unique(np.where(nat, np.datetime64("1970-01-01"), days),
                              return_inverse=True)
    out = np.datetime_as_string(uniq, unit="D").astype(object)[inverse.ravel()]
    if nat.any():
        out[nat.ravel()] = None
    return out.reshape(days.shape)


def generate_demo(n_accounts: int = 400, seed: int = 0,
                  data_date: dt.date | str | None = None) -> DemoPortfolio:
    """Generate a portfolio of ``n_accounts`` accounts over the 24 months up to ``data_date``.

    Same ``(n_accounts, seed, data_date)`` gives the same portfolio, byte for byte: the
    stages below draw from one random generator in a fixed order.
    """
    if n_accounts < 1:
        raise ValueError("a demo portfolio needs at least one account")
    if data_date is None:
        data_date = default_data_date()
    if isinstance(data_date, str):
        data_date = dt.date.fromisoformat(data_date)
    rng = np.random.default_rng(seed)
    g = SimpleNamespace(n=n_accounts)
    _calendar(g, data_date)
    _firmographics(rng, g)
    _contracts(rng, g)
    _churn(rng, g)
    _health(rng, g)
    _seat_changes(rng, g)
    usage = _usage(rng, g)
    tickets = _tickets(rng, g)
    contacts = _contacts(rng, g)
    surveys = _surveys(rng, g)
    activities = _activities(rng, g)
    subs, arr_now = _subscriptions(
        rng, ids=g.ids, seg=g.seg, industry=g.industry, start=g.start, start_m=g.start_m,
        churner=g.churner, churn_day=g.churn_day, react=g.react, react_m=g.react_m,
        month_starts=g.month_starts, seats0=g.seats0, seats1=g.seats1,
        if_changes=g.if_changes, change_m=g.change_m, shrinks=g.shrinks, grows=g.grows,
        health_now=g.health[:, -1], warning=g.warning, dd=g.dd,
    )
    truth = pd.DataFrame({
        "account_id": g.ids, "base_health": g.base, "health_now": g.health[:, -1],
        "churner": g.churner, "reactivated": g.react, "warning": g.warning,
        "expanding": g.expanding, "churn_month": np.where(g.churner, g.churn_m, -1),
    })
    return DemoPortfolio(
        data_date=str(g.dd), accounts=_account_rows(g, arr_now), subscriptions=subs,
        usage=usage, tickets=tickets, surveys=surveys, contacts=contacts,
        activities=activities, truth=truth,
    )


def _calendar(g: SimpleNamespace, data_date: dt.date) -> None:
    """The 24 months up to the data date: starts, ends (the last one the data date), lengths."""
    g.dd = dd = np.datetime64(data_date, "D")
    g.month0 = month0 = dd.astype("datetime64[M]") - (MONTHS - 1)
    g.month_starts = (month0 + np.arange(MONTHS)).astype("datetime64[D]")
    month_ends = (month0 + np.arange(1, MONTHS + 1)).astype("datetime64[D]") - 1
    month_ends[-1] = min(month_ends[-1], dd)
    g.month_ends = month_ends
    g.month_len = (month_ends - g.month_starts).astype(int) + 1
    g.m_idx = np.arange(MONTHS)


def _firmographics(rng, g: SimpleNamespace) -> None:
    """Names, domains, segment, industry, region, owner and seats of every account."""
    n = g.n
    combos = len(_FIRST) * len(_SECOND) * len(_SUFFIX)
    if n > combos:
        raise ValueError(f"the demo can name at most {combos} accounts")
    pick = rng.choice(combos, size=n, replace=False)
    fi, rest = np.divmod(pick, len(_SECOND) * len(_SUFFIX))
    si, xi = np.divmod(rest, len(_SUFFIX))
    first = np.array(_FIRST, dtype=object)[fi]
    second = np.array(_SECOND, dtype=object)[si]
    g.names = first + " " + second + " " + np.array(_SUFFIX, dtype=object)[xi]
    g.domains = (np.char.lower((first + second).astype(str)).astype(object)
                 + np.array(_TLD, dtype=object)[xi])
    g.seg = rng.choice(3, size=n, p=SEGMENT_P)
    g.industry = INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)]
    g.region = REGIONS[rng.choice(len(REGIONS), size=n, p=REGION_P)]
    n_csm = max(3, int(round(n / 45)))
    csm_pool = np.array(
        [f"{_PEOPLE_FIRST[i % len(_PEOPLE_FIRST)]} "
         f"{_PEOPLE_LAST[(i * 7 + i // len(_PEOPLE_FIRST)) % len(_PEOPLE_LAST)]}"
         for i in range(n_csm)], dtype=object)
    g.owner = csm_pool[rng.integers(0, n_csm, n)]
    seat_mu = np.array([np.log(1500), np.log(180), np.log(18)])[g.seg]
    g.seats0 = np.maximum(3, np.round(np.exp(rng.normal(seat_mu, 0.45)))).astype(np.int64)
    g.ids = np.array([f"A{i:06d}" for i in range(1, n + 1)], dtype=object)


def _contracts(rng, g: SimpleNamespace) -> None:
    """Contract starts: 30% signed inside the window (new business), the rest before it."""
    n = g.n
    tenure_days = np.where(
        rng.random(n) < 0.30,
        rng.integers(20, (MONTHS - 1) * 30, n),
        rng.integers((MONTHS) * 30, 6 * 365, n),
    )
    g.start = g.dd - tenure_days
    g.start_m = (g.start.astype("datetime64[M]") - g.month0).astype(int)  # may be negative


def _churn(rng, g: SimpleNamespace) -> None:
    """Latent health, who churns (probability rising as health falls, at an anniversary
    inside the window, at least 6 months after signing) and who comes back."""
    n, start, start_m = g.n, g.start, g.start_m
    g.base = base = np.clip(rng.normal(0.66, 0.14, n), 0.15, 0.97)
    g.noise = rng.normal(0, 0.05, (n, MONTHS))
    ann_months = (start_m[:, None] + 12 * np.arange(1, 8)[None, :])  # anniversaries (month idx)
    ok = (ann_months >= 4) & (ann_months <= MONTHS - 1) & (ann_months - start_m[:, None] >= 6)
    has_ann = ok.any(axis=1)
    p_churn = np.clip(0.55 - 0.55 * base, 0.03, 0.5) * 0.85
    g.churner = churner = has_ann & (rng.random(n) < p_churn)
    # the last eligible anniversary keeps churn spread over the window
    ann_choice = np.where(ok, ann_months, -1).max(axis=1)
    churn_m = np.where(churner, ann_choice, MONTHS + 99)
    churn_day = _add_months(start, np.where(churner, churn_m - start_m, 0))
    g.churn_day = np.where(churner, np.minimum(churn_day, g.dd - 1), np.datetime64("NaT", "D"))
    g.churn_m = churn_m = np.where(
        churner, (g.churn_day.astype("datetime64[M]") - g.month0).astype(int), churn_m)
    # reactivation: about 3% of churners (at least one when there are churners) come back
    g.react = np.zeros(n, bool)
    g.react_m = np.full(n, MONTHS + 99)
    cand = np.flatnonzero(churner & (churn_m <= MONTHS - 5))
    if len(cand):
        k = max(1, int(round(len(cand) * 0.03)))
        chosen = rng.choice(cand, size=min(k, len(cand)), replace=False)
        g.react[chosen] = True
        g.react_m[chosen] = np.minimum(MONTHS - 1,
                                       churn_m[chosen] + rng.integers(3, 6, len(chosen)))


def _health(rng, g: SimpleNamespace) -> None:
    """Health per account and month: churners decline before they go, some active accounts
    show early warning, some grow; and the months each account is alive."""
    n, m_idx, react = g.n, g.m_idx, g.react
    g.active_now = active_now = ~g.churner | react
    state = rng.random(n)
    g.warning = warning = active_now & ~react & (state < 0.12)    # decline, last 4 months
    g.expanding = expanding = active_now & ~warning & ~react & (state > 0.82)  # growth
    decline_to = np.where(g.churner, rng.uniform(0.30, 0.55, n), 0.0)
    ramp_churn = np.clip((m_idx[None, :] - (g.churn_m[:, None] - 6)) / 6.0, 0, 1)
    warn_drop = np.where(warning, rng.uniform(0.25, 0.45, n), 0.0)
    ramp_warn = np.clip((m_idx[None, :] - (MONTHS - 5)) / 4.0, 0, 1)
    grow = np.where(expanding, rng.uniform(0.10, 0.25, n), 0.0)
    ramp_grow = np.clip((m_idx[None, :] - 6) / (MONTHS - 7), 0, 1)
    health = (g.base[:, None] + g.noise - decline_to[:, None] * ramp_churn
              - warn_drop[:, None] * ramp_warn + grow[:, None] * ramp_grow)
    # after reactivation the account starts afresh, moderately healthy
    after_react = react[:, None] & (m_idx[None, :] >= g.react_m[:, None])
    health = np.where(after_react, 0.6 + g.noise, health)
    g.health = np.clip(health, 0.02, 0.99)
    alive = (m_idx[None, :] >= np.maximum(g.start_m, 0)[:, None]) & (
        (m_idx[None, :] < g.churn_m[:, None]) | after_react)
    # an account signed before the window is alive from month 0
    g.alive = alive & (m_idx[None, :] >= g.start_m[:, None])


def _seat_changes(rng, g: SimpleNamespace) -> None:
    """One seat change per account inside the window: expansion (growers, healthy),
    contraction (declining), at a random month; ``seats_m`` = seats per month."""
    n, start_m, churn_m, warning = g.n, g.start_m, g.churn_m, g.warning
    change_m = rng.integers(3, MONTHS - 1, n)
    factor = np.ones(n)
    g.grows = grows = g.expanding | (g.active_now & ~warning & (g.base > 0.75)
                                     & (rng.random(n) < 0.35))
    factor = np.where(grows, rng.uniform(1.12, 1.45, n), factor)
    g.shrinks = shrinks = (warning | (g.churner & (rng.random(n) < 0.5))) & ~grows
    factor = np.where(shrinks, rng.uniform(0.6, 0.88, n), factor)
    if_changes = (factor != 1.0) & (change_m > np.maximum(start_m, 0) + 1)
    # declining accounts contract late (in the decline); churners before they churn
    change_m = np.where(shrinks & warning, MONTHS - 2, change_m)
    change_m = np.where(shrinks & g.churner,
                        np.maximum(churn_m - 3, np.maximum(start_m, 0) + 2), change_m)
    if_changes &= change_m < np.where(g.churner & ~g.react, churn_m, MONTHS)
    g.change_m, g.if_changes = change_m, if_changes
    g.seats1 = np.where(if_changes, np.maximum(2, np.round(g.seats0 * factor)).astype(np.int64),
                        g.seats0)
    g.seats_m = np.where(if_changes[:, None] & (g.m_idx[None, :] >= change_m[:, None]),
                         g.seats1[:, None], g.seats0[:, None])


def _usage(rng, g: SimpleNamespace) -> pd.DataFrame:
    """Monthly active users, logins and features adopted over the last 12 months."""
    n, health = g.n, g.health
    util = 0.22 + 0.72 * health + rng.normal(0, 0.04, (n, MONTHS))
    util = np.where(g.expanding[:, None] & (g.m_idx[None, :] >= MONTHS - 8),
                    rng.uniform(0.93, 1.0, (n, MONTHS)), util)
    util = np.clip(util, 0.01, 1.0)
    active_users = np.maximum(0, np.round(g.seats_m * util)).astype(np.int64)
    logins = np.round(active_users * (6 + 16 * health) *
                      rng.lognormal(0, 0.12, (n, MONTHS))).astype(np.int64)
    features = np.clip(np.round(1 + 10.5 * health + rng.normal(0, 0.8, (n, MONTHS))),
                       0, FEATURES_TOTAL).astype(np.int64)
    g.ai, g.mi = np.nonzero(g.alive)
    recent = g.mi >= MONTHS - USAGE_MONTHS
    ui, um = g.ai[recent], g.mi[recent]
    return _usage_rows(g.ids[ui], ui, _iso(g.month_ends)[um], n,
                       np.stack([active_users[ui, um], logins[ui, um], features[ui, um]]))


def _usage_rows(acct_ids, ui, dates, n: int, values: np.ndarray) -> pd.DataFrame:
    """Usage rows in primary-key order (account, metric, date), so SQLite appends instead of
    seeking; ``values`` has one row per metric of :data:`METRICS`."""
    order_m = np.argsort(np.array(METRICS))
    vals = values[order_m]
    per_acct = np.bincount(ui, minlength=n)
    acct_first = np.cumsum(per_acct) - per_acct
    pos = np.arange(len(ui)) - acct_first[ui]                 # month position inside account
    # destination of (row j, metric slot q): acct_first*3 + q*per_acct + pos
    dest = (acct_first[ui] * 3)[None, :] + np.arange(3)[:, None] * per_acct[ui][None, :] \
        + pos[None, :]
    u_acct = np.empty(3 * len(ui), dtype=object)
    u_metric = np.empty(3 * len(ui), dtype=object)
    u_date = np.empty(3 * len(ui), dtype=object)
    u_val = np.empty(3 * len(ui), dtype=float)
    for q in range(3):
        u_acct[dest[q]] = acct_ids
        u_metric[dest[q]] = np.array(METRICS, dtype=object)[order_m[q]]
        u_date[dest[q]] = dates
        u_val[dest[q]] = vals[q]
    return _frame({"account_id": u_acct, "metric": u_metric, "date": u_date, "value": u_val})


_SUBJECTS = np.array([
    "Cannot log in", "Export to CSV fails", "Question about invoice", "SSO setup help",
    "Dashboard is slow", "API rate limit", "Feature request: bulk edit", "Data sync error",
    "User provisioning", "Report shows wrong totals", "Outage affecting our team",
    "How do I configure alerts?",
], dtype=object)


def _tickets(rng, g: SimpleNamespace) -> pd.DataFrame:
    """Tickets: more of them, and more urgent, as health falls; CSAT on a third of the
    solved ones."""
    ai, mi, health, dd = g.ai, g.mi, g.health, g.dd
    seg_rate = np.array([1.5, 0.6, 0.22])[g.seg]
    lam = seg_rate[ai] * (0.45 + 1.9 * (1 - health[ai, mi]) ** 1.5)
    cnt = rng.poisson(lam)
    t_a = np.repeat(ai, cnt)
    t_m = np.repeat(mi, cnt)
    t_h = health[t_a, t_m]
    nt = len(t_a)
    day_off = (rng.random(nt) * g.month_len[t_m]).astype(int)
    created_day = np.maximum(g.month_starts[t_m] + day_off.astype("timedelta64[D]"),
                             g.start[t_a])
    secs = rng.integers(8 * 3600, 19 * 3600, nt)
    u = rng.random(nt)
    p_urgent = 0.03 + 0.22 * (1 - t_h) ** 2
    p_high = 0.15 + 0.10 * (1 - t_h)
    priority = np.where(u < p_urgent, "urgent",
                        np.where(u < p_urgent + p_high, "high",
                                 np.where(u < 0.8, "normal", "low"))).astype(object)
    resolve_days = rng.exponential(np.where(priority == "urgent", 1.5, 4.0)) * (1.5 - t_h)
    solved_day = created_day + np.ceil(resolve_days).astype(int).astype("timedelta64[D]")
    still_open = solved_day > dd
    status = np.where(still_open, np.where(rng.random(nt) < 0.5, "open", "pending"),
                      np.where(solved_day < dd - 30, "closed", "solved")).astype(object)
    created_ts = created_day.astype("datetime64[s]") + secs.astype("timedelta64[s]")
    solved_ts = solved_day.astype("datetime64[s]") + (secs + 3600).astype("timedelta64[s]")
    rated = ~still_open & (rng.random(nt) < 0.35)
    csat = np.where(rated, np.clip(np.round(1.2 + 4.2 * t_h + rng.normal(0, 0.7, nt)), 1, 5),
                    np.nan)
    return _frame({
        "source": "demo",
        "ticket_id": np.array([f"T{i:07d}" for i in range(1, nt + 1)], dtype=object),
        "account_id": g.ids[t_a],
        "created_at": np.datetime_as_string(created_ts, unit="s").astype(object),
        "solved_at": np.where(still_open, None,
                              np.datetime_as_string(solved_ts, unit="s").astype(object)),
        "priority": priority,
        "status": status,
        "csat": csat,
        "subject": _SUBJECTS[rng.integers(0, len(_SUBJECTS), nt)],
        "requester_email": None,
    })


def _contacts(rng, g: SimpleNamespace) -> pd.DataFrame:
    """Contacts with roles; the last contact moves away as health falls and stops at churn."""
    n, base = g.n, g.base
    g.n_contacts = n_contacts = rng.integers(2, 6, n) + (g.seg == 0) * 2
    c_a = np.repeat(np.arange(n), n_contacts)
    c_rank = np.arange(len(c_a)) - np.repeat(np.cumsum(n_contacts) - n_contacts, n_contacts)
    nc = len(c_a)
    pf = np.array(_PEOPLE_FIRST, dtype=object)[rng.integers(0, len(_PEOPLE_FIRST), nc)]
    pl = np.array(_PEOPLE_LAST, dtype=object)[rng.integers(0, len(_PEOPLE_LAST), nc)]
    exec_known = rng.random(n) < (0.25 + 0.6 * base)
    roles = np.select(
        [c_rank == 0, c_rank == 1, (c_rank == 2) & exec_known[c_a], c_rank == 3],
        ["champion", "decision maker", "executive sponsor", "billing"], "user").astype(object)
    titles = np.select(
        [roles == "champion", roles == "decision maker", roles == "executive sponsor",
         roles == "billing"],
        ["Operations Manager", "Director of Operations", "Chief Operating Officer",
         "Finance Manager"], "Analyst").astype(object)
    last_name = np.char.replace(np.char.replace(pl.astype(str), "'", ""), "ü", "ue")
    local = (np.char.lower(pf.astype(str)).astype(object) + "."
             + np.char.lower(last_name).astype(object))
    g.email = local + np.char.mod("%d", c_rank).astype(object) + "@" + g.domains[c_a]
    last_ref = np.where(g.churner & ~g.react, g.churn_day, g.dd)[c_a]
    ago = np.round(rng.exponential(10 + 60 * (1 - base[c_a]))).astype(int)
    last_contact = np.maximum(last_ref - ago.astype("timedelta64[D]"), g.start[c_a])
    return _frame({
        "account_id": g.ids[c_a], "email": g.email, "name": pf + " " + pl, "title": titles,
        "role": roles, "last_contact": _iso(last_contact),
    })


def _surveys(rng, g: SimpleNamespace) -> pd.DataFrame:
    """NPS twice a year (months 5 and 11 of each half): a random contact answers, if the
    account was surveyed."""
    n, health, n_contacts = g.n, g.health, g.n_contacts
    survey_months = g.m_idx[(g.m_idx % 6) == 5]
    sv = g.alive[:, survey_months] & (rng.random((n, len(survey_months))) < 0.65)
    s_a, s_k = np.nonzero(sv)
    s_m = survey_months[s_k]
    ns = len(s_a)
    score = np.clip(np.round(10.6 * health[s_a, s_m] + rng.normal(0, 1.3, ns)), 0, 10)
    s_day = g.month_starts[s_m] \
        + (rng.random(ns) * g.month_len[s_m]).astype(int).astype("timedelta64[D]")
    first_contact = np.cumsum(n_contacts) - n_contacts
    respondent = first_contact[s_a] + (rng.random(ns) * n_contacts[s_a]).astype(int)
    comments = np.select(
        [score >= 9, score >= 7, score <= 3],
        ["Great product, the team loves it", "Works well, a few rough edges",
         "Too many issues lately, considering alternatives"], "Support has been slow"
    ).astype(object)
    return _frame({
        "source": "demo",
        "response_id": np.array([f"R{i:07d}" for i in range(1, ns + 1)], dtype=object),
        "account_id": g.ids[s_a], "contact_email": g.email[respondent], "date": _iso(s_day),
        "kind": "nps", "score": score,
        "comment": np.where(rng.random(ns) < 0.6, comments, None),
    })


_ACTIVITY_TEXTS = {
    "call": "Check-in call", "email": "Follow-up email", "note": "Account note",
    "workshop": "Enablement workshop", "qbr": "Quarterly business review",
}


def _activities(rng, g: SimpleNamespace) -> pd.DataFrame:
    """Calls, emails, notes and workshops (more with better health) and quarterly QBRs for
    the larger segments."""
    ai, mi, health, seg = g.ai, g.mi, g.health, g.seg
    call_rate = np.array([1.5, 0.7, 0.25])[seg][ai] * (0.4 + 0.9 * health[ai, mi])
    call_cnt = rng.poisson(call_rate)
    qbr = (mi % 3 == 2) & (seg[ai] < 2) \
        & (rng.random(len(ai)) < (0.15 + 0.85 * health[ai, mi] ** 1.5))
    a_a = np.concatenate([np.repeat(ai, call_cnt), ai[qbr]])
    a_m = np.concatenate([np.repeat(mi, call_cnt), mi[qbr]])
    kind_pool = np.array(["call", "email", "note", "workshop"], dtype=object)
    kinds = np.concatenate([
        kind_pool[rng.choice(4, size=int(call_cnt.sum()), p=[0.45, 0.35, 0.12, 0.08])],
        np.full(int(qbr.sum()), "qbr", dtype=object)])
    na = len(a_a)
    a_day = g.month_starts[a_m] \
        + (rng.random(na) * g.month_len[a_m]).astype(int).astype("timedelta64[D]")
    a_day = np.minimum(np.maximum(a_day, g.start[a_a]), g.dd)
    order = np.lexsort((a_a, a_day))
    return _frame({
        "activity_id": np.array([f"D{i:07d}" for i in range(1, na + 1)], dtype=object),
        "account_id": g.ids[a_a[order]], "date": _iso(a_day[order]), "kind": kinds[order],
        "text": pd.Series(kinds[order]).map(_ACTIVITY_TEXTS).to_numpy(dtype=object),
        "author": g.owner[a_a[order]],
    })


def _account_rows(g: SimpleNamespace, arr_now: np.ndarray) -> pd.DataFrame:
    """The accounts table: the next contract anniversary after the data date is the renewal
    (annual terms); churned accounts have no renewal and no ARR."""
    start, dd = g.start, g.dd
    years_in = ((dd.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int) // 12)
    renewal = _add_months(start, 12 * years_in)
    renewal = np.where(renewal <= dd, _add_months(start, 12 * (years_in + 1)), renewal)
    churned_now = g.churner & ~g.react
    return _frame({
        "account_id": g.ids, "name": g.names, "domain": g.domains,
        "industry": g.industry.astype(object), "segment": SEGMENTS[g.seg].astype(object),
        "region": g.region.astype(object), "owner": g.owner,
        "arr": np.where(churned_now, 0.0, np.round(arr_now, 2)),
        "seats": g.seats1,
        "contract_start": _iso(start),
        "contract_end": np.where(churned_now, _iso(g.churn_day), _iso(renewal)),
        "renewal_date": np.where(churned_now, None, _iso(renewal)),
        "status": np.where(churned_now, "churned", "active").astype(object),
        "churn_date": np.where(churned_now, _iso(g.churn_day), None),
    })


def _subscriptions(rng, *, ids, seg, industry, start, start_m, churner, churn_day, react,
                   react_m, month_starts, seats0, seats1, if_changes, change_m, shrinks,
                   grows, health_now, warning, dd):
    """Subscription periods per (account, product); returns (frame, current ARR per account).

    Seat-priced products follow the account's seat count (one row before and one after a seat
    change); flat add-ons are one row. A churned account's subscriptions end on its churn date
    with status 'cancelled'; a reactivated account gets a new Core Platform row.
    """
    n = len(ids)
    b = SimpleNamespace(
        rng=rng, ids=ids, seg=seg, start=start, churner=churner, churn_day=churn_day,
        seats0=seats0, seats1=seats1, if_changes=if_changes, health_now=health_now,
        warning=warning, dd=dd, arr_now=np.zeros(n),
        month_start_of=lambda m: month_starts[np.clip(m, 0, len(month_starts) - 1)],
        end_day=np.where(churner, churn_day, np.datetime64("NaT", "D")))
    b.change_day = b.month_start_of(change_m)
    rows = []
    for p_i, (product, pricing, prices, takeup) in enumerate(PRODUCTS):
        price = np.array(prices)[seg]
        if p_i == 0:
            owns, add_day, drop, drop_day = np.ones(n, bool), start, None, None
        else:
            owns, add_day, drop, drop_day = _takeup(b, product, takeup, industry, grows,
                                                    shrinks, len(month_starts))
        for part in (("before", "after") if pricing == "seat" else ("flat",)):
            qty, s_day, e_day, take = _period(b, part, owns, add_day)
            mrr = qty * price if pricing == "seat" else price.astype(float)
            if drop is not None:
                e_day = np.where(drop & ~(e_day < drop_day), np.maximum(drop_day, s_day + 30),
                                 e_day)
            take = take & ~(churner & (s_day >= churn_day))
            idx = np.flatnonzero(take)
            if len(idx):
                rows.append(_subscription_rows(b, product, idx, qty, mrr, s_day, e_day))
    rows += _reactivations(b, react, react_m)
    subs = pd.concat(rows, ignore_index=True)
    subs = subs.sort_values(["account_id", "product", "start_date"], kind="stable",
                            ignore_index=True)
    subs.insert(0, "sub_id", np.array([f"S{i:07d}" for i in range(1, len(subs) + 1)],
                                      dtype=object))
    subs["arr"] = np.round(subs["mrr"] * 12, 2)
    subs["source"] = pd.Series(np.full(len(subs), "demo", dtype=object), dtype=object)
    return subs[["sub_id", "account_id", "product", "plan", "quantity", "mrr", "arr",
                 "start_date", "end_date", "status", "source"]], b.arr_now


def _takeup(b: SimpleNamespace, product: str, takeup: float, industry, grows, shrinks,
            n_months: int):
    """(who owns an add-on, from when, who drops it, when): take-up by industry and segment;
    a quarter cross-sold inside the window (expansion); declining accounts drop one before
    they go (contraction)."""
    rng, n = b.rng, len(b.ids)
    aff = np.array([_AFFINITY.get(product, {}).get(ind, 0.7) for ind in INDUSTRIES])
    ind_idx = np.searchsorted(INDUSTRIES, industry, sorter=np.argsort(INDUSTRIES))
    ind_idx = np.argsort(INDUSTRIES)[ind_idx]
    p = np.clip(takeup * aff[ind_idx] * _SEGMENT_TAKEUP[b.seg], 0, 0.95)
    owns = rng.random(n) < p
    later = owns & (rng.random(n) < 0.25) & grows
    cross_m = rng.integers(2, n_months - 1, n)
    add_day = np.where(later, np.maximum(b.month_start_of(cross_m), b.start), b.start)
    drop = owns & (shrinks | b.warning) & (rng.random(n) < 0.3)
    drop_day = np.where(drop, np.minimum(b.dd - 20, np.where(
        b.churner, b.churn_day - 60, b.dd - 40)), np.datetime64("NaT", "D"))
    return owns, add_day, drop, drop_day


def _period(b: SimpleNamespace, part: str, owns, add_day):
    """(quantity, start, end, rows taken) of one period: a seat product's period ``before``
    or ``after`` the seat change, or a ``flat`` add-on's one period."""
    if part == "before":
        e_day = np.where(b.if_changes & (b.change_day > add_day), b.change_day - 1, b.end_day)
        return b.seats0, add_day, e_day, owns
    if part == "after":
        take = owns & b.if_changes & (b.change_day > add_day)
        return b.seats1, np.maximum(b.change_day, add_day), b.end_day, take
    return np.ones(len(b.ids), np.int64), add_day, b.end_day, owns


def _subscription_rows(b: SimpleNamespace, product: str, idx, qty, mrr, s_day, e_day
                       ) -> pd.DataFrame:
    """The rows ``idx`` of one product period, with their status on the data date (some
    live ones past due or not renewing); their ARR is added to the accounts' ARR now."""
    rng, dd = b.rng, b.dd
    ended = ~np.isnat(e_day[idx]) & (e_day[idx] <= dd)
    stat = np.where(ended, np.where(b.churner[idx] & (e_day[idx] == b.churn_day[idx]),
                                    "cancelled", "ended"), "active").astype(object)
    live = ~ended
    past_due = live & (b.health_now[idx] < 0.35) & (rng.random(len(idx)) < 0.4)
    stat = np.where(past_due, "past_due", stat)
    non_renew = live & b.warning[idx] & (rng.random(len(idx)) < 0.15)
    stat = np.where(non_renew & ~past_due, "non_renewing", stat)
    b.arr_now[idx[live]] += mrr[idx[live]] * 12
    seg = b.seg[idx]
    return _frame({
        "account_id": b.ids[idx], "product": product,
        "plan": np.where(seg == 0, "Enterprise",
                         np.where(seg == 1, "Business", "Team")).astype(object),
        "quantity": qty[idx].astype(float), "mrr": np.round(mrr[idx].astype(float), 2),
        "start_date": _iso(s_day[idx]),
        "end_date": np.where(np.isnat(e_day[idx]), None,
                             _iso(np.where(np.isnat(e_day[idx]), dd, e_day[idx]))),
        "status": stat,
    })


def _reactivations(b: SimpleNamespace, react, react_m) -> list[pd.DataFrame]:
    """A fresh Core Platform subscription from each returning account's return month."""
    r_idx = np.flatnonzero(react)
    if not len(r_idx):
        return []
    price = np.array(PRODUCTS[0][2])[b.seg[r_idx]]
    qty = np.maximum(2, np.round(b.seats0[r_idx] * 0.6)).astype(np.int64)
    mrr = qty * price
    b.arr_now[r_idx] += mrr * 12
    return [_frame({
        "account_id": b.ids[r_idx], "product": PRODUCTS[0][0], "plan": "Team",
        "quantity": qty.astype(float), "mrr": np.round(mrr.astype(float), 2),
        "start_date": _iso(b.month_start_of(react_m[r_idx])), "end_date": None,
        "status": "active",
    })]


def write_demo(ws: Workspace, portfolio: DemoPortfolio,
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """Write a generated portfolio into ``ws`` in one transaction; returns seconds per table."""
    import time

    timings: dict[str, float] = {}
    tables = portfolio.tables()
    with ws.transaction():
        for i, (table, frame) in enumerate(tables.items()):
            if progress:
                progress(table, i, len(tables))
            t0 = time.perf_counter()
            ws.insert_rows(table, list(frame.columns), _rows(frame))
            timings[table] = time.perf_counter() - t0
        ws.set_meta("data_date", portfolio.data_date)
        ws.set_meta("name", "Demo portfolio")
        ws.set_meta("demo", "1")
        ws.audit("demo.create", detail=f"{len(portfolio.accounts)} demo accounts generated")
    return timings


def _rows(frame: pd.DataFrame):
    """Rows as tuples of plain Python values (NaN -> None) for sqlite3."""
    cols = []
    for c in frame.columns:
        s = frame[c]
        if s.dtype.kind == "f":
            arr = s.to_numpy(dtype=object)
            arr[pd.isna(s).to_numpy()] = None
            cols.append(arr.tolist())
        elif s.dtype.kind in "iub":
            cols.append(s.to_numpy().tolist())
        else:
            arr = s.to_numpy(dtype=object)
            mask = pd.isna(s).to_numpy()
            if mask.any():
                arr = arr.copy()
                arr[mask] = None
            cols.append(arr.tolist())
    return zip(*cols)


def create_demo_workspace(path, n_accounts: int = 400, seed: int = 0,
                          data_date: dt.date | str | None = None) -> Workspace:
    """Create a new workspace file at ``path`` holding a demo portfolio."""
    from pathlib import Path

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; choose a new file name")
    portfolio = generate_demo(n_accounts, seed, data_date)
    ws = Workspace(path, create=True)
    try:
        write_demo(ws, portfolio)
    except BaseException:
        ws.close()
        path.unlink(missing_ok=True)
        raise
    return ws
