"""Workbooks: XLSX/XLSM and ODS through fastexcel (calamine), legacy XLS in a helper
process, and the xlsx head reader (first rows, date formats and merged header cells)."""
from __future__ import annotations

import datetime as _dt
import math
import os
import pickle
import posixpath
import re
import subprocess
import sys
import time
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ImportFileError
from .base import (SheetSkipped, CELL_REF, FIX_EXPORT, HEADER_SEARCH_ROWS, REL_NS, STRICT_REL_NS, Sheet,
                   check_cancel, col_index, local_name, log)
from .files import guard
from .layout import (clean_header_cell, filled_mask, find_header, finish_sheet, is_numberish,
                     unique_names)

# ---------------------------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------------------------

#: set in the helper process that reads a legacy .xls for the app (see _read_isolated)
_CHILD_ENV = "ACCTDESK_READER_CHILD"
#: seconds a legacy .xls may take to read in its helper process
XLS_TIMEOUT_S = 300


def _read_isolated(path: Path, sheet: str | None, cancel, max_rows) -> list[Sheet]:
    """Read a legacy .xls in a helper process and bring its sheets back.

    The .xls reader trusts the file's internal sizes: a damaged or crafted file can make it
    ask for hundreds of gigabytes, and the process is aborted on the spot (no exception to
    catch). In a helper process that only ends the helper; the file is refused with a message.
    """
    if getattr(sys, "frozen", False):
        cmd = [sys.executable, "--read-workbook"]
    else:
        cmd = [sys.executable, "-m", "acctdesk", "--read-workbook"]
    cmd += [str(path), sheet or "", "" if max_rows is None else str(int(max_rows))]
    env = dict(os.environ)
    env[_CHILD_ENV] = "1"
    env.setdefault("RUST_BACKTRACE", "0")
    if not getattr(sys, "frozen", False):
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    started = time.monotonic()
    while True:
        try:
            out, err = proc.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if (cancel is not None and cancel()) or time.monotonic() - started > XLS_TIMEOUT_S:
                proc.kill()
                proc.communicate()
                check_cancel(cancel)
                raise ImportFileError.for_file(
                    path, f"took more than {XLS_TIMEOUT_S // 60} minutes to read and was given "
                          "up", "Open it in Excel or LibreOffice and save it as .xlsx or .csv.")
    try:
        status, payload = pickle.loads(out) if proc.returncode == 0 and out else (None, None)
    except Exception:  # noqa: BLE001 - the helper did not finish its answer
        status, payload = None, None
    if status == "ok":
        return payload
    if status == "error":
        raise ImportFileError(payload, path=path)
    log.info("reading %s in a helper process failed (exit %s): %s", path, proc.returncode,
                err.decode("utf-8", "replace")[-2000:])
    raise ImportFileError.for_file(
        path, "made the Excel 97-2003 reader fail (the file is damaged, or its internal sizes "
              "are impossible)", "Open it in Excel or LibreOffice and save it as .xlsx, or "
                                 "export the data again as .csv.")


def child_main(argv: list[str]) -> int:
    """The helper process of :func:`_read_isolated`: read, answer on stdout, exit."""
    path, sheet, max_rows = Path(argv[0]), argv[1] or None, argv[2] or None
    os.environ[_CHILD_ENV] = "1"
    try:
        answer = ("ok", guard(path, lambda: read_workbook(
            path, "xls", sheet, None, int(max_rows) if max_rows else None)))
    except ImportFileError as exc:
        answer = ("error", str(exc))
    data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


def read_workbook(path: Path, kind: str, sheet: str | None, cancel, max_rows) -> list[Sheet]:
    if kind == "xls" and os.environ.get(_CHILD_ENV) != "1":
        return _read_isolated(path, sheet, cancel, max_rows)
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001
        raise _workbook_error(path, kind, exc) from exc
    if sheet is not None:
        if sheet not in names:
            raise ImportFileError.for_file(
                path, f"has no sheet named '{sheet}' (it has: {', '.join(names)})",
                "Choose one of its sheets.")
        names = [sheet]
    head_reader = None
    if kind == "xlsx":
        try:
            head_reader = _XlsxHead(path)
        except Exception:  # noqa: BLE001 - fall back to fastexcel head loads
            log.info("xlsx head reader failed for %s", path, exc_info=True)
    sheets: list[Sheet] = []
    skipped: list[str] = []
    try:
        for name in names:
            check_cancel(cancel)
            try:
                result = _read_one_sheet(path, reader, head_reader, name, cancel, max_rows)
            except SheetSkipped as why:
                skipped.append(f"sheet '{name}' {why}")
                continue
            sheets.append(result)
    finally:
        if head_reader is not None:
            head_reader.close()
    if not sheets:
        if skipped and all("no data rows" in s for s in skipped):
            raise ImportFileError.for_file(
                path, "has a header but no data rows"
                + (f" ({'; '.join(skipped)})" if len(names) > 1 else ""),
                "Check the report's filters and export it again.")
        raise ImportFileError.for_file(
            path, "has no data: " + ("; ".join(skipped) if skipped else "every sheet is empty"),
            "Check that you exported the right report.")
    if skipped:
        sheets[0].notes.append("skipped " + "; ".join(skipped))
    return sheets




