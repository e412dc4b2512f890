"""Exceptions and error records shared by the import readers, coercion and pipeline.

Two kinds of failure exist while importing:

* a whole file cannot be used (corrupt, empty, not a spreadsheet): :class:`ImportFileError`,
  whose message names the file, says what is wrong and how to fix it;
* one cell cannot be read as the type its column needs: a :class:`CellError`, collected
  per row and shown to the user with the row number *as it appears in the file*.

The user pressing *Cancel* is :class:`ImportCancelled`, which is not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CellError", "ImportCancelled", "ImportFileError"]


class ImportFileError(Exception):
    """A whole file was rejected.

    Parameters
    ----------
    message : str
        Complete user-facing text. It must name the file, say what is wrong and how to fix it,
        e.g. ``"'deals.xlsx' is damaged (the ZIP container is incomplete). Open it in Excel and
        save it again, or export it again from the source system."``
    path : Path or str, optional
        The rejected file, kept for the caller (the message already names it).

    Notes
    -----
    Use :meth:`for_file` to build the message from its parts so every message has the same
    shape. Chain the original exception with ``raise ImportFileError(...) from exc``.
    """

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None

    @classmethod
    def for_file(cls, path: Path | str, problem: str, fix: str = "") -> "ImportFileError":
        """Build ``"'<file name>' <problem>. <fix>"``.

        Parameters
        ----------
        path : Path or str
            The rejected file; only its name is shown.
        problem : str
            What is wrong, phrased to follow the file name ("is empty (0 bytes)").
        fix : str, optional
            What the user can do about it (a full sentence).
        """
        name = Path(path).name
        text = f"'{name}' {problem.rstrip('.')}."
        if fix:
            text += " " + fix.strip()
        return cls(text, path=path)


class ImportCancelled(Exception):
    """The user cancelled the import (raised when the ``cancel()`` callback returns True)."""


@dataclass
class CellError:
    """One value that could not be read.

    Attributes
    ----------
    row : int
        1-based row number as the user sees it in the file: the spreadsheet row, or for a CSV
        the record number counting the header and any lines above it (a quoted value spanning
        several physical lines is one record, as in a spreadsheet program).
    column : str
        Column name as shown in the file's header.
    value : str
        The original text of the cell.
    reason : str
        Why it was rejected, phrased to follow the quoted value ("is not a number").
    """

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"row {self.row}, column '{self.column}': '{value}' {self.reason}"
