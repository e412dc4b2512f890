"""Workbook inspection: what is really in an xlsx/ods ZIP, before the spreadsheet reader
sees it."""
from __future__ import annotations

import os
import posixpath
import re
import zipfile
import zlib
import xml.etree.ElementTree as ET
from pathlib import Path


from ..errors import ImportFileError
from .base import (CELL_REF, FIX_EXPORT, MAX_COLUMNS, MAX_SHEET_CELLS, REL_NS, STRICT_REL_NS,
                   col_index, local_name)
from .files import check_zip_size, guard, head_bytes, kind_and_note, open_input

# ---------------------------------------------------------------------------------------------
# Workbook inspection: what is really in the ZIP, before the spreadsheet reader sees it
# ---------------------------------------------------------------------------------------------
# The spreadsheet reader (calamine, in Rust) trusts the file: it allocates one cell for every
# position between the first and the last filled cell (one value at XFD1048576 means 17
# billion cells: the process is aborted, no exception), and it inflates ZIP parts whatever
# their declared size. So every part is inflated here first, in pieces, checking the bytes
# that really come out against the directory's sizes and checksum, and the cells of each
# sheet are located while inflating. Beyond the documented limits the file is refused.

_INFLATE_CHUNK = 1 << 20
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_INSPECTED: dict[tuple, bool] = {}


def _excel_col(index: int) -> str:
    """0 -> 'A', 16383 -> 'XFD'."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _by_number(values) -> bytes:
    return max(values, key=lambda b: (len(b), b))


def _by_number_min(values) -> bytes:
    return min(values, key=lambda b: (len(b), b))


_REF_COL = re.compile(rb'<c r="([A-Z]+)')
_REF_ROW = re.compile(rb'<c r="[A-Z]+([0-9]+)')
_ROW_TAG = re.compile(rb'<row r="([0-9]+)"')
_WIDE_OR_FAR = re.compile(rb'<c r="(?:[A-Z]{2}|[A-Z][0-9]{7})')


class _CellExtent:
    """Where the cells of one xlsx sheet are, fed the sheet XML piece by piece.

    The quick way, in C (about 0.25 s per million cells): the positions of every cell that
    starts ``<c r="..."``, empty ones included. When a sheet writes cells another way (an
    ``r`` that is not first, no ``r``, a namespace prefix), :attr:`plain` is False and the
    caller reads the careful way; when the quick extent is beyond the limits, it is checked
    again counting only cells that hold something (an empty formatted cell far away is no
    reason to refuse a file)."""

    def __init__(self) -> None:
        self.tail = b""
        self.cols: set[bytes] = set()
        self.rows: set[int] = set()
        self.row_tags: set[int] = set()
        self.exact = False
        self.refs = self.tags = self.prefixed = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        buf = self.tail + data
        self.tail = b""
        if not final:
            cut = buf.rfind(b"<")
            if cut >= 0 and buf.find(b">", cut) < 0:
                buf, self.tail = buf[:cut], buf[cut:]
        self.refs += buf.count(b'<c r="')
        self.tags += buf.count(b"<c ") + buf.count(b"<c>")
        self.prefixed += buf.count(b":c ") + buf.count(b":c>")
        if not self.exact and (_WIDE_OR_FAR.search(buf) is not None):
            self.exact = True       # columns past Z or rows past 999,999: look at every cell
        if self.exact:
            cols = set(_REF_COL.findall(buf))
            if cols:
                self.cols.update((_by_number(cols), _by_number_min(cols)))
                rows = set(map(int, _REF_ROW.findall(buf)))      # C-level, no per-cell Python
                self.rows.update((max(rows), min(rows)))
        else:
            # one-letter columns and rows below a million: the row tags bound the rows, at
            # most 26 columns (a cell can claim no more than that)
            tags = _ROW_TAG.findall(buf)
            if tags:
                nums = list(map(int, tags))
                self.row_tags.update((max(nums), min(nums)))
            if self.refs:
                self.cols.update((b"A", b"Z"))

    @property
    def plain(self) -> bool:
        return self.refs == self.tags and not self.prefixed

    def extent(self) -> tuple[int, int, int, int] | None:
        """(first row, last row, first column, last column), 1-based rows, 0-based columns."""
        if not self.exact and self.row_tags and self.cols:
            self.rows = set(self.row_tags)
        if not self.rows:
            return None
        r1, r2 = min(self.rows), max(self.rows)
        c1, c2 = col_index(_by_number_min(self.cols).decode()), \
            col_index(_by_number(self.cols).decode())
        return r1, r2, c1, c2


def _within_limits(ext: tuple[int, int, int, int] | None) -> bool:
    if ext is None:
        return True
    r1, r2, c1, c2 = ext
    return c2 + 1 <= MAX_COLUMNS and (r2 - r1 + 1) * (c2 - c1 + 1) <= MAX_SHEET_CELLS


def _extent_by_parsing(zf: zipfile.ZipFile, member: str) -> tuple[int, int, int, int] | None:
    """The careful way, for sheets whose cells do not all say where they are (no ``r``)."""
    r_min = c_min = None
    r_max = c_max = -1
    row = 0
    with zf.open(member) as fh:
        for _event, el in ET.iterparse(fh, events=("end",)):
            if local_name(el.tag) != "row":
                continue
            ref = el.get("r")
            row = int(ref) if ref and ref.isdigit() else row + 1
            col = -1
            for cell in el:
                if local_name(cell.tag) != "c":
                    continue
                m = CELL_REF.match(cell.get("r") or "")
                col = col_index(m.group(1)) if m else col + 1
                if len(cell) or (cell.text or "").strip():
                    r = int(m.group(2)) if m else row
                    r_min = r if r_min is None else min(r_min, r)
                    c_min = col if c_min is None else min(c_min, col)
                    r_max, c_max = max(r_max, r), max(c_max, col)
            el.clear()
    return None if r_min is None else (r_min, r_max, c_min, c_max)


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part name -> sheet name (for messages); empty when the workbook part is unreadable."""
    try:
        wb_xml = ET.fromstring(zf.read("xl/workbook.xml"))
        rels_xml = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - only for naming sheets in messages
        return {}
    targets = {}
    for rel in rels_xml:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = target
    out = {}
    for el in wb_xml.iter():
        if local_name(el.tag) == "sheet":
            rid = el.get(f"{{{REL_NS}}}id") or el.get(f"{{{STRICT_REL_NS}}}id")
            if rid in targets:
                out[targets[rid]] = el.get("name") or targets[rid]
    return out


