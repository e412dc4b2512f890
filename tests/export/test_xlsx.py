"""xlsx export: write real files, open them again with openpyxl (and LibreOffice) and check."""
from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from acctdesk.export import (
    MAX_CELL_CHARS,
    TRUNCATION_MARKER,
    ColumnSpec,
    ExportError,
    SheetSpec,
    make_sheet_names,
    write_xlsx,
)
from acctdesk.export import tables

FORMULA_LIKE = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
]


def accounts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Acme Corp", "Zoë Ltd", "=1+1", "Beta", None],
            "arr": [120_000.0, -2_500.0, np.nan, 0.0, 75_000.5],
            "usage": [0.85, 0.123, None, 1.0, 0.0],
            "seats": pd.array([10, None, 3, 4_500, 7], dtype="Int64"),
            "renewal": ["2026-11-22", None, "2027-01-31", "2026-03-01", "2026-12-01"],
            "band": ["Red", "Green", "Amber", None, "Green"],
            "site": [
                "https://acme.example.com",
                "javascript:alert(1)",
                "mailto:cs@zoe.example",
                None,
                "ftp://files.example.com",
            ],
        },
        index=[10, 3, 7, 1, 99],  # a filtered, sorted view keeps odd index labels
    )


def accounts_columns() -> list[ColumnSpec]:
    return [
        ColumnSpec("name", "Account"),
        ColumnSpec("arr", "ARR", "currency"),
        ColumnSpec("usage", "Usage", "percent"),
        ColumnSpec("seats", "Seats", "int"),
        ColumnSpec("renewal", "Renewal", "date"),
        ColumnSpec("band", "Health", "band"),
        ColumnSpec("site", "Website", "url"),
    ]


def write_one(tmp_path: Path, frame: pd.DataFrame, columns: list[ColumnSpec], **sheet_kw):
    path = tmp_path / "out.xlsx"
    report = write_xlsx(path, [SheetSpec("Accounts", frame, columns, **sheet_kw)])
    wb = openpyxl.load_workbook(path)
    return report, wb, wb[report.sheets[0]]


