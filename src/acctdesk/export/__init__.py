"""Export tables to xlsx and csv files (no Qt).

Build a :class:`SheetSpec` per table (the frame as shown plus its visible :class:`ColumnSpec`
columns) and call :func:`write_xlsx` or :func:`write_csv`.
"""
from .tables import (
    DEFAULT_BAND_COLOURS,
    KINDS,
    MAX_CELL_CHARS,
    TRUNCATION_MARKER,
    ColumnSpec,
    ExportError,
    ExportReport,
    SheetSpec,
    make_sheet_names,
    write_csv,
    write_xlsx,
)

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
