"""Write any table to xlsx or csv, safely, exactly as the user sees it.

The caller (a view, the priority pack, the command line) passes the frame it shows: the rows
after filters and sort, and one :class:`ColumnSpec` per visible column, in order. This module
knows nothing about accounts or Qt; it turns frames into files that open cleanly in Excel and
LibreOffice.

Safety rules, applied to every text cell in both formats:

* **No formulas from data.** Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return is never evaluated. In xlsx every text is written with xlsxwriter's ``write_string``
  (a ``t="inlineStr"`` cell, never a formula) and formula-like text also gets the
  *quotePrefix* style, so the cell shows exactly the original text and stays text even if
  the user presses F2 and Enter. Text that looks like an error code (``#N/A``) is written as a
  string too. In csv there is no cell type, so such text gets a leading apostrophe ``'`` as
  OWASP recommends for CSV injection; Excel and LibreOffice then show it as text (the
  apostrophe is visible in the file and, on import, in some programs: that is the price of
  csv). Numbers in numeric columns are written as numbers, so ``-5`` stays the number -5.
* **No corrupt cells.** Text longer than Excel's 32,767 characters (UTF-16 units) is cut and
  ends with ``…[truncated]``; each cut is listed in :attr:`ExportReport.truncated_cells`.
  Control characters that XML cannot hold are removed (with a warning).
* **Valid sheet names**: at most 31 characters, none of ``[]:*?/\\``, no leading or trailing
  apostrophe, not blank, not ``History`` (Excel reserves it), unique ignoring case.
* **Atomic files**: everything is written to a temporary file in the target directory, then
  renamed over the target with :func:`os.replace`; a failed export leaves the old file as it
  was and no temporary file behind.

xlsx files are written with xlsxwriter in constant-memory mode (each finished row is flushed
to a scratch file), so memory stays bounded for 100k-row tables; dates are written as Excel
serial numbers (days since 1899-12-30, time as the fraction of a day) with a date format. Health bands are coloured with conditional-formatting rules on the band column (one
``cellIs equal`` rule per label) rather than static fills: a user who changes "Red" to "Green"
in the sheet sees the colour follow, and the file holds a handful of rules instead of one
style per cell.
"""
from __future__ import annotations

import csv as _csv
import datetime as dt
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import xlsxwriter

from ..domain.money import affixes, excel_money_format

__all__ = [
    "ColumnSpec",
    "SheetSpec",
    "ExportReport",
    "ExportError",
    "write_xlsx",
    "write_csv",
    "make_sheet_names",
    "DEFAULT_BAND_COLOURS",
    "KINDS",
    "MAX_CELL_CHARS",
    "TRUNCATION_MARKER",
]

