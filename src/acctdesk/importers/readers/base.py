"""What every reader shares: the :class:`Sheet` a file becomes, the limits, and small
XML helpers."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import ImportCancelled

log = logging.getLogger("acctdesk.importers.readers")
# fastexcel reports every column it reads as text (all we ask of it) as a warning
logging.getLogger("fastexcel").setLevel(logging.ERROR)


SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")

HEAD_BYTES = 256 * 1024          # bytes read to sniff kind, encoding, delimiter and header
HEADER_SEARCH_ROWS = 30          # the header is looked for in this many top rows
CSV_BLOCK_BYTES = 16 << 20       # pyarrow block: must hold the longest record (1 MB cells)
DELIMITERS = (",", ";", "\t", "|")

# Limits (documented in the README): beyond them a file is refused with a message, before
# the work that would need the memory. They are checked against what is really in the file.
#: largest file read (bytes)
MAX_FILE_BYTES = 1 << 30
#: most columns in a table (as many as Excel has)
MAX_COLUMNS = 16_384
#: most cells a sheet may span: rows x columns between its first and last filled cell
MAX_SHEET_CELLS = 25_000_000

FIX_EXPORT = "Export it again from the source system, or open it and save it as .xlsx or .csv."


@dataclass
class Sheet:
    """One table read from a file.

    Attributes
    ----------
    file : Path
        The file it came from.
    name : str
        Sheet name; for a CSV the file name.
    frame : pandas.DataFrame
        One column per header cell, with unique stripped names (a blank header cell becomes
        ``"column_7"`` for the 7th column, a repeated one ``"Amount (2)"``).
    header_row : int
        1-based row of the (last) header row in the file.
    row_numbers : numpy.ndarray
        1-based file row of each frame row (same length as ``frame``), for error messages.
    notes : list of str
        What the reader did, in words, for the import log.
    encoding : str or None
        Text encoding (CSV only).
    delimiter : str or None
        Field delimiter (CSV only).
    """

    file: Path
    name: str
    frame: pd.DataFrame
    header_row: int
    row_numbers: np.ndarray
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None



class SheetSkipped(Exception):
    pass


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise ImportCancelled("import cancelled")


# XML helpers shared by the workbook reader and the workbook inspection
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1
