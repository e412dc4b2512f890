"""Readers on real golden files (tests/data/importers/_readers, made by make_files.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from acctdesk.importers.errors import ImportCancelled
from acctdesk.importers.readers import SUPPORTED_SUFFIXES, Sheet, melt_wide, read_file, sniff_kind

DATA = Path(__file__).resolve().parents[1] / "data" / "importers" / "_readers"


def one(name: str) -> Sheet:
    sheets = read_file(DATA / name)
    assert len(sheets) == 1
    return sheets[0]


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")


@pytest.mark.parametrize("name,kind", [
    ("utf8_comma.csv", "csv"), ("multi_sheet.xlsx", "xlsx"), ("legacy.xls", "xls"),
    ("basic.ods", "ods"), ("csv_named.xlsx", "csv"), ("utf16le_tab.txt", "csv"),
])
def test_sniff_kind_by_content(name, kind):
    assert sniff_kind(DATA / name) == kind


def test_utf8_null_markers_are_text_and_quotes_and_newlines():
    s = one("utf8_comma.csv")
    assert s.encoding == "utf-8" and s.delimiter == ","
    assert list(s.frame.columns) == ["Account Name", "Region", "Notes", "Amount"]
    assert s.frame["Region"].tolist() == ["NA", "EMEA", "None", "APAC"]
    assert s.frame["Notes"].tolist() == ['Renewal in Q3, "at risk"', "Line one\nLine two", "null", ""]
    assert s.frame["Amount"].tolist() == ["1,234.50", "200", "N/A", "3000"]
    # The quoted newline is inside record 3: rows stay spreadsheet rows.
    assert s.row_numbers.tolist() == [2, 3, 4, 5]
    assert s.header_row == 1


@pytest.mark.parametrize("name,encoding,delimiter,first", [
    ("utf8_bom_semicolon.csv", "utf-8-sig", ";", ["Müller GmbH", "Köln", "1.234,50"]),
    ("cp1252_semicolon.csv", "cp1252", ";", ["Société Générale", "Paris", "1 234,50 €"]),
    ("utf16le_tab.txt", "utf-16-le", "\t", ["Acme", "José Núñez", "12000"]),
    ("utf16be_comma.csv", "utf-16-be", ",", ["Acme", "José Núñez", "12000"]),
    ("pipe.txt", "utf-8", "|", ["1", "Acme", "100"]),
])
def test_encodings_and_delimiters(name, encoding, delimiter, first):
    s = one(name)
    assert s.encoding == encoding
    assert s.delimiter == delimiter
    assert s.frame.iloc[0].tolist() == first


def test_cp1252_euro_and_quotes():
    s = one("cp1252_semicolon.csv")
    assert s.frame["Montant"].tolist()[2] == "“12” €"
    assert any("Windows-1252" in n for n in s.notes)


def test_utf16_cjk_and_pipe_inside_quotes():
    assert one("utf16le_tab.txt").frame["Owner"].tolist() == ["José Núñez", "李雷", "Zoë"]
    assert one("pipe.txt").frame["name"].tolist() == ["Acme", "Pipe | Inside", "Initech"]


def test_salesforce_csv_title_block_and_footer():
    s = one("salesforce_report.csv")
    assert s.header_row == 5
    assert list(s.frame.columns) == ["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date"]
    assert len(s.frame) == 12
    assert s.frame["Opportunity Name"].iloc[-1] == "Deal 12"
    assert s.row_numbers.tolist() == list(range(6, 18))
    assert "header found on row 5 below a title block" in s.notes
    assert any(n.startswith("dropped 5 footer rows (Grand Totals (12 records)") for n in s.notes)


def test_blank_line_inside_data_keeps_row_numbers():
    s = one("blank_inside.csv")
    assert s.frame["a"].tolist() == ["1", "2", "3"]
    assert s.row_numbers.tolist() == [2, 4, 5]
    assert "dropped 1 blank row" in s.notes


def test_grouped_xlsx_report():
    s = one("salesforce_grouped.xlsx")
    assert s.header_row == 4
    assert s.frame["Account Owner"].tolist() == ["Jane Doe"] * 3 + ["John Roe"] * 2
    assert s.frame["Account Name"].tolist() == ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
    assert s.frame["Amount"].tolist() == [1000.0, 2500.0, 500.0, 750.0, 1250.0]
    assert s.frame["Close Date"].iloc[0] == pd.Timestamp("2025-03-01")
    assert s.row_numbers.tolist() == [5, 6, 7, 9, 10]   # row 8 is the first subtotal
    assert "filled down 'Account Owner' (grouped report)" in s.notes
    assert "dropped 1 total/subtotal row inside the data" in s.notes


def test_merged_two_row_header():
    s = one("merged_header.xlsx")
    assert list(s.frame.columns) == ["Account", "Q1 Jan", "Q1 Feb", "Q1 Mar", "Q2 Apr", "Q2 May", "Q2 Jun"]
    assert s.frame["Q2 Jun"].tolist() == [6.0, 60.0]
    assert s.header_row == 2 and s.row_numbers.tolist() == [3, 4]


def test_wide_months_csv_melted():
    s = one("wide_months.csv")
    assert list(s.frame.columns) == ["Account ID", "Account Name", "period", "value"]
    assert s.frame["period"].tolist() == ["2025-01", "2025-02", "2025-04", "2025-01", "2025-02", "2025-03", "2025-04"]
    assert s.frame["value"].tolist() == ["10", "20", "40", "1", "2", "3", "4"]
    assert s.row_numbers.tolist() == [2, 2, 2, 3, 3, 3, 3]
    assert any("turned 4 month/date columns into rows" in n for n in s.notes)


def test_wide_xlsx_with_date_header_cells_offset_sheet():
    s = one("wide_dates.xlsx")
    assert s.header_row == 3
    assert s.frame["Account"].tolist() == ["Acme"] * 3 + ["Globex"] * 2
    assert s.frame["period"].tolist()[:3] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert s.frame["value"].tolist() == [100.0, 110.0, 120.0, 50.0, 70.0]
    assert s.row_numbers.tolist() == [4, 4, 4, 5, 5]


@pytest.mark.parametrize("header", ["2025-01", "Jan 2025", "Jan-25", "2025-01-31", "January 2025"])
def test_melt_wide_header_forms(header):
    frame = pd.DataFrame({"id": ["a"], header: ["1"], "x2": ["2"], "x3": ["3"]})
    sheet = Sheet(Path("f.csv"), "f.csv", frame, 1, np.array([2]))
    assert melt_wide(sheet) is None   # one date-like column is not a wide layout
    frame = pd.DataFrame({"id": ["a"], header: ["1"], "Feb 2025": ["2"], "Mar 2025": ["3"]})
    long = melt_wide(Sheet(Path("f.csv"), "f.csv", frame, 1, np.array([2])))
    assert long is not None and long.frame["value"].tolist() == ["1", "2", "3"]
    assert long.frame["period"].iloc[0].startswith(("2025-01", "2025-01-31"))


def test_multi_sheet_typed_and_empty_sheet_skipped():
    sheets = read_file(DATA / "multi_sheet.xlsx")
    assert [s.name for s in sheets] == ["Accounts", "Contacts"]
    acc = sheets[0].frame
    assert acc["ARR"].tolist() == [12000.5, 800.0, 0.0]
    assert acc["Name"].tolist() == ["Acme", "Globex", "NA"]      # NA is text
    assert acc["Start"].iloc[1] == pd.Timestamp("2024-02-29") and pd.isna(acc["Start"].iloc[2])
    assert acc["Active"].tolist() == [True, False, True]
    assert read_file(DATA / "multi_sheet.xlsx", sheet="Contacts")[0].frame["Email"].tolist() == [
        "ann@acme.com", "bob@globex.com"]


def test_mixed_type_column_loses_nothing():
    s = one("mixed_types.xlsx")
    amount = s.frame["amount"]
    assert len(s.frame) == 1200
    assert amount.iloc[1099] == "n/a" and amount.iloc[1149] == "see note"
    assert amount.iloc[0] == "1.5" and amount.iloc[1] == "3"
    assert s.row_numbers[1099] == 1101


def test_xls_and_ods():
    xls = one("legacy.xls")
    assert xls.frame["Account"].tolist() == ["Acme", "Müller GmbH"]
    assert xls.frame["Amount"].tolist() == [1200.5, 99.0]
    assert xls.frame["Signed"].iloc[1] == pd.Timestamp("2024-06-15")
    ods = one("basic.ods")
    assert ods.frame["Account"].tolist() == ["Acme", "Globex", "Initech"]
    assert ods.frame["Seats"].tolist() == [10.0, 25.0, 3.0]
    assert ods.frame["Renewal"].iloc[2] == pd.Timestamp("2026-02-28")


def test_duplicate_and_blank_headers(tmp_path):
    p = tmp_path / "dups.csv"
    p.write_text("Amount,,Amount, amount \n1,2,3,4\n")
    s = read_file(p)[0]
    assert list(s.frame.columns) == ["Amount", "column_2", "Amount (2)", "amount (3)"]


def test_cancel_raises(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b\n" + "1,2\n" * 1000)
    with pytest.raises(ImportCancelled):
        read_file(p, cancel=lambda: True)
    with pytest.raises(ImportCancelled):
        read_file(DATA / "multi_sheet.xlsx", cancel=lambda: True)


def test_max_rows(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(100)))
    s = read_file(p, max_rows=10)[0]
    assert s.frame["a"].tolist() == [str(i) for i in range(10)]


def test_xlsx_header_below_title_matches_openpyxl(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Accounts export"
    ws["A2"] = "Run on 2025-03-04"
    ws.append([])
    ws.append(["Account", "Owner", "ARR"])
    for i in range(30):
        ws.append([f"Acct {i}", f"Owner {i % 3}", i * 10.0])
    wb.save(tmp_path / "t.xlsx")
    s = read_file(tmp_path / "t.xlsx")[0]
    assert s.header_row == 4
    assert s.frame["ARR"].tolist() == [i * 10.0 for i in range(30)]
    assert s.row_numbers[0] == 5 and s.row_numbers[-1] == 34


def test_readers_import_no_qt():
    code = "import sys, acctdesk.importers.readers, acctdesk.importers.coerce; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