def _workbook_error(path: Path, kind: str, exc: Exception) -> ImportFileError:
    text = str(exc)
    low = text.lower()
    what = {"xlsx": "Excel workbook", "xls": "Excel 97-2003 workbook", "ods": "OpenDocument spreadsheet"}[kind]
    if "password" in low or "encrypt" in low:
        return ImportFileError.for_file(path, "is password-protected",
                                        "Remove the password in the spreadsheet program and save it again.")
    detail = text.strip().splitlines()[0][:160] if text.strip() else type(exc).__name__
    return ImportFileError.for_file(path, f"could not be read as an {what} ({detail})", FIX_EXPORT)


def _grid_from_fastexcel(reader, name: str, nrows: int) -> tuple[list[list[str]], int]:
    """Top rows as absolute text grid (from row 1 and column A) via fastexcel."""
    s = reader.load_sheet(name, header_row=None, skip_rows=0, n_rows=nrows, dtypes="string")
    cols = s.available_columns()
    first_col = cols[0].absolute_index if cols else 0
    df = s.to_pandas()
    grid = []
    for row in df.itertuples(index=False, name=None):
        grid.append([""] * first_col + ["" if (x is None or (isinstance(x, float) and math.isnan(x)))
                                        else str(x) for x in row])
    return grid, first_col


def _read_one_sheet(path: Path, reader, head_reader, name: str, cancel, max_rows) -> Sheet:
    notes: list[str] = []
    grid = None
    if head_reader is not None and name in head_reader.sheet_paths:
        try:
            grid = head_reader.head(name, HEADER_SEARCH_ROWS + 10)
        except Exception:  # noqa: BLE001
            log.info("xlsx head read failed for %s/%s", path, name, exc_info=True)
            grid = None
    if grid is None:
        grid, _ = _grid_from_fastexcel(reader, name, HEADER_SEARCH_ROWS + 10)
    width = max((len(r) for r in grid), default=0)
    grid = [list(r) + [""] * (width - len(r)) for r in grid]
    if not any(v.strip() for r in grid for v in r):
        raise SheetSkipped("is empty")
    h, hnote = find_header(grid)
    header_rows = [h]
    # Merged header cells (xlsx only): only look when the header area is not a clean row.
    if head_reader is not None and name in head_reader.sheet_paths:
        header_cells = grid[h]
        first = next(i for i, v in enumerate(header_cells) if v.strip())
        last = max(i for i, v in enumerate(header_cells) if v.strip())
        gaps = any(not v.strip() for v in header_cells[first:last + 1])
        above = h > 0 and any(v.strip() for v in grid[h - 1])
        if gaps or above or first > 0:
            try:
                merges = head_reader.merged_ranges(name, h + 2)
            except Exception:  # noqa: BLE001
                merges = []
            if merges:
                grid, header_rows, mnote = _apply_merges(grid, h, merges)
                if mnote:
                    notes.append(mnote)
    if hnote and header_rows[0] == h:
        notes.append(hnote)
    elif header_rows[0] > 0:
        notes.append(f"header found on rows {header_rows[0] + 1}-{header_rows[-1] + 1}"
                     + (" below a title block" if header_rows[0] > 0 else ""))
    last_header = header_rows[-1]

    sheet_obj = reader.load_sheet(name, header_row=last_header, n_rows=max_rows)
    table, errors = sheet_obj.to_arrow_with_errors()
    infos = sheet_obj.available_columns()
    if errors is not None and getattr(errors, "errors", None):
        bad = sorted({infos[e.position[1]].absolute_index for e in errors.errors})
        sheet_obj = reader.load_sheet(name, header_row=last_header, n_rows=max_rows,
                                      dtypes={i: "string" for i in bad})
        table = sheet_obj.to_arrow()
        infos = sheet_obj.available_columns()
        notes.append(f"{len(bad)} column{'s' if len(bad) != 1 else ''} mixing numbers/dates and text "
                     f"read as text: " + ", ".join(repr(_header_name(grid, header_rows, i)) for i in bad[:5]))
    check_cancel(cancel)
    import pyarrow as pa

    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    for i in range(frame.shape[1]):
        col = frame[i]
        if pd.api.types.is_string_dtype(col.dtype):
            frame[i] = col.fillna("")
        elif col.dtype == object:
            frame[i] = col.astype("str").fillna("") if col.map(lambda x: x is None or isinstance(x, str)).all() else col
    abs_cols = [info.absolute_index for info in infos]
    raw_names = [_header_name(grid, header_rows, c) for c in abs_cols]
    frame.columns = unique_names(raw_names)
    rows = np.arange(last_header + 2, last_header + 2 + len(frame), dtype=np.int64)
    # Columns with no header and no value at all are layout, not data.
    drop = [c for c, raw in zip(frame.columns, raw_names) if not raw and not filled_mask(frame[c]).any()]
    if drop:
        frame = frame.drop(columns=drop)
    if frame.shape[1] == 0:
        raise SheetSkipped("is empty")
    return finish_sheet(Sheet(path, name, frame, last_header + 1, rows, notes, None, None))


