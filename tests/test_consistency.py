"""One number, one place: on the demo workspace every screen, command and export shows the
same figures for each account and for the book.

Per active account: health, band, churn probability, priority and whitespace value in Today,
Accounts, Account 360, Portfolio drill-downs, the priority pack and the command line. For the
book: ARR, NRR, GRR and the accounts per health band in Portfolio, the pack and
``acctdesk metrics``. Every figure is read the way a user meets it (the command's JSON, the
workbook read back, the views' loaders and widgets); each comparison allows only the rounding
of the place it is read from.
"""
from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections import defaultdict

import numpy as np
import openpyxl
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def _cli(*argv) -> dict:
    from acctdesk.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(list(argv)) == 0
    return json.loads(buf.getvalue())


def _sheet(path, name) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[name].iter_rows(values_only=True))
    finally:
        wb.close()
    head = next(i for i, r in enumerate(rows) if r and r[0] in ("Account", "Metric"))
    return pd.DataFrame(rows[head + 1:], columns=rows[head])


class _State:
    def progress(self, *_):
        pass

    def check(self):
        pass


@pytest.fixture(scope="module")
def demo(demo_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("consistency") / "demo.acctdesk"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture(scope="module")
def faces(demo, tmp_path_factory):
    """What every face shows, collected once: (place -> {account_id: {figure: value}}, book
    figures per place, the pack's path)."""
    from acctdesk.analytics import portfolio as P
    from acctdesk.engine import Engine, forget
    from acctdesk.engine.portfolio import portfolio_inputs
    from acctdesk.models import Workspace
    from acctdesk.ui.today_view import load_today

    p = str(demo)
    seen: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    book: dict[str, dict] = {}

    risk = _cli("risk", p, "--json")
    for a in risk["accounts"]:
        seen["cli risk"][a["account_id"]]["churn"] = (a["churn_probability"], 5e-5)
    wl = _cli("worklist", p, "--json", "--limit", "100000")
    for it in wl["items"]:
        f = seen["cli worklist"][it["account_id"]]
        f["priority"] = (it["priority"], 1e-9)
        f["health"] = (it["health"], 1e-6)
        f["churn"] = (it["churn_probability"], 1e-9)
    score = _cli("score", p, "--json", "--no-store")
    for a in score["accounts"]:
        seen["cli score"][a["account_id"]]["health"] = (a["score"], 0.05)
        seen["cli score"][a["account_id"]]["band"] = (a["band"], None)
    ws_cli = _cli("whitespace", p, "--json", "--limit", "0")
    values, counts = defaultdict(float), defaultdict(int)
    for s in ws_cli["suggestions"]:
        values[s["account_id"]] += 12 * s["expected_mrr"]
        counts[s["account_id"]] += 1
    for aid, v in values.items():       # expected MRR printed to the cent
        seen["cli whitespace"][aid]["whitespace"] = (v, 0.06 * counts[aid] + 1e-6)
    metrics = _cli("metrics", p, "--json")
    book["metrics"] = {"arr": metrics["arr"], "nrr": metrics["nrr"], "grr": metrics["grr"],
                       "bands": metrics["bands"]}

    pack = tmp_path_factory.mktemp("consistency_pack") / "pack.xlsx"
    _cli("export", p, "-o", str(pack), "--json")
    for r in _sheet(pack, "Accounts").to_dict("records"):
        f = seen["pack accounts"][r["Account ID"]]
        if r["Health"] is not None and not pd.isna(r["Health"]):
            f["health"] = (r["Health"], 1e-6)
            f["band"] = (r["Band"], None)
        if r["Churn risk (model)"] is not None and not pd.isna(r["Churn risk (model)"]):
            f["churn"] = (r["Churn risk (model)"], 1e-9)
    wls = _sheet(pack, "Worklist")
    for r in wls.to_dict("records"):
        f = seen["pack worklist"][r["Account ID"]]
        f["priority"] = (r["Priority"], 1e-9)
        if r["Health"] is not None and not pd.isna(r["Health"]):
            f["health"] = (r["Health"], 1e-6)
            f["band"] = (r["Band"], None)
        f["churn"] = (r["Churn risk (model)"], 1e-9)
    wsp = _sheet(pack, "Whitespace")
    for aid, v in (wsp.groupby("Account ID")["Expected MRR"].sum() * 12).items():
        seen["pack whitespace"][aid]["whitespace"] = (v, 1e-6)
    kpi = _sheet(pack, "Portfolio KPIs").set_index("Metric")["Value"]
    nrr = next(k for k in kpi.index if str(k).startswith("NRR"))
    grr = next(k for k in kpi.index if str(k).startswith("GRR"))
    book["pack"] = {"arr": kpi["ARR"], "nrr": kpi[nrr], "grr": kpi[grr],
                    "bands": {k[len("Accounts in band "):]: int(v) for k, v in kpi.items()
                              if str(k).startswith("Accounts in band ")}}

    with Workspace(demo) as ws:
        today = load_today(ws, _State())["frame"]
        for r in today.to_dict("records"):
            f = seen["today"][r["account_id"]]
            f["health"] = (r["health"], 1e-9)
            f["band"] = (r["band"], None)
            f["churn"] = (r["churn_probability"], 1e-9)
            f["priority"] = (r["priority"], 1e-9)
        inp = portfolio_inputs(Engine(ws).analysis())
        kpis = {k.key: k for k in P.compute_kpis(inp)}
        for r in kpis["arr"].rows.to_dict("records"):
            f = seen["portfolio drill-down"][r["account_id"]]
            f["health"] = (r["health_score"], 1e-9)
            f["band"] = (r["band"], None)
            f["churn"] = (r["churn_probability"], 1e-9)
            f["whitespace"] = (r["whitespace_arr"], 1e-6)
            if r["priority"] == r["priority"]:
                f["priority"] = (r["priority"], 1e-9)
        for label, _lower, _colour in inp.bands:
            for aid in kpis[label.lower()].rows["account_id"]:
                seen["portfolio band tile"][aid]["band"] = (label, None)
        book["portfolio"] = {"arr": kpis["arr"].value, "nrr": kpis["nrr"].value,
                             "grr": kpis["grr"].value,
                             "bands": {lab: int(kpis[lab.lower()].value)
                                       for lab, _, _ in inp.bands}}
        forget(ws)
    return seen, book


def _compare(seen: dict, figure: str, minimum_places: int) -> int:
    """Assert every account's ``figure`` agrees across the places that show it; returns how
    many accounts were compared."""
    by_account: dict[str, list] = defaultdict(list)
    for place, accounts in seen.items():
        for aid, figures in accounts.items():
            if figure in figures:
                by_account[aid].append((place, *figures[figure]))
    compared = 0
    for aid, values in by_account.items():
        if len(values) < 2:
            continue
        compared += 1
        ref_place, ref, ref_tol = values[0]
        for place, v, tol in values[1:]:
            if tol is None:
                assert v == ref, f"{aid} {figure}: {ref_place} {ref!r} but {place} {v!r}"
            else:           # each place rounds as it prints: allow the coarser of the two
                assert v == pytest.approx(ref, abs=max(tol, ref_tol), nan_ok=True), \
                    f"{aid} {figure}: {ref_place} {ref!r} but {place} {v!r}"
    places = {p for vals in by_account.values() for p, *_ in vals}
    assert len(places) >= minimum_places, (figure, places)
    return compared


@pytest.mark.parametrize("figure, places", [
    ("health", 8), ("band", 8), ("churn", 8), ("priority", 6), ("whitespace", 5)])
def test_each_account_shows_the_same_figure_everywhere(request, faces, demo, figure, places):
    seen, _ = faces
    seen = {k: v for k, v in seen.items()}
    seen.update(_qt_faces(request, demo))
    n = _compare(seen, figure, places)
    assert n > 200


_QT: dict = {}


def _qt_faces(request, demo) -> dict:
    """The Accounts table (as the main window fills it) and the Account 360 header of a
    sample of accounts (the riskiest, an onboarding account, a green one)."""
    if _QT:
        return _QT
    from acctdesk.engine import Engine
    from acctdesk.models import Workspace
    from acctdesk.ui.account_view import AccountView
    from acctdesk.ui.main_window import MainWindow
    from acctdesk.ui.tasks import TaskRunner

    qtbot = request.getfixturevalue("qtbot")
    seen: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    w = MainWindow()
    qtbot.addWidget(w)
    try:
        with qtbot.waitSignal(w.runner.finished, timeout=120_000,
                              check_params_cb=lambda kind, _r: kind == "accounts:scores"):
            w.open_workspace(demo)
        m = w.accounts_view.model
        ids = w.accounts_view._ids
        rows = np.arange(m.total_rows())                     # frame order, as ids
        cols = {k: m.column_values(m.column_index(k), rows) for k in
                ("health_score", "health_band", "churn_risk", "whitespace_value", "priority")}
        for i, aid in enumerate(ids):
            if cols["health_band"][i] is None:
                continue
            f = seen["accounts table"][str(aid)]
            f["health"] = (float(cols["health_score"][i]), 1e-9)
            f["band"] = (cols["health_band"][i], None)
            f["churn"] = (float(cols["churn_risk"][i]), 1e-9)
            f["whitespace"] = (float(cols["whitespace_value"][i]), 1e-6)
            if cols["priority"][i] == cols["priority"][i]:
                f["priority"] = (float(cols["priority"][i]), 1e-9)
    finally:
        w.close()
        w.runner.wait(30_000)
    with Workspace(demo) as ws:
        a = Engine(ws).analysis()
        h = a.health.frame
        sample = [a.risk.frame["account_id"].iloc[0],
                  h.loc[h["scorecard"] == "onboarding", "account_id"].iloc[0],
                  h.loc[h["band"] == "Green", "account_id"].iloc[0]]
        runner = TaskRunner()
        view = AccountView(runner)
        qtbot.addWidget(view)
        view.set_workspace(ws)
        try:
            for aid in sample:
                with qtbot.waitSignal(view.loaded, timeout=60_000):
                    view.show_account(aid)
                hv = view.header_values()
                f = seen["account 360"][aid]
                f["health"] = (hv["health"], 1e-9)
                f["band"] = (hv["band"], None)
                f["churn"] = (hv["churn_probability"], 1e-9)
                f["whitespace"] = (hv["whitespace_value"], 1e-6)
                wsx = view.result["whitespace"]      # the suggestions it lists add up to it
                assert hv["whitespace_value"] == pytest.approx(
                    float(wsx["expected_mrr"].sum() * 12) if len(wsx) else 0.0)
                if hv["priority"] is not None:
                    f["priority"] = (hv["priority"], 1e-9)
        finally:
            view.set_workspace(None)
            runner.cancel()
            runner.wait(30_000)
    _QT.update(seen)
    return _QT


def test_the_book_shows_the_same_arr_nrr_grr_and_bands_everywhere(faces):
    _, book = faces
    ref = book["portfolio"]
    assert ref["arr"] > 0 and sum(ref["bands"].values()) > 200
    for place in ("pack", "metrics"):
        got = book[place]
        assert got["arr"] == pytest.approx(ref["arr"], abs=0.01), place
        assert got["nrr"] == pytest.approx(ref["nrr"], abs=1e-6), place
        assert got["grr"] == pytest.approx(ref["grr"], abs=1e-6), place
        assert got["bands"] == ref["bands"], place
