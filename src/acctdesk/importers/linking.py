"""Linking a sheet's records to accounts (the identity graph), record by record.

Each distinct combination of a record's account hints (its own id, ids of other systems, a
generic key, a name, a domain) is resolved once with :meth:`AccountIndex.match`; new
accounts are made for entities that describe the book (CRM companies, billing customers),
every id a record carries is recorded as an external id of its account, and a record whose
account is uncertain is *held* with the reason in words (never guessed, never dropped
silently).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .match import (NAME_ALIAS, AccountIndex, clean_domain, company_name, new_account_id,
                    normalise_id)
from .profiles import Profile

#: entities whose unmatched records create a new account (CRM and billing are the book)
CREATES_ACCOUNTS = {"accounts", "subscriptions"}
#: entities whose rows cannot be stored without an account
NEEDS_ACCOUNT = {"usage", "activities", "contacts", "subscriptions", "accounts"}

HOW_WORDS = {
    "own": "by its id", "id": "by an id of another system it carries",
    "domain": "by its web domain", "name": "by its name",
    "confirmed": "by a link you confirmed", "workspace": "by its account id",
}


@dataclass
class Linked:
    account_ids: np.ndarray                      # per record (object; None = no account)
    how: np.ndarray                              # per record: how it was linked
    held: np.ndarray                             # per record: uncertain, held for review
    new_accounts: list[tuple] = field(default_factory=list)   # (id, name, domain, status)
    links: list[tuple] = field(default_factory=list)  # (system, value, account, confirmed, kind)
    review: list[dict] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)     # record position -> reason
    merges: list[tuple[str, str, str]] = field(default_factory=list)  # (keep, drop, why)


def own_system(prof: Profile, mapping: dict[str, str]) -> str:
    """The system whose ids ``account.external_id`` holds: the profile's, or for a mapping
    of an unknown layout the column's name (so ids of two unrelated files never clash)."""
    if prof.source_key not in ("custom", "suggested"):
        return prof.source_key
    col = next((s for s, t in mapping.items() if t == "account.external_id"), "id")
    return "custom:" + "".join(ch for ch in col.lower() if ch.isalnum())


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    s = frame[name].astype(object)
    return s.where(s.notna(), None).to_numpy(dtype=object)


def _first_id(value):
    """HubSpot's "Associated Company IDs" may list several ids: the first is the primary."""
    if isinstance(value, str) and ";" in value:
        value = value.split(";", 1)[0]
    return value


def link_records(frame: pd.DataFrame, prof: Profile, mapping: dict[str, str],
                 index: AccountIndex, decisions: dict | None = None, *,
                 salt: str = "", list_key: str = "") -> Linked:
    """Resolve the account of every record of ``frame`` (see the module docstring)."""
    entity = prof.entity
    n = len(frame)
    name_c, dom_c = ("name", "domain") if entity == "accounts" else ("account.name",
                                                                     "account.domain")
    system = own_system(prof, mapping)
    custom_ns = system.startswith("custom:")
    xid_cols = sorted(c for c in frame.columns if isinstance(c, str) and c.startswith("xid:"))
    cols = ["account_id", "account.external_id", "account.key", name_c, dom_c] + xid_cols
    keys = pd.DataFrame({c: _col(frame, c) for c in cols}, dtype=object)
    used = [c for c in cols if keys[c].notna().any()] or ["account_id"]
    if len(used) > 1:
        codes = keys[used].groupby(used, sort=False, dropna=False).ngroup().to_numpy()
    else:
        codes, _ = pd.factorize(keys[used[0]], use_na_sentinel=False)
    codes = np.asarray(codes)
    first_rows = (pd.Series(np.arange(n)).groupby(codes, sort=True).first().to_numpy()
                  if n else np.arange(0))
    decisions = decisions or {}
    out = Linked(np.full(n, None, dtype=object), np.full(n, "none", dtype=object),
                 np.zeros(n, dtype=bool))
    resolver = _Resolver(prof, system, custom_ns, xid_cols, name_c, dom_c, index, decisions,
                         out, salt, list_key)
    columns = list(keys.columns)
    resolved = [resolver.resolve(k, dict(zip(columns, values))) for k, values in
                enumerate(keys.iloc[first_rows].itertuples(index=False, name=None))]
    review_of = resolver.review_of
    if out.merges:
        alias = {drop: keep for keep, drop, _ in out.merges}

        def final(a):
            while a in alias:
                a = alias[a]
            return a
        resolved = [(final(a) if a is not None else None, h) for a, h in resolved]
        out.new_accounts = [t for t in out.new_accounts if t[0] not in alias]
        out.links = [(s_, v, final(a), c, k) for s_, v, a, c, k in out.links]
    if n:
        aid = np.array([r[0] for r in resolved], dtype=object)
        how = np.array([r[1] for r in resolved], dtype=object)
        out.account_ids = aid[codes]
        out.how = how[codes]
        out.held = out.how == "review"
        for k, item in review_of.items():
            rows = np.flatnonzero(codes == k)
            item["records"] = int(len(rows))
            item["positions"] = rows.tolist()
            out.review.append(item)
    return out


