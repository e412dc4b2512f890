"""The import pipeline: read -> recognise -> map -> coerce -> transform -> match -> write.

One file is one transaction and, per sheet it imports, one import batch. Nothing a file
brings is lost: values that cannot be read reject their row (kept with the batch, with row
number, column, value and reason, exportable to fix and re-import); columns no profile knows
are kept as custom fields; uncertain account matches go to a review list instead of being
guessed. Re-importing the same file changes nothing. A batch can be undone exactly: rows it
inserted carry its ``batch_id`` and rows it changed have their previous values in
``row_history``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..models.schema import ENTITY_FIELDS, ENTITY_KEYS
from ..models.workspace import Workspace, WorkspaceError, current_user, now_iso
from . import coerce
from .errors import CellError, ImportCancelled, ImportFileError
from .mapping import header_signature, suggest_mapping
from .match import AccountIndex, account_id_salt, new_account_id, normalise_name
from .profiles import FieldMap, Profile, _standard_transform, get, recognise
from .readers import Sheet, check_file, open_input, read_file

#: a profile must score at least this to be used without asking
MIN_CONFIDENCE = 0.6
#: entities whose unmatched records create a new account (CRM and billing are the book)
CREATES_ACCOUNTS = {"accounts", "subscriptions", "contacts"}
#: entities whose rows cannot be stored without an account
NEEDS_ACCOUNT = {"usage", "activities", "contacts", "subscriptions"}
MAX_ERRORS_LISTED = 50
_ROW = "rownum.src"
_CUSTOM = "custom."

ProgressFn = Callable[[float, str], None]
log = logging.getLogger(__name__)


@dataclass
class SheetPlan:
    """What importing one sheet would do, before anything is written (the dialog shows it)."""

    sheet: Sheet
    profile: Profile | None
    confidence: float
    candidates: list[tuple[str, float]]
    mapping: dict[str, str]            # source column -> target
    how: str                           # profile | saved | suggested | none
    problem: str | None = None

    @property
    def entity(self) -> str | None:
        return self.profile.entity if self.profile else None


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
    rejected: int = 0
    accounts_created: int = 0
    review: list[dict] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)
    skipped: bool = False
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "profile": self.profile, "confidence": round(self.confidence, 3),
            "entity": self.entity, "sheet": self.sheet, "rows_read": self.rows_read,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected, "accounts_created": self.accounts_created,
            "review": self.review, "row_errors": self.row_errors, "notes": self.notes,
            "batch_ids": self.batch_ids, "skipped": self.skipped, "error": self.error,
        }


# ---------------------------------------------------------------------------------- planning
def _adhoc_profile(entity: str, mapping: dict[str, str], kinds: dict[str, str],
                   name: str = "custom") -> Profile:
    fields = tuple(FieldMap(src, tgt, kinds.get(tgt, "text")) for src, tgt in mapping.items())
    p = Profile(id=name, system="Custom mapping", entity=entity, fields=fields,
                signature=tuple(mapping), source_key="custom")
    object.__setattr__(p, "transform", _standard_transform(p, None))
    return p


def _saved_mapping(ws: Workspace | None, headers: Sequence[str]) -> dict | None:
    if ws is None:
        return None
    row = ws.conn.execute(
        "SELECT profile, entity, mapping FROM saved_mappings WHERE header_signature = ?",
        (header_signature(headers),)).fetchone()
    if row is None:
        return None
    return {"profile": row[0], "entity": row[1], "mapping": json.loads(row[2])}


def save_mapping(ws: Workspace, headers: Sequence[str], entity: str, mapping: dict[str, str],
                 kinds: dict[str, str] | None = None, profile: str | None = None) -> None:
    """Remember a mapping the user confirmed, for the next file with the same header."""
    payload = {"mapping": mapping, "kinds": kinds or {}}
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO saved_mappings(header_signature, profile, entity, mapping, saved_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(header_signature) DO UPDATE SET "
            "profile = excluded.profile, entity = excluded.entity, mapping = excluded.mapping,"
            " saved_at = excluded.saved_at",
            (header_signature(headers), profile, entity, json.dumps(payload), now_iso()))
        ws.audit("mapping.save", "saved_mappings", header_signature(headers),
                 after=payload)


def plan_sheet(sheet: Sheet, ws: Workspace | None = None, *, profile_id: str | None = None,
               mapping: dict[str, str] | None = None, entity: str | None = None) -> SheetPlan:
    """Decide how a sheet maps onto the workspace (a profile, a saved or a suggested mapping)."""
    headers = [str(c) for c in sheet.frame.columns]
    melted = _melted(sheet)
    if melted:
        # the reader turned date columns into rows; recognise the layout it came in
        id_cols = [h for h in headers if h not in melted]
        ranked = recognise(id_cols + ["2025-01-01", "2025-02-01", "2025-03-01"])
    else:
        ranked = recognise(headers)
    candidates = [(p.id, s) for p, s in ranked[:5]]
    if melted and mapping is None and profile_id is None and ranked \
            and ranked[0][1] >= MIN_CONFIDENCE:
        from .profiles import map_frame

        prof, score = ranked[0]
        mapped = map_frame(prof, [h for h in headers if h not in melted])
        mapped[melted[0]] = "date"
        mapped[melted[1]] = "value"
        return SheetPlan(sheet, prof, score, candidates, mapped, "profile")
    if mapping is not None:
        ent = entity or (get(profile_id).entity if profile_id else None)
        if ent is None:
            raise ValueError("a custom mapping needs its entity")
        kinds = _kinds_from_suggestions(headers, ent)
        prof = _adhoc_profile(ent, mapping, kinds)
        return SheetPlan(sheet, prof, 1.0, candidates, dict(mapping), "user")
    if profile_id is not None:
        prof = get(profile_id)
        score = next((s for p, s in ranked if p is prof), 0.0)
        from .profiles import map_frame

        return SheetPlan(sheet, prof, score, candidates, map_frame(prof, headers), "profile")
    if ranked and ranked[0][1] >= MIN_CONFIDENCE:
        from .profiles import map_frame

        prof, score = ranked[0]
        return SheetPlan(sheet, prof, score, candidates, map_frame(prof, headers), "profile")
    saved = _saved_mapping(ws, headers)
    if saved is not None:
        payload = saved["mapping"]
        ent = saved["entity"]
        if saved["profile"]:
            prof = get(saved["profile"])
            return SheetPlan(sheet, prof, 1.0, candidates, payload["mapping"], "saved")
        prof = _adhoc_profile(ent, payload["mapping"], payload.get("kinds", {}))
        return SheetPlan(sheet, prof, 1.0, candidates, payload["mapping"], "saved")
    suggestions = suggest_mapping(headers)
    mapped = {s.source: s.target for s in suggestions if s.target is not None}
    kinds = {s.target: s.kind for s in suggestions if s.target is not None}
    ent = _entity_of(headers)
    problem = _mapping_problem(ent, set(mapped.values()))
    if problem is None:
        conf = float(np.mean([s.score for s in suggestions if s.target])) if mapped else 0.0
        return SheetPlan(sheet, _adhoc_profile(ent, mapped, kinds, "suggested"), conf,
                         candidates, mapped, "suggested")
    best = f" (closest: {candidates[0][0]}, {candidates[0][1]:.0%})" if candidates else ""
    return SheetPlan(sheet, None, 0.0, candidates, mapped, "none",
                     problem=f"the columns were not recognised{best}; {problem}")


def _melted(sheet: Sheet) -> tuple[str, str] | None:
    """(period column, value column) when the reader turned a wide layout long."""
    if not any("wide layout" in n or "into rows" in n for n in sheet.notes):
        return None
    cols = [str(c) for c in sheet.frame.columns]
    period = next((c for c in cols if c.startswith("period")), None)
    value = next((c for c in reversed(cols) if c.startswith("value")), None)
    return (period, value) if period and value else None


def _period_to_date(s: pd.Series) -> coerce.Coerced:
    """'2025-03' (a month) -> '2025-03-01'; full dates go through ``to_date``."""
    text = s.astype(object).where(s.notna(), None)
    month = text.map(lambda v: f"{v}-01" if isinstance(v, str) and len(v) == 7 else v)
    return coerce.to_date(month.astype(object))


def _entity_of(headers) -> str:
    from .mapping import guess_entity

    return guess_entity(headers)


def _kinds_from_suggestions(headers, entity) -> dict[str, str]:
    return {s.target: s.kind for s in suggest_mapping(headers, entity) if s.target}


def _mapping_problem(entity: str, targets: set[str]) -> str | None:
    hints = {"account.name", "account.domain", "account.external_id", "account_id"}
    if entity == "accounts":
        if not targets & {"name", "account.external_id", "domain"}:
            return "no column names the account; map one in the import dialog"
        return None
    if not targets & hints:
        return "no column says which account a row belongs to; map one in the import dialog"
    need = {"usage": {"date", "value"}, "tickets": {"ticket_id"}, "surveys": {"score"},
            "subscriptions": {"product"}, "contacts": {"email"},
            "activities": {"date"}}.get(entity, set())
    missing = need - targets
    if missing:
        return f"no column for {', '.join(sorted(missing))}; map it in the import dialog"
    return None


# ---------------------------------------------------------------------------------- coercion
_COERCERS: dict[str, Callable[..., coerce.Coerced]] = {
    "text": coerce.to_text, "number": coerce.to_number, "int": coerce.to_number,
    "money": coerce.to_money, "percent": coerce.to_percent, "date": coerce.to_date,
    "datetime": coerce.to_datetime, "bool": coerce.to_bool,
}


def _coerce_column(s: pd.Series, kind: str, hints: dict) -> coerce.Coerced:
    if kind == "money_cents":
        return coerce.to_money(s, cents=True)
    if kind in ("date", "datetime"):
        return _COERCERS[kind](s, order=hints.get("date_order"))
    return _COERCERS.get(kind, coerce.to_text)(s)


def _canonical(plan: SheetPlan, cancel) -> tuple[pd.DataFrame, list[CellError], np.ndarray]:
    """Coerce mapped columns; return the canonical frame, cell errors and bad-row mask."""
    sheet, prof = plan.sheet, plan.profile
    frame = sheet.frame
    rows = np.asarray(sheet.row_numbers)
    skip = int(prof.reader_hints.get("skip_rows_after_header", 0) or 0)
    if skip:
        frame, rows = frame.iloc[skip:].reset_index(drop=True), rows[skip:]
    hints = dict(prof.reader_hints)
    kinds = {f.target: f.kind for f in prof.fields}
    melted = _melted(sheet)
    out: dict[str, Any] = {}
    errors: list[CellError] = []
    bad = np.zeros(len(frame), dtype=bool)
    for src, tgt in plan.mapping.items():
        if src not in frame.columns:
            continue
        if cancel is not None and cancel():
            raise ImportCancelled()
        kind = kinds.get(tgt) or ("number" if tgt.startswith(("value@", "value:")) or
                                  tgt == "value" else "text")
        if tgt == "date" and melted:
            result = _period_to_date(frame[src])
        else:
            result = _coerce_column(frame[src], kind, hints)
        values = result.values
        if kind == "int":
            values = values.round()
        out[tgt] = values.reset_index(drop=True)
        for pos, value, reason in result.errors:
            bad[pos] = True
            errors.append(CellError(int(rows[pos]), src, str(value), reason))
    if any("subtotal rows inside the data" in n for n in sheet.notes):
        # a grouped ("summary") report: the group value is printed on a group's first row only
        for tgt in ("account.name", "account.external_id", "owner"):
            if tgt in out and not (prof.entity == "accounts" and tgt != "owner"):
                col = out[tgt]
                out[tgt] = col.ffill().astype(object).where(col.ffill().notna(), None)
    if melted and prof.wide_metric and "metric" not in out:
        out["metric"] = pd.Series([prof.wide_metric] * len(frame), dtype=object)
    mapped = set(plan.mapping)
    for col in frame.columns:
        if col not in mapped and not str(col).startswith("column_"):
            s = frame[col]
            out[_CUSTOM + str(col)] = s.astype(object).where(s.notna(), None).reset_index(drop=True)
    out[_ROW] = pd.Series(rows, dtype="int64")
    canonical = pd.DataFrame(out)
    return canonical, errors, bad


def _required_and_totals(frame: pd.DataFrame, plan: SheetPlan, result: FileResult):
    """Drop total rows of usage reports; reject rows still missing a required value."""
    errors: list[CellError] = []
    if frame.empty:
        return frame, errors
    prof = plan.profile
    hints = [c for c in ("account.name", "account.domain", "account.external_id", "account_id")
             if c in frame.columns]
    if prof.entity == "usage" and "date" in frame.columns:
        total = frame["date"].isna()
        for c in hints:
            total &= frame[c].isna()
        if total.any():
            result.notes.append(
                f"dropped {int(total.sum())} total row(s) with no account and no date")
            frame = frame[~total]
    source_of = {t: s for s, t in plan.mapping.items()}
    bad = pd.Series(False, index=frame.index)
    for f in prof.fields:
        if f.required and f.target in frame.columns and not f.target.startswith("_"):
            missing = frame[f.target].isna()
            for rownum in frame.loc[missing & ~bad, _ROW]:
                errors.append(CellError(int(rownum), source_of.get(f.target, f.target), "",
                                        "a value is required here"))
            bad |= missing
    return frame[~bad].reset_index(drop=True), errors


# ---------------------------------------------------------------------------------- helpers
def sha256_file(path: Path) -> str:
    """SHA-256 of a file, after checking it is an ordinary file of a size acctdesk reads
    (a link to ``/dev/zero`` or a pipe is refused, not read forever)."""
    h = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _AlreadyImported(Exception):
    """The same file was applied by another window or command meanwhile (found inside the
    write transaction, which is then rolled back)."""

    def __init__(self, batch_ids: list[int]):
        super().__init__(batch_ids)
        self.batch_ids = batch_ids


def _check_not_imported(conn, digest: str) -> None:
    done = [r[0] for r in conn.execute(
        "SELECT batch_id FROM import_batches WHERE sha256 = ? AND status = 'applied' "
        "ORDER BY batch_id", (digest,))]
    if done:
        raise _AlreadyImported(done)


def _hash_key(*parts: Any) -> str:
    text = "|".join("" if p is None or (isinstance(p, float) and math.isnan(p)) else str(p)
                    for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _py(v: Any) -> Any:
    """A value SQLite can store (NaN/NaT -> None, numpy scalars -> Python)."""
    if v is None:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def _column_values(s: pd.Series) -> list:
    if s.dtype.kind == "f":
        arr = s.to_numpy(dtype=object)
        arr[np.isnan(s.to_numpy(dtype=float))] = None
        return arr.tolist()
    if s.dtype.kind in "iub":
        return s.to_numpy().tolist()
    arr = s.to_numpy(dtype=object)
    mask = pd.isna(s).to_numpy()
    if mask.any():
        arr = arr.copy()
        arr[mask] = None
    return arr.tolist()


def _custom_json(frame: pd.DataFrame) -> pd.Series | None:
    cols = [c for c in frame.columns if isinstance(c, str) and c.startswith(_CUSTOM)]
    if not cols:
        return None
    names = [c[len(_CUSTOM):] for c in cols]
    values = [_column_values(frame[c]) for c in cols]
    out = []
    for i in range(len(frame)):
        obj = {n: v[i] for n, v in zip(names, values) if v[i] not in (None, "")}
        out.append(json.dumps(obj, ensure_ascii=False, default=str) if obj else None)
    return pd.Series(out, index=frame.index, dtype=object)


# ---------------------------------------------------------------------------------- matching
@dataclass
class _Matched:
    account_ids: pd.Series
    new_accounts: list[tuple]             # (account_id, name, domain)
    links: list[tuple]                    # (source, external_id, account_id)
    review: list[dict]
    unmatched_rows: np.ndarray            # bool mask: no account and none created


def _hint_columns(entity: str) -> tuple[str, str, str]:
    if entity == "accounts":
        return "account.external_id", "name", "domain"
    return "account.external_id", "account.name", "account.domain"


def _match(ws: Workspace, frame: pd.DataFrame, prof: Profile, index: AccountIndex,
           decisions: dict | None) -> _Matched:
    ext_c, name_c, dom_c = _hint_columns(prof.entity)
    n = len(frame)
    get_col = lambda c: frame[c] if c in frame.columns else pd.Series([None] * n, dtype=object)  # noqa: E731
    ext, name, dom = get_col(ext_c), get_col(name_c), get_col(dom_c)
    direct = get_col("account_id")
    known_ids = index.ids
    keys = pd.DataFrame({"d": direct, "e": ext, "n": name, "m": dom}).astype(object)
    keys = keys.where(keys.notna(), None)
    # group on the hint columns the file has (one, usually): the others are all empty
    used = [c for c in keys.columns if keys[c].notna().any()] or ["d"]
    codes, first = pd.factorize(pd.MultiIndex.from_frame(keys[used])) if len(used) > 1 \
        else pd.factorize(keys[used[0]], use_na_sentinel=False)
    first_rows = pd.Series(np.arange(n)).groupby(codes, sort=True).first().to_numpy() \
        if n else np.arange(0)
    uniq = keys.iloc[first_rows]
    resolved: dict[tuple, str | None] = {}
    new_accounts, links, review = [], [], []
    source = prof.source_key
    decisions = decisions or {}
    salt = account_id_salt(ws)
    for d, e, nm, dm in uniq.itertuples(index=False, name=None):
        key = (d, e, nm, dm)
        if d is not None and str(d) in known_ids:
            resolved[key] = str(d)
            continue
        if e is not None and nm is None and dm is None and str(e) in known_ids \
                and (source, str(e)) not in index.by_external:
            resolved[key] = str(e)  # the file names the workspace's own account ids
            continue
        if d is not None and e is None:
            e = d
        res = index.match(source=source, external_id=e, name=nm, domain=dm)
        if res.account_id is None and nm is not None:
            alias = index.by_external.get(("name", normalise_name(nm) or ""))
            if alias:
                res.account_id, res.how = alias, "confirmed"
        label = nm if nm is not None else (dm if dm is not None else e)
        decision = decisions.get(str(label)) if label is not None else None
        if res.how == "review" and decision is not None:
            if decision == "new":
                res.account_id, res.how = None, "none"
            elif decision == "reject":
                resolved[key] = None
                continue
            else:
                res.account_id, res.how = str(decision), "confirmed"
                if nm is not None:
                    links.append(("name", normalise_name(nm), res.account_id, 1))
        if res.how == "review":
            review.append({"name": nm, "domain": dm, "external_id": e,
                           "candidate_id": res.candidate, "candidate_name": res.candidate_name,
                           "score": round(res.score, 1),
                           "reason": f"'{label}' may be '{res.candidate_name}' "
                                     f"({res.score:.0f}% similar): confirm or create a new account"})
            resolved[key] = None
            continue
        aid = res.account_id
        if aid is None and prof.entity in CREATES_ACCOUNTS and (nm or dm or e):
            aid = new_account_id(source, e, nm, dm, salt=salt)
            if aid not in index.ids:
                new_accounts.append((aid, nm if nm is not None else (dm or str(e)), dm))
                index.add(aid, nm if nm is not None else (dm or str(e)), dm)
            index.names.setdefault(aid, str(label))
        if aid is not None and e is not None and (source, str(e)) not in index.by_external:
            links.append((source, str(e), aid, 0))
            index.by_external[(source, str(e))] = aid
        resolved[key] = aid
    if n:
        # factorize numbers the distinct keys in order of first appearance, as uniq lists them
        lookup = np.array([resolved[k] for k in uniq.itertuples(index=False, name=None)],
                          dtype=object)
        ids = lookup[np.asarray(codes)]
    else:
        ids = []
    account_ids = pd.Series(ids, index=frame.index, dtype=object)
    return _Matched(account_ids, new_accounts, links, review, account_ids.isna().to_numpy())


# ---------------------------------------------------------------------------------- writing
def _prepare_entity(frame: pd.DataFrame, prof: Profile) -> pd.DataFrame:
    """Canonical columns, generated keys, duplicates combined (last row wins per key)."""
    entity = prof.entity
    fields = ENTITY_FIELDS[entity]
    df = frame
    if entity == "subscriptions":
        if "billing_flag" in df.columns:
            flag = df["billing_flag"]
            status = df["status"] if "status" in df.columns else pd.Series(None, index=df.index)
            new = np.where(flag.isin(["past_due", "non_renewing"]), flag,
                           np.where(flag == "cancel_at_period_end", "non_renewing", status))
            df = df.assign(status=pd.Series(new, index=df.index, dtype=object))
        if "sub_id" not in df.columns or df["sub_id"].isna().any():
            gen = [f"{prof.source_key}:{_hash_key(a, p, s)}" for a, p, s in zip(
                df["account_id"], df.get("product", pd.Series(None, index=df.index)),
                df.get("start_date", pd.Series(None, index=df.index)))]
            base = df["sub_id"] if "sub_id" in df.columns else pd.Series(None, index=df.index)
            df = df.assign(sub_id=base.where(base.notna(), pd.Series(gen, index=df.index)))
        if "mrr" in df.columns and ("arr" not in df.columns or df["arr"].isna().any()):
            arr = df["mrr"] * 12
            df = df.assign(arr=df["arr"].where(df["arr"].notna(), arr) if "arr" in df.columns else arr)
    if entity == "activities" and ("activity_id" not in df.columns or df["activity_id"].isna().any()):
        gen = [f"{prof.source_key}:{_hash_key(a, d, k, t)}" for a, d, k, t in zip(
            df["account_id"], df.get("date"), df.get("kind"), df.get("text"))]
        df = df.assign(activity_id=pd.Series(gen, index=df.index))
    if "source" in fields and "source" not in df.columns:
        df = df.assign(source=prof.source_key)
    keep = [c for c in fields if c in df.columns]
    out = df[keep].copy()
    custom = _custom_json(df)
    if custom is not None:
        out["custom"] = custom
    keys = list(ENTITY_KEYS[entity])
    if entity == "accounts":
        # one company may appear on several rows: first non-empty value per column
        out = out.groupby("account_id", sort=False, dropna=True).first().reset_index()
    else:
        out = out.drop_duplicates(subset=keys, keep="last")
    return out


def _upsert(conn, table: str, frame: pd.DataFrame, batch_id: int) -> tuple[int, int]:
    """Insert new rows, update changed ones (history kept), leave equal ones alone.

    An empty incoming value never erases a stored one (exports often omit columns).
    Returns (inserted, updated).
    """
    keys = list(ENTITY_KEYS[table])
    cols = list(frame.columns)
    values = [c for c in cols if c not in keys]
    all_cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
        # first data of its kind: nothing to compare or keep history of; write straight in
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}, batch_id) "
            f"VALUES ({', '.join('?' * len(cols))}, ?)",
            zip(*[_column_values(frame[c]) for c in cols], [batch_id] * len(frame)))
        return len(frame), 0
    conn.execute("DROP TABLE IF EXISTS temp._in")
    conn.execute(f"CREATE TEMP TABLE _in ({', '.join(cols)})")
    conn.executemany(f"INSERT INTO temp._in VALUES ({', '.join('?' * len(cols))})",
                     zip(*[_column_values(frame[c]) for c in cols]))
    on = " AND ".join(f"t.{k} = i.{k}" for k in keys)
    sticky = {"name"} if table == "accounts" else set()
    changed = " OR ".join(f"(i.{v} IS NOT NULL AND i.{v} IS NOT t.{v})" for v in values
                          if v not in sticky) or "0"
    key_json = "json_array(" + ", ".join(f"t.{k}" for k in keys) + ")"
    before_json = "json_object(" + ", ".join(f"'{c}', t.{c}" for c in all_cols) + ")"
    # what the file brought for each row: undo replays it (acctdesk.importers.undo)
    after_json = "json_object(" + ", ".join(f"'{v}', i.{v}" for v in values) + ")"
    cur = conn.execute(
        f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
        f"SELECT ?, '{table}', {key_json}, 'update', {before_json}, {after_json} "
        f"FROM temp._in i JOIN {table} t ON {on} WHERE {changed}", (batch_id,))
    updated = cur.rowcount
    # rows the file brought unchanged: undoing an earlier batch keeps them
    conn.execute(
        f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
        f"SELECT ?, '{table}', {key_json}, 'touch', json_object('batch_id', t.batch_id), "
        f"{after_json} FROM temp._in i JOIN {table} t ON {on} WHERE NOT ({changed})",
        (batch_id,))
    inserted = conn.execute(
        f"SELECT COUNT(*) FROM temp._in i WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} t WHERE {on})").fetchone()[0]
    # an account keeps the name it was first imported with (CRM first, as a rule);
    # every other field takes the newest non-empty value
    sticky = {"name"} if table == "accounts" else set()
    set_clause = ", ".join(f"{v} = COALESCE({table}.{v}, excluded.{v})" if v in sticky else
                           f"{v} = COALESCE(excluded.{v}, {table}.{v})" for v in values)
    where = " OR ".join(f"(excluded.{v} IS NOT NULL AND excluded.{v} IS NOT {table}.{v})"
                        for v in values if v not in sticky) or "0"
    conflict = (f"DO UPDATE SET {set_clause}, batch_id = excluded.batch_id WHERE {where}"
                if values else "DO NOTHING")
    conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}, batch_id) "
        f"SELECT {', '.join(cols)}, ? FROM temp._in WHERE true "
        f"ON CONFLICT({', '.join(keys)}) {conflict}", (batch_id,))
    conn.execute("DROP TABLE temp._in")
    return inserted, updated


def _refresh_accounts(conn, account_ids: Sequence[str], batch_id: int, as_of: str) -> None:
    """Billing decides ARR and churn: recompute them for accounts a billing import touched.

    ARR = 12 x the MRR of subscriptions paying on ``as_of`` (active, past due, non-renewing;
    CRM deals (won/lost/open) and trials never count). An account whose billing subscriptions
    have all ended is churned on the last end date. Changes are kept in row_history.
    """
    if not account_ids:
        return
    conn.execute("DROP TABLE IF EXISTS temp._acc")
    conn.execute("CREATE TEMP TABLE _acc (account_id TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp._acc VALUES (?)", [(a,) for a in account_ids])
    billing = "s.status NOT IN ('won', 'lost', 'open')"
    paying = ("s.status IN ('active', 'past_due', 'non_renewing') AND s.start_date <= :d "
              "AND (s.end_date IS NULL OR s.end_date >= :d)")
    rows = conn.execute(
        f"""
        SELECT a.account_id,
               ROUND(12 * COALESCE((SELECT SUM(s.mrr) FROM subscriptions s
                      WHERE s.account_id = a.account_id AND {billing} AND {paying}), 0), 2),
               (SELECT COUNT(*) FROM subscriptions s WHERE s.account_id = a.account_id
                      AND {billing} AND {paying}),
               (SELECT COUNT(*) FROM subscriptions s WHERE s.account_id = a.account_id
                      AND {billing} AND s.status NOT IN ('trialing', 'future', 'paused')),
               (SELECT MAX(s.end_date) FROM subscriptions s WHERE s.account_id = a.account_id
                      AND {billing})
        FROM temp._acc x JOIN accounts a ON a.account_id = x.account_id
        """, {"d": as_of}).fetchall()
    all_cols = [r[1] for r in conn.execute("PRAGMA table_info(accounts)")]
    before_json = "json_object(" + ", ".join(f"'{c}', {c}" for c in all_cols) + ")"
    for aid, arr, live, billed, last_end in rows:
        if billed == 0:
            continue  # only trials or nothing billed: billing says nothing about ARR yet
        if live > 0:
            status, churn = "active", None
        else:
            status, churn = "churned", last_end
        cur = conn.execute(
            "SELECT arr, status, churn_date FROM accounts WHERE account_id = ?", (aid,)).fetchone()
        if cur == (arr, status, churn):
            continue
        conn.execute(
            f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
            f"SELECT ?, 'accounts', json_array(account_id), 'set', {before_json}, "
            f"json_object('arr', ?, 'status', ?, 'churn_date', ?) "
            f"FROM accounts WHERE account_id = ?", (batch_id, arr, status, churn, aid))
        conn.execute("UPDATE accounts SET arr = ?, status = ?, churn_date = ?, batch_id = ? "
                     "WHERE account_id = ?", (arr, status, churn, batch_id, aid))
    conn.execute("DROP TABLE temp._acc")


def _raw_json(sheet_frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    sub = sheet_frame.iloc[positions]
    return [json.dumps({str(k): _py(v) for k, v in rec.items()}, ensure_ascii=False,
                       default=str) for rec in sub.to_dict("records")]


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
        _check_not_imported(ws.conn, digest)   # checked again inside the write transaction
        if profile_id is None and mapping is None:
            # a priority pack acctdesk exported: apply the edited cells, nothing else
            from .pack_marker import is_pack

            if is_pack(path):
                from ..export import roundtrip

                roundtrip.import_pack(ws, path, result=result, digest=digest, progress=report)
                return result
        sheets = read_file(path, sheet=sheet, cancel=cancel)
        plans = [plan_sheet(s, ws, profile_id=profile_id, mapping=mapping, entity=entity)
                 for s in sheets]
        usable = [p for p in plans if p.profile is not None]
        if not usable:
            raise ImportFileError.for_file(path, plans[0].problem or "was not recognised")
        for p in plans:
            if p.profile is None:
                result.notes.append(f"sheet '{p.sheet.name}' skipped: {p.problem}")
            result.notes.extend(p.sheet.notes)
        first = usable[0]
        result.profile, result.confidence = first.profile.id, first.confidence
        result.entity, result.sheet = first.profile.entity, first.sheet.name
        _write_plans(ws, path, digest, usable, result, decisions, cancel, report)
    except ImportFileError as exc:
        result.error = str(exc)
    except _AlreadyImported as exc:
        result = FileResult(file=str(path), skipped=True, batch_ids=exc.batch_ids)
        result.notes.append(f"already imported as batch "
                            f"{', '.join(str(b) for b in exc.batch_ids)}; nothing changed")
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


def _write_plans(ws, path, digest, plans, result, decisions, cancel, report) -> None:
    check = (lambda: None) if cancel is None else (
        lambda: (_ for _ in ()).throw(ImportCancelled()) if cancel() else None)
    index = AccountIndex.from_workspace(ws)
    data_date = ws.data_date()
    prepared = []
    for n, plan in enumerate(plans):
        check()
        report(0.1 + 0.3 * n / len(plans), f"Checking {plan.sheet.name}…")
        canonical, errors, bad = _canonical(plan, cancel)
        result.rows_read += len(canonical)
        good = canonical[~bad].reset_index(drop=True)
        try:
            transformed = plan.profile.transform(good) if len(good) else good
        except (ValueError, KeyError) as exc:
            raise ImportFileError.for_file(
                path, f"could not be interpreted as {plan.profile.id} ({exc})",
                "Check that the file is an unmodified export, or map its columns by hand."
            ) from exc
        transformed, more = _required_and_totals(transformed, plan, result)
        errors = errors + more
        check()
        matched = _match(ws, transformed, plan.profile, index, decisions)
        prepared.append((plan, canonical, errors, bad, transformed, matched))
    report(0.5, "Writing…")
    with ws.transaction() as conn:
        _check_not_imported(conn, digest)   # in the write transaction: two imports at once
        for plan, canonical, errors, bad, transformed, matched in prepared:
            check()
            prof = plan.profile
            cur = conn.execute(
                "INSERT INTO import_batches(file_name, sha256, profile, entity, mapping, "
                "started_at, user, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'applied')",
                (path.name, digest, prof.id, prof.entity, json.dumps(plan.mapping),
                 now_iso(), current_user()))
            batch_id = cur.lastrowid
            result.batch_ids.append(batch_id)
            if matched.new_accounts and prof.entity != "accounts":
                conn.executemany(
                    "INSERT INTO accounts(account_id, name, domain, status, batch_id) "
                    "VALUES (?, ?, ?, 'active', ?)",
                    [(a, n, d, batch_id) for a, n, d in matched.new_accounts])
                result.accounts_created += len(matched.new_accounts)
            if matched.links:
                conn.executemany(
                    "INSERT OR IGNORE INTO external_ids(source, external_id, account_id, "
                    "confirmed, batch_id) VALUES (?, ?, ?, ?, ?)",
                    [(s, e, a, c, batch_id) for s, e, a, c in matched.links])
            frame = transformed.assign(account_id=matched.account_ids.to_numpy())
            if prof.entity == "accounts":
                # a company known only by its domain or id still needs a display name
                fallback = frame["account_id"].map(index.names)
                name = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index)
                frame = frame.assign(name=name.where(name.notna(), fallback))
            rejected_rows: list[tuple] = []
            no_account = matched.unmatched_rows
            if prof.entity in NEEDS_ACCOUNT or prof.entity == "accounts":
                if no_account.any():
                    for rownum in frame.loc[no_account, _ROW]:
                        rejected_rows.append((int(rownum), None, None,
                                              "no account matches this row (see review)"))
                    frame = frame[~no_account]
            elif no_account.any():
                result.notes.append(
                    f"{int(no_account.sum())} row(s) belong to no known account; kept unlinked")
            table_frame = _prepare_entity(frame, prof)
            missing_keys = [k for k in ENTITY_KEYS[prof.entity] if k not in table_frame.columns]
            if len(table_frame) and missing_keys:
                raise ImportFileError.for_file(
                    path, f"has no column for {', '.join(missing_keys)} ({prof.id})",
                    "Map that column in the import dialog.")
            if len(table_frame):
                inserted, updated = _upsert(conn, prof.entity, table_frame, batch_id)
            else:
                inserted = updated = 0
            result.inserted += inserted
            result.updated += updated
            result.unchanged += len(table_frame) - inserted - updated
            if prof.entity == "subscriptions":
                _refresh_accounts(conn, list(table_frame["account_id"].dropna().unique()),
                                  batch_id, ws.data_date() or data_date or now_iso()[:10])
            # rejected rows: cell errors (one row per problem) and unmatched records
            raw = plan.sheet.frame
            bad_rows = sorted({e.row for e in errors})
            row_to_pos = {int(r): i for i, r in enumerate(plan.sheet.row_numbers)} \
                if bad_rows else {}
            raw_json = dict(zip(bad_rows, _raw_json(raw, np.array(
                [row_to_pos[r] for r in bad_rows], dtype=int)))) if bad_rows else {}
            rec = [(batch_id, e.row, e.column, e.value, e.reason, raw_json.get(e.row))
                   for e in errors]
            rec += [(batch_id, r, c, v, why, None) for r, c, v, why in rejected_rows]
            if rec:
                conn.executemany(
                    "INSERT INTO rejected_rows(batch_id, row_number, column_name, value, reason,"
                    " raw) VALUES (?, ?, ?, ?, ?, ?)", rec)
            n_rejected = len(bad_rows) + len(rejected_rows)
            result.rejected += n_rejected
            result.row_errors.extend(str(e) for e in errors[:MAX_ERRORS_LISTED])
            result.review.extend(matched.review)
            counts = {"rows_read": len(canonical), "inserted": inserted, "updated": updated,
                      "unchanged": len(table_frame) - inserted - updated,
                      "rejected": n_rejected, "accounts_created": len(matched.new_accounts),
                      "review": len(matched.review)}
            conn.execute("UPDATE import_batches SET counts = ?, finished_at = ? "
                         "WHERE batch_id = ?", (json.dumps(counts), now_iso(), batch_id))
            ws.audit("import", "import_batches", str(batch_id),
                     after={"file": path.name, "profile": prof.id, **counts})
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
    """Recognise, map, coerce and match a file's rows without writing anything.

    The whole file is checked (row errors and review items are complete); ``rows`` holds the
    first ``max_rows`` canonical records with the account each one will be linked to.
    """
    path = Path(path)
    out = FilePreview(file=str(path))
    try:
        check_file(path)
        digest = sha256_file(path)
        out.already_imported = [r[0] for r in ws.conn.execute(
            "SELECT batch_id FROM import_batches WHERE sha256 = ? AND status = 'applied'",
            (digest,))]
        sheets = read_file(path, sheet=sheet, cancel=cancel)
        out.plans = [plan_sheet(s, ws, profile_id=profile_id, mapping=mapping, entity=entity)
                     for s in sheets]
        usable = [p for p in out.plans if p.profile is not None]
        if not usable:
            raise ImportFileError.for_file(path, out.plans[0].problem or "was not recognised")
        plan = out.plan = usable[0]
        canonical, errors, bad = _canonical(plan, cancel)
        out.rows_read = len(canonical)
        good = canonical[~bad].reset_index(drop=True)
        transformed = plan.profile.transform(good) if len(good) else good
        result = FileResult(file=str(path))
        transformed, more = _required_and_totals(transformed, plan, result)
        out.row_errors = errors + more
        index = AccountIndex.from_workspace(ws)
        matched = _match(ws, transformed, plan.profile, index, decisions)
        out.review = matched.review
        out.new_accounts = len(matched.new_accounts)
        shown = transformed.head(max_rows).copy()
        names = dict(ws.conn.execute("SELECT account_id, name FROM accounts").fetchall())
        names.update({a: n for a, n, _ in matched.new_accounts})
        ids = matched.account_ids.head(max_rows)
        shown.insert(0, "account", [names.get(a, "(no account)") if a else "(no account)"
                                    for a in ids])
        shown = shown.drop(columns=[_ROW], errors="ignore")
        shown.columns = [c[len(_CUSTOM):] + " (kept)" if isinstance(c, str)
                         and c.startswith(_CUSTOM) else c for c in shown.columns]
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
