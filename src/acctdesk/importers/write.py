"""Writing one planned, linked sheet as one import batch, accounting for every row.

:func:`write_sheet` turns the sheet's linked records into the entity's table rows (a company
on several rows is one account; the last row per key wins for other records; tickets migrated
between support systems count once), writes them through :mod:`acctdesk.models.import_store`
(history kept for undo), and records why each row that was not added or updated was merged,
held or rejected, with the row's cells for the held and rejected ones.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..models import import_store
from ..models.schema import ENTITY_FIELDS, ENTITY_KEYS
from ..models.workspace import now_iso
from .canonical import CUSTOM, ROW, CanonicalRows
from .errors import ImportFileError
from .linking import HOW_WORDS, NEEDS_ACCOUNT, Linked
from .match import AccountIndex, company_name
from .plan import SheetPlan
from .profiles import Profile
from .readers import Sheet
from .result import MAX_ROWS_LISTED, FileResult, Outcomes

__all__ = ["Prepared", "write_sheet", "MAX_ERRORS_LISTED"]

MAX_ERRORS_LISTED = 50

_ENTITY_WORDS = {"accounts": "company", "subscriptions": "subscription", "usage": "usage value",
                 "tickets": "ticket", "surveys": "response", "contacts": "contact",
                 "activities": "activity", "opportunities": "opportunity"}


# ---------------------------------------------------------------------------------- rows
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


# ---------------------------------------------------------------------------------- writing
@dataclass
class Prepared:
    """A sheet ready to write: its plan, canonical rows and the account of each record."""

    plan: SheetPlan
    rows: CanonicalRows
    linked: Linked


def write_sheet(conn, path: Path, digest: str, prep: Prepared, result: FileResult,
                data_date: Callable[[], str | None], index: AccountIndex) -> dict:
    """Write one prepared sheet as one batch; account for every row. Returns its counts."""
    return _SheetWrite(conn, path, digest, prep, result, data_date, index).run()


class _SheetWrite:
    """The steps of :func:`write_sheet`, sharing the sheet's rows and the outcome groups."""

    def __init__(self, conn, path, digest, prep: Prepared, result: FileResult, data_date,
                 index: AccountIndex):
        self.conn, self.path, self.digest, self.result = conn, path, digest, result
        self.plan, self.rows, self.linked = prep.plan, prep.rows, prep.linked
        self.prof = self.plan.profile
        self.entity = self.prof.entity
        self.word = _ENTITY_WORDS.get(self.entity, "record")
        self.data_date, self.index = data_date, index
        self.out = Outcomes()
        self.aside: list[tuple] = []          # rejected_rows entries
        records = self.rows.records
        self.rownums = records[ROW].to_numpy() if ROW in records.columns else np.zeros(0, int)
        self.rejected = self.rows.rejected

    def run(self) -> dict:
        self.batch_id = import_store.begin_batch(self.conn, self.path.name, self.digest,
                                                 self.prof.id, self.entity, self.plan.mapping)
        self.result.batch_ids.append(self.batch_id)
        keep = self._set_aside()
        self._accounts_first()
        table, rep, how, frows = self._table(keep)
        counts = self._write(table, rep, how, frows)
        return self._finish(counts)

    # -- rows that are not written: rejected, held, no account
    def _aside(self, outcome: str, reason: str, rows, column=None, value=None) -> None:
        self.out.add(outcome, reason, rows)
        self.aside.extend((int(r), column, value, reason, None, outcome) for r in rows)

    def _set_aside(self) -> np.ndarray:
        """Record the rows not written and return the mask of records to write."""
        rows, linked, rownums = self.rows, self.linked, self.rownums
        if rows.folded:
            self.out.add("merged", "counted together with rows of the same account, day and "
                         f"{'event' if self.entity == 'usage' else self.word}", [],
                         count=rows.folded)
        for e in rows.errors:     # cells that could not be read, values required but missing
            self.out.add("rejected", f"column '{e.column}': {e.reason}" if e.column
                         else e.reason, [e.row])
            self.aside.append((e.row, e.column, e.value, e.reason, None, "rejected"))
        for item in linked.review:                     # held: the account is uncertain
            rows_of = rownums[item.pop("positions")]
            item["rows"] = sorted({int(r) for r in rows_of})[:MAX_ROWS_LISTED]
            self._aside("held", item["reason"], rows_of)
        refused = linked.how == "rejected"
        if refused.any():
            self._aside("rejected", "not imported: you rejected the company", rownums[refused])
            self.rejected += int(refused.sum())
        keep = ~linked.held & ~refused
        no_account = pd.isna(pd.Series(linked.account_ids, dtype=object)).to_numpy() & keep
        if self.entity in NEEDS_ACCOUNT and no_account.any():
            self._no_account(no_account)
            self.rejected += int(no_account.sum())
            keep &= ~no_account
        elif no_account.any():
            self.result.notes.append(f"{int(no_account.sum()):,} {self.word}(s) belong to no "
                                     "account in the workspace; kept without an account")
        if self.entity == "contacts":
            keep = self._contacts_without_mail(keep)
        return keep

    def _no_account(self, no_account: np.ndarray) -> None:
        nameless = no_account & (self.linked.how == "none")
        unmatched = ("no account in the workspace matches this row's company; import the "
                     "companies export (CRM or billing) first, or map the column that names "
                     "the account" if self.entity != "accounts" else
                     "the company is not in the workspace, and this file only describes "
                     "companies it already has (it gives no name)")
        for mask, why in ((nameless, "this row names no company (no company name, web "
                                     "domain or id)"),
                          (no_account & ~nameless, unmatched)):
            if mask.any():
                self._aside("rejected", why, self.rownums[mask])

    def _contacts_without_mail(self, keep: np.ndarray) -> np.ndarray:
        """Contacts are kept by e-mail address; the person's ids still link their company."""
        records = self.rows.records
        mail = records["email"] if "email" in records.columns else \
            pd.Series(None, index=records.index, dtype=object)
        no_mail = mail.isna().to_numpy() & keep
        if no_mail.any():
            self._aside("rejected", "the contact has no e-mail address (contacts are kept by "
                        "e-mail)", self.rownums[no_mail])
            self.rejected += int(no_mail.sum())
        return keep & ~no_mail

    # -- accounts the sheet made or proved to be one
    def _accounts_first(self) -> None:
        linked = self.linked
        if linked.new_accounts and self.entity != "accounts":
            import_store.insert_accounts(self.conn, linked.new_accounts, self.batch_id)
        for kept, dropped, why in linked.merges:
            import_store.merge_accounts(self.conn, kept, dropped, self.batch_id)
            self.result.notes.append(f"merged two accounts: {why}")
            self.result.accounts_merged += 1

    # -- the entity's table rows
    def _table(self, keep: np.ndarray):
        records, linked, entity = self.rows.records, self.linked, self.entity
        frame = records[keep].assign(account_id=linked.account_ids[keep])
        how = linked.how[keep]
        if entity == "accounts":
            frame = _account_names(frame, linked.new_accounts, self.index)
            status = frame["status"] if "status" in frame.columns else \
                pd.Series(None, index=frame.index, dtype=object)
            # a new account says nothing of its status: a customer (an existing one keeps
            # its own)
            new_ids = {a for a, _, _, _ in linked.new_accounts}
            frame = frame.assign(status=status.where(
                status.notna() | ~frame["account_id"].isin(new_ids), "active"))
        table, rep, folded, into = _prepare_entity(
            frame, self.prof, self.data_date() if entity == "subscriptions" else None)
        missing_keys = [k for k in ENTITY_KEYS[entity] if k not in table.columns]
        if len(frame) and missing_keys:
            raise ImportFileError.for_file(
                self.path, f"has no column for {', '.join(missing_keys)} ({self.prof.id})",
                "Map that column in the import dialog.")
        frows = frame[ROW].to_numpy() if len(frame) else np.zeros(0, int)
        for f, i in zip(folded, into):
            reason = (f"the same company as row {frows[i]}" if entity == "accounts" else
                      f"the same {self.word} as row {frows[i]} (the later row was kept)")
            self.out.add("merged", reason, [frows[f]])
        if entity == "tickets" and len(table):
            moved = _migrated_tickets(self.conn, table, self.prof.source_key)
            if moved.any():
                self.out.add("merged", "the same ticket is already imported from another "
                             "support system (migrated)", frows[rep[moved]])
                table, rep = table[~moved].reset_index(drop=True), rep[~moved]
        return table, rep, how, frows

    # -- writing and counting
    def _write(self, table: pd.DataFrame, rep, how, frows) -> dict:
        links = list(self.linked.links)
        if self.entity == "subscriptions" and "sub_id" in table.columns:
            links.extend((self.prof.source_key, str(s), a, 0, "subscription")
                         for s, a in zip(table["sub_id"], table["account_id"]) if a is not None)
        if links:
            import_store.link_external_ids(self.conn, links, self.batch_id)
        status = import_store.upsert(self.conn, self.entity, table, self.batch_id)
        rows = frows[rep] if len(rep) else np.zeros(0, int)
        if self.entity == "accounts":
            # linked to an account another system made: merged into it, not updated
            via = np.array([h not in ("own", "new", "workspace") for h in how[rep]], dtype=bool) \
                if len(rep) else np.zeros(0, dtype=bool)
            for k in np.flatnonzero(via):
                aid = table["account_id"].iloc[k]
                self.out.add("merged", f"linked to the existing account "
                             f"'{self.index.name_of(aid) or aid}' "
                             f"{HOW_WORDS.get(how[rep[k]], '')}".rstrip(), [rows[k]])
            status = np.where(via, "merged", status)
        counts = {k: int((status == k).sum()) for k in ("inserted", "updated", "unchanged")}
        same = status == "unchanged"
        if same.any():
            self.out.add("unchanged", "already in the workspace with the same values",
                         rows[same])
        touched = set(table["account_id"].dropna().unique()) \
            if self.entity == "subscriptions" and len(table) else set()
        touched |= {kept for kept, _, _ in self.linked.merges}
        if touched:
            # as of the data date the workspace has now, this file's subscriptions included
            import_store.refresh_account_revenue(self.conn, sorted(touched), self.batch_id,
                                                 self.data_date() or now_iso()[:10])
        return counts

    def _finish(self, counts: dict) -> dict:
        raw = _raw_json(self.plan.sheet, [a[0] for a in self.aside])
        if self.aside:
            import_store.record_rejected(self.conn, self.batch_id, [
                (r, c, v, why, raw.get(int(r)), kind) for r, c, v, why, _, kind in self.aside])
        merged = sum(g[0] for (o, _), g in self.out.groups.items() if o == "merged")
        held = int(self.linked.held.sum())
        created = len(self.linked.new_accounts) if self.entity != "accounts" \
            else counts["inserted"]
        c = {"rows_read": self.rows.rows_read, **counts, "merged": merged, "held": held,
             "rejected": self.rejected, "accounts_created": created,
             "review": len(self.linked.review)}
        r = self.result
        r.rows_read += c["rows_read"]
        r.inserted += counts["inserted"]
        r.updated += counts["updated"]
        r.unchanged += counts["unchanged"]
        r.merged += merged
        r.held += held
        r.rejected += self.rejected
        r.accounts_created += created
        r.review.extend(self.linked.review)
        r.row_errors.extend(str(e) for e in self.rows.errors[:MAX_ERRORS_LISTED])
        r.outcomes.extend({**g, "sheet": self.plan.sheet.name} for g in self.out.as_list())
        import_store.finish_batch(self.conn, self.batch_id, c)
        return c
