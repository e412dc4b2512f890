"""Files that are broken, empty, disguised or extreme: a clear ImportFileError or a good read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acctdesk.importers.errors import CellError, ImportFileError
from acctdesk.importers.readers import read_file, sniff_kind

DATA = Path(__file__).resolve().parents[1] / "data" / "importers" / "_readers"


@pytest.mark.parametrize("name,problem", [
    ("empty.csv", "is empty (0 bytes)"),
    ("header_only.csv", "has a header but no data rows"),
    ("header_only.xlsx", "has a header but no data rows"),
    ("truncated.xlsx", "is damaged: its ZIP container is incomplete or corrupt"),
    ("corrupt_zip.xlsx", "is damaged"),
    ("garbage.bin", "contains binary data and is not a CSV or spreadsheet file"),
    ("png_renamed.csv", "is a PNG image, not a spreadsheet or CSV file"),
    ("not_a_workbook.zip.xlsx", "is a ZIP archive, not a spreadsheet"),
    ("encrypted.xlsx", "is password-protected"),
])
def test_rejected_with_file_name_and_reason(name, problem):
    with pytest.raises(ImportFileError) as info:
        read_file(DATA / name)
    message = str(info.value)
    assert message.startswith(f"'{name}' ")
    assert problem in message
    # Every message also says what to do about it.
    assert len(message.split(". ", 1)) == 2 and message.split(". ", 1)[1].strip()
    assert info.value.path == DATA / name


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImportFileError, match="'nope.csv' does not exist"):
        read_file(tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="is a folder"):
        read_file(tmp_path)


def test_sniff_rejects_garbage():
    with pytest.raises(ImportFileError, match="garbage.bin"):
        sniff_kind(DATA / "garbage.bin")


def test_csv_named_xlsx_reads_as_csv_with_note():
    sheet = read_file(DATA / "csv_named.xlsx")[0]
    assert sheet.frame["amount"].tolist() == ["10", "20"]
    assert "the file is named .xlsx but is a text (CSV) file; read as CSV" in sheet.notes


def test_500_columns():
    sheet = read_file(DATA / "wide500.csv")[0]
    assert sheet.frame.shape == (3, 500)
    assert sheet.frame["col499"].tolist() == ["499", "1499", "2499"]


def test_one_megabyte_cell(tmp_path):
    big = "x" * (1 << 20)
    p = tmp_path / "bigcell.csv"
    p.write_text(f'id,notes,amount\n1,"{big}",5\n2,short,6\n')
    sheet = read_file(p)[0]
    assert len(sheet.frame["notes"].iloc[0]) == 1 << 20
    assert sheet.frame["amount"].tolist() == ["5", "6"]
    assert sheet.row_numbers.tolist() == [2, 3]


def test_emoji_cjk_rtl():
    sheet = read_file(DATA / "unicode.csv")[0]
    assert sheet.frame["name"].tolist() == ["株式会社テスト", "شركة المثال", "Rocket Inc 🚀"]
    assert sheet.frame["comment"].iloc[2] == "👍🏽 great — ✓"


def test_only_blank_lines(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("\n\n  \n")
    with pytest.raises(ImportFileError, match="'blank.csv' contains no data"):
        read_file(p)


def test_workbook_with_only_empty_sheets(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.create_sheet("Other")
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(ImportFileError, match="'empty.xlsx' has no data: sheet 'Sheet' is empty"):
        read_file(tmp_path / "empty.xlsx")


def test_cell_error_message():
    err = CellError(row=14, column="Amount", value="12,3x", reason="is not a number")
    assert str(err) == "row 14, column 'Amount': '12,3x' is not a number"


def _read_or_reject(path: Path) -> None:
    try:
        read_file(path)
    except ImportFileError as exc:
        assert path.name in str(exc)


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=3000))
def test_random_bytes_only_import_file_error(tmp_path, data):
    p = tmp_path / "random.csv"
    p.write_bytes(data)
    _read_or_reject(p)
    p2 = tmp_path / "random.xlsx"
    p2.write_bytes(b"PK\x03\x04" + data)
    _read_or_reject(p2)
    p3 = tmp_path / "random.xls"
    p3.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data)
    _read_or_reject(p3)


_cell = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab1,;|\t"\n\r é€-.%')), max_size=12),
    st.sampled_from(["NA", "Total", "Grand Totals (3 records)", "Jan 2025", "Feb 2025", "Mar 2025", ""]),
)


@settings(max_examples=80, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.lists(_cell, min_size=1, max_size=6), min_size=0, max_size=25),
       delim=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_random_csv_text_only_import_file_error(tmp_path, text, delim, encoding):
    body = "\n".join(delim.join(row) for row in text)
    p = tmp_path / "random_text.csv"
    p.write_bytes(body.encode(encoding, "replace"))
    try:
        sheets = read_file(p)
    except ImportFileError as exc:
        assert "random_text.csv" in str(exc)
        return
    for sheet in sheets:
        assert len(sheet.row_numbers) == len(sheet.frame)
        assert sheet.frame.columns.is_unique
