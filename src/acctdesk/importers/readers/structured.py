"""Readers for exports that are text but not CSV: JSON, JSON lines and Excel 2003 XML.

* **JSON lines** (one object per line: Mixpanel, Amplitude, Segment and PostHog event
  exports, warehouse dumps): one row per line.
* **JSON**: a list of objects, or an object holding lists of objects (``{"customers":
  [...]}``: one table per list).
* **XML Spreadsheet 2003** ("SpreadsheetML"): what Freshdesk, older Salesforce reports and
  many web apps download as ``.xls``; plain XML, one table per ``<Worksheet>``.

Nested objects are flattened with dots (``properties.time``, ``groups.company``); lists are
kept as JSON text. Every value is read as text, as a CSV would give it, so the importer's
coercion decides what it means. Limits (the reader refuses beyond them, with a message):
:data:`MAX_RECORDS` records and :data:`MAX_COLUMNS` distinct keys.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from ..errors import ImportCancelled, ImportFileError

__all__ = ["sniff_structured", "read_structured", "MAX_RECORDS", "MAX_COLUMNS"]

MAX_RECORDS = 5_000_000
MAX_COLUMNS = 2_000
_SS_NS = "urn:schemas-microsoft-com:office:spreadsheet"


def sniff_structured(head: bytes) -> str | None:
    """``'jsonl'``, ``'json'``, ``'spreadsheetml'`` or None (anything else) from a file's
    first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml") or text.startswith(b"<Workbook") or text.startswith(b"<ss:Workbook"):
        return "spreadsheetml" if _SS_NS.encode() in head or b"<Workbook" in head \
            or b"<ss:Workbook" in head else None
    if text.startswith(b"{"):
        first, _, rest = text.partition(b"\n")
        try:
            obj = json.loads(first)
        except ValueError:
            return "json"
        if not rest.strip() and isinstance(obj, dict) and any(
                isinstance(v, list) and v and isinstance(v[0], dict) for v in obj.values()):
            return "json"    # one line holding lists of records: a JSON document
        return "jsonl"       # a whole object on the first line: one record per line
    if text.startswith(b"["):
        return "json"
    return None