def _header_name(grid, header_rows, c: int) -> str:
    parts = []
    for r in header_rows:
        v = clean_header_cell(grid[r][c]) if r < len(grid) and c < len(grid[r]) else ""
        if v and v not in parts:
            parts.append(v)
    return " ".join(parts)


def _apply_merges(grid, h, merges):
    """Spread merged header cells over their range and decide the header rows.

    A horizontal merge on the row above the found header (or on the header row itself, with
    a sub-header row below) makes a two-row header; names are "upper lower" ("Q1 Jan").
    """
    grid = [list(r) for r in grid]
    width = len(grid[0]) if grid else 0
    for r1, c1, r2, c2 in merges:
        if r1 >= len(grid):
            continue
        value = grid[r1][c1] if c1 < width else ""
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                if (r, c) != (r1, c1) and not grid[r][c].strip():
                    grid[r][c] = value
    horizontal_rows = {r1 for r1, c1, r2, c2 in merges if c2 > c1}
    if h - 1 in horizontal_rows:
        return grid, [h - 1, h], "combined a two-row header with merged cells into single names"
    if h in horizontal_rows and h + 1 < len(grid):
        below = [v for v in grid[h + 1] if v.strip()]
        if below and sum(1 for v in below if not is_numberish(v)) >= 0.8 * len(below):
            return grid, [h, h + 1], "combined a two-row header with merged cells into single names"
    if h in horizontal_rows:
        return grid, [h], "spread merged header cells over their columns"
    return grid, [h], None


# ---------------------------------------------------------------------------------------------
# xlsx head reader (first rows and merged ranges straight from the ZIP)
# ---------------------------------------------------------------------------------------------
# fastexcel parses the whole sheet on every load_sheet call, and openpyxl's read-only mode
# scans the whole sheet XML when a file has no <dimension> tag (11 s for 200k rows), so the
# header block is read here with iterparse, stopping after the first rows. Merged ranges are
# at the end of the sheet XML; they are streamed to only when the header area looks merged.


_BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47} | set(range(27, 37)) | set(range(50, 59))
_DATE_TOKEN = re.compile(r"[dmyhs]", re.IGNORECASE)

_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)








def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code).replace("General", "")
    return bool(_DATE_TOKEN.search(code))


