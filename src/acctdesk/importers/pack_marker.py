"""How a priority pack written by acctdesk is recognised when it comes back in.

Cheap, so the import pipeline can check any file; the names are the pack format's
(:mod:`acctdesk.domain.pack_format`), shared with the writer.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from ..domain.pack_format import MARKER_PROPERTY, MARKER_SHEET, WORKLIST_SHEET

__all__ = ["MARKER_PROPERTY", "MARKER_SHEET", "WORKLIST_SHEET", "MAX_MARKER_PART", "is_pack"]

#: the parts read to recognise a pack are small; larger ones are not a pack's
MAX_MARKER_PART = 4 << 20


def is_pack(path: str | Path) -> bool:
    """True when ``path`` is an xlsx workbook written as an acctdesk priority pack.

    Cheap: reads only ``docProps/custom.xml`` and ``xl/workbook.xml`` from the zip. A pack
    re-saved by a program that drops custom properties is still recognised by its hidden
    ``acctdesk`` sheet next to a ``Worklist`` sheet.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())

            def small(name: str) -> bool:   # a marker part is a few KB; never inflate more
                return name in names and zf.getinfo(name).file_size <= MAX_MARKER_PART

            if small("docProps/custom.xml"):
                custom = zf.read("docProps/custom.xml").decode("utf-8", "replace")
                if f'name="{MARKER_PROPERTY}"' in custom:
                    return True
            if small("xl/workbook.xml"):
                book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
                return (f'name="{MARKER_SHEET}"' in book
                        and f'name="{WORKLIST_SHEET}"' in book)
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return False
