"""CSV, TSV and TXT files."""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ImportCancelled, ImportFileError
from .base import CSV_BLOCK_BYTES, FIX_EXPORT, HEADER_SEARCH_ROWS, HEAD_BYTES, MAX_COLUMNS, MAX_SHEET_CELLS, Sheet, check_cancel, log
from .files import head_bytes, read_all
from .layout import filled_mask, find_header, unique_names
from .text import TextHead, control_ratio, scan_records, sniff_delimiter, text_head

# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------



def read_csv(path: Path, cancel, max_rows: int | None) -> Sheet:
    head = head_bytes(path)
    text = text_head(path, head)
    notes = list(text.notes)
    delim = sniff_delimiter(text.head, path.suffix.lower())
    starts, _counts = scan_records(text.head, delim, HEADER_SEARCH_ROWS + 12)
    # Records fully inside the head (the last one may be cut unless the head is the file).
    complete = sum(1 for st in starts if st < len(text.head))
    if not text.whole:
        complete -= 1
    head_rows = []
    for k in range(min(complete, HEADER_SEARCH_ROWS + 10)):
        end = starts[k + 1] if k + 1 < len(starts) else len(text.head)
        rec = text.head[starts[k]:end]
        head_rows.append(next(csv.reader(io.StringIO(rec, newline=""), delimiter=delim), []))
    if not head_rows and not text.whole:
        fields = text.head.count(delim) + 1
        if fields > MAX_COLUMNS:
            raise ImportFileError.for_file(
                path, f"has more than {MAX_COLUMNS:,} columns in its first line ({fields:,} "
                      f"in its first {HEAD_BYTES // 1024} KB; acctdesk reads at most "
                      f"{MAX_COLUMNS:,}, as many as Excel)",
                "Check that it is the exported table; export it again with fewer columns.")
        raise ImportFileError.for_file(
            path, f"has a first line longer than {HEAD_BYTES // 1024} KB, so it is not a "
                  "table with a header row", "Check that it is the exported table (a .csv, "
                                             ".xlsx, .xls or .ods file) and export it again.")
    if not any(any(v.strip() for v in r) for r in head_rows):
        raise ImportFileError.for_file(path, "contains no data (only blank lines)", FIX_EXPORT)
    wide = max(len(r) for r in head_rows)
    if wide > MAX_COLUMNS:
        raise ImportFileError.for_file(
            path, f"has {wide:,} columns (acctdesk reads at most {MAX_COLUMNS:,}, as many as "
                  "Excel)", "Check that it is the exported table; export it again with fewer "
                            "columns.")
    h, hnote = find_header(head_rows)
    if hnote:
        notes.append(hnote)
    header = head_rows[h]
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        notes.insert(0, f"the file is named {path.suffix} but is a text (CSV) file; read as CSV")

    frame = rows = None
    data_char = starts[h + 1] if h + 1 < len(starts) else None
    if data_char is not None and (h + 1 < complete or text.whole):
        try:
            frame, rows = _read_csv_arrow(path, text, delim, data_char, h, len(header), cancel, max_rows)
        except ImportCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - any trouble: the careful path decides
            log.info("fast CSV path failed for %s (%s); using the csv module", path, exc)
            frame = None
    if frame is None:
        frame, rows, extra = _read_csv_python(path, text, delim, h, len(header), cancel, max_rows)
        notes.extend(extra)
    width = frame.shape[1]
    raw_names = list(header) + [""] * max(0, width - len(header))
    names = unique_names(raw_names[:width])
    frame.columns = names
    frame = _drop_empty_unnamed(frame, len(header), notes)
    encoding = text.encoding + ("-sig" if text.encoding == "utf-8" and text.bom else "")
    return Sheet(path, path.name, frame, h + 1, rows, notes, encoding, delim)


def _drop_empty_unnamed(frame: pd.DataFrame, header_width: int, notes: list[str]) -> pd.DataFrame:
    """Drop columns beyond the header that are entirely empty (trailing delimiters)."""
    drop = [c for i, c in enumerate(frame.columns) if i >= header_width and not filled_mask(frame[c]).any()]
    if drop:
        frame = frame.drop(columns=drop)
    return frame


