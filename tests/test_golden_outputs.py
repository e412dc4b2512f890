"""What the demo workspace shows, frozen: every command's JSON, the pack read back, the rows of
Today, the Portfolio tiles, Renewals and the Accounts table's computed columns.

The figures are compared with golden files under ``tests/data/golden/``. A change to any of
them is a change of what users see: regenerate the files only on purpose
(``ACCTDESK_UPDATE_GOLDEN=1 ./run test tests/test_golden_outputs.py``) and say why in the
commit. Floats are compared at 6 significant digits; times of day and file paths are
replaced by placeholders.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("ACCTDESK_UPDATE_GOLDEN") == "1"
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?")
VOLATILE_KEYS = {"trained_at", "sklearn_version", "workspace", "file", "exported_at"}


def norm(value, key: str | None = None):
    """JSON-comparable: floats at 6 significant digits, inf/NaN named, stamps replaced."""
    if key in VOLATILE_KEYS and value is not None:
        return "<volatile>"
    if isinstance(value, dict):
        return {str(k): norm(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if hasattr(value, "isoformat"):
        midnight = getattr(value, "hour", 0) == 0 and getattr(value, "minute", 0) == 0 \
            and getattr(value, "second", 0) == 0
        value = value.date().isoformat() if midnight and hasattr(value, "date") \
            else value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(f"{value:.6g}")
    if isinstance(value, str):
        return _STAMP.sub("<time>", value)
    return str(value)


def tabulate(value):
    """Lists of objects with the same keys become ``{"columns", "rows"}`` tables."""
    if isinstance(value, dict):
        return {k: tabulate(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value) and \
                len({tuple(sorted(v)) for v in value}) == 1:
            keys = sorted(value[0])
            return {"columns": keys, "rows": [[tabulate(v[k]) for k in keys] for v in value]}
        return [tabulate(v) for v in value]
    return value


def frame_rows(frame, columns):
    """A frame's ``columns`` as normalised row lists (missing values as None)."""
    import pandas as pd

    out = []
    for rec in frame[columns].itertuples(index=False):
        row = []
        for v in rec:
            if isinstance(v, (list, tuple)):
                row.append(norm(list(v)))
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                row.append(None)
            else:
                row.append(norm(v))
        out.append(row)
    return {"columns": list(columns), "rows": out}


def _cli_json(*argv) -> dict:
    from acctdesk.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(list(argv))
    assert code == 0, (argv, buf.getvalue())
    return json.loads(buf.getvalue())


