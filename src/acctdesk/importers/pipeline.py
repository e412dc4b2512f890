"""The import pipeline: read -> plan -> canonical rows -> link -> write.

One file is one transaction and, per sheet it imports, one import batch. Every row is
accounted for: ``rows_read = inserted + updated + unchanged + merged + held + rejected``,
each row that was not inserted or updated with its reason (:attr:`FileResult.outcomes`).
Nothing a file brings is lost: values that cannot be read reject their row (kept with the
batch, with row number, column, value and reason, exportable to fix and re-import); columns
no profile knows are kept as custom fields; uncertain account matches are held for review
with the row's cells. Re-importing the same file changes nothing. A batch can be undone
exactly: rows it inserted carry its ``batch_id`` and rows it changed have their previous
values in ``row_history``.

The steps live in their own modules: :mod:`.plan` (recognise a sheet and map its columns),
:mod:`.canonical` (coerce and transform), :mod:`.linking` (the identity graph), and the SQL
in :mod:`acctdesk.models.import_store`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..models import import_store
from ..models.workspace import Workspace, WorkspaceError
from .canonical import CUSTOM, ROW, canonical_rows
from .errors import CellError, ImportCancelled, ImportFileError
from .linking import link_records
from .mapping import header_signature
from .match import AccountIndex
from .plan import MIN_CONFIDENCE, SheetPlan, plan_sheet, save_mapping
from .readers import check_file, open_input, read_file
from .result import MAX_ROWS_LISTED, FileResult
from .write import Prepared, write_sheet

log = logging.getLogger(__name__)

__all__ = ["FileResult", "FilePreview", "SheetPlan", "import_file", "import_files",
           "preview_file", "plan_sheet", "save_mapping", "undo_batch", "UndoError",
           "rejected_rows", "export_rejected", "sha256_file", "MIN_CONFIDENCE"]

ProgressFn = Callable[[float, str], None]


# ---------------------------------------------------------------------------------- helpers
def sha256_file(path: Path) -> str:
    """SHA-256 of a file, after checking it is an ordinary file of a size acctdesk reads
    (a link to ``/dev/zero`` or a pipe is refused, not read forever)."""
    h = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _prepare_sheet(plan: SheetPlan, index: AccountIndex, decisions, cancel, path,
                   salt: str) -> Prepared:
    rows = canonical_rows(plan, cancel, path=path)
    if cancel is not None and cancel():
        raise ImportCancelled()
    linked = link_records(rows.records, plan.profile, plan.mapping, index, decisions,
                          salt=salt, list_key=header_signature(plan.sheet.frame.columns)[:10])
    return Prepared(plan, rows, linked)


def _plans(ws: Workspace, path: Path, sheet, profile_id, mapping, entity, cancel
           ) -> list[SheetPlan]:
    sheets = read_file(path, sheet=sheet, cancel=cancel)
    plans = [plan_sheet(s, ws, profile_id=profile_id, mapping=mapping, entity=entity)
             for s in sheets]
    if not any(p.profile is not None for p in plans):
        problem = next((p.problem for p in plans if p.problem and "pivot" not in p.problem),
                       plans[0].problem)
        if len(plans) > 1:
            problem = f"has no sheet acctdesk can import ({len(plans)} sheets; the first: " \
                      f"{problem})"
        raise ImportFileError.for_file(path, problem or "was not recognised")
    if len(plans) > 1 and any(p.how == "profile" for p in plans):
        # a workbook around a known export (charts, pivots, notes): import the export's
        # sheets, not guesses at the others
        for p in plans:
            if p.profile is not None and p.how == "suggested":
                p.problem = "not a recognised export; the workbook's recognised sheets were " \
                            "imported"
                p.profile = None
    return plans


def _salt(ws: Workspace) -> str:
    return ws.get_meta("id_salt") or ""


def import_file(ws: Workspace, path: str | Path, *, profile_id: str | None = None,
                mapping: dict[str, str] | None = None, entity: str | None = None,
                decisions: dict | None = None, sheet: str | None = None,
                cancel: Callable[[], bool] | None = None,
                progress: ProgressFn | None = None) -> FileResult:
    """Import one file as one transaction; never raises for a bad file (see ``error``).

    Raises :class:`ImportCancelled` when ``cancel()`` turns true; the workspace is then
    unchanged.
    """
    t0 = time.perf_counter()
    path = Path(path)
    result = FileResult(file=str(path))
    report = progress or (lambda f, t: None)
    try:
        report(0.02, f"Reading {path.name}…")
        check_file(path)        # an ordinary file, of a kind and size that can be read
        digest = sha256_file(path)
        if _already(ws, digest, result):
            return result
        if profile_id is None and mapping is None:
            # a priority pack acctdesk exported: apply the edited cells, nothing else
            from .pack_marker import is_pack

            if is_pack(path):
                from .pack_roundtrip import import_pack

                import_pack(ws, path, result=result, digest=digest, progress=report)
                return result
        plans = _plans(ws, path, sheet, profile_id, mapping, entity, cancel)
        usable = [p for p in plans if p.profile is not None]
        for p in plans:
            if p.profile is None:
                result.notes.append(f"sheet '{p.sheet.name}' skipped: {p.problem}")
            result.notes.extend(p.sheet.notes)
            result.notes.extend(p.notes)
        first = usable[0]
        result.profile, result.confidence = first.profile.id, first.confidence
        result.entity, result.sheet = first.profile.entity, first.sheet.name
        _write_plans(ws, path, digest, usable, result, decisions, cancel, report)
    except ImportFileError as exc:
        result.error = str(exc)
    except ImportCancelled:
        raise
    except WorkspaceError as exc:      # busy, read-only, disk full: nothing was written
        result.error = f"'{path.name}' was not imported: {exc}"
    except Exception as exc:  # noqa: BLE001 - one file's failure never stops the others
        log.warning("importing %s failed", path, exc_info=True)
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else \
            type(exc).__name__
        result.error = (f"'{path.name}' could not be imported ({detail}). Nothing from it was "
                        "written and the other files are not affected. Check that it is an "
                        "unchanged export; if it is, please report this problem with the file.")
    finally:
        result.seconds = time.perf_counter() - t0
    return result


def _already(ws: Workspace, digest: str, result: FileResult, conn=None) -> bool:
    done = import_store.applied_batches_for(conn or ws.conn, digest)
    if not done:
        return False
    result.skipped = True
    result.batch_ids = done
    result.notes.append(f"already imported as batch {', '.join(map(str, done))}; "
                        "nothing changed")
    return True


def _write_plans(ws, path, digest, plans, result, decisions, cancel, report) -> None:
    check = (lambda: None) if cancel is None else (
        lambda: (_ for _ in ()).throw(ImportCancelled()) if cancel() else None)
    index = AccountIndex.from_workspace(ws)
    salt = _salt(ws)
    prepared = []
    for n, plan in enumerate(plans):
        check()
        report(0.1 + 0.3 * n / len(plans), f"Checking {plan.sheet.name}…")
        prepared.append(_prepare_sheet(plan, index, decisions, cancel, path, salt))
    report(0.5, "Writing…")
    with ws.transaction() as conn:
        if _already(ws, digest, result, conn):
            return
        billed = import_store.has_subscriptions(conn) \
            or any(p.plan.profile.entity == "subscriptions" for p in prepared)
        before = ws.data_date() if billed else None
        for prep in prepared:
            check()
            counts = write_sheet(conn, path, digest, prep, result, ws.data_date, index)
            ws.audit("import", "import_batches", str(result.batch_ids[-1]),
                     after={"file": path.name, "profile": prep.plan.profile.id, **counts})
        after = ws.data_date() if billed else None
        if after and after != before:
            # the book's date moved: what pays on the new date decides ARR and churn
            import_store.refresh_account_revenue(conn, None, result.batch_ids[-1], after)
        check()
    report(1.0, "Done")


@dataclass
class FilePreview:
    """What importing a file would do, computed without writing (for the import dialog)."""

    file: str
    plans: list[SheetPlan] = field(default_factory=list)
    plan: SheetPlan | None = None           # the sheet that will be imported
    rows: pd.DataFrame | None = None        # first rows as they will be stored
    row_errors: list[CellError] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)
    rows_read: int = 0
    new_accounts: int = 0
    already_imported: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def profile_id(self) -> str | None:
        return self.plan.profile.id if self.plan and self.plan.profile else None


def preview_file(ws: Workspace, path: str | Path, *, profile_id: str | None = None,
                 mapping: dict[str, str] | None = None, entity: str | None = None,
                 sheet: str | None = None, decisions: dict | None = None,
                 cancel: Callable[[], bool] | None = None,
                 max_rows: int = 200) -> FilePreview:
    """Recognise, map, coerce and link a file's rows without writing anything.

    The whole file is checked (row errors and review items are complete); ``rows`` holds the
    first ``max_rows`` canonical records with the account each one will be linked to.
    """
    path = Path(path)
    out = FilePreview(file=str(path))
    try:
        check_file(path)
        out.already_imported = import_store.applied_batches_for(ws.conn, sha256_file(path))
        out.plans = _plans(ws, path, sheet, profile_id, mapping, entity, cancel)
        plan = out.plan = next(p for p in out.plans if p.profile is not None)
        index = AccountIndex.from_workspace(ws)
        prep = _prepare_sheet(plan, index, decisions, cancel, path, _salt(ws))
        records, linked = prep.rows.records, prep.linked
        out.rows_read = prep.rows.rows_read
        out.row_errors = prep.rows.errors
        rownums = records[ROW].to_numpy() if ROW in records.columns else np.zeros(0, int)
        for item in linked.review:
            item["rows"] = sorted({int(r) for r in rownums[item.pop("positions")]})[
                :MAX_ROWS_LISTED]
        out.review = linked.review
        out.new_accounts = len(linked.new_accounts)
        shown = records.head(max_rows).copy()
        names = import_store.account_names(ws.conn)
        names.update({a: n for a, n, _, _ in linked.new_accounts})
        ids = linked.account_ids[:max_rows]
        held = linked.held[:max_rows]
        shown.insert(0, "account", ["(to confirm)" if h else (names.get(a, "(no account)")
                                                              if a else "(no account)")
                                    for a, h in zip(ids, held)])
        shown = shown.drop(columns=[ROW], errors="ignore")
        shown.columns = [c[len(CUSTOM):] + " (kept)" if isinstance(c, str)
                         and c.startswith(CUSTOM) else c for c in shown.columns]
        out.rows = shown
    except (ImportFileError, ValueError, KeyError) as exc:
        out.error = str(exc)
    except ImportCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - a preview never ends the app
        log.warning("previewing %s failed", path, exc_info=True)
        out.error = (f"'{path.name}' could not be read ({str(exc).strip()[:200] or type(exc).__name__})."
                     " Check that it is an unchanged export.")
    return out


def import_files(ws: Workspace, paths: Sequence[str | Path], **kwargs) -> list[FileResult]:
    """Import files in order; a rejected file does not stop the others."""
    return [import_file(ws, p, **kwargs) for p in paths]


# ---------------------------------------------------------------------------------- undo
# kept importable from here: the undo is storage's (acctdesk.models.batch_undo)
from ..models.batch_undo import UndoError, UndoNeedsConfirmation, undo_batch  # noqa: E402,F401


def rejected_rows(ws: Workspace, batch_id: int) -> pd.DataFrame:
    return import_store.rejected_rows(ws, batch_id)


def export_rejected(ws: Workspace, batch_id: int, path: str | Path) -> int:
    """Write a batch's rejected rows as CSV: the original cells plus the reasons, to fix."""
    frame = rejected_rows(ws, batch_id)
    if frame.empty:
        _write_private_csv(pd.DataFrame(columns=["row", "problem"]), path)
        return 0
    grouped = frame.groupby("row_number", sort=True)
    records = []
    for rownum, g in grouped:
        raw = next((json.loads(r) for r in g["raw"] if r), {})
        problems = "; ".join(
            (f"{c}: {why}" if c else why) for c, why in zip(g["column_name"], g["reason"]))
        records.append({"row": int(rownum), "problem": problems, **raw})
    _write_private_csv(pd.DataFrame(records), path)
    return len(records)


def _write_private_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV readable only by the user (mode 0600, like the workspace): to a new
    temporary file beside it, then renamed into place."""
    import os
    import secrets

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
