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
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..models import import_store
from ..models.schema import ENTITY_FIELDS, ENTITY_KEYS
from ..models.workspace import Workspace, WorkspaceError, now_iso
from .canonical import CUSTOM, ROW, CanonicalRows, canonical_rows
from .errors import CellError, ImportCancelled, ImportFileError
from .linking import CREATES_ACCOUNTS, HOW_WORDS, NEEDS_ACCOUNT, Linked, link_records
from .mapping import header_signature
from .match import AccountIndex, company_name
from .plan import MIN_CONFIDENCE, SheetPlan, plan_sheet, save_mapping
from .profiles import Profile
from .readers import Sheet, check_file, open_input, read_file

log = logging.getLogger(__name__)

__all__ = ["FileResult", "FilePreview", "SheetPlan", "import_file", "import_files",
           "preview_file", "plan_sheet", "save_mapping", "undo_batch", "UndoError",
           "rejected_rows", "export_rejected", "sha256_file", "MIN_CONFIDENCE"]

MAX_ERRORS_LISTED = 50
#: row numbers listed per outcome group in FileResult.outcomes
MAX_ROWS_LISTED = 20
#: outcome groups listed (the rest are summed into one line per outcome)
MAX_GROUPS = 100

ProgressFn = Callable[[float, str], None]

_ENTITY_WORDS = {"accounts": "company", "subscriptions": "subscription", "usage": "usage value",
                 "tickets": "ticket", "surveys": "response", "contacts": "contact",
                 "activities": "activity", "opportunities": "opportunity"}


@dataclass
class FileResult:
    file: str
    profile: str | None = None
    confidence: float = 0.0
    entity: str | None = None
    sheet: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    held: int = 0
    rejected: int = 0
    accounts_created: int = 0
    accounts_merged: int = 0
    review: list[dict] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)
    skipped: bool = False
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "profile": self.profile, "confidence": round(self.confidence, 3),
            "entity": self.entity, "sheet": self.sheet, "rows_read": self.rows_read,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "merged": self.merged, "held": self.held,
            "rejected": self.rejected, "accounts_created": self.accounts_created,
            "accounts_merged": self.accounts_merged,
            "review": self.review, "row_errors": self.row_errors, "notes": self.notes,
            "outcomes": self.outcomes,
            "batch_ids": self.batch_ids, "skipped": self.skipped, "error": self.error,
        }

    def summary(self) -> str:
        """One line in words: what happened to the file's rows."""
        parts = [f"{self.rows_read:,} rows read", f"{self.inserted:,} added",
                 f"{self.updated:,} updated", f"{self.unchanged:,} unchanged"]
        for n, word in ((self.merged, "merged"), (self.held, "held for review"),
                        (self.rejected, "rejected")):
            if n:
                parts.append(f"{n:,} {word}")
        if self.accounts_created:
            parts.append(f"{self.accounts_created:,} new accounts")
        return ", ".join(parts)


    def reasons(self, limit: int = 12) -> list[str]:
        """Why rows were not added or updated: a line per reason, with the rows named."""
        words = {"held": "held for review"}
        out = []
        for o in sorted(self.outcomes, key=lambda o: (o["outcome"] == "unchanged",
                                                      -o["count"])):
            rows = ", ".join(map(str, o["rows"][:8])) + (" ..." if o["count"] > 8 else "")
            where = (f" (row {rows})" if o["count"] == 1 else f" (rows {rows})") \
                if o["rows"] else ""
            out.append(f"{o['count']:,} {words.get(o['outcome'], o['outcome'])}: "
                       f"{o['reason']}{where}")
        if len(out) > limit:
            out = out[:limit] + [f"... and {len(out) - limit} more reasons"]
        return out


