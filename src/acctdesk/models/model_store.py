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
versions): :func:`load_model` reports the mismatch and the engine
(:func:`acctdesk.engine.risk.load_or_train`) retrains. The same happens when the blob does
not match its checksum. Storing a model is *derived* data: it does not move the workspace's
data version (the results computed from the data stay valid).

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

from .workspace import Workspace

__all__ = ["KEY", "FORMAT", "sklearn_version", "save_model", "read_envelope", "load_model",
           "delete_model", "workspace_fingerprint"]

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


def save_model(ws: Workspace, model: Any, info: dict[str, Any], *,
               fingerprint: str | None = None, key: str = KEY) -> dict[str, Any]:
    """Store ``model`` under ``key`` (replacing any), with an audit entry; returns the
    envelope without its blob. ``info``: the model's JSON-ready figures (``kind``,
    ``trained_at``, ``data_date``, ``horizon_days``, ``auc``, ...), kept beside the blob."""
    buf = io.BytesIO()
    pickle.dump(model, buf, protocol=pickle.HIGHEST_PROTOCOL)
    raw = buf.getvalue()
    envelope = {
        "format": FORMAT, "kind": info.get("kind"), "trained_at": info.get("trained_at"),
        "data_date": info.get("data_date"), "horizon_days": info.get("horizon_days"),
        "sklearn_version": info.get("sklearn_version") or sklearn_version(),
        "auc": info.get("auc"), "top_decile_lift": info.get("top_decile_lift"),
        "brier": info.get("brier"), "metrics": info, "fingerprint": fingerprint,
        "blob": base64.b64encode(raw).decode("ascii"),
        "blob_sha256": hashlib.sha256(raw).hexdigest(),
    }
    with ws.transaction(derived=True):
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


def load_model(ws: Workspace, key: str = KEY) -> tuple[Any, str]:
    """The stored model and ``"loaded"``, or None and why it was not loaded (none stored,
    another scikit-learn version, a newer format, a damaged blob). The caller checks that
    the object is the kind of model it expects."""
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
    return model, "loaded"


def delete_model(ws: Workspace, key: str = KEY) -> bool:
    """Remove a stored model (audited); True if there was one."""
    with ws.transaction(derived=True) as conn:
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