def _flatten(obj, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            _flatten(v, key + ".", out)
        elif isinstance(v, list):
            out[key] = json.dumps(v, ensure_ascii=False)
        elif v is None:
            out[key] = None
        elif isinstance(v, bool):
            out[key] = "true" if v else "false"
        else:
            out[key] = str(v)
    return out


def _frame(records: list[dict], path: Path) -> pd.DataFrame:
    cols: dict[str, None] = {}
    for r in records:
        for k in r:
            if k not in cols:
                cols[k] = None
                if len(cols) > MAX_COLUMNS:
                    raise ImportFileError.for_file(
                        path, f"has records with more than {MAX_COLUMNS:,} different fields",
                        "Export fewer properties, or flatten the export into a CSV first.")
    data = {c: np.array([r.get(c) for r in records], dtype=object) for c in cols}
    frame = pd.DataFrame(data, columns=list(cols))
    return frame


def _records_jsonl(path: Path, cancel) -> tuple[list[dict], list[str]]:
    records, notes, bad = [], [], 0
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if cancel is not None and n % 50_000 == 0 and cancel():
                raise ImportCancelled()
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(obj, dict):
                records.append(_flatten(obj))
            else:
                bad += 1
            if len(records) > MAX_RECORDS:
                raise ImportFileError.for_file(
                    path, f"holds more than {MAX_RECORDS:,} records",
                    "Export a shorter period.")
    if bad:
        notes.append(f"skipped {bad} line(s) that are not JSON objects")
    return records, notes


def _tables_json(obj, path: Path) -> list[tuple[str, list[dict]]]:
    """The lists of objects in a JSON document, with a name for each."""
    if isinstance(obj, list):
        return [(path.stem, [_flatten(o) for o in obj if isinstance(o, dict)])]
    if isinstance(obj, dict):
        tables = [(k, [_flatten(o) for o in v if isinstance(o, dict)])
                  for k, v in obj.items() if isinstance(v, list) and any(isinstance(o, dict)
                                                                         for o in v)]
        if tables:
            return tables
        return [(path.stem, [_flatten(obj)])]
    return []


def _spreadsheetml(path: Path) -> list[tuple[str, list[list[str | None]]]]:
    """(sheet name, rows of cell text) per worksheet, honouring ss:Index gaps."""
    ns = {"ss": _SS_NS}
    tree = ET.parse(path)  # the XML parser does not expand external entities
    out = []
    for ws in tree.getroot().iter(f"{{{_SS_NS}}}Worksheet"):
        name = ws.get(f"{{{_SS_NS}}}Name") or f"Sheet{len(out) + 1}"
        rows = []
        for row in ws.iterfind(".//ss:Table/ss:Row", ns):
            cells: list[str | None] = []
            for cell in row.iterfind("ss:Cell", ns):
                idx = cell.get(f"{{{_SS_NS}}}Index")
                if idx is not None and idx.isdigit():
                    while len(cells) < int(idx) - 1:
                        cells.append(None)
                data = cell.find("ss:Data", ns)
                text = None if data is None else "".join(data.itertext())
                cells.append(text)
            rows.append(cells)
        out.append((name, rows))
    return out


def read_structured(path: Path, kind: str, cancel: Callable[[], bool] | None,
                    make_sheet: Callable[..., object]) -> list:
    """Read ``path`` as ``kind`` (see :func:`sniff_structured`) into sheets.

    ``make_sheet(name, frame, header_row, row_numbers, notes)`` builds the reader's Sheet.
    """
    if kind == "jsonl":
        records, notes = _records_jsonl(path, cancel)
        if not records:
            raise ImportFileError.for_file(path, "holds no JSON records",
                                           "Export the data again.")
        frame = _frame(records, path)
        notes.insert(0, f"read {len(frame):,} JSON lines (one record per line)")
        return [make_sheet(path.name, frame, 0, np.arange(1, len(frame) + 1), notes)]
    if kind == "json":
        try:
            with open(path, "rb") as fh:
                obj = json.load(fh)
        except ValueError as exc:
            raise ImportFileError.for_file(
                path, f"is not valid JSON ({str(exc).split(':')[0]})",
                "Export it again, or save it as .csv.") from exc
        sheets = []
        for name, records in _tables_json(obj, path):
            if records:
                frame = _frame(records, path)
                sheets.append(make_sheet(name, frame, 0, np.arange(1, len(frame) + 1),
                                         [f"read {len(frame):,} JSON records from '{name}'"]))
        if not sheets:
            raise ImportFileError.for_file(path, "holds no list of records",
                                           "Export the data as CSV or JSON lines.")
        return sheets
    if kind == "spreadsheetml":
        try:
            tables = _spreadsheetml(path)
        except ET.ParseError as exc:
            raise ImportFileError.for_file(
                path, "is damaged XML (an Excel 2003 XML file that does not parse)",
                "Export it again, or open it in a spreadsheet program and save as .xlsx."
            ) from exc
        sheets = []
        for name, rows in tables:
            rows = [r for r in rows]
            filled = [i for i, r in enumerate(rows) if any(v not in (None, "") for v in r)]
            if len(filled) < 2:
                continue
            h = filled[0]
            width = max(len(r) for r in rows)
            header = [(rows[h][j] if j < len(rows[h]) else None) or f"column_{j + 1}"
                      for j in range(width)]
            header = _unique([re.sub(r"\s+", " ", str(c)).strip() for c in header])
            body = [r + [None] * (width - len(r)) for r in rows[h + 1:]]
            keep = [i for i, r in enumerate(body) if any(v not in (None, "") for v in r)]
            frame = pd.DataFrame([body[i] for i in keep], columns=header, dtype=object)
            numbers = np.array([h + 2 + i for i in keep])
            note = "the file is an Excel 2003 XML spreadsheet (SpreadsheetML)"
            sheets.append(make_sheet(name, frame, h + 1, numbers, [note]))
        if not sheets:
            raise ImportFileError.for_file(path, "is an Excel 2003 XML spreadsheet with no "
                                                 "table in it", "Export the data again.")
        return sheets
    raise ValueError(kind)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n} ({seen[n]})")
        else:
            seen[n] = 1
            out.append(n)
    return out
