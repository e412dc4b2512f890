"""CSM capacity: how many accounts a CSM can serve, compared with each owner's current book.

Source: "The Rise of Customer Success as a Profit Center" (shared/domain/004), section
"Determining CSM headcount needs". Each account needs a number of meetings a year of four
kinds (monthly check-ins, executive/quarterly business reviews, workshops, ad-hoc meetings),
each taking meeting time plus preparation and follow-up. A CSM's working hours, multiplied by
a productivity factor (typically about 70% [Ref. 17 of the paper]), are the hours available
for that work::

    hours per account  H = sum_k  meetings_k per year x (meeting hours_k + prep/follow-up hours_k)
    productive hours   A = working hours per year x productivity
    capacity           K = A / H                       (accounts one CSM can serve)
    utilisation        U = hours the book needs / A    (= accounts / K for a uniform book)

The paper's examples: about 20 enterprise accounts ($100,000 ACV) or about 70 mid-market
accounts ($36,000 ACV) per CSM. Its figures with the meeting counts are images that the text
does not give, so the shipped plans (:data:`PLANS`) are illustrative defaults chosen to land on
those two results with 1,800 working hours and 70% productivity; they are settings.

Pure functions over DataFrames; no Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "Meeting", "CapacityModel", "PLANS", "DEFAULT_WORKING_HOURS", "DEFAULT_PRODUCTIVITY",
    "mid_market_plan", "enterprise_plan", "capacity_by_owner", "csms_needed",
]

#: 45 working weeks of 40 hours (after holidays, training, internal meetings are *not* taken
#: out here: the productivity factor covers them).
DEFAULT_WORKING_HOURS = 1800.0
#: share of working hours that goes to customer work (the paper: "typically around 70 percent").
DEFAULT_PRODUCTIVITY = 0.70
UNASSIGNED = "(unassigned)"


@dataclass(frozen=True)
class Meeting:
    """One kind of meeting an account needs.

    ``hours`` is the meeting itself, ``prep_hours`` its preparation and follow-up.
    """

    kind: str
    per_year: float
    hours: float
    prep_hours: float = 0.0

    @property
    def hours_per_meeting(self) -> float:
        return self.hours + self.prep_hours

    @property
    def hours_per_year(self) -> float:
        return self.per_year * self.hours_per_meeting


@dataclass(frozen=True)
class CapacityModel:
    """Meetings per account, working hours and productivity (all settings).

    Attributes
    ----------
    meetings : tuple of Meeting
    working_hours : float, default 1800
        Working hours of one CSM per year.
    productivity : float, default 0.70
        Share of the working hours available for account work.
    name : str
    """

    meetings: tuple[Meeting, ...]
    working_hours: float = DEFAULT_WORKING_HOURS
    productivity: float = DEFAULT_PRODUCTIVITY
    name: str = "custom"

    def __post_init__(self):
        if not 0 < self.productivity <= 1:
            raise ValueError("productivity is a fraction in (0, 1]")
        if self.working_hours <= 0:
            raise ValueError("working hours must be > 0")
        for m in self.meetings:
            if m.per_year < 0 or m.hours < 0 or m.prep_hours < 0:
                raise ValueError(f"meeting {m.kind!r}: counts and hours must be >= 0")

    @property
    def hours_per_account(self) -> float:
        """``H = sum_k meetings_k x (hours_k + prep_k)`` per account per year."""
        return math.fsum(m.hours_per_year for m in self.meetings)

    @property
    def productive_hours(self) -> float:
        """``A = working hours x productivity``."""
        return self.working_hours * self.productivity

    @property
    def accounts_per_csm(self) -> float:
        """``K = A / H`` (infinite when no meetings are planned)."""
        h = self.hours_per_account
        return self.productive_hours / h if h > 0 else math.inf

    @property
    def capacity(self) -> int:
        """Whole accounts one CSM can serve: ``floor(K)`` (with a tolerance for float noise)."""
        k = self.accounts_per_csm
        return int(math.floor(k + 1e-9)) if math.isfinite(k) else 0

    def with_(self, **changes) -> "CapacityModel":
        """A copy with some settings changed (``model.with_(productivity=0.6)``)."""
        return replace(self, **changes)

    def table(self) -> pd.DataFrame:
        """The meeting plan: kind, per year, hours, prep hours, hours per meeting, hours per
        year (one account), and a total row."""
        rows = [{"kind": m.kind, "per_year": m.per_year, "hours": m.hours,
                 "prep_hours": m.prep_hours, "hours_per_meeting": m.hours_per_meeting,
                 "hours_per_year": m.hours_per_year} for m in self.meetings]
        rows.append({"kind": "total", "per_year": sum(m.per_year for m in self.meetings),
                     "hours": np.nan, "prep_hours": np.nan, "hours_per_meeting": np.nan,
                     "hours_per_year": self.hours_per_account})
        out = pd.DataFrame(rows)
        out.attrs.update(working_hours=self.working_hours, productivity=self.productivity,
                         productive_hours=self.productive_hours,
                         accounts_per_csm=self.accounts_per_csm, capacity=self.capacity)
        return out


def mid_market_plan(**settings) -> CapacityModel:
    """Illustrative mid-market plan (~$36,000 ACV): 18 hours per account per year -> 70
    accounts at 1,800 h x 70%.

    Monthly check-in 12 x (0.5 h + 0.5 h prep/follow-up), EBR 2 x (1 h + 1 h), ad-hoc
    2 x (0.5 h + 0.5 h); no workshop.
    """
    return CapacityModel((
        Meeting("monthly check-in", 12, 0.5, 0.5),
        Meeting("QBR/EBR", 2, 1.0, 1.0),
        Meeting("workshop", 0, 2.0, 2.0),
        Meeting("ad-hoc", 2, 0.5, 0.5),
    ), name="mid_market", **settings)


def enterprise_plan(**settings) -> CapacityModel:
    """Illustrative enterprise plan (~$100,000 ACV): 63 hours per account per year -> 20
    accounts at 1,800 h x 70%.

    Monthly check-in 12 x (1 h + 1 h), EBR 4 x (2 h + 3 h), workshop 2 x (3 h + 3 h), ad-hoc
    4 x (1 h + 0.75 h).
    """
    return CapacityModel((
        Meeting("monthly check-in", 12, 1.0, 1.0),
        Meeting("QBR/EBR", 4, 2.0, 3.0),
        Meeting("workshop", 2, 3.0, 3.0),
        Meeting("ad-hoc", 4, 1.0, 0.75),
    ), name="enterprise", **settings)


#: shipped plans by name.
PLANS = {"mid_market": mid_market_plan, "enterprise": enterprise_plan}


def _active(accounts: pd.DataFrame, as_of: str | None) -> pd.DataFrame:
    if as_of is None:
        return accounts
    from ..domain.accounts import active_mask

    return accounts[active_mask(accounts, as_of).to_numpy()]


def capacity_by_owner(
    accounts: pd.DataFrame,
    model: CapacityModel | None = None,
    *,
    as_of: str | None = None,
    segment_models: Mapping[str, CapacityModel] | None = None,
    near_capacity: float = 0.9,
) -> pd.DataFrame:
    """Each owner's current book against a CSM's capacity.

    Parameters
    ----------
    accounts : DataFrame
        Canonical accounts (``account_id``, ``owner``, ``arr``; ``segment`` when
        ``segment_models`` is given; ``status``, ``churn_date``, ``contract_start`` when
        ``as_of`` is given).
    model : CapacityModel, optional
        The plan for every account (default :func:`mid_market_plan`).
    as_of : str, optional
        Only accounts that are customers on this date (the workspace's data date).
    segment_models : mapping, optional
        Plan per ``segment`` value (e.g. ``{"Enterprise": enterprise_plan()}``); other
        segments use ``model``. Working hours and productivity are ``model``'s.
    near_capacity : float, default 0.9
        Utilisation from which a book is "near capacity".

    Returns
    -------
    DataFrame
        One row per owner (accounts without an owner as "(unassigned)"), busiest first:
        ``owner``, ``accounts``, ``arr``, ``hours_needed`` (sum of each account's ``H``),
        ``productive_hours`` (``A``), ``capacity_accounts`` (``A / mean H`` of the book, i.e.
        ``K`` for a uniform book), ``utilisation`` (``hours_needed / A``),
        ``headroom_accounts`` (``capacity_accounts - accounts``, negative when over),
        ``csms_needed`` (``hours_needed / A``, the same as utilisation in CSMs) and ``status``
        ("over capacity" / "near capacity" / "within capacity").
    """
    model = model or mid_market_plan()
    acc = _active(accounts, as_of)
    owner = acc["owner"] if "owner" in acc else pd.Series(None, index=acc.index, dtype=object)
    owner = owner.astype(object).where(owner.notna() & (owner.astype(str).str.strip() != ""),
                                       UNASSIGNED)
    hours = np.full(len(acc), model.hours_per_account, dtype="float64")
    if segment_models:
        seg = acc["segment"].astype(object) if "segment" in acc else pd.Series(None, index=acc.index)
        for name, m in segment_models.items():
            hours[(seg == name).to_numpy()] = m.hours_per_account
    arr = pd.to_numeric(acc["arr"], errors="coerce").fillna(0.0) if "arr" in acc else 0.0
    frame = pd.DataFrame({"owner": owner.to_numpy(), "accounts": 1,
                          "arr": np.asarray(arr, dtype="float64") * np.ones(len(acc)),
                          "hours_needed": hours})
    agg = frame.groupby("owner", sort=True).sum().reset_index()
    A = model.productive_hours
    agg["productive_hours"] = A
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_h = agg["hours_needed"] / agg["accounts"]
        agg["capacity_accounts"] = np.where(mean_h > 0, A / mean_h, np.inf)
    agg["utilisation"] = agg["hours_needed"] / A
    agg["headroom_accounts"] = agg["capacity_accounts"] - agg["accounts"]
    agg["csms_needed"] = agg["hours_needed"] / A
    agg["status"] = np.where(agg["utilisation"] > 1 + 1e-9, "over capacity",
                             np.where(agg["utilisation"] >= near_capacity, "near capacity",
                                      "within capacity"))
    agg = agg.sort_values(["utilisation", "owner"], ascending=[False, True], kind="stable")
    agg = agg.reset_index(drop=True)
    agg["accounts"] = agg["accounts"].astype(np.int64)
    agg.attrs.update(model=model.name, hours_per_account=model.hours_per_account,
                     productive_hours=A, accounts_per_csm=model.accounts_per_csm,
                     formula="utilisation = sum of hours per account / (working hours x "
                             "productivity)")
    return agg


def csms_needed(accounts: pd.DataFrame | int, model: CapacityModel | None = None, *,
                as_of: str | None = None,
                segment_models: Mapping[str, CapacityModel] | None = None) -> float:
    """CSMs needed for a book: ``sum of H over the accounts / A`` (a count of accounts or an
    accounts frame, as in :func:`capacity_by_owner`). Round up for headcount."""
    model = model or mid_market_plan()
    if isinstance(accounts, (int, np.integer, float)):
        return float(accounts) * model.hours_per_account / model.productive_hours
    frame = capacity_by_owner(accounts, model, as_of=as_of, segment_models=segment_models)
    return float(frame["hours_needed"].sum()) / model.productive_hours
