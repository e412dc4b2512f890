"""The priority pack on a real demo workspace: sheets, title blocks, figures, filters."""
from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from acctdesk.engine import read_data
from acctdesk.engine import Engine
from acctdesk.engine.pack import PackError, build_pack
from acctdesk.export import ExportError
from acctdesk.export.pack import (EDITABLE_COLUMNS, MARKER_SHEET, STATUS_CHOICES, write_pack,
                                  write_view)
from acctdesk.importers.pack_marker import is_pack
from acctdesk.models import Workspace

NOW = dt.datetime(2026, 11, 22, 10, 15)
SHEETS = ["Worklist", "Accounts", "Whitespace", "Renewals", "Portfolio KPIs", "MRR movements",
          "Definitions", MARKER_SHEET]


@pytest.fixture(scope="module")
def pack_file(demo_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack") / "pack.xlsx"
    with Workspace(demo_file) as ws:
        report = write_pack(build_pack(ws, risk_source="health", now=NOW), out)
    return out, report


def header_row(ws, first: str = "Account") -> int:
    for r in range(1, 10):
        if ws.cell(r, 1).value == first:
            return r
    raise AssertionError("no header")


def table(ws) -> pd.DataFrame:
    r = header_row(ws, ws.cell(4, 1).value)
    rows = list(ws.iter_rows(min_row=r, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_pack_has_every_sheet_a_title_block_and_a_marker(pack_file):
    path, report = pack_file
    assert report.sheets == SHEETS
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for name in SHEETS[:-1]:
        ws = wb[name]
        assert ws.sheet_state == "visible"
        assert ws["A1"].value.startswith("Demo portfolio · ")
        assert ws["A2"].value == "Exported 2026-11-22 10:15 · data as of 2026-10-31"
        assert ws["A4"].font.bold and ws.freeze_panes == "B5"
    assert wb[MARKER_SHEET].sheet_state == "hidden"
    assert wb.active.title == "Worklist"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["acctdesk_pack"] == "1" and props["acctdesk_data_date"] == "2026-10-31"
    assert is_pack(path)


def test_worklist_sheet_matches_the_worklist_and_has_editable_columns(pack_file, demo_file):
    path, _ = pack_file
    ws = openpyxl.load_workbook(path)["Worklist"]
    t = table(ws)
    for title in ["Reasons", "Suggested next step", *EDITABLE_COLUMNS, "Account ID"]:
        assert title in t.columns
    with Workspace(demo_file) as w:
        expected = Engine(w).analysis(risk_source="health").worklist
    assert t["Account ID"].tolist() == expected["account_id"].astype(str).tolist()
    assert t["Rank"].tolist() == expected["rank"].tolist()
    assert t["ARR"].tolist() == pytest.approx(expected["arr"].tolist())
    assert t["Reasons"].iloc[0] == "; ".join(expected["reasons"].iloc[0])
    assert t["Suggested next step"].tolist() == expected["next_step"].tolist()
    assert t["Owner"].tolist() == expected["owner"].tolist()
    assert set(t["Status"]) == {"Open"}
    # Editable cells are filled yellow (also when empty) and Status offers a drop-down.
    r = header_row(ws) + 1
    col = {c.value: c.column for c in ws[header_row(ws)]}
    assert ws.cell(r, col["Notes"]).fill.fgColor.rgb.endswith("FFF9DB")
    assert ws.cell(r, col["Account"]).fill.fill_type is None
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == '"' + ",".join(STATUS_CHOICES) + '"'


def test_accounts_sheet_has_health_and_labelled_risk(pack_file, demo_file):
    from acctdesk.analytics.scorecards import assign, default_assignment
    from acctdesk.analytics.scorecards import score_accounts
    from acctdesk.analytics.scorecards import builtin_scorecards

    path, _ = pack_file
    t = table(openpyxl.load_workbook(path)["Accounts"])
    assert "Churn risk (from health)" in t.columns
    with Workspace(demo_file) as w:
        data = read_data(w)
        n_accounts = w.count("accounts")
    # every active account scored with the card the default assignment gives it
    cards = builtin_scorecards(data)
    which = assign(default_assignment(), data.accounts, "2026-10-31")
    assert set(which) == {"health", "onboarding"}
    expected = {}
    for cid in set(which):
        s = score_accounts(cards[cid], data, "2026-10-31").set_index("account_id")
        for aid in which.index[which == cid]:
            expected[aid] = (s.loc[aid, "score"], s.loc[aid, "band"])
    assert len(t) == n_accounts
    scored = t[t["Account ID"].isin(list(expected))]
    assert len(scored) == len(expected)
    assert scored["Health"].tolist() == pytest.approx(
        [expected[a][0] for a in scored["Account ID"]], nan_ok=True)
    assert scored["Band"].tolist() == [expected[a][1] for a in scored["Account ID"]]
    risk = scored["Churn risk (from health)"].to_numpy(dtype=float)
    assert risk == pytest.approx((100 - scored["Health"].to_numpy(dtype=float)) / 100,
                                 nan_ok=True)
    assert t["ARR"].is_monotonic_decreasing or t["ARR"].dropna().is_monotonic_decreasing


def test_renewals_are_active_and_within_twelve_months(pack_file):
    path, _ = pack_file
    t = table(openpyxl.load_workbook(path)["Renewals"])
    assert len(t) > 0
    assert t["Renewal"].min() >= dt.datetime(2026, 10, 31)
    assert t["Renewal"].max() <= dt.datetime(2027, 10, 31)
    assert t["Renewal"].is_monotonic_increasing
    assert ((t["Renewal"] - dt.datetime(2026, 10, 31)).dt.days == t["Days to renewal"]).all()


def test_kpis_agree_with_the_metrics_command_and_definitions_state_formulas(pack_file, demo_file):
    from acctdesk.commands.metrics import compute

    path, _ = pack_file
    wb = openpyxl.load_workbook(path)
    kpi = table(wb["Portfolio KPIs"]).set_index("Metric")
    with Workspace(demo_file) as w:
        m = compute(w)
    assert kpi.loc["MRR (billing)", "Value"] == pytest.approx(m["mrr"])
    nrr = next(k for k in kpi.index if k.startswith("NRR"))
    assert kpi.loc[nrr, "Value"] == pytest.approx(m["nrr"], abs=1e-6)
    assert kpi.loc[nrr, "Formula"] == m["formulas"]["nrr"]
    assert kpi.loc["Data date", "Value"] == "2026-10-31"
    ws = wb["Portfolio KPIs"]
    r = header_row(ws, "Metric")
    formats = {ws.cell(i, 1).value: ws.cell(i, 2).number_format for i in range(r + 1, ws.max_row + 1)}
    assert formats["MRR (billing)"] == '"$"#,##0'
    assert formats[nrr] == "0%"
    assert formats["Active accounts"] == "#,##0"
    defs = table(wb["Definitions"]).set_index("Term")
    assert defs.loc["Data date", "Definition / formula"] == "2026-10-31"
    assert "(100 - health score) / 100" in defs.loc["Churn risk", "Definition / formula"]
    for term in ("Health score", "Worklist priority", "NRR", "GRR", "CLV", "ARR at risk"):
        assert defs.loc[term, "Definition / formula"]
    mv = table(wb["MRR movements"])
    assert len(mv) == 12 and mv["End MRR"].iloc[-1] == pytest.approx(m["mrr"])


def test_owner_filter_restricts_every_sheet(demo_file, tmp_path):
    with Workspace(demo_file) as w:
        owner = w.accounts()["owner"].value_counts().index[0]
        pack = build_pack(w, owner=owner.upper(), risk_source="health", now=NOW)
        ids = set(w.accounts().query("owner == @owner")["account_id"])
    assert set(pack.accounts["account_id"]) == ids
    assert set(pack.worklist["account_id"]) <= ids and len(pack.worklist)
    assert set(pack.whitespace["account_id"].astype(str)) <= ids
    assert set(pack.renewals["account_id"]) <= ids
    assert pack.filters == {"owner": owner.upper()}


def test_unknown_owner_is_a_clear_error_and_writes_nothing(demo_file, tmp_path):
    out = tmp_path / "p.xlsx"
    with Workspace(demo_file) as w:
        with pytest.raises(PackError, match="No account matches owner 'Nobody'.*Owners include"):
            write_pack(build_pack(w, owner="Nobody", risk_source="health"), out)
    assert not out.exists()


def test_single_views_to_csv_and_xlsx(demo_file, tmp_path):
    with Workspace(demo_file) as w:
        pack = build_pack(w, risk_source="health")
        rep = write_view(pack, tmp_path / "ren.csv", "renewals")
        rep2 = write_view(pack, tmp_path / "m.xlsx", "metrics")
        with pytest.raises(ExportError, match="several sheets"):
            write_view(pack, tmp_path / "p.csv", "pack")
        with pytest.raises(ExportError, match=r"\.xlsx or \.csv"):
            write_view(pack, tmp_path / "p.ods", "accounts")
    back = pd.read_csv(tmp_path / "ren.csv", encoding="utf-8-sig")
    assert back.columns[:3].tolist() == ["Account", "Renewal", "Days to renewal"]
    assert len(back) == rep.rows > 0
    assert rep2.sheets == ["Portfolio KPIs", "MRR movements", "Definitions"]
    with zipfile.ZipFile(tmp_path / "m.xlsx") as zf:
        assert "docProps/custom.xml" not in zf.namelist()  # only the pack carries the marker
    assert not is_pack(tmp_path / "m.xlsx")


def test_churn_model_risk_is_used_and_labelled_when_available(demo_copy, tmp_path):
    with Workspace(demo_copy) as w:
        pack = build_pack(w, now=NOW)
    if pack.risk_source == "model":
        assert "a model trained on this workspace" in pack.risk_note
        assert pack.accounts["churn_risk"].dropna().between(0, 1).all()
        assert "drivers" in pack.accounts.columns
    else:  # the churn module is optional: the fallback must say why
        assert pack.risk_note
        assert (pack.accounts["churn_risk"].dropna()
                == ((100 - pack.accounts["health"]) / 100).dropna()).all()


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_pack_back(demo_copy, tmp_path):
    from .test_xlsx import _libreoffice_csv

    evil = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-1+2", "@HYPERLINK(\"x\")"]
    with Workspace(demo_copy) as w:
        top = w.frame("SELECT account_id FROM accounts ORDER BY arr DESC LIMIT 4")["account_id"]
        with w.transaction() as conn:
            for aid, name in zip(top, evil):
                conn.execute("UPDATE accounts SET name = ? WHERE account_id = ?", (name, aid))
        out = tmp_path / "pack.xlsx"
        write_pack(build_pack(w, risk_source="health", now=NOW), out)
        accounts = w.accounts().set_index("account_id")
    sheets = _libreoffice_csv(out, tmp_path)
    assert {"Worklist", "Accounts", "Renewals", "Portfolio KPIs", "Definitions"} <= set(sheets)
    rows = sheets["Accounts"]
    assert rows[0][0] == "Demo portfolio · Accounts"
    head = rows[3]
    body = [dict(zip(head, r)) for r in rows[4:]]
    by_id = {r["Account ID"]: r for r in body}
    assert len(by_id) == len(accounts)
    for aid, name in zip(top, evil):  # shown as typed, never evaluated
        assert by_id[aid]["Account"] == name
    for aid, rec in list(by_id.items())[:60]:
        src = accounts.loc[aid]
        assert float(rec["ARR"]) == pytest.approx(src["arr"])  # currency read as a number
        assert rec["Renewal"] == (src["renewal_date"] or "")  # a real date shown yyyy-mm-dd
    kpi = {r[0]: r[1] for r in sheets["Portfolio KPIs"][4:]}
    assert kpi["Data date"] == "2026-10-31"
    assert kpi["MRR (billing)"].replace(".", "").isdigit()
    wl = sheets["Worklist"]
    assert wl[3][:5] == ["Account", "Rank", "Rank in this list", "Priority", "Reasons"]
    assert any(r[0] in evil for r in wl[4:])