def grid(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def sheet_xml(path: Path, index: int = 1) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


# --------------------------------------------------------------------------- content


def test_rows_and_columns_exactly_as_given(tmp_path):
    frame = accounts_frame()
    columns = [ColumnSpec("seats", "Seats", "int"), ColumnSpec("name", "Account")]
    report, _, ws = write_one(tmp_path, frame, columns)
    rows = grid(ws)
    assert rows[0] == ["Seats", "Account"]
    assert rows[1:] == [[10, "Acme Corp"], [None, "Zoë Ltd"], [3, "=1+1"], [4500, "Beta"], [7, None]]
    assert ws.max_column == 2
    assert report.rows == 5
    assert report.path == tmp_path / "out.xlsx"


def test_number_formats_and_real_values(tmp_path):
    report, _, ws = write_one(tmp_path, accounts_frame(), accounts_columns())
    assert report.warnings == []
    arr, usage, seats, renewal = ws["B2"], ws["C2"], ws["D2"], ws["E2"]
    assert (arr.value, arr.data_type, arr.number_format) == (120_000, "n", '"$"#,##0')
    assert (usage.value, usage.number_format) == (0.85, "0%")
    assert (seats.value, seats.number_format) == (10, "#,##0")
    assert renewal.is_date and renewal.number_format == "yyyy-mm-dd"
    assert renewal.value == dt.datetime(2026, 11, 22)
    # A negative number is a number, not text.
    assert (ws["B3"].value, ws["B3"].data_type) == (-2_500, "n")


def test_currency_codes_and_explicit_number_format(tmp_path):
    frame = pd.DataFrame({"a": [1.5], "b": [2.0], "c": [3.25]})
    path = tmp_path / "cur.xlsx"
    write_xlsx(
        path,
        [SheetSpec("S", frame, [
            ColumnSpec("a", "A", "currency"),
            ColumnSpec("b", "B", "number"),
            ColumnSpec("c", "C", "currency", number_format='"$"#,##0.00'),
        ])],
        currency="CHF",
    )
    ws = openpyxl.load_workbook(path)["S"]
    assert ws["A2"].number_format == '#,##0 "CHF"'
    assert ws["B2"].number_format == "#,##0.00"
    assert ws["C2"].number_format == '"$"#,##0.00'
    write_xlsx(path, [SheetSpec("S", frame, [ColumnSpec("a", "A", "currency")])], currency="EUR")
    assert openpyxl.load_workbook(path)["S"]["A2"].number_format == '"€"#,##0'
    # as the screens write it (acctdesk.domain.money): a currency with a symbol there has it
    write_xlsx(path, [SheetSpec("S", frame, [ColumnSpec("a", "A", "currency")])], currency="CAD")
    assert openpyxl.load_workbook(path)["S"]["A2"].number_format == '"CA$"#,##0'


def test_missing_values_are_empty_never_nan(tmp_path):
    frame = pd.DataFrame(
        {
            "t": ["x", None, np.nan, ""],
            "f": [1.0, np.nan, None, np.inf],
            "d": [pd.NaT, "2026-01-01", None, dt.date(2026, 2, 1)],
            "i": pd.array([None, 1, None, 2], dtype="Int64"),
        }
    )
    cols = [ColumnSpec("t", "T"), ColumnSpec("f", "F", "number"), ColumnSpec("d", "D", "date"),
            ColumnSpec("i", "I", "int")]
    report, _, ws = write_one(tmp_path, frame, cols)
    assert grid(ws)[1:] == [
        ["x", 1, None, None],
        [None, None, dt.datetime(2026, 1, 1), 1],
        [None, None, None, None],
        [None, None, dt.datetime(2026, 2, 1), 2],
    ]
    xml = sheet_xml(tmp_path / "out.xlsx")
    for junk in ("nan", "NaN", "None", "NaT", "inf"):
        assert f">{junk}<" not in xml
    assert any("infinite" in w for w in report.warnings)


def test_dates_from_strings_dates_and_timestamps(tmp_path):
    aware = pd.Timestamp("2026-05-01 09:30", tz="Europe/Berlin")
    frame = pd.DataFrame(
        {
            "d": ["2026-11-22", dt.date(2027, 1, 1), pd.Timestamp("2026-02-03 10:00"), "soon"],
            "ts": [aware, aware, pd.NaT, aware],
        }
    )
    cols = [ColumnSpec("d", "D", "date"), ColumnSpec("ts", "When", "datetime")]
    report, _, ws = write_one(tmp_path, frame, cols)
    assert [ws.cell(r, 1).value for r in range(2, 6)] == [
        dt.datetime(2026, 11, 22), dt.datetime(2027, 1, 1), dt.datetime(2026, 2, 3), "soon"
    ]
    # Excel has no time zones: the wall-clock time the user saw is kept.
    assert ws["B2"].value == dt.datetime(2026, 5, 1, 9, 30)
    assert ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert any("not dates" in w for w in report.warnings)


def test_non_numeric_text_in_a_numeric_column_is_kept_as_safe_text(tmp_path):
    frame = pd.DataFrame({"arr": [100, "n/a", "=2*3"]}, dtype=object)
    _, _, ws = write_one(tmp_path, frame, [ColumnSpec("arr", "ARR", "currency")])
    assert (ws["A2"].value, ws["A2"].data_type) == (100, "n")
    assert (ws["A3"].value, ws["A3"].data_type) == ("n/a", "s")
    assert (ws["A4"].value, ws["A4"].data_type) == ("=2*3", "s")


# --------------------------------------------------------------------------- layout and style


def test_header_style_freeze_and_autofilter_without_title(tmp_path):
    _, _, ws = write_one(tmp_path, accounts_frame(), accounts_columns())
    header = ws["A1"]
    assert header.value == "Account"
    assert header.font.bold
    assert header.fill.fill_type == "solid"
    assert header.fill.fgColor.rgb.endswith("1F3864")
    assert ws["B1"].alignment.horizontal == "right"  # over a currency column
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == "A1:G6"


def test_title_block_moves_header_freeze_and_filter(tmp_path):
    _, _, ws = write_one(
        tmp_path, accounts_frame(), accounts_columns(),
        title="Northwind workspace", subtitle="Exported 2026-11-22 10:15",
    )
    assert ws["A1"].value == "Northwind workspace" and ws["A1"].font.bold
    assert ws["A2"].value == "Exported 2026-11-22 10:15"
    assert ws["A3"].value is None
    assert ws["A4"].value == "Account" and ws["A4"].font.bold
    assert ws.freeze_panes == "B5"
    assert ws.auto_filter.ref == "A4:G9"
    assert ws.print_title_rows == "$4:$4"


def test_single_column_freezes_rows_only_and_empty_frame_has_header(tmp_path):
    frame = pd.DataFrame({"name": pd.Series([], dtype="str")})
    report, _, ws = write_one(tmp_path, frame, [ColumnSpec("name", "Account")])
    assert grid(ws) == [["Account"]]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref in ("A1", "A1:A1")  # one cell; xlsxwriter writes "A1"
    assert report.rows == 0


def test_column_widths_from_content_capped_and_explicit(tmp_path):
    frame = pd.DataFrame(
        {"short": ["a"] * 3, "long": ["x" * 30] * 3, "huge": ["y" * 500] * 3, "fixed": ["z"] * 3}
    )
    cols = [ColumnSpec("short", "S"), ColumnSpec("long", "Long"), ColumnSpec("huge", "Huge"),
            ColumnSpec("fixed", "Fixed", width=42)]
    _, _, ws = write_one(tmp_path, frame, cols)
    # xlsxwriter stores Excel's width plus its cell padding (42 -> 42.71): compare what shows.
    widths = {c: ws.column_dimensions[c].width for c in "ABCD"}
    assert 6 <= widths["A"] < 10
    assert 31 <= widths["B"] <= 35
    assert widths["C"] == pytest.approx(60, abs=1)
    assert widths["D"] == pytest.approx(42, abs=1)


# --------------------------------------------------------------------------- links and bands


def test_hyperlinks_only_for_http_https_mailto(tmp_path):
    frame = pd.DataFrame(
        {
            "site": [
                "https://acme.example.com/a?b=1",
                "http://beta.example.com",
                "mailto:cs@zoe.example",
                "javascript:alert(1)",
                "file:///etc/passwd",
                "ftp://files.example.com",
                '=HYPERLINK("http://evil.example")',
                "http://",
                "not a url",
            ]
        }
    )
    _, _, ws = write_one(tmp_path, frame, [ColumnSpec("site", "Website", "url")])
    links = {c.row: c.hyperlink.target for (c,) in ws.iter_rows(min_row=2) if c.hyperlink}
    assert links == {
        2: "https://acme.example.com/a?b=1",
        3: "http://beta.example.com",
        4: "mailto:cs@zoe.example",
    }
    assert ws["A2"].value == "https://acme.example.com/a?b=1"
    assert ws["A2"].font.underline == "single"
    assert [ws.cell(r, 1).value for r in range(5, 11)] == frame["site"].tolist()[3:]
    assert ws["A8"].data_type == "s"


def test_hyperlink_limit_per_sheet_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_HYPERLINKS_PER_SHEET", 3)
    frame = pd.DataFrame({"site": [f"https://a{i}.example.com" for i in range(5)]})
    report, _, ws = write_one(tmp_path, frame, [ColumnSpec("site", "Website", "url")])
    assert sum(1 for (c,) in ws.iter_rows(min_row=2) if c.hyperlink) == 3
    assert ws["A6"].value == "https://a4.example.com"
    assert any("2 URL(s)" in w for w in report.warnings)


def test_health_bands_use_conditional_formatting(tmp_path):
    colours = {"Red": "F8D7DA", "Green": "D4EDDA", 'Say "hi"': "#ABCDEF"}
    frame = pd.DataFrame({"name": list("abcd"), "band": ["Red", "Green", None, "Red"]})
    cols = [ColumnSpec("name", "Account"), ColumnSpec("band", "Health", "band", band_colours=colours)]
    _, _, ws = write_one(tmp_path, frame, cols)
    rules = {}
    for cf in ws.conditional_formatting:
        assert str(cf.sqref) == "B2:B5"
        for rule in cf.rules:
            assert (rule.type, rule.operator) == ("cellIs", "equal")
            rules[rule.formula[0]] = rule.dxf.fill.bgColor.rgb[-6:]
    assert rules == {'"Red"': "F8D7DA", '"Green"': "D4EDDA", '"Say ""hi"""': "ABCDEF"}
    # No static fill: a user who retypes the label sees the colour follow the rule.
    assert ws["B2"].value == "Red" and ws["B2"].fill.fill_type is None


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("text", FORMULA_LIKE + ["#N/A", "#DIV/0!"])
def test_formula_like_text_is_stored_as_string(tmp_path, text):
    frame = pd.DataFrame({"name": [text], "note": [text], "site": [text]})
    cols = [ColumnSpec("name", "Account"), ColumnSpec("note", "Health", "band"),
            ColumnSpec("site", "Website", "url")]
    _, _, ws = write_one(tmp_path, frame, cols)
    for cell in ws[2]:
        # A carriage return is stored as OOXML's escape _x000D_ (Excel and LibreOffice decode
        # it; openpyxl does not); either way it is text.
        assert cell.value == text.replace("\r", "_x000D_")
        assert cell.data_type == "s"
        assert cell.quotePrefix  # stays text even after F2 + Enter in Excel
        assert cell.hyperlink is None
    xml = sheet_xml(tmp_path / "out.xlsx")
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml


def test_formula_like_titles_and_headers_are_strings(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    _, _, ws = write_one(tmp_path, frame, [ColumnSpec("a", "=SUM(1)", "int")],
                         title="=evil()", subtitle="@me\x07")
    assert (ws["A1"].value, ws["A1"].data_type, ws["A1"].quotePrefix) == ("=evil()", "s", True)
    assert (ws["A2"].value, ws["A2"].data_type) == ("@me", "s")
    assert (ws["A4"].value, ws["A4"].data_type, ws["A4"].quotePrefix) == ("=SUM(1)", "s", True)


def test_duplicate_column_names_are_an_error(tmp_path):
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ExportError, match="more than one column"):
        write_xlsx(tmp_path / "d.xlsx", [SheetSpec("S", frame, [ColumnSpec("a", "A")])])


def test_long_text_is_cut_with_marker_and_reported(tmp_path):
    long = "x" * 40_000
    emoji = "😀" * 20_000  # 40,000 UTF-16 units: Excel counts these twice
    frame = pd.DataFrame({"name": ["ok", "fine"], "notes": [long, emoji]})
    cols = [ColumnSpec("name", "Account"), ColumnSpec("notes", "Notes")]
    report, _, ws = write_one(tmp_path, frame, cols, title="T")
    cut = ws["B4"].value
    assert len(cut) == MAX_CELL_CHARS and cut.endswith(TRUNCATION_MARKER)
    cut2 = ws["B5"].value
    assert cut2.endswith(TRUNCATION_MARKER)
    assert len(cut2.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert set(cut2[: -len(TRUNCATION_MARKER)]) == {"😀"}
    assert report.truncated_cells == [("Accounts", 4, "Notes"), ("Accounts", 5, "Notes")]
    assert any("cut" in w for w in report.warnings)


def test_control_characters_are_removed_and_reported(tmp_path):
    frame = pd.DataFrame({"name": ["a\x00b\x1bc", "tab\there\nnewline"]})
    report, _, ws = write_one(tmp_path, frame, [ColumnSpec("name", "Account")])
    assert ws["A2"].value == "abc"
    assert ws["A3"].value == "tab\there\nnewline"
    assert any("control characters" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Accounts"], ["Accounts"]),
        (["a/b\\c[d]:e*f?g"], ["a_b_c_d__e_f_g"]),
        (["x" * 40], ["x" * 31]),
        (["", "   ", None], ["Sheet", "Sheet (2)", "Sheet (3)"]),
        (["History"], ["History (1)"]),
        (["'quoted'"], ["quoted"]),
        (["Renewals", "renewals", "RENEWALS"], ["Renewals", "renewals (2)", "RENEWALS (3)"]),
        (["y" * 35, "y" * 33], ["y" * 31, "y" * 27 + " (2)"]),
    ],
)
def test_sheet_names_are_made_valid(names, expected):
    assert make_sheet_names(names) == expected


def test_workbook_with_awkward_sheet_names_opens(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    sheets = [SheetSpec(n, frame, [ColumnSpec("a", "A", "int")]) for n in ["History", "a/b", "A/B", ""]]
    path = tmp_path / "names.xlsx"
    report = write_xlsx(path, sheets)
    assert openpyxl.load_workbook(path).sheetnames == report.sheets
    assert report.sheets == ["History (1)", "a_b", "A_B (2)", "Sheet"]
    assert len([w for w in report.warnings if "Sheet name" in w]) == 4


class Exploding:
    def __str__(self) -> str:
        raise RuntimeError("boom while converting a cell")


def test_failed_export_leaves_old_file_byte_identical(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [SheetSpec("Old", pd.DataFrame({"a": [1, 2]}), [ColumnSpec("a", "A", "int")])])
    before = path.read_bytes()
    good = SheetSpec("First", accounts_frame(), accounts_columns())
    bad = SheetSpec("Second", pd.DataFrame({"t": ["fine", Exploding()]}, dtype=object),
                    [ColumnSpec("t", "T")])
    streams = set(Path(tempfile.gettempdir()).glob(tables.TEMP_PREFIX + "*"))
    with pytest.raises(RuntimeError, match="boom"):
        write_xlsx(path, [good, bad])  # the first sheet is already streamed when this fails
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
    # xlsxwriter's per-sheet stream files are removed too, not left until exit.
    assert set(Path(tempfile.gettempdir()).glob(tables.TEMP_PREFIX + "*")) <= streams


def test_failure_while_saving_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"previous export")

    def half_close(self):
        Path(self.filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tables.xlsxwriter.Workbook, "close", half_close)
    with pytest.raises(OSError, match="No space"):
        write_xlsx(path, [SheetSpec("S", accounts_frame(), accounts_columns())])
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_missing_column_is_an_error_before_anything_is_written(tmp_path):
    path = tmp_path / "out.xlsx"
    with pytest.raises(ExportError, match="no column"):
        write_xlsx(path, [SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("b", "B")])])
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_an_actionable_error(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_xlsx(tmp_path / "nope" / "out.xlsx",
                   [SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("a", "A")])])


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown column kind"):
        ColumnSpec("a", "A", "money")


