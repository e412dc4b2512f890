"""Book-of-business simulator: the compounding revenue model of "CS as a profit center".

Source: "The Rise of Customer Success as a Profit Center" (shared/domain/004), section "How to
increase exponential impact potential". A CSM manages ``N`` accounts of annual contract value
``ACV``; every period the book grows by the upsell rate ``u`` and shrinks by the churn rate
``c``, and the revenue of each period compounds on the previous one::

    revenue over the horizon  R = N x P x sum_{t=0}^{T-1} (1 + u - c)^t
                                = N x P x T                          when u == c
                                = N x P x ((1 + g)^T - 1) / g        with g = u - c

where the period is a month or a year, ``P`` is the revenue of one account per period (``ACV``
per year, ``ACV / 12`` per month) and ``T`` the number of periods in the horizon. The paper's
worked example (70 accounts at $36,000 ACV over three years) gives

* no upsell, no churn:                         70 x 36,000 x 3             = 7,560,000
* 4% upsell and 2% churn per year:             70 x 36,000 x 3.0604        = 7,712,208
* 4% upsell and 2% churn per month:            70 x 3,000 x 51.99437...    = 10,918,817.11

i.e. the published $7.56M, $7.71M and $10.92M (and "41.6 percent" more with monthly
compounding: 10.92 / 7.71 = 1.416).

:func:`rates_from_mrr` seeds the model with the workspace's own
measured rates (MRR movements of :mod:`acctdesk.analytics.metrics`).

Pure functions; no Qt.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PERIODS", "FORMULA", "Simulation", "BookRates", "periods_in", "revenue_per_period",
    "simulate_total", "simulate", "rates_from_mrr",
]

#: periods per year of each supported period.
PERIODS: dict[str, int] = {"month": 12, "year": 1}
_ALIASES = {"month": "month", "monthly": "month", "m": "month",
            "year": "year", "annual": "year", "yearly": "year", "annually": "year", "y": "year"}
FORMULA = "revenue = N x P x sum_{t=0}^{T-1} (1 + u - c)^t; P = ACV per period (ACV/12 monthly)"


def _period(period: str) -> str:
    try:
        return _ALIASES[str(period).strip().lower()]
    except KeyError:
        raise ValueError(f"period must be 'month' or 'year', not {period!r}") from None


def periods_in(years: float, period: str) -> int:
    """Number of periods ``T`` in a horizon of ``years`` (must be a whole number of periods)."""
    p = _period(period)
    t = years * PERIODS[p]
    if t < 0 or abs(t - round(t)) > 1e-9:
        raise ValueError(f"{years} years is not a whole number of {p}s")
    return int(round(t))


def revenue_per_period(acv: float, period: str) -> float:
    """``P``: one account's revenue per period (ACV per year, ACV / 12 per month)."""
    return float(acv) / PERIODS[_period(period)]


def _check(accounts: float, acv: float, upsell: float, churn: float) -> None:
    if accounts < 0 or acv < 0:
        raise ValueError("accounts and ACV must be >= 0")
    if not (math.isfinite(upsell) and math.isfinite(churn)):
        raise ValueError("upsell and churn rates must be finite")
    if upsell < 0 or churn < 0:
        raise ValueError("upsell and churn are rates >= 0 (0.04 = 4%)")
    if 1 + upsell - churn < 0:
        raise ValueError("churn larger than 100% + upsell per period makes no sense")


def _factors(upsell: float, churn: float, T: int) -> np.ndarray:
    return (1.0 + upsell - churn) ** np.arange(T, dtype="float64")


