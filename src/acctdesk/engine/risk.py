"""Churn risk from the workspace's stored churn model, trained when none fits.

The stored model (:mod:`acctdesk.models.model_store`) is reused while it loads, was trained
for the same horizon and cutoff (``min(as_of, data date)``) and on the same data (the
storage's fingerprint of what a model learns from); otherwise a model is trained on the
workspace's own history and stored. With too few churn events there is no model and the
assigned health score stands in: ``p = (100 - score) / 100``, labelled as such everywhere.

Drivers (the reasons behind one account's risk) are computed on demand for the accounts a
screen shows (:func:`drivers`), from the features kept with the scores.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analytics import churn
from ..analytics.scorecards import ScoringData
from ..domain.accounts import RISK_FROM_HEALTH, risk_from_health
from ..domain.numbers import json_safe
from ..models import model_store

DEFAULT_HORIZON = churn.DEFAULT_HORIZON


@dataclass
class Risk:
    """Churn risk of the accounts active on ``as_of``.

    ``frame``: ``account_id``, ``name``, ``churn_probability`` (0-1; NaN without a score),
    highest first. ``source``: ``"model"`` or ``"health"`` (the fallback). ``info``: the
    model's figures (:func:`acctdesk.analytics.churn.model_summary` plus ``as_of``,
    ``loaded_from_workspace``, ``trained_now``, ``retrain_reason``), or on fallback ``kind``
    ``"health_fallback"`` with its ``reason``.
    """

    as_of: str
    frame: pd.DataFrame
    source: str
    info: dict[str, Any]
    horizon_days: int
    model: churn.ChurnModel | None = None
    features: pd.DataFrame | None = None
    matrix: np.ndarray | None = None
    _drivers: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def probabilities(self) -> pd.Series | None:
        """The model's probabilities by account id (NaN dropped); None on the fallback."""
        if self.source != "model":
            return None
        return pd.Series(self.frame["churn_probability"].to_numpy(dtype=float),
                         index=self.frame["account_id"].astype(str).to_numpy()).dropna()

    @property
    def by_account(self) -> pd.Series:
        """The churn probability by account id (model or fallback)."""
        return pd.Series(self.frame["churn_probability"].to_numpy(dtype=float),
                         index=self.frame["account_id"].astype(str).to_numpy())

    @property
    def label(self) -> str:
        """Where the probabilities come from, in one sentence."""
        from ..analytics.plain import churn_ranking

        if self.source != "model":
            reason = self.info.get("reason") or "too little history"
            return (f"Churn risk read from the health score, {RISK_FROM_HEALTH}, as there is "
                    f"no churn model yet ({reason})")
        return (f"Churn risk from a model trained on this workspace's history, "
                f"{self.horizon_days} days ahead; "
                + churn_ranking(self.info.get("auc"), "checked on later months, it"))


def load_or_train(ws, data: ScoringData | None = None, *, as_of: str | None = None,
                  horizon_days: int = DEFAULT_HORIZON, retrain: bool = False,
                  **train_kw) -> tuple[churn.ChurnModel | None, dict[str, Any]]:
    """The stored churn model when it still fits the workspace, else a newly trained (and
    stored) one, else None with the reason to fall back to the health score.

    Returns
    -------
    (model or None, status)
        ``status``: ``loaded`` (bool), ``trained`` (bool), ``why`` (why it was (re)trained,
        or ``"reused"``), ``fallback_reason`` (with no model), ``cutoff``.
    """
    data_date = ws.data_date()
    if not data_date:
        return None, {"loaded": False, "trained": False, "why": "no data",
                      "fallback_reason": "The workspace has no dated records, so there is "
                                         "no history to learn churn from.", "cutoff": None}
    cutoff = min(str(as_of)[:10], data_date) if as_of else data_date
    fingerprint = model_store.workspace_fingerprint(ws)
    status: dict[str, Any] = {"loaded": False, "trained": False, "cutoff": cutoff}
    if retrain:
        why = "retrain requested"
    else:
        model, why = model_store.load_model(ws)
        if model is not None and not isinstance(model, churn.ChurnModel):
            model, why = None, "the stored object is not a churn model"
        if model is not None:
            env = model_store.read_envelope(ws) or {}
            if int(model.horizon_days) != int(horizon_days):
                why = (f"the stored model predicts {model.horizon_days} days ahead, "
                       f"{horizon_days} were asked for")
            elif env.get("data_date") != cutoff:
                why = f"the stored model was trained on data to {env.get('data_date')}"
            elif env.get("fingerprint") != fingerprint:
                why = "the workspace's data changed since the model was trained"
            else:
                status.update(loaded=True, why="reused")
                return model, status
    if data is None:
        from .reading import read_data

        data = read_data(ws)
    try:
        model = churn.train_churn_model(data, cutoff, horizon_days, **train_kw)
    except churn.TooFewChurnEvents as exc:
        status.update(why=why, fallback_reason=str(exc))
        return None, status
    model_store.save_model(ws, model, json_safe(churn.model_summary(model)),
                           fingerprint=fingerprint)
    status.update(trained=True, why=why)
    return model, status