def test_new_file_is_private_to_the_user(tmp_path):
    """An export holds the workspace's data: readable by the user only, like the workspace,
    whatever the umask (issue 16, point 13)."""
    path = tmp_path / "out.xlsx"
    umask = os.umask(0o022)
    try:
        write_xlsx(path, [SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("a", "A")])])
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o600


def test_multiple_sheets_and_row_count(tmp_path):
    frame = accounts_frame()
    path = tmp_path / "pack.xlsx"
    report = write_xlsx(path, [
        SheetSpec("Accounts", frame, accounts_columns(), title="W"),
        SheetSpec("Top", frame.head(2), accounts_columns()[:2]),
    ])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Accounts", "Top"]
    assert report.rows == 7
    assert wb["Top"].max_row == 3 and wb["Top"].freeze_panes == "B2"


# --------------------------------------------------------------------------- LibreOffice


def _libreoffice_csv(xlsx: Path, out: Path) -> dict[str, list[list[str]]]:
    """Convert every sheet of ``xlsx`` to csv with LibreOffice; formulas would be evaluated."""
    profile = out / "lo-profile"
    subprocess.run(
        [
            "soffice", "--headless", "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir", str(out), str(xlsx),
        ],
        check=True, capture_output=True, timeout=120,
    )
    sheets = {}
    for path in out.glob(f"{xlsx.stem}-*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            sheets[path.stem[len(xlsx.stem) + 1:]] = list(csv.reader(fh))
    return sheets


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_back_values_without_evaluating_formulas(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ["Acme Corp", "Zoë Ltd", "Beta", "Gamma"] + FORMULA_LIKE[:4],
            "arr": [120_000.0, -2_500.0, np.nan, 0.5, 1.0, 2.0, 3.0, 4.0],
            "usage": [0.85, 0.1, None, 1.0, 0.0, 0.5, 0.25, 0.75],
            "renewal": ["2026-11-22", None, "2027-01-31", "2026-03-01"] * 2,
            "band": ["Red", "Green", "Amber", None] * 2,
        }
    )
    cols = [ColumnSpec("name", "Account"), ColumnSpec("arr", "ARR", "currency"),
            ColumnSpec("usage", "Usage", "percent"), ColumnSpec("renewal", "Renewal", "date"),
            ColumnSpec("band", "Health", "band")]
    xlsx = tmp_path / "lo.xlsx"
    write_xlsx(xlsx, [
        SheetSpec("Accounts", frame, cols, title="Northwind", subtitle="Exported 2026-11-22"),
        SheetSpec("=Sheet", frame.head(2), cols[:1]),
    ])
    sheets = _libreoffice_csv(xlsx, tmp_path)
    assert set(sheets) == {"Accounts", "=Sheet"}
    rows = sheets["Accounts"]
    assert rows[0][0] == "Northwind" and rows[1][0] == "Exported 2026-11-22"
    assert rows[3] == ["Account", "ARR", "Usage", "Renewal", "Health"]
    body = rows[4:]
    assert len(body) == len(frame)
    assert [r[0] for r in body] == frame["name"].tolist()  # "=1+1" is not evaluated to 2
    assert [float(r[1]) if r[1] else None for r in body] == [
        None if pd.isna(v) else v for v in frame["arr"]
    ]
    assert [float(r[2].rstrip("%")) / 100 if r[2] else None for r in body] == pytest.approx(
        [None if pd.isna(v) else v for v in frame["usage"]]
    )
    assert [r[3] for r in body] == ["" if pd.isna(v) else v for v in frame["renewal"]]
    assert [r[4] for r in body] == ["" if pd.isna(v) else v for v in frame["band"]]
