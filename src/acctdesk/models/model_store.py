"""Trained models in a workspace (no new tables, no migration).

A model is stored in ``meta`` under ``model:<name>`` (the churn model: ``model:churn``) as a
JSON envelope::

    {"format": 1, "kind": "hist_gradient_boosting", "trained_at": "2026-11-02T09:14:03",
     "data_date": "2026-10-31", "horizon_days": 90, "sklearn_version": "1.9.1",
     "auc": 0.91, "top_decile_lift": 5.2, "brier": 0.031, "metrics": {...all figures...},
     "fingerprint": "<sha256 of the data it was trained on>",
     "blob": "<base64 of the pickled model>", "blob_sha256": "<sha256 of the pickle>"}

Saving is audited (``model.save``, the envelope without its blob before and after). A model
pickled by another scikit-learn version is never unpickled (pickles are not portable across
versions): :func:`load_model` reports the mismatch and :func:`load_or_train` retrains. The
same happens when the blob does not match its checksum.

Trust: unpickling runs code, so a workspace file is as trusted as a script; acctdesk only
unpickles models of the workspace's own ``meta`` (never of an import), and a model is only
loaded when the data it was trained on is unchanged (``fingerprint``).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
from typing import Any

from ..analytics import churn
from .workspace import Workspace

__all__ = ["KEY", "FORMAT", "sklearn_version", "save_model", "read_envelope", "load_model",
           "delete_model", "workspace_fingerprint", "load_or_train", "risk_for_workspace"]

KEY = "model:churn"
FORMAT = 1


def sklearn_version() -> str:
    """The running scikit-learn version (a function so tests can pretend another)."""
    import sklearn

    return sklearn.__version__


def _summary(envelope: dict[str, Any] | None) -> dict[str, Any] | None:
    if envelope is None:
        return None
    return {k: v for k, v in envelope.items() if k not in ("blob", "metrics")}


def _json_safe(value: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python, recursively (JSON has no NaN)."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_model(ws: Workspace, model: churn.ChurnModel, *, fingerprint: str | None = None,
               key: str = KEY) -> dict[str, Any]:
    """Store ``model`` under ``key`` (replacing any), with an audit entry; returns the
    envelope without its blob."""
    buf = io.BytesIO()
    pickle.dump(model, buf, protocol=pickle.HIGHEST_PROTOCOL)
    raw = buf.getvalue()
    info = _json_safe(churn.model_summary(model))
    envelope = {
        "format": FORMAT, "kind": info.get("kind"), "trained_at": info.get("trained_at"),
        "data_date": info.get("data_date"), "horizon_days": info.get("horizon_days"),
        "sklearn_version": info.get("sklearn_version") or sklearn_version(),
        "auc": info.get("auc"), "top_decile_lift": info.get("top_decile_lift"),
        "brier": info.get("brier"), "metrics": info, "fingerprint": fingerprint,
        "blob": base64.b64encode(raw).decode("ascii"),
        "blob_sha256": hashlib.sha256(raw).hexdigest(),
    }
    with ws.transaction():
        before = read_envelope(ws, key)
        ws.set_meta(key, json.dumps(envelope))
        ws.audit("model.save", "model", key.split(":", 1)[-1], before=_summary(before),
                 after=_summary(envelope),
                 detail=f"{envelope['kind']} trained {envelope['trained_at']} on data to "
                        f"{envelope['data_date']}")
    return _summary(envelope)


def read_envelope(ws: Workspace, key: str = KEY) -> dict[str, Any] | None:
    """The stored envelope (with its blob), or None when there is none or it is unreadable."""
    text = ws.get_meta(key)
    if not text:
        return None
    try:
        env = json.loads(text)
    except ValueError:
        return None
    return env if isinstance(env, dict) else None


def load_model(ws: Workspace, key: str = KEY) -> tuple[churn.ChurnModel | None, str]:
    """The stored model and ``"loaded"``, or None and why it was not loaded (none stored,
    another scikit-learn version, a newer format, a damaged blob)."""
    env = read_envelope(ws, key)
    if env is None:
        return None, "no stored model"
    if int(env.get("format") or 0) > FORMAT:
        return None, f"the stored model's format {env.get('format')} is newer than this acctdesk"
    running = sklearn_version()
    if env.get("sklearn_version") != running:
        return None, (f"the stored model was trained with scikit-learn "
                      f"{env.get('sklearn_version')}, this is {running}")
    try:
        raw = base64.b64decode(env["blob"], validate=True)
    except (KeyError, ValueError, TypeError):
        return None, "the stored model is damaged"
    if hashlib.sha256(raw).hexdigest() != env.get("blob_sha256"):
        return None, "the stored model is damaged (checksum mismatch)"
    try:
        model = pickle.loads(raw)
    except Exception:  # a class that moved, a truncated pickle: retrain rather than fail
        return None, "the stored model could not be read"
    if not isinstance(model, churn.ChurnModel):
        return None, "the stored object is not a churn model"
    return model, "loaded"


def delete_model(ws: Workspace, key: str = KEY) -> bool:
    """Remove a stored model (audited); True if there was one."""
    with ws.transaction() as conn:
        before = read_envelope(ws, key)
        if before is None:
            return False
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        ws.audit("model.delete", "model", key.split(":", 1)[-1], before=_summary(before))
    return True


def workspace_fingerprint(ws: Workspace) -> str:
    """A checksum of what a churn model learns from: the row counts of the entities, the
    applied import batches, the data date and every account's start, churn and status."""
    parts = [str(ws.data_date())]
    for table in ("accounts", "subscriptions", "usage", "tickets", "surveys", "contacts",
                  "activities"):
        parts.append(f"{table}={ws.count(table)}")
    parts.append(str(ws.conn.execute(
        "SELECT COUNT(*), MAX(batch_id) FROM import_batches WHERE status = 'applied'"
    ).fetchone()))
    h = hashlib.sha256("|".join(parts).encode())
    for row in ws.conn.execute(
            "SELECT account_id, contract_start, churn_date, status FROM accounts "
            "ORDER BY account_id"):
        h.update(repr(row).encode())
    return h.hexdigest()


