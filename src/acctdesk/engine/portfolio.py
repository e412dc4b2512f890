"""The inputs of the Portfolio, Renewals and Whitespace views, from one analysis."""
from __future__ import annotations

from typing import Callable

import pandas as pd

from ..analytics.portfolio import PortfolioInputs
from .core import Analysis


def portfolio_inputs(a: Analysis, parts: tuple[str, ...] = ("health", "risk", "whitespace"),
                     progress: Callable[[float, str], None] | None = None,
                     check: Callable[[], None] | None = None) -> PortfolioInputs:
    """What the portfolio functions of :mod:`acctdesk.analytics.portfolio` compute from.

    ``parts``: any of ``"health"``, ``"risk"`` (with the drivers of every active account, for
    the tables behind the tiles), ``"whitespace"`` (suggestions), ``"matrix"`` (ownership
    matrix) and ``"backtest"`` (whitespace backtest). ``progress``/``check`` as for
    :meth:`Analysis.prepare`.
    """
    a.prepare(("data",), progress, check)
    data = a.data
    out = PortfolioInputs(as_of=a.as_of, currency=a.currency,
                          accounts=data.accounts.copy(deep=False),
                          subscriptions=data.frame("subscriptions").copy(deep=False))
    if out.empty:
        return out
    a.prepare(("data", "health", "risk", "whitespace", "figures"), progress, check)
    out.usage = data.frame("usage")
    out.figures = a.figures
    pipe = a.pipeline
    out.pipeline = pipe if len(pipe) else None
    active = out.figures.loc[out.figures["active"]]
    if "health" in parts:
        out.health = pd.DataFrame({
            "account_id": active["account_id"].to_numpy(dtype=object),
            "score": active["health_score"].to_numpy(dtype=float),
            "band": active["band"].to_numpy(dtype=object)})
        out.bands = a.health.bands()
    if "risk" in parts:
        risk = a.risk
        ids = risk.frame["account_id"].astype(str).tolist()
        drivers = a.drivers(ids)
        out.risk = pd.DataFrame({
            "account_id": ids,
            "churn_probability": risk.frame["churn_probability"].to_numpy(dtype=float),
            "drivers": ["; ".join(drivers[i]) for i in ids]})
        out.risk_info = dict(risk.info)
        out.risk_label = risk.label
        out.risk_horizon = risk.horizon_days if risk.source == "model" else None
    if "whitespace" in parts:
        out.suggestions = a.whitespace
    if "matrix" in parts:
        if check is not None:
            check()
        if progress is not None:
            progress(0.8, "Building the product matrix…")
        out.matrix = a.ownership
    if "backtest" in parts:
        if check is not None:
            check()
        if progress is not None:
            progress(0.9, "Back-testing the suggestions…")
        out.backtest = a.whitespace_backtest
    return out