def _sheets(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [norm(list(r)) for r in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


class _State:
    def progress(self, *_a):
        pass

    def check(self):
        pass


@pytest.fixture(scope="module")
def demo(demo_file, tmp_path_factory):
    """A private copy of the session demo (300 accounts, seed 7, data date 2026-10-31)."""
    from acctdesk.models import Workspace, model_store

    path = tmp_path_factory.mktemp("golden") / "demo.acctdesk"
    shutil.copy(demo_file, path)
    with Workspace(path) as ws:     # another test may have stored a model in the session's
        model_store.delete_model(ws)      # demo: the first command below trains it
    return path


@pytest.fixture(scope="module")
def outputs(demo, tmp_path_factory):
    """Every section, computed in the order a user would meet them (the churn model is
    trained and stored by the first command that needs it)."""
    import pandas as pd

    out: dict[str, object] = {}
    p = str(demo)
    out["cli_info"] = _cli_json("info", p, "--json")
    out["cli_metrics"] = _cli_json("metrics", p, "--json")
    out["cli_risk"] = _cli_json("risk", p, "--json")
    out["cli_worklist"] = _cli_json("worklist", p, "--json", "--limit", "100000")
    out["cli_whitespace"] = _cli_json("whitespace", p, "--json", "--limit", "0")
    out["cli_score"] = _cli_json("score", p, "--json", "--no-store")

    tmp = tmp_path_factory.mktemp("golden_pack")
    _cli_json("export", p, "-o", str(tmp / "pack.xlsx"), "--json")
    out["pack"] = _sheets(tmp / "pack.xlsx")
    from acctdesk.models import Workspace

    with Workspace(demo) as ws:
        owner = sorted(ws.accounts()["owner"].dropna().unique(), key=str.casefold)[0]
    _cli_json("export", p, "-o", str(tmp / "owner.xlsx"), "--owner", owner, "--json")
    owner_sheets = _sheets(tmp / "owner.xlsx")
    out["pack_owner"] = {"owner": owner, "Worklist": owner_sheets["Worklist"],
                         "Portfolio KPIs": owner_sheets["Portfolio KPIs"]}

    from acctdesk.analytics import portfolio as P
    from acctdesk.engine import Engine, forget
    from acctdesk.engine.portfolio import portfolio_inputs
    from acctdesk.ui.today_view import load_today

    with Workspace(demo) as ws:
        today = load_today(ws, _State())
        out["today"] = frame_rows(today["frame"], [
            "rank", "account_id", "name", "owner", "segment", "arr", "priority", "health",
            "band", "churn_probability", "arr_at_risk", "reasons_text", "next_step"])
        out["today"]["risk_source"] = today["risk_source"]
        out["today"]["risk_note"] = today["risk_note"]
        inp = portfolio_inputs(Engine(ws).analysis())
        result = P.compute_portfolio(inp, {})
        out["portfolio"] = {"tiles": [
            {"key": k.key, "value": norm(k.value), "detail": k.detail,
             "rows": int(len(k.rows))} for k in result["kpis"]],
            "accounts": result["accounts"]}
        rows, by_month = P.renewals(inp, {})
        cols = ["account_id", "renewal_date", "arr", "churn_probability",
                "expected_renewed_arr", "probability_source"]
        if "horizon_probability" in rows:
            cols.insert(3, "horizon_probability")
        out["renewals"] = {
            "forecast": norm(P.renewal_forecast(rows)),
            "by_month": frame_rows(by_month, list(by_month.columns)),
            "rows": frame_rows(rows, cols)}
        forget(ws)
    return out


def _accounts_columns(qtbot, path: Path) -> dict:
    """The Accounts table's computed columns as the main window fills them."""
    import numpy as np

    from acctdesk.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    try:
        with qtbot.waitSignal(w.runner.finished, timeout=120_000,
                              check_params_cb=lambda kind, _r: kind == "accounts:scores"):
            w.open_workspace(path)
        model = w.accounts_view.model
        keys = ["health_score", "health_band", "churn_risk", "whitespace_value"]
        ids = w.accounts_view._ids
        frame_rows = np.arange(model.total_rows())           # frame order, as ids
        cols = {k: model.column_values(model.column_index(k), frame_rows) for k in keys}
        rows = []
        for i in np.argsort(ids.astype(str)):
            row = [str(ids[i])]
            for k in keys:
                v = cols[k][i]
                missing = v is None or (not isinstance(v, str) and np.isnan(v))
                row.append(None if missing else norm(v))
            rows.append(row)
        return {"columns": ["account_id"] + keys, "rows": rows}
    finally:
        w.close()
        w.runner.wait(30_000)


def dump(value, indent: str = "") -> str:
    """JSON with one line per row: objects and lists of containers are indented, a list of
    plain values stays on one line (a table row), so a diff shows the rows that changed."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump(v, inner)}"
                 for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        if all(isinstance(v, list) and not any(isinstance(x, (dict, list)) for x in v)
               for v in value):
            rows = [inner + json.dumps(v, ensure_ascii=False) for v in value]
        else:
            rows = [inner + dump(v, inner) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


SECTIONS = ["cli_info", "cli_metrics", "cli_risk", "cli_worklist", "cli_whitespace",
            "cli_score", "pack", "pack_owner", "today", "portfolio", "renewals", "accounts"]


@pytest.mark.slow
@pytest.mark.parametrize("section", SECTIONS)
def test_demo_output_matches_its_golden_file(request, outputs, demo, section):
    if section == "accounts":
        got = norm(_accounts_columns(request.getfixturevalue("qtbot"), demo))
    else:
        got = norm(outputs[section])
    got = tabulate(got)
    path = GOLDEN / f"{section}.json"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(got) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with ACCTDESK_UPDATE_GOLDEN=1"
    want = json.loads(path.read_text(encoding="utf-8"))
    if got != want:
        diff = _first_difference(want, got)
        pytest.fail(f"{section} differs from {path.name} at {diff}")


def _first_difference(a, b, where="$"):
    if type(a) is not type(b):
        return f"{where}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}.{k}: only in {'golden' if k in a else 'output'}"
            if a[k] != b[k]:
                return _first_difference(a[k], b[k], f"{where}.{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where}: {a!r} != {b!r}"
