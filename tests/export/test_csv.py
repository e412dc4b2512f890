"""csv export: UTF-8 with BOM, exact rows and columns, the same safety rules as xlsx."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from acctdesk.export import (
    MAX_CELL_CHARS,
    TRUNCATION_MARKER,
    ColumnSpec,
    ExportError,
    SheetSpec,
    write_csv,
)
from acctdesk.export import tables

from .test_xlsx import FORMULA_LIKE, Exploding, accounts_columns, accounts_frame


def read_back(path) -> pd.DataFrame:
    # "NA" is North America here: only empty fields are missing.
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                       dtype=str)


def test_round_trip_with_pandas(tmp_path):
    path = tmp_path / "accounts.csv"
    report = write_csv(path, SheetSpec("Accounts", accounts_frame(), accounts_columns()))
    assert path.read_bytes().startswith(b"\xef\xbb\xbfAccount,ARR,")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert back.columns.tolist() == ["Account", "ARR", "Usage", "Seats", "Renewal", "Health", "Website"]
    assert back["Account"].tolist()[:2] == ["Acme Corp", "Zoë Ltd"]
    assert back["Account"].iloc[2] == "'=1+1"  # neutralised, see test below
    assert back["ARR"].tolist()[:2] == [120_000, -2_500]  # numbers stay numbers
    assert back["ARR"].isna().tolist() == [False, False, True, False, False]
    assert back["Usage"].tolist()[:2] == [0.85, 0.123]  # the fraction, not "85%"
    assert back["Seats"].astype("Int64").tolist() == [10, pd.NA, 3, 4500, 7]
    assert back["Renewal"].tolist()[0] == "2026-11-22"
    assert back["Website"].tolist()[1] == "javascript:alert(1)"
    assert report.rows == 5 and report.warnings == [] and report.truncated_cells == []


def test_rows_columns_order_and_plain_number_text(tmp_path):
    frame = pd.DataFrame(
        {
            "seats": pd.array([3, None, 1_000_000], dtype="Int64"),
            "f": [1.0, 2.5, np.nan],
            "when": [pd.Timestamp("2026-01-02 03:04:05"), pd.NaT, pd.Timestamp("2026-12-31")],
            "day": [dt.date(2026, 1, 2), None, "2026-12-31"],
            "name": ["NA", "None", "line\nbreak"],
        },
        index=[5, 1, 9],
    )
    cols = [ColumnSpec("name", "Name"), ColumnSpec("seats", "Seats", "int"),
            ColumnSpec("f", "F", "number"), ColumnSpec("when", "When", "datetime"),
            ColumnSpec("day", "Day", "date")]
    path = tmp_path / "t.csv"
    write_csv(path, SheetSpec("T", frame, cols))
    text = path.read_bytes().decode("utf-8-sig")
    assert text.split("\r\n") == [
        "Name,Seats,F,When,Day",
        "NA,3,1,2026-01-02 03:04:05,2026-01-02",
        "None,,2.5,,",
        '"line\nbreak",1000000,,2026-12-31 00:00:00,2026-12-31',
        "",
    ]
    assert "nan" not in text.lower()


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_gets_a_leading_apostrophe(tmp_path, text):
    frame = pd.DataFrame({"name": [text], "arr": [-42.0]})
    path = tmp_path / "inj.csv"
    write_csv(path, SheetSpec("S", frame, [ColumnSpec("name", "Account"),
                                           ColumnSpec("arr", "ARR", "currency")]))
    back = read_back(path)
    assert back["Account"].tolist() == ["'" + text]
    assert back["ARR"].tolist() == ["-42"]  # a negative number is not neutralised


def test_safe_text_is_unchanged(tmp_path):
    values = ["#N/A", "Plain", "a=b", "50%", "x-y", "ünïcödé", "NA"]
    path = tmp_path / "ok.csv"
    write_csv(path, SheetSpec("S", pd.DataFrame({"t": values}), [ColumnSpec("t", "T")]))
    assert read_back(path)["T"].tolist() == values


def test_formula_like_header_is_neutralised(tmp_path):
    path = tmp_path / "h.csv"
    write_csv(path, SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("a", "=cmd()", "int")]))
    assert read_back(path).columns.tolist() == ["'=cmd()"]


def test_long_text_is_cut_and_reported(tmp_path):
    frame = pd.DataFrame({"name": ["a", "b"], "notes": ["ok", "=" + "x" * 40_000]})
    path = tmp_path / "long.csv"
    report = write_csv(path, SheetSpec("S", frame, [ColumnSpec("name", "Account"),
                                                    ColumnSpec("notes", "Notes")]))
    cut = read_back(path)["Notes"].iloc[1]
    assert cut.startswith("'=x") and cut.endswith(TRUNCATION_MARKER)
    assert len(cut) == MAX_CELL_CHARS  # the apostrophe counts against the limit
    assert report.truncated_cells == [("S", 3, "Notes")]


def test_failed_export_leaves_old_file_byte_identical(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    write_csv(path, SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("a", "A", "int")]))
    before = path.read_bytes()
    frame = pd.DataFrame({"t": ["ok"] * 1000 + [Exploding()]}, dtype=object)
    with pytest.raises(RuntimeError, match="boom"):
        write_csv(path, SheetSpec("S", frame, [ColumnSpec("t", "T")]))
    assert path.read_bytes() == before

    # Fail after thousands of rows are already in the temporary file.
    calls = {"n": 0}
    real = tables._csv_text

    def failing(value, kind):
        calls["n"] += 1
        if calls["n"] == 20_000:
            raise OSError(28, "No space left on device")
        return real(value, kind)

    monkeypatch.setattr(tables, "_csv_text", failing)
    big = pd.DataFrame({"t": ["row text"] * 30_000})
    with pytest.raises(OSError, match="No space"):
        write_csv(path, SheetSpec("S", big, [ColumnSpec("t", "T")]))
    assert calls["n"] == 20_000
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_missing_column_is_an_error(tmp_path):
    with pytest.raises(ExportError, match="no column"):
        write_csv(tmp_path / "x.csv", SheetSpec("S", pd.DataFrame({"a": [1]}), [ColumnSpec("z", "Z")]))
    assert list(tmp_path.iterdir()) == []