def load_or_train(ws: Workspace, data=None, *, as_of: str | None = None,
                  horizon_days: int = churn.DEFAULT_HORIZON, retrain: bool = False,
                  **train_kw) -> tuple[churn.ChurnModel | None, dict[str, Any]]:
    """The stored churn model when it still fits the workspace, else a newly trained (and
    stored) one, else None with the reason to fall back to the health score.

    The stored model is reused when it loads (:func:`load_model`), was trained for the same
    horizon and cutoff (``min(as_of, data date)``) and on the same data
    (:func:`workspace_fingerprint`), unless ``retrain``.

    Returns
    -------
    (model or None, status)
        ``status``: ``loaded`` (bool), ``trained`` (bool), ``why`` (why it was (re)trained,
        or ``"reused"``), ``fallback_reason`` (with no model), ``cutoff``.
    """
    from ..analytics.health import ScoringData

    data_date = ws.data_date()
    if not data_date:
        return None, {"loaded": False, "trained": False, "why": "no data",
                      "fallback_reason": "The workspace has no dated records, so there is "
                                         "no history to learn churn from.", "cutoff": None}
    cutoff = min(str(as_of)[:10], data_date) if as_of else data_date
    fingerprint = workspace_fingerprint(ws)
    status: dict[str, Any] = {"loaded": False, "trained": False, "cutoff": cutoff}
    if retrain:
        why = "retrain requested"
    else:
        model, why = load_model(ws)
        if model is not None:
            env = read_envelope(ws) or {}
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
        data = ScoringData.from_workspace(ws)
    try:
        model = churn.train_churn_model(data, cutoff, horizon_days, **train_kw)
    except churn.TooFewChurnEvents as exc:
        status.update(why=why, fallback_reason=str(exc))
        return None, status
    save_model(ws, model, fingerprint=fingerprint)
    status.update(trained=True, why=why)
    return model, status


def risk_for_workspace(ws: Workspace, *, as_of: str | None = None,
                       horizon_days: int = churn.DEFAULT_HORIZON, retrain: bool = False,
                       explain_limit: int | None = None, data=None,
                       **train_kw) -> churn.RiskResult:
    """Churn risk of every account active on ``as_of`` (default: the data date), with the
    stored model when it still fits (:func:`load_or_train`), else the health fallback.

    ``result.model`` is :func:`acctdesk.analytics.churn.model_summary` plus ``as_of``,
    ``loaded_from_workspace`` and ``trained_now`` (or the fallback's ``kind``/``reason``).
    ``data``: the workspace's :class:`~acctdesk.analytics.health.ScoringData` when the caller
    has already read it.
    """
    from ..analytics.health import ScoringData

    data_date = ws.data_date()
    as_of = str(as_of or data_date or "")[:10]
    if not as_of:
        raise ValueError(f"{ws.path.name} has no dated data yet: import some records first")
    data = data if data is not None else ScoringData.from_workspace(ws)
    model, status = load_or_train(ws, data, as_of=as_of, horizon_days=horizon_days,
                                  retrain=retrain, **train_kw)
    if model is None:
        result = churn.health_fallback(data, as_of, status["fallback_reason"])
        result.model.update(horizon_days=int(horizon_days))
        return result
    frame = churn.score_churn(model, data, as_of, status_as_of=data_date,
                              explain_limit=explain_limit)
    info = churn.model_summary(model)
    info.update(as_of=as_of, loaded_from_workspace=status["loaded"],
                trained_now=status["trained"], retrain_reason=None if status["loaded"]
                else status.get("why"))
    return churn.RiskResult(frame, info)
