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

    Same ``(n_accounts, seed, data_date)`` gives the same portfolio, byte for byte.
    """
    if n_accounts < 1:
        raise ValueError("a demo portfolio needs at least one account")
    if data_date is None:
        data_date = default_data_date()
    if isinstance(data_date, str):
        data_date = dt.date.fromisoformat(data_date)
    rng = np.random.default_rng(seed)
    n = n_accounts
    dd = np.datetime64(data_date, "D")
    last_month = dd.astype("datetime64[M]")
    month0 = last_month - (MONTHS - 1)
    month_starts = (month0 + np.arange(MONTHS)).astype("datetime64[D]")
    month_ends = (month0 + np.arange(1, MONTHS + 1)).astype("datetime64[D]") - 1
    month_ends[-1] = min(month_ends[-1], dd)
    month_len = (month_ends - month_starts).astype(int) + 1
    m_idx = np.arange(MONTHS)

    # ---------------------------------------------------------------- accounts
    combos = len(_FIRST) * len(_SECOND) * len(_SUFFIX)
    if n > combos:
        raise ValueError(f"the demo can name at most {combos} accounts")
    pick = rng.choice(combos, size=n, replace=False)
    fi, rest = np.divmod(pick, len(_SECOND) * len(_SUFFIX))
    si, xi = np.divmod(rest, len(_SUFFIX))
    first = np.array(_FIRST, dtype=object)[fi]
    second = np.array(_SECOND, dtype=object)[si]
    names = first + " " + second + " " + np.array(_SUFFIX, dtype=object)[xi]
    domains = (np.char.lower((first + second).astype(str)).astype(object)
               + np.array(_TLD, dtype=object)[xi])
    seg = rng.choice(3, size=n, p=SEGMENT_P)
    industry = INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)]
    region = REGIONS[rng.choice(len(REGIONS), size=n, p=REGION_P)]
    n_csm = max(3, int(round(n / 45)))
    csm_pool = np.array(
        [f"{_PEOPLE_FIRST[i % len(_PEOPLE_FIRST)]} {_PEOPLE_LAST[(i * 7 + i // len(_PEOPLE_FIRST)) % len(_PEOPLE_LAST)]}"
         for i in range(n_csm)], dtype=object)
    owner = csm_pool[rng.integers(0, n_csm, n)]
    seat_mu = np.array([np.log(1500), np.log(180), np.log(18)])[seg]
    seats0 = np.maximum(3, np.round(np.exp(rng.normal(seat_mu, 0.45)))).astype(np.int64)

    # contract start: 30% signed inside the window (new business), the rest before it.
    tenure_days = np.where(
        rng.random(n) < 0.30,
        rng.integers(20, (MONTHS - 1) * 30, n),
        rng.integers((MONTHS) * 30, 6 * 365, n),
    )
    start = dd - tenure_days
    start_m = (start.astype("datetime64[M]") - month0).astype(int)  # may be negative

    # ---------------------------------------------------------------- latent health
    base = np.clip(rng.normal(0.66, 0.14, n), 0.15, 0.97)
    noise = rng.normal(0, 0.05, (n, MONTHS))
    # churners: chosen with probability rising as base health falls; churn at an anniversary
    # that is inside the window, at least 6 months after signing.
    ann_months = (start_m[:, None] + 12 * np.arange(1, 8)[None, :])  # anniversaries (month idx)
    ok = (ann_months >= 4) & (ann_months <= MONTHS - 1) & (ann_months - start_m[:, None] >= 6)
    has_ann = ok.any(axis=1)
    p_churn = np.clip(0.55 - 0.55 * base, 0.03, 0.5) * 0.85
    churner = has_ann & (rng.random(n) < p_churn)
    # the last eligible anniversary keeps churn spread over the window
    ann_choice = np.where(ok, ann_months, -1).max(axis=1)
    churn_m = np.where(churner, ann_choice, MONTHS + 99)
    churn_day = _add_months(start, np.where(churner, churn_m - start_m, 0))
    churn_day = np.where(churner, np.minimum(churn_day, dd - 1), np.datetime64("NaT", "D"))
    churn_m = np.where(churner, (churn_day.astype("datetime64[M]") - month0).astype(int), churn_m)

    # reactivation: about 3% of churners (at least one when there are churners) come back
    react = np.zeros(n, bool)
    react_m = np.full(n, MONTHS + 99)
    cand = np.flatnonzero(churner & (churn_m <= MONTHS - 5))
    if len(cand):
        k = max(1, int(round(len(cand) * 0.03)))
        chosen = rng.choice(cand, size=min(k, len(cand)), replace=False)
        react[chosen] = True
        react_m[chosen] = np.minimum(MONTHS - 1, churn_m[chosen] + rng.integers(3, 6, len(chosen)))

    active_now = ~churner | react
    state = rng.random(n)
    warning = active_now & ~react & (state < 0.12)          # decline over the last 4 months
    expanding = active_now & ~warning & ~react & (state > 0.82)  # growth, seats nearly full

    decline_to = np.where(churner, rng.uniform(0.30, 0.55, n), 0.0)
    ramp_churn = np.clip((m_idx[None, :] - (churn_m[:, None] - 6)) / 6.0, 0, 1)
    warn_drop = np.where(warning, rng.uniform(0.25, 0.45, n), 0.0)
    ramp_warn = np.clip((m_idx[None, :] - (MONTHS - 5)) / 4.0, 0, 1)
    grow = np.where(expanding, rng.uniform(0.10, 0.25, n), 0.0)
    ramp_grow = np.clip((m_idx[None, :] - 6) / (MONTHS - 7), 0, 1)
    health = (base[:, None] + noise - decline_to[:, None] * ramp_churn
              - warn_drop[:, None] * ramp_warn + grow[:, None] * ramp_grow)
    # after reactivation the account starts afresh, moderately healthy
    after_react = react[:, None] & (m_idx[None, :] >= react_m[:, None])
    health = np.where(after_react, 0.6 + noise, health)
    health = np.clip(health, 0.02, 0.99)

    alive = (m_idx[None, :] >= np.maximum(start_m, 0)[:, None]) & (
        (m_idx[None, :] < churn_m[:, None]) | after_react)
    # an account signed before the window is alive from month 0
    alive &= (m_idx[None, :] >= start_m[:, None])

    # ---------------------------------------------------------------- seats over time
    # one seat change per account inside the window: expansion (growers, healthy), contraction
    # (declining), at a random month; seats_m is the contracted seat count per month.
    change_m = rng.integers(3, MONTHS - 1, n)
    factor = np.ones(n)
    grows = expanding | (active_now & ~warning & (base > 0.75) & (rng.random(n) < 0.35))
    factor = np.where(grows, rng.uniform(1.12, 1.45, n), factor)
    shrinks = (warning | (churner & (rng.random(n) < 0.5))) & ~grows
    factor = np.where(shrinks, rng.uniform(0.6, 0.88, n), factor)
    if_changes = (factor != 1.0) & (change_m > np.maximum(start_m, 0) + 1)
    # declining accounts contract late (in the decline); churners before they churn
    change_m = np.where(shrinks & warning, MONTHS - 2, change_m)
    change_m = np.where(shrinks & churner, np.maximum(churn_m - 3, np.maximum(start_m, 0) + 2), change_m)
    if_changes &= change_m < np.where(churner & ~react, churn_m, MONTHS)
    seats1 = np.where(if_changes, np.maximum(2, np.round(seats0 * factor)).astype(np.int64), seats0)
    seats_m = np.where(if_changes[:, None] & (m_idx[None, :] >= change_m[:, None]),
                       seats1[:, None], seats0[:, None])

    # ---------------------------------------------------------------- usage
    util = 0.22 + 0.72 * health + rng.normal(0, 0.04, (n, MONTHS))
    util = np.where(expanding[:, None] & (m_idx[None, :] >= MONTHS - 8),
                    rng.uniform(0.93, 1.0, (n, MONTHS)), util)
    util = np.clip(util, 0.01, 1.0)
    active_users = np.maximum(0, np.round(seats_m * util)).astype(np.int64)
    logins = np.round(active_users * (6 + 16 * health) *
                      rng.lognormal(0, 0.12, (n, MONTHS))).astype(np.int64)
    features = np.clip(np.round(1 + 10.5 * health + rng.normal(0, 0.8, (n, MONTHS))),
                       0, FEATURES_TOTAL).astype(np.int64)
    ai, mi = np.nonzero(alive)
    month_end_iso = _iso(month_ends)
    recent = mi >= MONTHS - USAGE_MONTHS
    ui, um = ai[recent], mi[recent]
    ids = np.array([f"A{i:06d}" for i in range(1, n + 1)], dtype=object)
    k = len(ai)
    # rows in primary-key order (account, metric, date): SQLite appends instead of seeking
    order_m = np.argsort(np.array(METRICS))
    vals = np.stack([active_users[ui, um], logins[ui, um], features[ui, um]])[order_m]
    per_acct = np.bincount(ui, minlength=n)
    acct_first = np.cumsum(per_acct) - per_acct
    pos = np.arange(len(ui)) - acct_first[ui]                      # month position inside account
    # destination of (row j, metric slot q): acct_first*3 + q*per_acct + pos
    dest = (acct_first[ui] * 3)[None, :] + np.arange(3)[:, None] * per_acct[ui][None, :] + pos[None, :]
    u_acct = np.empty(3 * len(ui), dtype=object)
    u_metric = np.empty(3 * len(ui), dtype=object)
    u_date = np.empty(3 * len(ui), dtype=object)
    u_val = np.empty(3 * len(ui), dtype=float)
    for q in range(3):
        u_acct[dest[q]] = ids[ui]
        u_metric[dest[q]] = np.array(METRICS, dtype=object)[order_m[q]]
        u_date[dest[q]] = month_end_iso[um]
        u_val[dest[q]] = vals[q]
    usage = _frame({"account_id": u_acct, "metric": u_metric, "date": u_date, "value": u_val})

    # ---------------------------------------------------------------- tickets
    seg_rate = np.array([1.5, 0.6, 0.22])[seg]
    lam = seg_rate[ai] * (0.45 + 1.9 * (1 - health[ai, mi]) ** 1.5)
    cnt = rng.poisson(lam)
    t_a = np.repeat(ai, cnt)
    t_m = np.repeat(mi, cnt)
    t_h = health[t_a, t_m]
    nt = len(t_a)
    day_off = (rng.random(nt) * month_len[t_m]).astype(int)
    created_day = month_starts[t_m] + day_off.astype("timedelta64[D]")
    created_day = np.maximum(created_day, start[t_a])
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
    subjects = np.array([
        "Cannot log in", "Export to CSV fails", "Question about invoice", "SSO setup help",
        "Dashboard is slow", "API rate limit", "Feature request: bulk edit", "Data sync error",
        "User provisioning", "Report shows wrong totals", "Outage affecting our team",
        "How do I configure alerts?",
    ], dtype=object)
    tickets = _frame({
        "source": "demo",
        "ticket_id": np.array([f"T{i:07d}" for i in range(1, nt + 1)], dtype=object),
        "account_id": ids[t_a],
        "created_at": np.datetime_as_string(created_ts, unit="s").astype(object),
        "solved_at": np.where(still_open, None,
                              np.datetime_as_string(solved_ts, unit="s").astype(object)),
        "priority": priority,
        "status": status,
        "csat": csat,
        "subject": subjects[rng.integers(0, len(subjects), nt)],
        "requester_email": None,
    })

    # ---------------------------------------------------------------- contacts
    n_contacts = rng.integers(2, 6, n) + (seg == 0) * 2
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
    local = (np.char.lower(pf.astype(str)).astype(object) + "."
             + np.char.lower(np.char.replace(np.char.replace(pl.astype(str), "'", ""), "ü", "ue")).astype(object))
    email = local + np.char.mod("%d", c_rank).astype(object) + "@" + domains[c_a]
    # last contact: days ago rises as health falls; at churn, contact stops
    last_ref = np.where(churner & ~react, churn_day, dd)[c_a]
    last_contact = last_ref - np.round(rng.exponential(10 + 60 * (1 - base[c_a]))).astype(int).astype("timedelta64[D]")
    last_contact = np.maximum(last_contact, start[c_a])
    contacts = _frame({
        "account_id": ids[c_a], "email": email, "name": pf + " " + pl, "title": titles,
        "role": roles, "last_contact": _iso(last_contact),
    })

    # ---------------------------------------------------------------- surveys (NPS)
    # twice a year (months 5 and 11 of each half) a random contact answers, if surveyed
    survey_months = m_idx[(m_idx % 6) == 5]
    sv = alive[:, survey_months] & (rng.random((n, len(survey_months))) < 0.65)
    s_a, s_k = np.nonzero(sv)
    s_m = survey_months[s_k]
    ns = len(s_a)
    score = np.clip(np.round(10.6 * health[s_a, s_m] + rng.normal(0, 1.3, ns)), 0, 10)
    s_day = month_starts[s_m] + (rng.random(ns) * month_len[s_m]).astype(int).astype("timedelta64[D]")
    # the respondent: one of the account's contacts
    first_contact = np.cumsum(n_contacts) - n_contacts
    respondent = first_contact[s_a] + (rng.random(ns) * n_contacts[s_a]).astype(int)
    comments = np.select(
        [score >= 9, score >= 7, score <= 3],
        ["Great product, the team loves it", "Works well, a few rough edges",
         "Too many issues lately, considering alternatives"], "Support has been slow").astype(object)
    surveys = _frame({
        "source": "demo",
        "response_id": np.array([f"R{i:07d}" for i in range(1, ns + 1)], dtype=object),
        "account_id": ids[s_a], "contact_email": email[respondent], "date": _iso(s_day),
        "kind": "nps", "score": score,
        "comment": np.where(rng.random(ns) < 0.6, comments, None),
    })

    # ---------------------------------------------------------------- activities
    call_rate = np.array([1.5, 0.7, 0.25])[seg][ai] * (0.4 + 0.9 * health[ai, mi])
    call_cnt = rng.poisson(call_rate)
    qbr = (mi % 3 == 2) & (seg[ai] < 2) & (rng.random(k) < (0.15 + 0.85 * health[ai, mi] ** 1.5))
    a_a = np.concatenate([np.repeat(ai, call_cnt), ai[qbr]])
    a_m = np.concatenate([np.repeat(mi, call_cnt), mi[qbr]])
    kind_pool = np.array(["call", "email", "note", "workshop"], dtype=object)
    kinds = np.concatenate([
        kind_pool[rng.choice(4, size=int(call_cnt.sum()), p=[0.45, 0.35, 0.12, 0.08])],
        np.full(int(qbr.sum()), "qbr", dtype=object)])
    na = len(a_a)
    a_day = month_starts[a_m] + (rng.random(na) * month_len[a_m]).astype(int).astype("timedelta64[D]")
    a_day = np.minimum(np.maximum(a_day, start[a_a]), dd)
    texts = {
        "call": "Check-in call", "email": "Follow-up email", "note": "Account note",
        "workshop": "Enablement workshop", "qbr": "Quarterly business review",
    }
    order = np.lexsort((a_a, a_day))
    activities = _frame({
        "activity_id": np.array([f"D{i:07d}" for i in range(1, na + 1)], dtype=object),
        "account_id": ids[a_a[order]], "date": _iso(a_day[order]), "kind": kinds[order],
        "text": pd.Series(kinds[order]).map(texts).to_numpy(dtype=object),
        "author": owner[a_a[order]],
    })

    # ---------------------------------------------------------------- subscriptions
    subs, arr_now = _subscriptions(
        rng, ids=ids, seg=seg, industry=industry, start=start, start_m=start_m,
        churner=churner, churn_day=churn_day, react=react, react_m=react_m,
        month_starts=month_starts, seats0=seats0, seats1=seats1, if_changes=if_changes,
        change_m=change_m, shrinks=shrinks, grows=grows, health_now=health[:, -1],
        warning=warning, dd=dd,
    )

    # ---------------------------------------------------------------- account rows
    # the next contract anniversary after the data date (annual terms)
    years_in = ((dd.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int) // 12)
    renewal = _add_months(start, 12 * years_in)
    renewal = np.where(renewal <= dd, _add_months(start, 12 * (years_in + 1)), renewal)
    churned_now = churner & ~react
    accounts = _frame({
        "account_id": ids, "name": names, "domain": domains,
        "industry": industry.astype(object), "segment": SEGMENTS[seg].astype(object),
        "region": region.astype(object), "owner": owner,
        "arr": np.where(churned_now, 0.0, np.round(arr_now, 2)),
        "seats": seats1,
        "contract_start": _iso(start),
        "contract_end": np.where(churned_now, _iso(churn_day), _iso(renewal)),
        "renewal_date": np.where(churned_now, None, _iso(renewal)),
        "status": np.where(churned_now, "churned", "active").astype(object),
        "churn_date": np.where(churned_now, _iso(churn_day), None),
    })
    truth = pd.DataFrame({
        "account_id": ids, "base_health": base, "health_now": health[:, -1],
        "churner": churner, "reactivated": react, "warning": warning, "expanding": expanding,
        "churn_month": np.where(churner, churn_m, -1),
    })
    return DemoPortfolio(
        data_date=str(dd), accounts=accounts, subscriptions=subs, usage=usage,
        tickets=tickets, surveys=surveys, contacts=contacts, activities=activities,
        truth=truth,
    )


def _subscriptions(rng, *, ids, seg, industry, start, start_m, churner, churn_day, react,
                   react_m, month_starts, seats0, seats1, if_changes, change_m, shrinks,
                   grows, health_now, warning, dd):
    """Subscription periods per (account, product); returns (frame, current ARR per account).

    Seat-priced products follow the account's seat count (one row before and one after a seat
    change); flat add-ons are one row. A churned account's subscriptions end on its churn date
    with status 'cancelled'; a reactivated account gets a new Core Platform row.
    """
    n = len(ids)
    rows = []
    month_start_of = lambda m: month_starts[np.clip(m, 0, len(month_starts) - 1)]  # noqa: E731
    change_day = month_start_of(change_m)
    end_day = np.where(churner, churn_day, np.datetime64("NaT", "D"))
    # reactivated accounts: the original subscriptions ended at churn
    arr_now = np.zeros(n)
    seg_idx = seg
    for p_i, (product, pricing, prices, takeup) in enumerate(PRODUCTS):
        price = np.array(prices)[seg_idx]
        if p_i == 0:
            owns = np.ones(n, bool)
            add_day = start
        else:
            aff = np.array([_AFFINITY.get(product, {}).get(ind, 0.7) for ind in INDUSTRIES])
            ind_idx = np.searchsorted(INDUSTRIES, industry, sorter=np.argsort(INDUSTRIES))
            ind_idx = np.argsort(INDUSTRIES)[ind_idx]
            p = np.clip(takeup * aff[ind_idx] * _SEGMENT_TAKEUP[seg_idx], 0, 0.95)
            owns = rng.random(n) < p
            # a quarter of add-ons are cross-sold inside the window (expansion)
            later = owns & (rng.random(n) < 0.25) & grows
            cross_m = rng.integers(2, len(month_starts) - 1, n)
            add_day = np.where(later, np.maximum(month_start_of(cross_m), start), start)
            # declining accounts drop an add-on before they go (contraction)
            drop = owns & (shrinks | warning) & (rng.random(n) < 0.3)
            drop_day = np.where(drop, np.minimum(dd - 20, np.where(
                churner, churn_day - 60, dd - 40)), np.datetime64("NaT", "D"))
        for a_seg in ("before", "after"):
            if pricing == "seat":
                if a_seg == "before":
                    qty = seats0
                    s_day = add_day
                    e_day = np.where(if_changes & (change_day > add_day), change_day - 1, end_day)
                    take = owns
                else:
                    qty = seats1
                    s_day = np.maximum(change_day, add_day)
                    e_day = end_day
                    take = owns & if_changes & (change_day > add_day)
                mrr = qty * price
            else:
                if a_seg == "after":
                    continue
                qty = np.ones(n, np.int64)
                s_day = add_day
                e_day = end_day
                take = owns
                mrr = price.astype(float)
            if p_i > 0:
                e_day = np.where(drop & ~(e_day < drop_day), np.maximum(drop_day, s_day + 30), e_day)
            take = take & ~(churner & (s_day >= churn_day))
            idx = np.flatnonzero(take)
            if not len(idx):
                continue
            ended = ~np.isnat(e_day[idx]) & (e_day[idx] <= dd)
            stat = np.where(ended, np.where(churner[idx] & (e_day[idx] == churn_day[idx]),
                                            "cancelled", "ended"), "active").astype(object)
            live = ~ended
            past_due = live & (health_now[idx] < 0.35) & (rng.random(len(idx)) < 0.4)
            stat = np.where(past_due, "past_due", stat)
            non_renew = live & warning[idx] & (rng.random(len(idx)) < 0.15)
            stat = np.where(non_renew & ~past_due, "non_renewing", stat)
            arr_now[idx[live]] += mrr[idx[live]] * 12
            rows.append(_frame({
                "account_id": ids[idx], "product": product,
                "plan": np.where(seg_idx[idx] == 0, "Enterprise",
                                 np.where(seg_idx[idx] == 1, "Business", "Team")).astype(object),
                "quantity": qty[idx].astype(float), "mrr": np.round(mrr[idx].astype(float), 2),
                "start_date": _iso(s_day[idx]),
                "end_date": np.where(np.isnat(e_day[idx]), None,
                                     _iso(np.where(np.isnat(e_day[idx]), dd, e_day[idx]))),
                "status": stat,
            }))
    # reactivation: a fresh Core Platform subscription from the return month
    r_idx = np.flatnonzero(react)
    if len(r_idx):
        price = np.array(PRODUCTS[0][2])[seg_idx[r_idx]]
        qty = np.maximum(2, np.round(seats0[r_idx] * 0.6)).astype(np.int64)
        mrr = qty * price
        arr_now[r_idx] += mrr * 12
        rows.append(_frame({
            "account_id": ids[r_idx], "product": PRODUCTS[0][0], "plan": "Team",
            "quantity": qty.astype(float), "mrr": np.round(mrr.astype(float), 2),
            "start_date": _iso(month_start_of(react_m[r_idx])), "end_date": None,
            "status": "active",
        }))
    subs = pd.concat(rows, ignore_index=True)
    subs = subs.sort_values(["account_id", "product", "start_date"], kind="stable",
                            ignore_index=True)
    subs.insert(0, "sub_id", np.array([f"S{i:07d}" for i in range(1, len(subs) + 1)],
                                      dtype=object))
    subs["arr"] = np.round(subs["mrr"] * 12, 2)
    subs["source"] = pd.Series(np.full(len(subs), "demo", dtype=object), dtype=object)
    return subs[["sub_id", "account_id", "product", "plan", "quantity", "mrr", "arr",
                 "start_date", "end_date", "status", "source"]], arr_now


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