KINDS = ("text", "int", "number", "currency", "percent", "date", "datetime", "band", "url")
#: Excel's limit for the text of one cell, in UTF-16 code units.
MAX_CELL_CHARS = 32_767
TRUNCATION_MARKER = "…[truncated]"
#: Excel stops reading hyperlinks past this many on one worksheet, and past this URL length.
MAX_HYPERLINKS_PER_SHEET = 65_530
MAX_URL_CHARS = 2_079
MAX_SHEET_NAME = 31
#: Fills for the default health-band labels (soft tints that print well and keep text legible).
DEFAULT_BAND_COLOURS: dict[str, str] = {
    "Red": "F8D7DA",
    "Amber": "FFE5B4",
    "Yellow": "FFF3CD",
    "Green": "D4EDDA",
}
_NUMBER_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "percent": "0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_LINK_SCHEMES = ("http", "https", "mailto")
# First characters that make a spreadsheet read text as a formula (OWASP CSV injection list).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_ERROR_TEXT = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
# Characters that XML 1.0 (and so xlsx) cannot hold; tab, newline and CR are allowed.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# One cheap test that says "this string needs a closer look" (trigger, error text, illegal char).
_NEEDS_LOOK = re.compile(r"^[=+\-@\t\r#]|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_WIDTH_SAMPLE = 500
_MIN_WIDTH, _MAX_WIDTH = 6.0, 60.0
_MAX_HEADER_WIDTH = 16

_RIGHT_ALIGNED_KINDS = frozenset({"int", "number", "currency", "percent"})
#: Colours (hex RGB): header fill, header fill over editable columns, editable cell fill, title.
HEADER_FILL = "1F3864"
HEADER_EDITABLE_FILL = "375623"
EDITABLE_FILL = "FFF9DB"
TITLE_COLOUR = "1F3864"
#: Prefix of the scratch folder xlsxwriter streams rows into (removed after every export).
TEMP_PREFIX = "acctdesk-xlsx-"
_EXCEL_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()


class ExportError(Exception):
    """An export could not be written; the message says why and what to do."""


@dataclass
class ColumnSpec:
    """One visible column of an exported table.

    Parameters
    ----------
    key : str
        Column of the frame.
    title : str
        Header text shown to the reader.
    kind : str
        ``text``, ``int``, ``number``, ``currency``, ``percent`` (the value is a fraction:
        0.85 is shown as 85%), ``date`` (ISO text, ``date`` or timestamp), ``datetime``,
        ``band`` (a health-band label, coloured) or ``url`` (a link when http, https or
        mailto).
    width : float, optional
        Column width in Excel character units; by default from a sample of the content.
    band_colours : dict, optional
        For ``kind="band"``: label -> hex fill (``"F8D7DA"``); default
        :data:`DEFAULT_BAND_COLOURS`.
    number_format : str, optional
        Overrides the Excel number format the kind implies (e.g. ``'"$"#,##0.00'``).
    editable : bool
        A column the reader is meant to type in (xlsx: light yellow cells, a green header).
    choices : sequence of str, optional
        xlsx: a drop-down list of these values on the column's cells (other values warn).
    wrap : bool
        xlsx: wrap long text inside the column width instead of overflowing.
    row_kinds : str, optional
        For a numeric column holding different quantities (a KPI table): the frame column
        naming each row's kind (``currency``, ``percent``, ``int``, ``number``); xlsx gives
        each cell that kind's number format. Text values stay text.
    """

    key: str
    title: str
    kind: str = "text"
    width: float | None = None
    band_colours: dict[str, str] | None = None
    number_format: str | None = None
    editable: bool = False
    choices: tuple[str, ...] | None = None
    wrap: bool = False
    row_kinds: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.key!r}; use one of {KINDS}")


@dataclass
class SheetSpec:
    """One table to export: the frame as shown, its visible columns and an optional title block.

    ``title`` and ``subtitle`` (e.g. the workspace name and "Exported 2026-11-22 10:15") go in
    rows above the header in xlsx; csv files carry only the table. ``hidden`` sheets are
    written hidden (xlsx only; used for the priority pack's round-trip marker).
    """

    name: str
    frame: pd.DataFrame
    columns: list[ColumnSpec]
    title: str | None = None
    subtitle: str | None = None
    hidden: bool = False