def _check_extent(path: Path, sheet: str, ext: tuple[int, int, int, int] | None) -> None:
    if ext is None:
        return
    r1, r2, c1, c2 = ext
    rows, cols = r2 - r1 + 1, c2 - c1 + 1
    corner = f"{_excel_col(c2)}{r2:,}".replace(",", "")
    if c2 + 1 > MAX_COLUMNS or cols > MAX_COLUMNS:
        raise ImportFileError.for_file(
            path, f"has a filled cell in column {_excel_col(c2)} of sheet '{sheet}' "
                  f"({c2 + 1:,} columns; acctdesk reads at most {MAX_COLUMNS:,}, as many as "
                  "Excel)",
            "Delete the columns that are not part of the table and save the file again.")
    if rows * cols > MAX_SHEET_CELLS:
        raise ImportFileError.for_file(
            path, f"sheet '{sheet}' has filled cells as far apart as {_excel_col(c1)}{r1} and "
                  f"{corner}: reading it would mean {rows * cols:,} cells, more than the "
                  f"{MAX_SHEET_CELLS:,} acctdesk reads in one sheet",
            "In the spreadsheet program press Ctrl+End to find the last cell, delete the "
            "empty rows and columns up to it (or the stray value there), and save again; or "
            "export fewer rows.")


def _ods_extent(zf: zipfile.ZipFile) -> tuple[str, tuple[int, int, int, int]] | None:
    """The largest table of an ODS file by the span of its filled cells (repeats counted
    the way the reader expands them)."""
    ns_table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    ns_office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    rep_rows, rep_cols = f"{{{ns_table}}}number-rows-repeated", f"{{{ns_table}}}number-columns-repeated"
    vtype = f"{{{ns_office}}}value-type"
    worst: tuple[int, str, tuple[int, int, int, int]] | None = None
    name, row, last_row, width = "", 0, 0, 0
    with zf.open("content.xml") as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = local_name(el.tag)
            if event == "start":
                if tag == "table":
                    name, row, last_row, width = el.get(f"{{{ns_table}}}name") or "", 0, 0, 0
                continue
            if tag == "table-row":
                n_rows = min(int(el.get(rep_rows, "1") or 1), 1 << 21)
                pos = end = 0
                for cell in el:
                    if local_name(cell.tag) not in ("table-cell", "covered-table-cell"):
                        continue
                    n = min(int(cell.get(rep_cols, "1") or 1), MAX_COLUMNS + 1)
                    pos += n
                    if cell.get(vtype) is not None or len(cell) or (cell.text or "").strip():
                        end = pos
                if end:
                    width = max(width, end)
                    last_row = row + n_rows
                row += n_rows
                el.clear()
            elif tag == "table":
                if last_row and (worst is None or last_row * width > worst[0]):
                    worst = (last_row * width, name, (1, last_row, 0, max(width - 1, 0)))
                el.clear()
    return None if worst is None else (worst[1], worst[2])