def simulate_total(accounts: float, acv: float, upsell: float = 0.0, churn: float = 0.0,
                   period: str = "year", years: float = 3) -> float:
    """Revenue summed over the horizon: ``N x P x sum_{t=0}^{T-1} (1 + u - c)^t``.

    Parameters
    ----------
    accounts : float
        ``N``, accounts in the book.
    acv : float
        Annual contract value per account (workspace currency).
    upsell, churn : float
        ``u`` and ``c``: rates *per period* as fractions (0.04 = 4%).
    period : {"month", "year"}
        The compounding period; ``P = acv / 12`` per month, ``acv`` per year.
    years : float
        Horizon; ``T = years x 12`` months or ``years`` years.

    Returns
    -------
    float
        Total revenue over the horizon (unrounded).

    Examples
    --------
    >>> simulate_total(70, 36_000, years=3)
    7560000.0
    >>> round(simulate_total(70, 36_000, 0.04, 0.02, "year", 3))
    7712208
    >>> round(simulate_total(70, 36_000, 0.04, 0.02, "month", 3))
    10918817
    """
    _check(accounts, acv, upsell, churn)
    T = periods_in(years, period)
    P = revenue_per_period(acv, period)
    return float(accounts) * P * math.fsum(_factors(upsell, churn, T).tolist())


@dataclass
class Simulation:
    """One simulated scenario: its inputs, the total and the per-period table."""

    accounts: float
    acv: float
    upsell: float
    churn: float
    period: str
    years: float
    periods: int
    revenue_per_period: float
    total: float
    table: pd.DataFrame = field(repr=False)
    formula: str = FORMULA
    source: str = "inputs"

    @property
    def flat_total(self) -> float:
        """The same book with no upsell and no churn (``N x ACV x years``)."""
        return float(self.accounts) * self.revenue_per_period * self.periods

    def to_dict(self, *, table: bool = True) -> dict[str, Any]:
        """JSON-ready: inputs, ``total``, ``flat_total``, ``uplift`` and (optionally) the table."""
        d = {k: v for k, v in asdict(self).items() if k != "table"}
        d["total"] = round(self.total, 2)
        d["flat_total"] = round(self.flat_total, 2)
        d["uplift"] = (self.total / self.flat_total - 1.0) if self.flat_total else None
        if table:
            d["table"] = [
                {k: (round(v, 2) if isinstance(v, float) and k != "factor" else v)
                 for k, v in row.items()}
                for row in self.table.to_dict(orient="records")
            ]
        return d


def simulate(accounts: float, acv: float, upsell: float = 0.0, churn: float = 0.0,
             period: str = "year", years: float = 3, *, source: str = "inputs") -> Simulation:
    """Simulate a book of business period by period (see the module docstring for the model).

    Parameters are those of :func:`simulate_total`; ``source`` says where the rates came from
    (``"inputs"`` or a description from :func:`rates_from_mrr`).

    Returns
    -------
    Simulation
        ``total`` (= :func:`simulate_total`) and ``table``, one row per period ``t = 0 .. T-1``:
        ``period`` (1-based), ``year`` (1-based), ``factor`` = ``(1 + u - c)^t``, ``revenue`` =
        ``N x P x factor``, ``cumulative_revenue``, ``arr_run_rate`` = revenue x periods per
        year, and ``equivalent_accounts`` = ``N x factor`` (the book expressed in accounts of
        the starting ACV).
    """
    _check(accounts, acv, upsell, churn)
    p = _period(period)
    T = periods_in(years, p)
    P = revenue_per_period(acv, p)
    f = _factors(upsell, churn, T)
    revenue = float(accounts) * P * f
    t = np.arange(T)
    table = pd.DataFrame({
        "period": t + 1,
        "year": t // PERIODS[p] + 1,
        "factor": f,
        "revenue": revenue,
        "cumulative_revenue": np.cumsum(revenue),
        "arr_run_rate": revenue * PERIODS[p],
        "equivalent_accounts": float(accounts) * f,
    })
    total = float(accounts) * P * math.fsum(f.tolist())
    return Simulation(accounts=accounts, acv=float(acv), upsell=float(upsell),
                      churn=float(churn), period=p, years=years, periods=T,
                      revenue_per_period=P, total=total, table=table, source=source)


