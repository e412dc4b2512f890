"""Trained churn models stored in the workspace: round trip, audit, reuse, retraining."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from acctdesk.engine import read_data
from acctdesk.analytics import churn
from acctdesk.analytics.scorecards import ScoringData
from acctdesk.engine import Engine
from acctdesk.engine import risk as engine_risk
from acctdesk.models import Workspace, model_store
from acctdesk.models.demo import create_demo_workspace

DATA_DATE = "2026-10-31"


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    """A 400-account demo workspace with a stored model (trained once for the module)."""
    path = tmp_path_factory.mktemp("store") / "risk.acctdesk"
    ws = create_demo_workspace(path, n_accounts=400, seed=3, data_date=DATA_DATE)
    try:
        model, status = engine_risk.load_or_train(ws)
        assert model is not None and status["trained"], status
    finally:
        ws.close()
    return path


@pytest.fixture
def ws(trained_file, tmp_path):
    target = tmp_path / "copy.acctdesk"
    shutil.copy(trained_file, target)
    w = Workspace(target)
    yield w
    w.close()


def saves(ws) -> int:
    log = ws.audit_log()
    return int((log["action"] == "model.save").sum())


def test_envelope_in_meta_and_audited(ws):
    env = model_store.read_envelope(ws)
    assert env is not None
    for key in ("kind", "trained_at", "data_date", "sklearn_version", "auc",
                "top_decile_lift", "brier", "metrics", "blob", "blob_sha256", "fingerprint"):
        assert key in env, key
    import sklearn

    assert env["sklearn_version"] == sklearn.__version__
    assert env["data_date"] == DATA_DATE and env["horizon_days"] == 90
    assert env["metrics"]["calibration"] and env["auc"] == env["metrics"]["auc"]
    json.dumps(env, allow_nan=False)  # strict JSON: no NaN anywhere
    log = ws.audit_log()
    entry = log[log["action"] == "model.save"].iloc[-1]
    assert entry["entity"] == "model" and entry["entity_id"] == "churn"
    after = json.loads(entry["after"])
    assert "blob" not in after and after["trained_at"] == env["trained_at"]


def test_round_trip_predicts_the_same(ws):
    model, why = model_store.load_model(ws)
    assert why == "loaded" and isinstance(model, churn.ChurnModel)
    data = read_data(ws)
    feats = churn.build_features(data, DATA_DATE)
    X = churn.design_matrix(feats, model.columns)
    p = model.predict_proba(X)
    assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
    again, _ = model_store.load_model(ws)
    np.testing.assert_array_equal(again.predict_proba(X), p)


def test_unchanged_workspace_reuses_the_stored_model(ws, monkeypatch):
    before = model_store.read_envelope(ws)
    n = saves(ws)

    def no_training(*a, **k):
        raise AssertionError("trained again on an unchanged workspace")

    monkeypatch.setattr(churn, "train_churn_model", no_training)
    model, status = engine_risk.load_or_train(ws)
    assert status["loaded"] and not status["trained"] and status["why"] == "reused"
    assert model.info["trained_at"] == before["trained_at"]
    result = Engine(ws).analysis().risk
    assert result.info["loaded_from_workspace"] is True
    assert result.info["trained_at"] == before["trained_at"]
    assert saves(ws) == n


def test_other_sklearn_version_is_retrained_not_loaded(ws, monkeypatch):
    n = saves(ws)
    monkeypatch.setattr(model_store, "sklearn_version", lambda: "0.99.0")

    def no_unpickling(*a, **k):
        raise AssertionError("a model of another scikit-learn version was unpickled")

    monkeypatch.setattr(model_store.pickle, "loads", no_unpickling)
    model, why = model_store.load_model(ws)
    assert model is None and "0.99.0" in why and "scikit-learn" in why
    model, status = engine_risk.load_or_train(ws)
    assert model is not None and status["trained"] and "scikit-learn" in status["why"]
    assert saves(ws) == n + 1


def test_stored_version_differs(ws):
    env = model_store.read_envelope(ws)
    env["sklearn_version"] = "1.0.2"
    ws.set_meta(model_store.KEY, json.dumps(env))
    assert model_store.load_model(ws)[0] is None
    model, status = engine_risk.load_or_train(ws)
    assert status["trained"] and "1.0.2" in status["why"]
    import sklearn

    assert model_store.read_envelope(ws)["sklearn_version"] == sklearn.__version__


def test_changed_data_horizon_or_request_retrains(ws):
    ws.insert_rows("tickets", ["source", "ticket_id", "account_id", "created_at", "priority"],
                   [("t", "new-1", "A000001", "2026-10-30T09:00:00", "urgent")])
    model, status = engine_risk.load_or_train(ws)
    assert status["trained"] and "changed" in status["why"]
    model, status = engine_risk.load_or_train(ws)
    assert status["loaded"]
    model, status = engine_risk.load_or_train(ws, horizon_days=60)
    assert status["trained"] and "60" in status["why"] and model.horizon_days == 60
    model, status = engine_risk.load_or_train(ws, horizon_days=60, retrain=True)
    assert status["trained"] and status["why"] == "retrain requested"


def test_damaged_blob_is_retrained(ws):
    env = model_store.read_envelope(ws)
    env["blob"] = env["blob"][:-8] + "AAAAAAA="
    ws.set_meta(model_store.KEY, json.dumps(env))
    model, why = model_store.load_model(ws)
    assert model is None and "damaged" in why
    ws.set_meta(model_store.KEY, "{not json")
    assert model_store.load_model(ws) == (None, "no stored model")


def test_too_little_history_falls_back_and_stores_nothing(tmp_path):
    ws = create_demo_workspace(tmp_path / "tiny.acctdesk", n_accounts=40, seed=1,
                               data_date=DATA_DATE)
    try:
        model, status = engine_risk.load_or_train(ws)
        assert model is None and "churn event" in status["fallback_reason"]
        assert model_store.read_envelope(ws) is None
        result = Engine(ws).analysis().risk
        assert result.info["kind"] == "health_fallback" and result.source == "health"
        assert "health score" in result.info["reason"]
    finally:
        ws.close()


def test_delete_model(ws):
    assert model_store.delete_model(ws) is True
    assert model_store.read_envelope(ws) is None
    assert model_store.delete_model(ws) is False
    assert (ws.audit_log()["action"] == "model.delete").sum() == 1