def compute_risk(ws, data: ScoringData, health: pd.DataFrame, as_of: str, *,
                 horizon_days: int = DEFAULT_HORIZON, retrain: bool = False,
                 use_model: bool = True, **train_kw) -> Risk:
    """Churn risk of every account active on ``as_of``: the stored (or newly trained) model's
    probabilities, else the health fallback on ``health`` (the assigned health frame).
    ``use_model=False`` skips the model (the health score stands in, labelled so)."""
    data_date = ws.data_date()
    if use_model:
        model, status = load_or_train(ws, data, as_of=as_of, horizon_days=horizon_days,
                                      retrain=retrain, **train_kw)
        reason = status.get("fallback_reason")
    else:
        model, status, reason = None, {}, "health score requested"
    if model is None:
        return _fallback(data, health, as_of, reason or "no churn model", horizon_days)
    feats = churn.build_features(data, as_of, status_as_of=data_date)
    X = churn.design_matrix(feats, model.columns)
    p = model.predict_proba(X) if len(X) else np.zeros(0)
    frame = churn.sort_by_risk(pd.DataFrame({
        "account_id": feats.index.to_numpy(dtype=object),
        "name": churn.account_names(data, feats.index), "churn_probability": p}))
    info = churn.model_summary(model)
    info.update(as_of=str(as_of)[:10], loaded_from_workspace=status["loaded"],
                trained_now=status["trained"],
                retrain_reason=None if status["loaded"] else status.get("why"))
    return Risk(str(as_of)[:10], frame, "model", info, int(model.horizon_days), model,
                feats, X)


def _fallback(data: ScoringData, health: pd.DataFrame, as_of: str, reason: str,
              horizon_days: int) -> Risk:
    ids = pd.Index(health["account_id"].to_numpy(dtype=object))
    frame = churn.sort_by_risk(pd.DataFrame({
        "account_id": ids.to_numpy(dtype=object), "name": churn.account_names(data, ids),
        "churn_probability": risk_from_health(health["score"].to_numpy(dtype=float))}))
    info = {"kind": "health_fallback", "reason": reason, "trained_at": None, "auc": None,
            "top_decile_lift": None, "brier": None,
            "scorecard": "assigned health scorecards",
            "probability": f"{RISK_FROM_HEALTH}, not a calibrated probability",
            "as_of": str(as_of)[:10], "horizon_days": int(horizon_days)}
    return Risk(str(as_of)[:10], frame, "health", info, int(horizon_days))


def drivers(risk: Risk, detail: pd.DataFrame, cards, account_ids, top: int = 3
            ) -> dict[str, list[str]]:
    """The ``top`` reasons behind each account's risk, in words, for ``account_ids`` only
    (computed once per account and kept): the model's largest positive contributions
    (:func:`acctdesk.analytics.churn.explain`), or on the fallback the measures of the
    account's own scorecard with the fewest points (below 60 of 100)."""
    want = [str(a) for a in account_ids if str(a) not in risk._drivers]
    if want:
        if risk.source == "model" and risk.features is not None:
            pos = pd.Index(risk.features.index.astype(str)).get_indexer(want)
            ok = pos >= 0
            rows = pos[ok]
            found = churn.explain(risk.model, risk.features.iloc[rows], risk.matrix[rows],
                                  top=top) if len(rows) else []
            for aid, d in zip(np.asarray(want, dtype=object)[ok], found):
                risk._drivers[aid] = d
        elif len(detail):
            sub = detail.loc[detail["account_id"].isin(want)]
            for aid, d in zip(sub["account_id"], churn.weakest_measures(sub, cards, top)):
                risk._drivers[str(aid)] = d
        for aid in want:
            risk._drivers.setdefault(aid, [])
    return {str(a): risk._drivers[str(a)] for a in account_ids}
