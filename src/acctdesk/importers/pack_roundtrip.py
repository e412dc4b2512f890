"""Round trip: apply the edits made in a priority pack's Worklist sheet (no Qt).

A workbook written by :func:`acctdesk.export.pack.write_pack` carries two marks: the custom
document property ``acctdesk_pack`` and a hidden sheet ``acctdesk`` that holds, per account
id, the values the four editable Worklist columns had when the pack was written. Importing
the workbook back compares each Worklist row with those values **by account id** (so rows
the user sorted, filtered or deleted do not matter) and applies only the cells that changed:

* **Owner** -> ``accounts.owner`` (an emptied cell clears the owner). The account row gets
  the batch id and its full previous row goes to ``row_history`` (``op = 'update'``), the
  pipeline's undo convention. If the workspace's owner changed since the export (an import
  or another pack) the edit is not applied and the row is listed as rejected: a conflict.
* **Status**, **Next step**, **Notes** -> one activity per changed cell, ``kind = 'note'``,
  text ``"Status: Done"``, ``"Next step: …"`` or the note itself, ``author`` the user,
  ``custom = {"worklist": "status"|"next_step"|"notes", "value": …, "edited_in": file,
  "imported_at": …}``, dated the pack's data date, carrying the batch id (undo deletes it).

Why activities and not a JSON blob in ``meta``: notes are per-account history (who wrote
what, when), they show in the account's timeline, :func:`acctdesk.importers.pipeline.undo_batch`
already removes rows by batch id, and kind ``note`` is excluded from "CSM touches" by the
worklist, so editing a sheet never counts as talking to the customer. They are dated with the
pack's data date (the time of the edit is in ``custom.imported_at``) because activity dates
move the workspace's data date, and an edit must not shift every figure to today. An emptied
Status/Next step/Notes cell is not an edit of history (nothing is deleted); it is noted.

Everything is one transaction and one import batch (``profile = 'acctdesk-pack'``). The
import pipeline (:func:`acctdesk.importers.pipeline.import_file`) recognises a pack, checks
that the same file was not imported before (the same file imported twice changes nothing the
second time) and hands it here.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any, Callable

from ..domain.pack_format import EDITABLE_COLUMNS, STATUS_CHOICES
from ..models import pack_store
from ..models.workspace import current_user, now_iso
from .pack_marker import MARKER_SHEET, WORKLIST_SHEET, is_pack

__all__ = ["PROFILE_ID", "is_pack", "import_pack", "read_pack_edits", "PackEdits"]

PROFILE_ID = "acctdesk-pack"
_ID_HEADER = "Account ID"
_PREFIX = {"status": "Status: ", "next_step": "Next step: ", "notes": ""}


class PackEdits:
    """What a pack's Worklist holds: ``rows`` (account id -> {field: value}), the exported
    values ``original`` (same shape), ``data_date`` and the Worklist sheet row of each id."""

    def __init__(self, rows, original, data_date, row_numbers, notes):
        self.rows: dict[str, dict[str, Any]] = rows
        self.original: dict[str, dict[str, Any]] = original
        self.data_date: str | None = data_date
        self.row_numbers: dict[str, int] = row_numbers
        self.notes: list[str] = notes


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("_x000D_", "\r").strip()
    return text or None


def read_pack_edits(path: str | Path) -> PackEdits:
    """Read the Worklist's editable columns and the hidden exported values of a pack.

    Raises
    ------
    ValueError
        The workbook is not a readable pack (no Worklist or hidden sheet, or a header
        without the Account ID and the four editable columns); the message says which.
    """
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if WORKLIST_SHEET not in wb.sheetnames or MARKER_SHEET not in wb.sheetnames:
            raise ValueError(
                f"has no '{WORKLIST_SHEET}' sheet or no hidden '{MARKER_SHEET}' sheet; "
                "was a sheet renamed or deleted?")
        notes: list[str] = []
        original: dict[str, dict[str, Any]] = {}
        marker_rows = wb[MARKER_SHEET].iter_rows(values_only=True)
        head = [str(h) if h is not None else "" for h in next(marker_rows, ())]
        fields = list(EDITABLE_COLUMNS.values())
        if "account_id" not in head or any(f not in head for f in fields):
            raise ValueError(f"the hidden '{MARKER_SHEET}' sheet was changed")
        pos = {h: i for i, h in enumerate(head)}
        for rec in marker_rows:
            aid = _text(rec[pos["account_id"]]) if len(rec) > pos["account_id"] else None
            if aid:
                original[aid] = {f: _text(rec[pos[f]]) if len(rec) > pos[f] else None
                                 for f in fields}

        ws = wb[WORKLIST_SHEET]
        wanted = [_ID_HEADER, *EDITABLE_COLUMNS]
        header_at, cols = None, {}
        for r, rec in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [str(v).strip() if v is not None else "" for v in rec]
            if header_at is None:
                if all(w in cells for w in wanted):
                    header_at = r
                    cols = {w: cells.index(w) for w in wanted}
                    rows: dict[str, dict[str, Any]] = {}
                    row_numbers: dict[str, int] = {}
                elif r > 20:
                    break
                continue
            get = lambda name: rec[cols[name]] if cols[name] < len(rec) else None  # noqa: E731
            aid = _text(get(_ID_HEADER))
            if aid is None:
                if any(_text(get(t)) for t in EDITABLE_COLUMNS):
                    notes.append(f"Worklist row {r} has edits but no Account ID; ignored")
                continue
            if aid in rows:
                notes.append(f"account {aid} appears twice in the Worklist; row {r} ignored")
                continue
            rows[aid] = {f: _text(get(t)) for t, f in EDITABLE_COLUMNS.items()}
            row_numbers[aid] = r
        if header_at is None:
            raise ValueError(
                f"the '{WORKLIST_SHEET}' sheet has no header with {', '.join(wanted)}")
    finally:
        wb.close()
    data_date = None
    try:
        with zipfile.ZipFile(path) as zf:
            custom = zf.read("docProps/custom.xml").decode("utf-8", "replace")
        import re

        m = re.search(r'name="acctdesk_data_date"[^>]*>\s*<vt:lpwstr>([^<]*)<', custom)
        data_date = m.group(1) if m else None
    except (KeyError, OSError, zipfile.BadZipFile):
        pass
    return PackEdits(rows, original, data_date, row_numbers, notes)


def _activity_id(digest: str, aid: str, fld: str, value: str) -> str:
    h = hashlib.sha1(f"{digest}|{aid}|{fld}|{value}".encode("utf-8")).hexdigest()[:16]
    return f"pack:{h}"


def import_pack(ws, path: str | Path, *, result, digest: str,
                progress: Callable[[float, str], None] | None = None):
    """Apply the edits of a priority pack to ``ws`` as one undoable import batch.

    Parameters
    ----------
    ws : Workspace
    path : path of the pack (.xlsx)
    result : FileResult
        The pipeline's result object to fill.
    digest : str
        The file's SHA-256 (recorded with the batch).

    Returns
    -------
    FileResult
        ``profile = "acctdesk-pack"``, ``entity = "accounts"``, ``updated`` = owners changed,
        ``inserted`` = notes added (status / next step / notes), ``unchanged`` = Worklist rows
        without an edit, ``rejected`` = rows not applied (unknown account, owner conflict),
        ``batch_ids`` = [the batch] (empty when nothing changed: no batch is recorded).
        Never raises for a bad file: ``error`` says why.
    """
    path = Path(path)
    report = progress or (lambda f, t: None)
    result.profile, result.confidence, result.entity = PROFILE_ID, 1.0, "accounts"
    result.sheet = WORKLIST_SHEET
    report(0.05, f"Reading {path.name}…")
    try:
        edits = read_pack_edits(path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        result.error = (f"{path.name} looks like an acctdesk priority pack but {exc}. "
                        "Export a fresh pack and copy your edits into it.")
        return result
    result.notes.extend(edits.notes)
    result.rows_read = len(edits.rows)

    owner_changes, notes_to_add, rejected = _compare(
        edits, pack_store.account_owners(ws), result)
    if not owner_changes and not notes_to_add and not rejected:
        result.notes.append("no edits found in the Worklist; nothing changed")
        return result

    report(0.5, "Writing…")
    _write(ws, path, edits, digest, result, owner_changes, notes_to_add, rejected)
    report(1.0, "Done")
    return result


def _compare(edits: PackEdits, known: dict[str, str | None], result):
    """The edits of the Worklist against the rows as exported and the owners in the
    workspace now: (owner changes (account, owner, row), notes to add (account, field,
    value, row), rejected rows (row, column, value, why)); counts unchanged rows and notes
    emptied or odd statuses on ``result``."""
    owner_changes: list[tuple[str, str | None, int]] = []
    notes_to_add: list[tuple[str, str, str, int]] = []
    rejected: list[tuple[int, str, str, str]] = []
    unchanged = 0
    for aid, now in edits.rows.items():
        row = edits.row_numbers[aid]
        before = edits.original.get(aid)
        if before is None:
            rejected.append((row, _ID_HEADER, aid, "this account was not in the exported "
                             "Worklist (row added by hand?); not applied"))
            continue
        if aid not in known:
            rejected.append((row, _ID_HEADER, aid, "no account with this id in the "
                             "workspace (a pack from another workspace?)"))
            continue
        changed = False
        if now["owner"] != before["owner"]:
            changed = True
            if (known[aid] or None) != before["owner"]:
                rejected.append((row, "Owner", now["owner"] or "",
                                 f"the owner changed in the workspace since the export "
                                 f"({before['owner'] or 'none'} -> {known[aid] or 'none'}); "
                                 "not applied, export a fresh pack"))
            else:
                owner_changes.append((aid, now["owner"], row))
        for fld in ("status", "next_step", "notes"):
            if now[fld] == before[fld]:
                continue
            changed = True
            if now[fld] is None:
                result.notes.append(f"row {row}: {fld.replace('_', ' ')} was emptied; "
                                    "earlier notes are kept")
                continue
            if fld == "status" and now[fld] not in STATUS_CHOICES:
                result.notes.append(f"row {row}: status {now[fld]!r} is not one of "
                                    f"{', '.join(STATUS_CHOICES)}; saved as written")
            notes_to_add.append((aid, fld, now[fld], row))
        if not changed:
            unchanged += 1
    result.unchanged = unchanged
    return owner_changes, notes_to_add, rejected


def _write(ws, path: Path, edits: PackEdits, digest: str, result, owner_changes,
           notes_to_add, rejected) -> None:
    """Record the owner changes and the notes as one import batch; fill ``result``."""
    stamp = now_iso()
    user = current_user()
    date = edits.data_date or ws.data_date() or stamp[:10]
    records = []
    for aid, fld, value, _row in notes_to_add:
        custom = json.dumps({"worklist": fld, "value": value, "edited_in": path.name,
                             "imported_at": stamp}, ensure_ascii=False)
        records.append((_activity_id(digest, aid, fld, value), aid, date, "note",
                        _PREFIX[fld] + value, user, custom))
    counts = {"rows_read": result.rows_read, "inserted": len(records),
              "updated": len(owner_changes), "unchanged": result.unchanged,
              "rejected": len(rejected), "accounts_created": 0, "review": 0}
    mapping = {title: "accounts.owner" if f == "owner" else f"activities(note:{f})"
               for title, f in EDITABLE_COLUMNS.items()}
    try:
        result.batch_ids.append(pack_store.write_pack_edits(
            ws, file_name=path.name, digest=digest, profile=PROFILE_ID, mapping=mapping,
            owners=[(aid, owner) for aid, owner, _row in owner_changes], notes=records,
            rejected=rejected, counts=counts))
    except pack_store.AlreadyApplied as exc:   # another window or command, meanwhile
        result.skipped, result.batch_ids = True, list(exc.batches)
        result.notes.append(f"already imported as batch {', '.join(map(str, exc.batches))}; "
                            "nothing changed")
        return
    result.inserted = len(records)
    result.updated = len(owner_changes)
    result.rejected = len(rejected)
    result.row_errors.extend(f"row {r}, {c}: {why}" for r, c, _v, why in rejected[:50])