class _Resolver:
    """Resolves the distinct account hints of one sheet, record by record (see
    :func:`link_records`); holds what every record of the sheet shares."""

    def __init__(self, prof: Profile, system: str, custom_ns: bool, xid_cols: list[str],
                 name_c: str, dom_c: str, index: AccountIndex, decisions: dict, out: Linked,
                 salt: str, list_key: str):
        self.prof, self.system, self.custom_ns, self.xid_cols = prof, system, custom_ns, xid_cols
        self.name_c, self.dom_c, self.index, self.decisions = name_c, dom_c, index, decisions
        self.out, self.salt, self.list_key = out, salt, list_key
        self.review_of: dict[int, dict] = {}

    def resolve(self, k: int, rec: dict) -> tuple[str | None, str]:
        """(account id or None, how) of the k-th distinct record."""
        index = self.index
        direct, ext, key = rec["account_id"], _first_id(rec["account.external_id"]), \
            rec["account.key"]
        name, dom = rec[self.name_c], rec[self.dom_c]
        if direct is not None and str(direct) in index.ids:
            return str(direct), "workspace"
        if self.custom_ns and ext is not None and str(ext) in index.ids and \
                index.lookup_id(None, ext) == set():
            return str(ext), "workspace"      # the file names the workspace's own account ids
        ids = [(None if c.split(":", 2)[1] == "billing" else c.split(":", 2)[1], rec[c])
               for c in self.xid_cols if rec[c] is not None]
        if self.custom_ns and ext is not None:
            ids.append((None, ext))
        if ext is None and direct is not None:
            key = direct if key is None else key
        system, pseudo = self.system, None
        if self.prof.entity == "accounts" and ext is None and direct is None:
            # a list without ids (a hand-kept sheet): its company names are its record keys,
            # so the next version of the same sheet (same columns) updates the same accounts
            pseudo = ext = company_name(name) or clean_domain(dom)
            system = f"{system}~{self.list_key}" if self.list_key else system
        res = index.match(source=system, external_id=ext, name=name, domain=dom, ids=ids,
                          key=key)
        label = name if company_name(name) else (dom if dom is not None else (ext or key))
        res = self._decided(res, label, name)
        if res is None:
            return None, "rejected"
        if res.how == "review":
            self.review_of[k] = {
                "name": None if name is None else str(name),
                "domain": None if dom is None else str(dom),
                "external_id": None if ext is None or pseudo is not None else str(ext),
                "candidate_id": res.candidate, "candidate_name": res.candidate_name,
                "score": round(res.score, 1), "reason": res.reason}
            return None, "review"
        aid, how = self._account(res, label, name, dom, ext, system)
        if aid is None:
            return None, "none" if res.how == "none" else "unmatched"
        if how != "new":
            # a company record's name and domain are names of its account; a ticket's or a
            # survey's company field is only a hint, never a new name for the account
            names_it = self.prof.entity in CREATES_ACCOUNTS
            index.add(aid, name if names_it and company_name(name) else None,
                      dom if names_it else None)
        self._link_ids(aid, rec, ext, system, pseudo is not None)
        return aid, how

    def _decided(self, res, label, name):
        """The user's decision on a held record: a new account, none (None), or one they
        picked (remembered by name)."""
        decision = self.decisions.get(str(label)) if label is not None else None
        if res.how != "review" or decision is None:
            return res
        if decision == "new":
            res.account_id, res.how = None, "new"
        elif decision == "reject":
            return None
        else:
            res.account_id, res.how = str(decision), "confirmed"
            norm = company_name(name)
            if norm:
                self.out.links.append((NAME_ALIAS, norm, res.account_id, 1, "name"))
                self.index.link(NAME_ALIAS, norm, res.account_id)
        return res

    def _account(self, res, label, name, dom, ext, system) -> tuple[str | None, str]:
        """The account a resolved record goes to: the match (after merging an account it
        proves to be the same company), or a new one for entities that make accounts."""
        index, prof = self.index, self.prof
        aid, how = res.account_id, res.how
        if aid is not None and res.bridges is not None:
            keep, drop = _keeper(index, aid, res.bridges)
            why = (f"'{index.name_of(drop)}' and '{index.name_of(keep)}' are one company: a "
                   f"record of '{label}' carries an id of one and the web domain of the other")
            self.out.merges.append((keep, drop, why))
            index.merge(keep, drop)
            return keep, how
        creates = prof.entity in CREATES_ACCOUNTS if prof.creates_accounts is None \
            else prof.creates_accounts
        if prof.entity == "accounts" and name is None and dom is None:
            creates = False       # a list of ids only describes companies the workspace has
        if aid is None and creates and (name is not None or dom is not None or ext is not None):
            shown = name if company_name(name) else None
            aid = new_account_id(system, ext, shown, dom, salt=self.salt)
            if aid not in index.ids:
                display = shown if shown is not None else (
                    name if name is not None else (dom if dom is not None else f"Account {ext}"))
                self.out.new_accounts.append((aid, str(display), dom, "active"))
                index.add(aid, shown, dom)
            how = "new"
        return aid, how

    def _link_ids(self, aid: str, rec: dict, ext, system: str, by_name: bool) -> None:
        """Every id the record carries becomes an id of its account."""
        index, out = self.index, self.out
        if ext is not None:
            v = normalise_id(system, ext)
            if v is not None and (system, v) not in index.by_external:
                kind = "name" if by_name else (
                    "record" if self.prof.entity == "accounts" else "account")
                out.links.append((system, v, aid, 0, kind))
                index.link(system, v, aid)
        for c in self.xid_cols:
            if rec[c] is None:
                continue
            _, sys_, kind = c.split(":", 2)
            v = normalise_id(sys_, rec[c])
            if v is not None and aid not in index.lookup_id(sys_, v) and \
                    not (sys_ == "billing" and index.lookup_id(None, v)):
                out.links.append((sys_, v, aid, 0, kind))
                index.link(sys_, v, aid)


def _keeper(index: AccountIndex, a: str, b: str) -> tuple[str, str]:
    """(keep, drop): the account with a company name survives a merge."""
    if company_name(index.name_of(a)) is None and company_name(index.name_of(b)) is not None:
        return b, a
    return a, b