class _XlsxHead:
    """First rows and merged ranges of the sheets of one xlsx/xlsm file."""

    def __init__(self, path: Path) -> None:
        self.zf = zipfile.ZipFile(path)
        try:
            names = set(self.zf.namelist())
            wb_xml = ET.fromstring(self.zf.read("xl/workbook.xml"))
            rels_xml = ET.fromstring(self.zf.read("xl/_rels/workbook.xml.rels"))
            targets = {}
            for rel in rels_xml:
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                targets[rel.get("Id")] = target
            self.sheet_paths: dict[str, str] = {}
            for el in wb_xml.iter():
                if local_name(el.tag) == "sheet":
                    rid = el.get(f"{{{REL_NS}}}id") or el.get(f"{{{STRICT_REL_NS}}}id")
                    if targets.get(rid) in names:
                        self.sheet_paths[el.get("name")] = targets[rid]
            self._date_styles = self._read_date_styles(names)
            self._strings: list[str] = []
            self._strings_iter = self._iter_shared_strings() if "xl/sharedStrings.xml" in names else None
        except Exception:
            self.zf.close()
            raise

    def close(self) -> None:
        self.zf.close()

    def _read_date_styles(self, names: set[str]) -> set[int]:
        if "xl/styles.xml" not in names:
            return set()
        root = ET.fromstring(self.zf.read("xl/styles.xml"))
        custom = {int(el.get("numFmtId", "0")): el.get("formatCode", "")
                  for el in root.iter() if local_name(el.tag) == "numFmt"}
        dates = set()
        for el in root:
            if local_name(el.tag) != "cellXfs":
                continue
            for i, xf in enumerate(el):
                fmt = int(xf.get("numFmtId", "0"))
                if (fmt in custom and _is_date_format(custom[fmt])) or (fmt not in custom and fmt in _BUILTIN_DATE_FORMATS):
                    dates.add(i)
        return dates

    def _iter_shared_strings(self):
        with self.zf.open("xl/sharedStrings.xml") as fh:
            for _event, el in ET.iterparse(fh, events=("end",)):
                if local_name(el.tag) == "si":
                    parts = []
                    for child in el.iter():
                        if local_name(child.tag) == "rPh":   # phonetic run, not text
                            break
                        if local_name(child.tag) == "t" and child.text:
                            parts.append(child.text)
                    yield "".join(parts)
                    el.clear()

    def _shared(self, idx: int) -> str:
        while idx >= len(self._strings) and self._strings_iter is not None:
            try:
                self._strings.append(next(self._strings_iter))
            except StopIteration:
                self._strings_iter = None
        return self._strings[idx] if idx < len(self._strings) else ""

    def _cell_text(self, cell) -> str:
        kind = cell.get("t", "n")
        value = None
        inline = []
        for child in cell:
            tag = local_name(child.tag)
            if tag == "v":
                value = child.text
            elif tag == "is":
                inline.extend(t.text or "" for t in child.iter() if local_name(t.tag) == "t")
        if kind == "inlineStr":
            return "".join(inline)
        if value is None:
            return ""
        if kind == "s":
            return self._shared(int(value))
        if kind == "b":
            return "TRUE" if value.strip() == "1" else "FALSE"
        if kind in ("str", "e", "d"):
            return value
        try:
            number = float(value)
        except ValueError:
            return value
        if int(cell.get("s", "0")) in self._date_styles and 0 < number < 2958466:
            moment = (_EXCEL_EPOCH + _dt.timedelta(days=number)).replace(microsecond=0)
            return moment.date().isoformat() if moment.time() == _dt.time(0) else moment.isoformat(sep=" ")
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)

    def head(self, sheet: str, max_rows: int) -> list[list[str]]:
        """First ``max_rows`` rows as text, indexed from A1."""
        rows: list[list[str]] = []
        with self.zf.open(self.sheet_paths[sheet]) as fh:
            next_row = 1
            for _event, el in ET.iterparse(fh, events=("end",)):
                if local_name(el.tag) != "row":
                    continue
                r = int(el.get("r", next_row))
                if r > max_rows:
                    break
                while len(rows) < r - 1:
                    rows.append([])
                cells: list[str] = []
                next_col = 0
                for cell in el:
                    if local_name(cell.tag) != "c":
                        continue
                    ref = cell.get("r")
                    m = CELL_REF.match(ref) if ref else None
                    c = col_index(m.group(1)) if m else next_col
                    while len(cells) < c:
                        cells.append("")
                    cells.append(self._cell_text(cell))
                    next_col = c + 1
                rows.append(cells)
                next_row = r + 1
                el.clear()
        return rows

    def merged_ranges(self, sheet: str, max_row: int) -> list[tuple[int, int, int, int]]:
        """Merged ranges ``(r1, c1, r2, c2)`` (0-based, inclusive) starting above ``max_row``."""
        found = set()
        tail = b""
        with self.zf.open(self.sheet_paths[sheet]) as fh:
            while True:
                chunk = fh.read(1 << 22)
                if not chunk:
                    break
                buf = tail + chunk
                for m in _MERGE_REF.finditer(buf):
                    c1, r1 = col_index(m.group(1).decode()), int(m.group(2)) - 1
                    if m.group(3):
                        c2, r2 = col_index(m.group(3).decode()), int(m.group(4)) - 1
                    else:
                        c2, r2 = c1, r1
                    if r1 < max_row:
                        found.add((r1, c1, r2, c2))
                cut = buf.rfind(b"<")
                tail = buf[cut:] if cut >= 0 and len(buf) - cut < 200 else b""
        return sorted(found)