def _read_csv_arrow(path, text: TextHead, delim, data_char, h, header_width, cancel, max_rows):
    """pyarrow streaming reader from the first data record; all columns as strings.

    Only used when no blank line sits inside the data (pyarrow drops blank lines and the
    row numbers would shift); trailing blank lines are harmless.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    raw = read_all(path)
    prefix = text.head[:data_char].encode(text.encoding)
    start = text.bom + len(prefix)
    encoding = text.encoding
    if encoding.startswith(("utf-16", "utf-32")):
        data = raw[start:].decode(encoding).encode("utf-8")
        encoding = "utf-8"
    else:
        data = raw[start:]
    if any("NUL" in n for n in text.notes):
        data = data.replace(b"\x00", b"")
    body = data.rstrip(b"\r\n \t")
    if any(body.find(gap) >= 0 for gap in (b"\n\n", b"\n\r\n", b"\r\r")):
        raise ValueError("blank lines inside the data")
    if not body:
        empty = pd.DataFrame({i: pd.Series([], dtype="str") for i in range(header_width)})
        return empty, np.zeros(0, dtype=np.int64)
    ncols_guess = header_width + 64
    read = pacsv.ReadOptions(autogenerate_column_names=True, block_size=CSV_BLOCK_BYTES,
                             encoding="utf8" if encoding == "utf-8" else encoding)
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=True, ignore_empty_lines=True)
    convert = pacsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(ncols_guess)},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False,
                                   null_values=[])
    reader = pacsv.open_csv(pa.py_buffer(body), read_options=read, parse_options=parse,
                            convert_options=convert)
    batches = []
    total = 0
    for batch in reader:
        batches.append(batch)
        total += batch.num_rows
        check_cancel(cancel)
        if max_rows is not None and total >= max_rows:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if max_rows is not None:
        table = table.slice(0, max_rows)
    for i, t in enumerate(table.schema.types):
        if t != pa.string():
            table = table.set_column(i, table.schema.field(i).name, table.column(i).cast(pa.string()))
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    rows = np.arange(h + 2, h + 2 + len(frame), dtype=np.int64)
    return frame, rows


_ESCAPED = re.compile("[\udc80-\udcff]+")


def _decode_utf8_lines(raw: bytes) -> tuple[str, list[int]]:
    """Decode UTF-8 text in which some stretches are Windows-1252 (a file pasted together).

    Valid UTF-8 stays as it is; each byte sequence that is not UTF-8 is read as
    Windows-1252 (Latin-1 for the five bytes Windows-1252 leaves undefined). Returns the text
    and the 1-based line numbers where that was done.
    """
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", "surrogateescape")
    parts: list[str] = []
    lines: list[int] = []
    pos = line = 0
    line_no = 1
    for m in _ESCAPED.finditer(text):
        parts.append(text[pos:m.start()])
        line_no += text.count("\n", line, m.start())
        line = m.start()
        if not lines or lines[-1] != line_no:
            lines.append(line_no)
        data = bytes(ord(ch) - 0xDC00 for ch in m.group())
        parts.append("".join(bytes([b]).decode("cp1252", "strict") if b not in
                             (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("latin-1")
                             for b in data))
        pos = m.end()
    parts.append(text[pos:])
    return "".join(parts), lines


def _mixed_note(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    more = f" and {len(lines) - 10:,} more" if len(lines) > 10 else ""
    which = f"line {shown}" if len(lines) == 1 else f"lines {shown}{more}"
    return (f"{which} of the file {'is' if len(lines) == 1 else 'are'} not valid UTF-8 like "
            "the rest; read as Windows-1252 (Western European). Check the accented letters "
            f"there; to avoid this, export the file again as UTF-8")


def _read_csv_python(path, text: TextHead, delim, h, header_width, cancel, max_rows):
    """Careful path: decode the whole file and parse with the csv module."""
    notes = []
    raw = read_all(path)[text.bom:]
    content = None
    if text.encoding == "utf-8":
        content, bad_lines = _decode_utf8_lines(raw)
        if bad_lines:
            notes.append(_mixed_note(bad_lines))
    for enc in dict.fromkeys([text.encoding, "cp1252", "latin-1"]) if content is None else ():
        try:
            content = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc != text.encoding:
            notes.append(f"not valid {text.encoding} past the first lines; read as {enc}")
        break
    if content is None:  # pragma: no cover - latin-1 decodes anything
        content = raw.decode(text.encoding, "replace")
    if any("NUL" in n for n in text.notes):
        content = content.replace("\x00", "")
    if control_ratio(content[:1 << 20]) > 0.01 or "\x00" in content:
        raise ImportFileError.for_file(
            path, "contains binary data and is not a CSV or spreadsheet file",
            "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delim)
    records: list[list[str]] = []
    numbers: list[int] = []
    limit = max(header_width, MAX_COLUMNS)
    for recno, rec in enumerate(reader, start=1):
        if recno <= h + 1:
            continue
        if len(rec) > limit:
            raise ImportFileError.for_file(
                path, f"has {len(rec):,} cells on row {recno} (acctdesk reads at most "
                      f"{MAX_COLUMNS:,} columns, as many as Excel)",
                "Check that the file is the exported table (a row that long is usually a "
                "broken line), fix or remove that row, and import it again.")
        records.append(rec)
        numbers.append(recno)
        if len(records) % 50000 == 0:
            check_cancel(cancel)
        if max_rows is not None and len(records) >= max_rows:
            break
    check_cancel(cancel)
    width = max([len(r) for r in records] + [header_width])
    if width * len(records) > MAX_SHEET_CELLS:
        raise ImportFileError.for_file(
            path, f"would hold {width * len(records):,} cells ({len(records):,} rows x "
                  f"{width:,} columns), more than the {MAX_SHEET_CELLS:,} acctdesk reads in "
                  "one table", "Export fewer rows or columns and import the parts one after "
                               "the other.")
    columns = [[] for _ in range(width)]
    for rec in records:
        for i in range(width):
            columns[i].append(rec[i] if i < len(rec) else "")
    frame = pd.DataFrame({i: pd.Series(col, dtype="str") for i, col in enumerate(columns)})
    return frame, np.asarray(numbers, dtype=np.int64), notes