def _inflate_checked(path: Path, fh, info: zipfile.ZipInfo, feed=None) -> None:
    """Inflate one ZIP part from its raw bytes, in pieces, never beyond its declared size;
    refuse it when what comes out is not what the directory declares."""
    damaged = ImportFileError.for_file(
        path, f"is damaged or altered: its part '{info.filename}' does not match the ZIP "
              "directory (declared size or checksum)", FIX_EXPORT)
    if info.flag_bits & 0x1:
        raise ImportFileError.for_file(path, "is password-protected",
                                       "Remove the password in the spreadsheet program and save "
                                       "it again.")
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise damaged
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left, out, crc = info.compress_size, 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise damaged
        while left:
            chunk = fh.read(min(_INFLATE_CHUNK, left))
            if not chunk:
                raise damaged
            left -= len(chunk)
            out += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if feed is not None:
                feed(chunk)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-15)
        while left and not d.eof:
            chunk = fh.read(min(_INFLATE_CHUNK, left))
            if not chunk:
                raise damaged
            left -= len(chunk)
            while chunk and not d.eof:
                try:
                    data = d.decompress(chunk, 4 * _INFLATE_CHUNK)
                except zlib.error as exc:
                    raise damaged from exc
                chunk = d.unconsumed_tail
                out += len(data)
                if out > info.file_size:   # more than declared: stop inflating now
                    raise damaged
                crc = zlib.crc32(data, crc)
                if feed is not None and data:
                    feed(data)
        if not d.eof:
            raise damaged
    else:
        raise ImportFileError.for_file(
            path, f"uses a ZIP compression method spreadsheets do not use (part "
                  f"'{info.filename}')", FIX_EXPORT)
    if out != info.file_size or (crc & 0xFFFFFFFF) != info.CRC:
        raise damaged


def inspect_workbook(path: Path, kind: str) -> None:
    """Check an xlsx/ods before the spreadsheet reader opens it (see the section comment)."""
    st = os.stat(path)
    memo = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, kind)
    if memo in _INSPECTED:
        return
    with open_input(path) as raw, zipfile.ZipFile(raw) as zf:
        check_zip_size(path, zf)
        names = _sheet_names(zf) if kind == "xlsx" else {}
        for info in zf.infolist():
            if info.is_dir():
                continue
            extent = _CellExtent() if kind == "xlsx" and _SHEET_PART.match(info.filename) else None
            _inflate_checked(path, raw, info, extent.feed if extent is not None else None)
            if extent is None:
                continue
            extent.feed(b"", final=True)
            sheet = names.get(info.filename, info.filename)
            if not extent.plain or not _within_limits(extent.extent()):
                # the careful way: every cell parsed, only those that hold something count
                _check_extent(path, sheet, _extent_by_parsing(zf, info.filename))
        if kind == "ods" and "content.xml" in zf.namelist():
            found = _ods_extent(zf)
            if found is not None:
                _check_extent(path, found[0], found[1])
    if len(_INSPECTED) > 256:
        _INSPECTED.clear()
    _INSPECTED[memo] = True


def check_file(path) -> str:
    """Everything acctdesk checks about a file before reading it, without reading it into
    tables: an ordinary file of a size it reads, of a kind it reads (named when it is not),
    and for workbooks, ZIP parts that inflate to what they declare and sheets within the
    limits. Returns the kind (see :func:`sniff_kind`); raises ImportFileError."""
    path = Path(path)

    def run() -> str:
        kind, _ = kind_and_note(path, head_bytes(path))
        if kind in ("xlsx", "ods"):
            inspect_workbook(path, kind)
        return kind

    return guard(path, run)