class _Outcomes:
    """Rows that were not inserted or updated, grouped by outcome and reason."""

    def __init__(self):
        self.groups: dict[tuple[str, str], list] = defaultdict(lambda: [0, []])

    def add(self, outcome: str, reason: str, rows, count: int | None = None) -> None:
        rows = list(rows)
        count = len(rows) if count is None else count
        if not count:
            return
        g = self.groups[(outcome, reason)]
        g[0] += count
        room = MAX_ROWS_LISTED - len(g[1])
        if room > 0:
            g[1].extend(int(r) for r in rows[:room])

    def as_list(self) -> list[dict]:
        items = sorted(self.groups.items(), key=lambda kv: (kv[0][0], -kv[1][0]))
        out, rest = [], defaultdict(int)
        for (outcome, reason), (count, rows) in items:
            if len(out) < MAX_GROUPS:
                out.append({"outcome": outcome, "reason": reason, "count": count,
                            "rows": sorted(rows)})
            else:
                rest[outcome] += count
        for outcome, count in rest.items():
            out.append({"outcome": outcome, "reason": "more rows like the ones above",
                        "count": count, "rows": []})
        return out


# ---------------------------------------------------------------------------------- helpers
def sha256_file(path: Path) -> str:
    """SHA-256 of a file, after checking it is an ordinary file of a size acctdesk reads
    (a link to ``/dev/zero`` or a pipe is refused, not read forever)."""
    h = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hash_key(*parts: Any) -> str:
    text = "|".join("" if p is None or (isinstance(p, float) and p != p) else str(p)
                    for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _custom_json(frame: pd.DataFrame) -> pd.Series | None:
    cols = [c for c in frame.columns if isinstance(c, str) and c.startswith(CUSTOM)]
    if not cols:
        return None
    names = [c[len(CUSTOM):] for c in cols]
    values = [import_store.column_values(frame[c]) for c in cols]
    out = []
    for i in range(len(frame)):
        obj = {n: v[i] for n, v in zip(names, values) if v[i] not in (None, "")}
        out.append(json.dumps(obj, ensure_ascii=False, default=str) if obj else None)
    return pd.Series(out, index=frame.index, dtype=object)


def _raw_json(sheet: Sheet, row_numbers) -> dict[int, str]:
    """{row number: the row's cells as JSON} for rows kept aside (rejected or held)."""
    wanted = sorted({int(r) for r in row_numbers})
    if not wanted:
        return {}
    pos = {int(r): i for i, r in enumerate(sheet.row_numbers)}
    found = [r for r in wanted if r in pos]
    sub = sheet.frame.iloc[[pos[r] for r in found]]
    names = [str(c) for c in sub.columns]
    columns = [import_store.column_values(sub[c]) for c in sub.columns]
    return {r: json.dumps(dict(zip(names, cells)), ensure_ascii=False, default=str)
            for r, cells in zip(found, zip(*columns))}


# ---------------------------------------------------------------------------------- entities
def _subscription_defaults(df: pd.DataFrame, prof: Profile, as_of: str | None) -> pd.DataFrame:
    """Still-paying flags, product from the plan, a status when the export has none."""
    if "billing_flag" in df.columns:
        flag = df["billing_flag"]
        status = df["status"] if "status" in df.columns else pd.Series(None, index=df.index)
        new = np.where(flag.isin(["past_due", "non_renewing"]), flag,
                       np.where(flag == "cancel_at_period_end", "non_renewing", status))
        df = df.assign(status=pd.Series(new, index=df.index, dtype=object))
    plan = df["plan"] if "plan" in df.columns else pd.Series(None, index=df.index, dtype=object)
    product = df["product"] if "product" in df.columns else pd.Series(None, index=df.index,
                                                                      dtype=object)
    df = df.assign(product=product.where(product.notna(), plan).where(
        product.notna() | plan.notna(), "Subscription").astype(object))
    if "status" not in df.columns or df["status"].isna().any():
        end = df["end_date"] if "end_date" in df.columns else pd.Series(None, index=df.index)
        ended = end.notna() & (end.astype(object).fillna("") <= (as_of or "9999"))
        derived = pd.Series(np.where(ended, "ended", "active"), index=df.index, dtype=object)
        base = df["status"] if "status" in df.columns else pd.Series(None, index=df.index)
        df = df.assign(status=base.where(base.notna(), derived).astype(object))
    if "sub_id" not in df.columns or df["sub_id"].isna().any():
        gen = [f"{prof.source_key}:{_hash_key(a, p, s)}" for a, p, s in zip(
            df["account_id"], df["product"],
            df["start_date"] if "start_date" in df.columns else [None] * len(df))]
        base = df["sub_id"] if "sub_id" in df.columns else pd.Series(None, index=df.index)
        df = df.assign(sub_id=base.where(base.notna(), pd.Series(gen, index=df.index)))
    if "mrr" in df.columns and ("arr" not in df.columns or df["arr"].isna().any()):
        arr = pd.to_numeric(df["mrr"], errors="coerce") * 12
        df = df.assign(arr=df["arr"].where(df["arr"].notna(), arr) if "arr" in df.columns
                       else arr)
    if "arr" in df.columns and ("mrr" not in df.columns or df["mrr"].isna().any()):
        mrr = (pd.to_numeric(df["arr"], errors="coerce") / 12).round(2)
        df = df.assign(mrr=df["mrr"].where(df["mrr"].notna(), mrr) if "mrr" in df.columns
                       else mrr)
    return df


def _values(df: pd.DataFrame, col: str) -> list:
    return df[col].tolist() if col in df.columns else [None] * len(df)


def _generated_ids(df: pd.DataFrame, prof: Profile) -> pd.DataFrame:
    entity = prof.entity
    if entity == "activities" and ("activity_id" not in df.columns
                                   or df["activity_id"].isna().any()):
        gen = [f"{prof.source_key}:{_hash_key(a, d, k, t)}" for a, d, k, t in zip(
            df["account_id"], _values(df, "date"), _values(df, "kind"), _values(df, "text"))]
        base = df["activity_id"] if "activity_id" in df.columns else pd.Series(None, index=df.index)
        df = df.assign(activity_id=base.where(base.notna(), pd.Series(gen, index=df.index)))
    if entity == "opportunities" and ("opp_id" not in df.columns or df["opp_id"].isna().any()):
        gen = [f"{prof.source_key}:{_hash_key(a, n, c)}" for a, n, c in zip(
            df["account_id"], _values(df, "name"), _values(df, "close_date"))]
        base = df["opp_id"] if "opp_id" in df.columns else pd.Series(None, index=df.index)
        df = df.assign(opp_id=base.where(base.notna(), pd.Series(gen, index=df.index)))
    return df


def _prepare_entity(frame: pd.DataFrame, prof: Profile, as_of: str | None
                    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Canonical table rows from records, one per key.

    Returns (table rows, the record position each table row comes from, positions of the
    records folded into another one, and for each of those the position it was folded into).
    Accounts: a company on several rows takes the first non-empty value per column;
    other entities: the last row per key wins.
    """
    entity = prof.entity
    fields = ENTITY_FIELDS[entity]
    df = frame.reset_index(drop=True)
    if entity == "subscriptions":
        df = _subscription_defaults(df, prof, as_of)
    df = _generated_ids(df, prof)
    if "source" in fields and "source" not in df.columns:
        df = df.assign(source=prof.source_key)
    keep = [c for c in fields if c in df.columns]
    out = df[keep].copy()
    custom = _custom_json(df)
    if custom is not None:
        out["custom"] = custom
    keys = list(ENTITY_KEYS[entity])
    missing = [k for k in keys if k not in out.columns]
    if missing:
        return out.iloc[:0], np.arange(0), np.arange(0), np.arange(0)
    codes = out.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    pos = np.arange(len(out))
    if entity == "accounts":
        rep = pd.Series(pos).groupby(codes, sort=False).first()
        out = out.groupby("account_id", sort=False, dropna=True).first().reset_index()
    else:
        rep = pd.Series(pos).groupby(codes, sort=False).last()
        out = out.iloc[rep.to_numpy()].reset_index(drop=True)
    rep_pos = rep.to_numpy()
    is_rep = np.zeros(len(pos), dtype=bool)
    is_rep[rep_pos] = True
    folded = pos[~is_rep]
    into = rep.reindex(codes[folded]).to_numpy() if len(folded) else np.arange(0)
    return out, rep_pos, folded, into


def _migrated_tickets(conn, table: pd.DataFrame, source: str) -> np.ndarray:
    """Tickets that another support system already holds (migrated between systems): the
    same account, subject and creation minute. Returns a mask over ``table``."""
    if table.empty or not {"subject", "created_at", "account_id"} <= set(table.columns):
        return np.zeros(len(table), dtype=bool)
    accounts = table["account_id"].dropna().unique().tolist()
    stored = import_store.existing_tickets(conn, accounts)
    stored = stored[stored["source"] != source]
    if stored.empty:
        return np.zeros(len(table), dtype=bool)

    def sig(acc, subj, created):
        s = re.sub(r"\W+", " ", str(subj or "")).strip().lower()
        return (acc, s, str(created or "")[:16]) if s and created else None

    have = {sig(a, s, c) for a, s, c in zip(stored["account_id"], stored["subject"],
                                            stored["created_at"])}
    have.discard(None)
    mine = [sig(a, s, c) for a, s, c in zip(table["account_id"], table["subject"],
                                            table["created_at"])]
    return np.array([m is not None and m in have for m in mine], dtype=bool)


# ---------------------------------------------------------------------------------- one sheet
@dataclass
class _Prepared:
    plan: SheetPlan
    rows: CanonicalRows
    linked: Linked


def _prepare_sheet(plan: SheetPlan, index: AccountIndex, decisions, cancel, path,
                   salt: str) -> _Prepared:
    rows = canonical_rows(plan, cancel, path=path)
    if cancel is not None and cancel():
        raise ImportCancelled()
    linked = link_records(rows.records, plan.profile, plan.mapping, index, decisions,
                          salt=salt, list_key=header_signature(plan.sheet.frame.columns)[:10])
    return _Prepared(plan, rows, linked)


def _write_sheet(conn, path: Path, digest: str, prep: _Prepared, result: FileResult,
                 data_date: Callable[[], str | None], index: AccountIndex) -> dict:
    """Write one prepared sheet as one batch; account for every row. Returns its counts."""
    plan, rows, linked = prep.plan, prep.rows, prep.linked
    prof = plan.profile
    entity = prof.entity
    word = _ENTITY_WORDS.get(entity, "record")
    out = _Outcomes()
    batch_id = import_store.begin_batch(conn, path.name, digest, prof.id, entity,
                                        plan.mapping)
    result.batch_ids.append(batch_id)
    records = rows.records
    rownums = records[ROW].to_numpy() if ROW in records.columns else np.zeros(0, int)
    aside: list[tuple] = []                      # rejected_rows entries

    if rows.folded:
        out.add("merged", f"counted together with rows of the same account, day and "
                f"{'event' if entity == 'usage' else word}", [], count=rows.folded)
    # rejected: cells that could not be read, values required but missing
    for e in rows.errors:
        out.add("rejected", f"column '{e.column}': {e.reason}" if e.column else e.reason,
                [e.row])
        aside.append((e.row, e.column, e.value, e.reason, None, "rejected"))
    # held: the account is uncertain
    held = linked.held
    for item in linked.review:
        rows_of = rownums[item.pop("positions")]
        item["rows"] = sorted({int(r) for r in rows_of})[:MAX_ROWS_LISTED]
        out.add("held", item["reason"], rows_of)
        aside.extend((int(r), None, None, item["reason"], None, "held") for r in rows_of)
    refused = linked.how == "rejected"
    if refused.any():
        out.add("rejected", "you chose not to import this company's rows", rownums[refused])
        aside.extend((int(r), None, None, "not imported: you rejected the company", None,
                      "rejected") for r in rownums[refused])
    no_account = pd.isna(pd.Series(linked.account_ids, dtype=object)).to_numpy() & \
        ~held & ~refused
    keep = ~held & ~refused
    if entity in NEEDS_ACCOUNT and no_account.any():
        nameless = no_account & (linked.how == "none")
        for mask, why in (
                (nameless, "this row names no company (no company name, web domain or id)"),
                (no_account & ~nameless,
                 "no account in the workspace matches this row's company; import the "
                 "companies export (CRM or billing) first, or map the column that names "
                 "the account" if entity != "accounts" else
                 "the company is not in the workspace, and this file only describes "
                 "companies it already has (it gives no name)")):
            if mask.any():
                out.add("rejected", why, rownums[mask])
                aside.extend((int(r), None, None, why, None, "rejected") for r in rownums[mask])
        keep &= ~no_account
    elif no_account.any():
        result.notes.append(f"{int(no_account.sum()):,} {word}(s) belong to no account in the "
                            "workspace; kept without an account")
    if entity == "contacts":
        # contacts are kept by e-mail address; the person's ids still link their company
        mail = records["email"] if "email" in records.columns else \
            pd.Series(None, index=records.index, dtype=object)
        no_mail = mail.isna().to_numpy() & keep
        if no_mail.any():
            why = "the contact has no e-mail address (contacts are kept by e-mail)"
            out.add("rejected", why, rownums[no_mail])
            aside.extend((int(r), None, None, why, None, "rejected") for r in rownums[no_mail])
            keep &= ~no_mail
            refused = refused | no_mail
    new_accounts = linked.new_accounts
    if new_accounts and entity != "accounts":
        import_store.insert_accounts(conn, new_accounts, batch_id)
    for kept, dropped, why in linked.merges:
        import_store.merge_accounts(conn, kept, dropped, batch_id)
        result.notes.append(f"merged two accounts: {why}")
        result.accounts_merged += 1
    links = list(linked.links)
    frame = records[keep].assign(account_id=linked.account_ids[keep])
    how = linked.how[keep]
    if entity == "accounts":
        frame = _account_names(frame, new_accounts, index)
        status = frame["status"] if "status" in frame.columns else \
            pd.Series(None, index=frame.index, dtype=object)
        # a new account says nothing of its status: a customer (an existing one keeps its own)
        new_ids = {a for a, _, _, _ in new_accounts}
        frame = frame.assign(status=status.where(
            status.notna() | ~frame["account_id"].isin(new_ids), "active"))
    table, rep, folded, into = _prepare_entity(
        frame, prof, data_date() if entity == "subscriptions" else None)
    missing_keys = [k for k in ENTITY_KEYS[entity] if k not in table.columns]
    if len(frame) and missing_keys:
        raise ImportFileError.for_file(
            path, f"has no column for {', '.join(missing_keys)} ({prof.id})",
            "Map that column in the import dialog.")
    frows = frame[ROW].to_numpy() if len(frame) else np.zeros(0, int)
    for f, i in zip(folded, into):
        reason = (f"the same company as row {frows[i]}" if entity == "accounts" else
                  f"the same {word} as row {frows[i]} (the later row was kept)")
        out.add("merged", reason, [frows[f]])
    if entity == "tickets" and len(table):
        moved = _migrated_tickets(conn, table, prof.source_key)
        if moved.any():
            out.add("merged", "the same ticket is already imported from another support "
                    "system (migrated)", frows[rep[moved]])
            table, rep = table[~moved].reset_index(drop=True), rep[~moved]
    if entity == "subscriptions" and "sub_id" in table.columns:
        links.extend((prof.source_key, str(s), a, 0, "subscription")
                     for s, a in zip(table["sub_id"], table["account_id"]) if a is not None)
    if links:
        import_store.link_external_ids(conn, links, batch_id)
    status = import_store.upsert(conn, entity, table, batch_id)
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for k in range(len(table)):
        st = status[k]
        r = frows[rep[k]]
        if entity == "accounts" and how[rep[k]] not in ("own", "new", "workspace"):
            out.add("merged", f"linked to the existing account '{index.name_of(table['account_id'].iloc[k]) or table['account_id'].iloc[k]}' "
                    f"{HOW_WORDS.get(how[rep[k]], '')}".rstrip(), [r])
            counts.setdefault("merged_existing", 0)
            counts["merged_existing"] += 1
            continue
        counts[st] += 1
        if st == "unchanged":
            out.add("unchanged", f"already in the workspace with the same values", [r])
    touched = set(table["account_id"].dropna().unique()) if entity == "subscriptions" \
        and len(table) else set()
    touched |= {kept for kept, _, _ in linked.merges}
    if touched:
        # as of the data date the workspace has now, this file's subscriptions included
        import_store.refresh_account_revenue(conn, sorted(touched), batch_id,
                                             data_date() or now_iso()[:10])
    raw = _raw_json(plan.sheet, [a[0] for a in aside])
    if aside:
        import_store.record_rejected(conn, batch_id, [
            (r, c, v, why, raw.get(int(r)), kind) for r, c, v, why, _, kind in aside])
    rejected = rows.rejected + int(refused.sum()) + (
        int(no_account.sum()) if entity in NEEDS_ACCOUNT else 0)
    merged = sum(g[0] for (o, _), g in out.groups.items() if o == "merged")
    n_held = int(held.sum())
    created = len(new_accounts) if entity != "accounts" else counts["inserted"]
    c = {"rows_read": rows.rows_read, "inserted": counts["inserted"],
         "updated": counts["updated"], "unchanged": counts["unchanged"], "merged": merged,
         "held": n_held, "rejected": rejected, "accounts_created": created,
         "review": len(linked.review)}
    result.rows_read += c["rows_read"]
    result.inserted += c["inserted"]
    result.updated += c["updated"]
    result.unchanged += c["unchanged"]
    result.merged += merged
    result.held += n_held
    result.rejected += rejected
    result.accounts_created += created
    result.review.extend(linked.review)
    result.row_errors.extend(str(e) for e in rows.errors[:MAX_ERRORS_LISTED])
    result.outcomes.extend({**g, "sheet": plan.sheet.name} for g in out.as_list())
    import_store.finish_batch(conn, batch_id, c)
    return c


def _account_names(frame: pd.DataFrame, new_accounts, index: AccountIndex) -> pd.DataFrame:
    """A company known only by its domain or id, or "named" after a mailbox, still gets a
    display name."""
    shown = {a: n for a, n, _, _ in new_accounts}
    name = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index,
                                                                   dtype=object)
    placeholder = name.map(lambda v: v is not None and company_name(v) is None)
    fallback = frame["account_id"].map(lambda a: shown.get(a) or index.name_of(a))
    name = name.where(name.notna() & ~placeholder, fallback)
    return frame.assign(name=name.astype(object))


# ---------------------------------------------------------------------------------- files
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
        billed = conn.execute("SELECT 1 FROM subscriptions LIMIT 1").fetchone() is not None \
            or any(p.plan.profile.entity == "subscriptions" for p in prepared)
        before = ws.data_date() if billed else None
        for prep in prepared:
            check()
            counts = _write_sheet(conn, path, digest, prep, result, ws.data_date, index)
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
# kept importable from here: the undo lives in acctdesk.importers.undo
from .undo import UndoError, UndoNeedsConfirmation, undo_batch  # noqa: E402,F401


def rejected_rows(ws: Workspace, batch_id: int) -> pd.DataFrame:
    return ws.frame("SELECT row_number, column_name, value, reason, raw FROM rejected_rows "
                    "WHERE batch_id = ? ORDER BY row_number", (batch_id,))


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