# ------------------------------------------------------------------ seeding from the data
@dataclass
class BookRates:
    """Simulator inputs measured on a workspace (see :func:`rates_from_mrr`)."""

    accounts: int
    acv: float
    upsell: float
    churn: float
    period: str
    as_of_month: str | None
    window_months: int
    start_mrr: float
    expansion: float
    contraction: float
    churned: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def simulate(self, years: float = 3) -> Simulation:
        """Run :func:`simulate` with these rates."""
        return simulate(self.accounts, self.acv, self.upsell, self.churn, self.period, years,
                        source=self.method)


def rates_from_mrr(mrr: pd.DataFrame, *, period: str = "month", months: int = 12,
                   as_of_month: str | None = None) -> BookRates:
    """Measure ``N``, ``ACV``, ``u`` and ``c`` from MRR movements.

    ``N`` = accounts with MRR > 0 at ``as_of_month`` (default the last month), ``ACV`` =
    12 x MRR / N at that month (ARPA x 12). The rates are those of the existing book (new
    business and reactivation excluded, as in NRR; :func:`acctdesk.analytics.metrics.
    mrr_movements`) over the last ``months`` months::

        monthly  u = sum(expansion) / sum(start MRR)
                 c = sum(contraction + churn) / sum(start MRR)      (sums over the months)
        annual   u = expansion / start MRR,  c = (contraction + churn) / start MRR
                 of the accounts active 12 months earlier (``metrics.retention``, standard
                 definition, so ``1 + u - c`` is the trailing-12-month NRR)

    Contraction counts as churn: the model has one loss rate and a downgrade loses revenue
    just as a cancellation does. With less than 12 months of history an annual rate is
    annualised from the monthly ones (``x 12``) and ``method`` says so.

    Parameters
    ----------
    mrr : DataFrame
        Output of :func:`acctdesk.analytics.metrics.mrr_by_month` (full history).
    period : {"month", "year"}
    months : int, default 12
        Window for the monthly rates (fewer if the history is shorter; the number used is
        ``window_months``).
    as_of_month : str, optional
        'YYYY-MM'; default the last month of ``mrr``.
    """
    from . import metrics

    p = _period(period)
    if months < 1:
        raise ValueError("months must be >= 1")
    mv = metrics.mrr_movements(mrr)
    if mv.empty:
        raise ValueError("no MRR data to measure rates from")
    if as_of_month is not None:
        mv = mv[mv["month"] <= as_of_month]
        if mv.empty:
            raise ValueError(f"no MRR data up to {as_of_month}")
    last = mv.iloc[-1]
    n = int(last["end_accounts"])
    acv = 12.0 * float(last["end_mrr"]) / n if n else 0.0
    win = mv.iloc[-months:]
    start = float(win["start_mrr"].sum())
    exp_, con, chu = (float(win[k].sum()) for k in ("expansion", "contraction", "churn"))
    w = len(win)
    u_m = exp_ / start if start else 0.0
    c_m = (con + chu) / start if start else 0.0
    if p == "month":
        method = (f"measured: monthly rates over the {w} months to {last['month']} "
                  "(expansion / start MRR, contraction + churn / start MRR)")
        return BookRates(n, acv, u_m, c_m, p, str(last["month"]), w, start, exp_, con, chu,
                         method)
    months_all = list(mv["month"])
    end_month = str(last["month"])
    if len(months_all) >= 13:
        start_month = months_all[-13]
        r = metrics.retention(mrr, start_month=start_month, end_month=end_month)
        row = r.iloc[0]
        s = float(row["start_mrr"])
        e, co, ch = float(row["expansion"]), float(row["contraction"]), float(row["churn"])
        method = (f"measured: trailing 12 months {start_month} to {end_month} of the accounts "
                  "active at start (1 + u - c = NRR, standard definition)")
        return BookRates(n, acv, e / s if s else 0.0, (co + ch) / s if s else 0.0, p,
                         end_month, 12, s, e, co, ch, method)
    method = (f"annualised (x 12) from the monthly rates of {w} months to {end_month}: "
              "less than 12 months of history")
    return BookRates(n, acv, 12 * u_m, min(1.0, 12 * c_m), p, end_month, w, start, exp_,
                     con, chu, method)