@dataclass
class ExportReport:
    """What an export wrote.

    ``rows`` counts data rows (header and title rows excluded) over all sheets.
    ``truncated_cells`` lists ``(sheet, row, column title)`` for every cut text, where ``row``
    is the 1-based row number the reader sees in the spreadsheet (csv: the line's record
    number, header = 1). ``sheets`` holds the final (valid, unique) sheet names in order.
    """

    path: Path
    rows: int
    truncated_cells: list[tuple[str, int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sheet names


def make_sheet_names(names: list[str]) -> list[str]:
    """Return valid, unique Excel sheet names for ``names``, in order.

    Forbidden characters become ``_``, names are cut to 31 characters, blank names become
    ``Sheet``, the reserved name ``History`` gets a suffix, and duplicates (Excel compares
    names ignoring case) get `` (2)``, `` (3)``... within the 31-character limit.
    """
    used: set[str] = set()
    out: list[str] = []
    for raw in names:
        name = _SHEET_NAME_BAD.sub("_", str(raw if raw is not None else ""))
        name = _XML_ILLEGAL.sub("", name).strip().strip("'").strip()
        if not name:
            name = "Sheet"
        if name.casefold() == "history":
            name = f"{name} (1)"
        base = name[:MAX_SHEET_NAME].rstrip().rstrip("'") or "Sheet"
        candidate, n = base, 1
        while candidate.casefold() in used:
            n += 1
            suffix = f" ({n})"
            candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


# --------------------------------------------------------------------------- text safety


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    """Cut ``text`` so it plus the marker fits ``limit`` UTF-16 units, never splitting a pair."""
    budget = limit - _utf16_len(TRUNCATION_MARKER)
    head = text[:budget]
    while _utf16_len(head) > budget:  # astral characters count twice
        head = head[: len(head) - max(1, (_utf16_len(head) - budget) // 2)]
    return head + TRUNCATION_MARKER


@dataclass
class _TextCheck:
    """Result of checking one text value: the text to write and what was done to it."""

    text: str
    risky: bool = False  # a spreadsheet would read it as a formula
    error_like: bool = False  # reads like an error value such as #N/A
    truncated: bool = False
    cleaned: bool = False  # illegal control characters removed


def _check_text(text: str, limit: int, prefix_len: int = 0) -> _TextCheck:
    cleaned = False
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
        cleaned = True
    risky = text.startswith(_FORMULA_TRIGGERS)
    error_like = text.strip().upper() in _EXCEL_ERROR_TEXT
    truncated = False
    room = limit - (prefix_len if risky else 0)
    if len(text) > room // 2 and _utf16_len(text) > room:
        text = _cut(text, room)
        truncated = True
    return _TextCheck(text, risky, error_like, truncated, cleaned)


# --------------------------------------------------------------------------- column values


@dataclass
class _Column:
    """One column prepared for writing: Python values, with per-row flags for text."""

    spec: ColumnSpec
    values: list[Any]  # None for empty cells
    is_text: list[bool] | None  # per row, for mixed numeric columns (text fallbacks)
    risky: set[int]  # rows whose text a spreadsheet would read as a formula
    error_like: set[int]  # rows whose text reads like an error value (#N/A)
    truncated: list[int]
    number_format: str | None
    non_finite: int = 0
    cleaned: int = 0
    unparsed: int = 0
    row_kinds: list[Any] | None = None


def _number_format(spec: ColumnSpec, currency: str) -> str | None:
    if spec.number_format:
        return spec.number_format
    if spec.kind == "currency":
        return excel_money_format(currency)
    return _NUMBER_FORMATS.get(spec.kind)


def _missing_mask(series: pd.Series) -> np.ndarray:
    return series.isna().to_numpy(dtype=bool)


def _as_text_list(series: pd.Series, missing: np.ndarray) -> list[str | None]:
    values = series.tolist()
    out: list[str | None] = []
    append = out.append
    for value, gone in zip(values, missing):
        if gone:
            append(None)
        elif type(value) is str:
            append(value if value else None)
        elif isinstance(value, float) and value.is_integer():
            append(str(int(value)))  # 3.0 in a text column (ids from a float column) reads 3
        else:
            text = str(value)
            append(text if text else None)
    return out


def _prepare_column(series: pd.Series, spec: ColumnSpec, currency: str, limit: int,
                    quote_len: int) -> _Column:
    """Turn one frame column into the Python values to write, vectorised where it pays."""
    missing = _missing_mask(series)
    kind = spec.kind
    fmt = _number_format(spec, currency)
    col = _Column(spec, [], None, set(), set(), [], fmt)

    if kind in ("int", "number", "currency", "percent"):
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("Int64")
        numeric = pd.to_numeric(series, errors="coerce")
        if pd.api.types.is_integer_dtype(numeric.dtype):
            values = numeric.astype(object).where(~missing, None).tolist()
        else:
            arr = numeric.to_numpy(dtype=float, na_value=np.nan)
            finite = np.isfinite(arr)
            col.non_finite = int((np.isinf(arr)).sum())
            if kind == "int":
                whole = finite & (arr == np.round(arr))
                values = [
                    (int(v) if w else v) if f else None
                    for v, f, w in zip(arr.tolist(), finite.tolist(), whole.tolist())
                ]
            else:
                values = [v if f else None for v, f in zip(arr.tolist(), finite.tolist())]
            # Non-numeric text in a numeric column is kept (as safe text), not dropped.
            fallback = np.flatnonzero(~finite & ~missing & ~np.isinf(arr))
            if len(fallback):
                col.is_text = [False] * len(values)
                raw = series.iloc[fallback].tolist()
                for i, value in zip(fallback.tolist(), raw):
                    values[i] = str(value)
                    col.is_text[i] = True
                _check_texts(values, col, limit, quote_len, only=fallback.tolist())
        col.values = values
        return col

    if kind in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            stamps = series
        else:
            try:
                stamps = pd.to_datetime(series, errors="coerce", format="ISO8601")
            except (ValueError, TypeError):  # e.g. a mix of time zones: fall back to UTC
                stamps = pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True)
        if getattr(stamps.dt, "tz", None) is not None:
            # Excel has no time zones: keep the wall-clock time the user sees.
            stamps = stamps.dt.tz_localize(None)
        nat = stamps.isna().to_numpy(dtype=bool)
        if kind == "date":
            stamps = stamps.dt.normalize()
        pyvals = stamps.astype(object).where(~nat, None).tolist()
        if kind == "date":
            values = [v.date() if v is not None else None for v in pyvals]
        else:
            values = [v.to_pydatetime() if v is not None else None for v in pyvals]
        fallback = np.flatnonzero(nat & ~missing)
        if len(fallback):
            col.unparsed = len(fallback)
            col.is_text = [False] * len(values)
            raw = series.iloc[fallback].tolist()
            for i, value in zip(fallback.tolist(), raw):
                values[i] = str(value)
                col.is_text[i] = True
            _check_texts(values, col, limit, quote_len, only=fallback.tolist())
        col.values = values
        return col

    # text, band, url
    values = _as_text_list(series, missing)
    col.values = values
    _check_texts(values, col, limit, quote_len)
    return col


def _check_texts(values: list[Any], col: _Column, limit: int, quote_len: int,
                 only: list[int] | None = None) -> None:
    """Check text values in place: neutralise formula-like text, cut long text, clean XML."""
    look = _NEEDS_LOOK.search
    half = (limit - quote_len) // 2
    indexes = range(len(values)) if only is None else only
    for i in indexes:
        text = values[i]
        if text is None or not (look(text) or len(text) > half):
            continue
        checked = _check_text(text, limit, quote_len)
        values[i] = checked.text if checked.text else None
        if checked.risky:
            col.risky.add(i)
        if checked.error_like:
            col.error_like.add(i)
        if checked.truncated:
            col.truncated.append(i)
        if checked.cleaned:
            col.cleaned += 1


def _link_target(text: str) -> str | None:
    """The hyperlink target for ``text`` if it is an http(s) or mailto URL Excel accepts."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_URL_CHARS or any(c.isspace() for c in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _LINK_SCHEMES:
        return None
    if scheme in ("http", "https") and not parts.netloc:
        return None
    if scheme == "mailto" and "@" not in parts.path:
        return None
    return candidate


# --------------------------------------------------------------------------- widths


def _display_len(text: str) -> int:
    longest = 0
    for line in text.splitlines() or [""]:
        n = len(line)
        if not line.isascii():
            n += sum(1 for ch in line if unicodedata.east_asian_width(ch) in "WF")
        longest = max(longest, n)
    return longest


def _shown(value: Any, kind: str) -> str:
    """Roughly the text Excel shows for ``value`` (for column widths only)."""
    if isinstance(value, str):
        return value
    if kind == "currency":
        return f"${value:,.0f}"
    if kind == "percent":
        return f"{value:.0%}"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "number":
        return f"{value:,.2f}"
    if kind == "date":
        return "2026-01-01"
    if kind == "datetime":
        return "2026-01-01 00:00"
    return str(value)


def _column_width(col: _Column, currency: str) -> float:
    if col.spec.width is not None:
        return float(col.spec.width)
    values = col.values
    n = len(values)
    if n > _WIDTH_SAMPLE:
        picks = np.linspace(0, n - 1, _WIDTH_SAMPLE).astype(int).tolist()
    else:
        picks = range(n)
    content = 0
    for i in picks:
        value = values[i]
        if value is not None:
            content = max(content, _display_len(_shown(value, col.spec.kind)))
    if col.spec.kind == "currency":
        content += len(affixes(currency)[1])     # " CHF" after the amount
    # room for the autofilter button; a long title wraps onto two lines instead of widening
    header = min(_display_len(col.spec.title) + 4, _MAX_HEADER_WIDTH)
    return max(_MIN_WIDTH, min(_MAX_WIDTH, max(header, content + 2)))


# --------------------------------------------------------------------------- atomic write


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a new file next to ``path``, then rename it over ``path``."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"Cannot export to {path}: the folder {directory} does not exist.")
    tmp = directory / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # O_EXCL: never clobber anything. 0o600: an export holds the workspace's data, so it
        # is private to the user like the workspace itself (whatever the umask).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise ExportError(
            f"Cannot write in {directory}: {exc.strerror}. Choose a folder you can write to."
        ) from exc
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise ExportError(
                f"Cannot replace {path}: it is open in another program or read-only. "
                "Close it (e.g. in Excel) and export again, or choose another name."
            ) from exc
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --------------------------------------------------------------------------- xlsx


def _validate(sheet: SheetSpec) -> None:
    columns = sheet.frame.columns
    missing = [c.key for c in sheet.columns if c.key not in columns]
    missing += [c.row_kinds for c in sheet.columns if c.row_kinds and c.row_kinds not in columns]
    if missing:
        raise ExportError(
            f"Sheet {sheet.name!r}: the frame has no column(s) {', '.join(map(repr, missing))}."
        )
    doubled = sorted({c.key for c in sheet.columns if (columns == c.key).sum() > 1})
    if doubled:
        raise ExportError(
            f"Sheet {sheet.name!r}: the frame has more than one column named "
            f"{', '.join(map(repr, doubled))}; rename them before exporting."
        )


def write_xlsx(path: str | os.PathLike[str], sheets: list[SheetSpec], *,
               currency: str = "USD",
               custom_properties: dict[str, str] | None = None) -> ExportReport:
    """Write ``sheets`` to an xlsx workbook at ``path``, atomically.

    Each sheet holds an optional title block (title, subtitle, blank row), a bold header on a
    dark fill, then exactly the frame's rows and the given columns in order. The header row
    and first column are frozen, the autofilter covers the table, columns are sized from a
    sample of their content (at most 60 characters wide), numbers carry real Excel number
    formats (currency in ``currency``, percent as ``0%`` of a fraction, dates as real dates
    shown ``yyyy-mm-dd``), ``url`` cells are links (http, https, mailto only) and ``band``
    cells are coloured by conditional formatting. Columns marked ``editable`` get a light
    yellow fill and, with ``choices``, a drop-down list. A sheet with ``hidden=True`` is
    written hidden. ``custom_properties`` become the workbook's custom document properties
    (File > Properties > Custom in Excel). See the module docstring for the safety rules.

    Returns
    -------
    ExportReport
        Rows written, truncated cells, warnings and the final sheet names.

    Raises
    ------
    ExportError
        A column is missing from its frame, or the file cannot be written. The old file at
        ``path``, if any, is unchanged.
    """
    path = Path(path)
    if not sheets:
        raise ExportError("Nothing to export: no sheets were given.")
    if all(s.hidden for s in sheets):
        raise ExportError("Nothing to export: every sheet is hidden.")
    for sheet in sheets:
        _validate(sheet)
    names = make_sheet_names([s.name for s in sheets])
    report = ExportReport(path=path, rows=0, sheets=names)
    for sheet, name in zip(sheets, names):
        if name != sheet.name:
            report.warnings.append(f"Sheet name {sheet.name!r} was changed to {name!r}.")

    def write(tmp: Path) -> None:
        # xlsxwriter streams each sheet's rows to a temporary file; keep those in a folder of
        # our own so a failed export removes them at once.
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as scratch:
            wb = xlsxwriter.Workbook(str(tmp), {
                "constant_memory": True,
                "tmpdir": scratch,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "use_future_functions": False,
            })
            wb.set_properties({"author": "acctdesk", "comments": "Exported by acctdesk"})
            for key, value in (custom_properties or {}).items():
                wb.set_custom_property(str(key), str(value))
            styles = _Styles(wb)
            visible_first = next(i for i, s in enumerate(sheets) if not s.hidden)
            for i, (sheet, name) in enumerate(zip(sheets, names)):
                ws = _write_sheet(wb, styles, sheet, name, currency, report)
                if i == visible_first:
                    ws.activate()
            wb.close()

    _atomic_write(path, write)
    return report


class _Styles:
    """The workbook's formats, created once (xlsxwriter formats belong to one workbook)."""

    def __init__(self, wb) -> None:
        self.wb = wb
        self._cache: dict[tuple, Any] = {}

    def get(self, *, number_format: str | None = None, quote: bool = False,
            editable: bool = False, link: bool = False, header: str | None = None,
            wrap: bool = False, title: bool = False, subtitle: bool = False) -> Any:
        key = (number_format, quote, editable, link, header, wrap, title, subtitle)
        fmt = self._cache.get(key)
        if fmt is None:
            props: dict[str, Any] = {}
            if number_format:
                props["num_format"] = number_format
                if number_format.startswith("yyyy"):
                    props["align"] = "left"  # like its header; keeps dates off the next text
                else:  # numbers: right-aligned with a one-character gap before the next text
                    props.update({"align": "right", "indent": 1})
            if quote:
                props["quote_prefix"] = True
            if editable:
                props["bg_color"] = "#" + EDITABLE_FILL
                props["border"] = 1
                props["border_color"] = "#D9D9D9"
            if link:
                props.update({"font_color": "#0563C1", "underline": 1})
            if wrap:
                props["text_wrap"] = True
            if header is None and not title and not subtitle:
                props["valign"] = "top"  # data cells line up with wrapped neighbours
            if title:
                props.update({"bold": True, "font_size": 14, "font_color": "#" + TITLE_COLOUR})
            if subtitle:
                props.update({"italic": True, "font_color": "#595959"})
            if header is not None:
                fill = HEADER_EDITABLE_FILL if editable else HEADER_FILL
                props.update({"bold": True, "font_color": "#FFFFFF", "bg_color": "#" + fill,
                              "pattern": 1, "bottom": 1, "bottom_color": "#" + fill,
                              "valign": "vcenter"})
                props.pop("border", None)
                props.pop("border_color", None)
                if header == "right":
                    props.update({"align": "right", "indent": 1})
                if wrap:
                    props.update({"text_wrap": True, "valign": "bottom"})
            fmt = self.wb.add_format(props) if props else None
            self._cache[key] = fmt
        return fmt


def _excel_serials(values: list[Any], is_text: list[bool] | None) -> list[Any]:
    """Dates and datetimes as Excel serial numbers (1900 date system), text left alone.

    serial = days since 1899-12-30 + seconds / 86,400 (the 1900 leap-year bug only matters
    before March 1900).
    """
    out: list[Any] = []
    append = out.append
    offset = _EXCEL_EPOCH_ORDINAL
    for i, v in enumerate(values):
        if v is None or (is_text is not None and is_text[i]):
            append(v)
        elif isinstance(v, dt.datetime):
            append(v.toordinal() - offset + (v.hour * 3600 + v.minute * 60 + v.second
                                             + v.microsecond / 1e6) / 86400.0)
        else:
            append(v.toordinal() - offset)
    return out


def _write_sheet(wb, styles: _Styles, sheet: SheetSpec, name: str, currency: str,
                 report: ExportReport):
    ws = wb.add_worksheet(name)
    frame = sheet.frame
    specs = sheet.columns
    ncols = len(specs)
    nrows = len(frame)
    cols = [
        _prepare_column(frame[spec.key], spec, currency, MAX_CELL_CHARS, 0) for spec in specs
    ]
    for col in cols:
        if col.spec.row_kinds:
            col.row_kinds = frame[col.spec.row_kinds].tolist()

    title_rows = 0
    if sheet.title or sheet.subtitle:
        title_rows = (1 if sheet.title else 0) + (1 if sheet.subtitle else 0) + 1  # + gap
    header_row = title_rows  # 0-based
    first_data = header_row + 1
    last_row = header_row + nrows

    widths = [round(_column_width(col, currency), 1) for col in cols]
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    if ncols:
        ws.freeze_panes(first_data, 1 if ncols > 1 else 0)
        ws.autofilter(header_row, 0, max(last_row, header_row), ncols - 1)
    ws.repeat_rows(header_row)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)  # A4; Letter users get it scaled by the printer dialog
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&L&8&A&R&8Page &P of &N")
    if sheet.hidden:
        ws.hide()

    row = 0
    if sheet.title:
        _text_cell(ws, row, 0, sheet.title, styles, role="title")
        row += 1
    if sheet.subtitle:
        _text_cell(ws, row, 0, sheet.subtitle, styles, role="subtitle")
        row += 1

    wrap_header = any(_display_len(spec.title) + 4 > w for spec, w in zip(specs, widths))
    for c, spec in enumerate(specs):
        align = "right" if spec.kind in _RIGHT_ALIGNED_KINDS else "left"
        _text_cell(ws, header_row, c, spec.title, styles, role="header", align=align,
                   editable=spec.editable, wrap=wrap_header)
    if wrap_header:
        ws.set_row(header_row, 32)
    elif title_rows:
        ws.set_row(header_row, 20)

    _stream_rows(ws, styles, cols, first_data, name, report, currency, widths)

    for i, col in enumerate(cols):
        if col.spec.kind == "band" and nrows:
            _add_band_rules(ws, styles, i, first_data, last_row, col.spec)
        if col.spec.choices and nrows:
            ws.data_validation(first_data, i, last_row, i, {
                "validate": "list", "source": list(col.spec.choices),
                "error_type": "warning", "error_title": col.spec.title,
                "error_message": "Choose one of: " + ", ".join(col.spec.choices),
            })
        _collect_warnings(col, name, first_data + 1, report)
    report.rows += nrows
    return ws


def _text_cell(ws, row: int, col: int, text: Any, styles: _Styles, *, role: str,
               align: str | None = None, editable: bool = False, wrap: bool = False) -> None:
    """A one-off text cell (title, subtitle, header) never read as a formula or an error."""
    checked = _check_text(str(text), MAX_CELL_CHARS)
    if role == "header":
        fmt = styles.get(quote=checked.risky, header=align or "left", editable=editable,
                         wrap=wrap)
    else:
        fmt = styles.get(quote=checked.risky, title=role == "title",
                         subtitle=role == "subtitle")
    ws.write_string(row, col, checked.text, fmt)


def _wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` characters wide (an estimate)."""
    per_line = max(1, int(width) - 1)
    return sum(max(1, -(-_display_len(part) // per_line)) for part in text.split("\n"))


def _stream_rows(ws, styles: _Styles, cols: list[_Column], first_data: int, sheet_name: str,
                 report: ExportReport, currency: str = "USD",
                 widths: list[float] | None = None) -> None:
    """Write the data rows in order (constant-memory mode flushes each finished row).

    Each column gets one small writer function chosen once from its kind; numbers and dates
    go through ``write_number`` with the column's format (dates as precomputed Excel serials),
    text through ``write_string`` (which never makes a formula), links through ``write_url``.
    Empty cells of editable columns get a blank cell with the editable fill. Rows with
    wrapped text get a height for their estimated number of lines (15 points a line, at
    most 409): spreadsheets do not grow rows of a written file by themselves.
    """
    if not cols:
        return
    link_budget = [MAX_HYPERLINKS_PER_SHEET]
    skipped_links = [0]
    writers = [_cell_writer(ws, styles, col, link_budget, skipped_links, currency)
               for col in cols]
    columns = []
    for col in cols:
        if col.spec.kind in ("date", "datetime"):
            columns.append(_excel_serials(col.values, col.is_text))
        else:
            columns.append(col.values)
    blanks = {c: styles.get(editable=True) for c, col in enumerate(cols) if col.spec.editable}
    wraps = [(c, (widths or [])[c] if widths else 10.0) for c, col in enumerate(cols)
             if col.spec.wrap]
    plan = list(enumerate(writers))
    write_blank, set_row = ws.write_blank, ws.set_row
    r = first_data
    for i, values in enumerate(zip(*columns)):
        if wraps:
            lines = max(_wrapped_lines(values[c], w) if isinstance(values[c], str) else 1
                        for c, w in wraps)
            if lines > 1:
                set_row(r, min(409, 15 * lines))
        for c, write in plan:
            v = values[c]
            if v is not None:
                write(r, c, v, i)
            elif blanks and c in blanks:
                write_blank(r, c, None, blanks[c])
        r += 1
    if skipped_links[0]:
        report.warnings.append(
            f"Sheet {sheet_name!r}: {skipped_links[0]} URL(s) were written as plain text, "
            f"not links (Excel allows at most {MAX_HYPERLINKS_PER_SHEET:,} links a sheet)."
        )


def _cell_writer(ws, styles: _Styles, col: _Column, link_budget: list[int],
                 skipped_links: list[int], currency: str = "USD"
                 ) -> Callable[[int, int, Any, int], Any]:
    kind = col.spec.kind
    editable = col.spec.editable
    risky = col.risky | col.error_like  # both must stay plain text
    write_string = ws.write_string
    write_number = ws.write_number
    plain = styles.get(editable=editable, wrap=col.spec.wrap)
    quoted = styles.get(quote=True, editable=editable, wrap=col.spec.wrap)

    def text_value(r: int, c: int, value: str, i: int) -> Any:
        return write_string(r, c, value, quoted if i in risky else plain)

    if kind in ("text", "band"):
        if not risky:
            if plain is None:
                return lambda r, c, value, i: write_string(r, c, value)
            return lambda r, c, value, i: write_string(r, c, value, plain)
        return text_value

    if kind == "url":
        link_fmt = styles.get(link=True, editable=editable)
        write_url = ws.write_url

        def url_value(r: int, c: int, value: str, i: int) -> Any:
            if i in risky:
                return text_value(r, c, value, i)
            target = _link_target(value)
            if target is None:
                return write_string(r, c, value, plain)
            if link_budget[0] <= 0:
                skipped_links[0] += 1
                return write_string(r, c, value, plain)
            link_budget[0] -= 1
            if write_url(r, c, target, link_fmt, value) < 0:  # refused by xlsxwriter
                link_budget[0] += 1
                skipped_links[0] += 1
                return write_string(r, c, value, plain)
            return 0
        return url_value

    # Numeric and date kinds: one format carrying the number format.
    styled = styles.get(number_format=col.number_format, editable=editable)
    is_text = col.is_text
    if col.row_kinds is not None:
        kinds = col.row_kinds
        by_kind: dict[Any, Any] = {}
        for k in set(kinds):
            fmt = _number_format(ColumnSpec("_", "_", k), currency) if k in KINDS else None
            by_kind[k] = styles.get(number_format=fmt or col.number_format, editable=editable)

        def row_kind_value(r: int, c: int, value: Any, i: int) -> Any:
            if is_text is not None and is_text[i]:
                return text_value(r, c, value, i)
            return write_number(r, c, value, by_kind[kinds[i]])
        return row_kind_value

    if is_text is None:
        return lambda r, c, value, i: write_number(r, c, value, styled)

    def mixed_value(r: int, c: int, value: Any, i: int) -> Any:
        if is_text[i]:
            return text_value(r, c, value, i)
        return write_number(r, c, value, styled)
    return mixed_value


def _add_band_rules(ws, styles: _Styles, col: int, first: int, last: int,
                    spec: ColumnSpec) -> None:
    colours = spec.band_colours or DEFAULT_BAND_COLOURS
    for label, colour in colours.items():
        colour = colour.lstrip("#").upper()
        key = ("band", colour)
        fmt = styles._cache.get(key)
        if fmt is None:
            fmt = styles._cache[key] = styles.wb.add_format({"bg_color": "#" + colour})
        literal = '"' + str(label).replace('"', '""') + '"'
        ws.conditional_format(first, col, last, col, {
            "type": "cell", "criteria": "==", "value": literal, "format": fmt,
        })


def _collect_warnings(col: _Column, sheet_name: str, first_data: int, report: ExportReport) -> None:
    """Report truncations and clean-ups; ``first_data`` is the 1-based row of the first value."""
    title = col.spec.title
    for i in col.truncated:
        report.truncated_cells.append((sheet_name, first_data + i, title))
    if col.truncated:
        report.warnings.append(
            f"Sheet {sheet_name!r}, column {title!r}: {len(col.truncated)} text(s) longer than "
            f"{MAX_CELL_CHARS:,} characters were cut and end with {TRUNCATION_MARKER!r}."
        )
    if col.cleaned:
        report.warnings.append(
            f"Sheet {sheet_name!r}, column {title!r}: control characters were removed from "
            f"{col.cleaned} value(s)."
        )
    if col.non_finite:
        report.warnings.append(
            f"Sheet {sheet_name!r}, column {title!r}: {col.non_finite} infinite value(s) were "
            "left empty."
        )
    if col.unparsed:
        report.warnings.append(
            f"Sheet {sheet_name!r}, column {title!r}: {col.unparsed} value(s) are not dates and "
            "were written as text."
        )


# --------------------------------------------------------------------------- csv


def _csv_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(path: str | os.PathLike[str], sheet: SheetSpec) -> ExportReport:
    """Write one table to a csv file at ``path``, atomically.

    UTF-8 with a byte-order mark (so Excel reads accents right), comma-separated, CRLF line
    ends, fields quoted when needed. Exactly the frame's rows and the given columns in order,
    header from the column titles; no title block. Numbers are plain (``1234.5``, percent as
    the fraction ``0.85``), dates ISO (``2026-11-22``, ``2026-11-22 10:15:00``), empty for
    missing values. Text that a spreadsheet would evaluate (starting with ``=``, ``+``, ``-``,
    ``@``, tab or CR) is prefixed with ``'`` (OWASP's advice for CSV injection); text over
    32,767 characters is cut with ``…[truncated]`` and reported, like in xlsx.
    """
    path = Path(path)
    _validate(sheet)
    specs = sheet.columns
    cols = [_prepare_column(sheet.frame[s.key], s, "USD", MAX_CELL_CHARS, 1) for s in specs]
    for col in cols:
        for i in col.risky:
            col.values[i] = "'" + col.values[i]
    name = sheet.name
    report = ExportReport(path=path, rows=len(sheet.frame), sheets=[name])

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = _csv.writer(fh, lineterminator="\r\n")
            header = []
            for spec in specs:
                checked = _check_text(str(spec.title), MAX_CELL_CHARS, 1)
                header.append(("'" if checked.risky else "") + checked.text)
            writer.writerow(header)
            kinds = [s.kind for s in specs]
            for values in zip(*(c.values for c in cols)):
                writer.writerow([_csv_text(v, k) for v, k in zip(values, kinds)])

    _atomic_write(path, write)
    for col in cols:
        _collect_warnings(col, name, 2, report)
    return report
