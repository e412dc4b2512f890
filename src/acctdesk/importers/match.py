"""Linking records from different systems to one account.

Order of evidence (strongest first), after DESIGN.md "Importing", step 4:

1. external id: ``(source, external id)`` seen before (``external_ids`` table);
2. domain: normalised (scheme, ``www.``, case, path and trailing slash removed); e-mail domains
   of requesters count too, except free-mail providers;
3. normalised name: case, punctuation, accents and legal suffixes removed
   ("ACME, Inc." = "Acme Inc" = "acme.com" -> ``acme``);
4. fuzzy name: ``rapidfuzz.fuzz.ratio`` on normalised names >= ``AUTO_THRESHOLD`` with a clear
   margin over the runner-up; between ``REVIEW_THRESHOLD`` and that, the record goes to a
   review list instead of being guessed.

Different companies with similar names stay apart: whole-string ratio (not token-set, which
would call "Acme" a perfect match of "Acme Robotics"), and a fuzzy match is refused when both
sides carry different domains.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from .profiles import FREE_MAIL, normalise_domain

AUTO_THRESHOLD = 94.0
REVIEW_THRESHOLD = 85.0
MARGIN = 4.0

LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "l l c", "ltd", "limited", "gmbh", "mbh", "ag", "sa", "s a",
    "sas", "sarl", "srl", "spa", "bv", "b v", "nv", "plc", "corp", "corporation", "co",
    "company", "pty", "pty ltd", "oy", "ab", "as", "aps", "kg", "kgaa", "se", "lp", "llp",
    "pte", "pte ltd", "kk", "sro", "sp z o o", "oü", "ou",
}
_SUFFIX_RE = re.compile(
    r"(?:\s+(?:" + "|".join(sorted((re.escape(s) for s in LEGAL_SUFFIXES), key=len,
                                  reverse=True)) + r"))+$")
_TLD_RE = re.compile(r"\.(com|io|co|net|org|ai|dev|app|biz|tech|cloud|so|de|uk|fr|eu|us)$")


def normalise_name(name: object) -> str | None:
    """Comparable form of a company name.

    >>> normalise_name("ACME, Inc."), normalise_name("Acme Inc"), normalise_name("acme.com")
    ('acme', 'acme', 'acme')
    >>> normalise_name("Société Générale S.A.")
    'societe generale'
    """
    if name is None or (isinstance(name, float) and name != name):
        return None
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    if not text:
        return None
    text = re.sub(r"^(https?://)?(www\.)?", "", text)
    if " " not in text and "." in text:
        text = _TLD_RE.sub("", text.split("/")[0])
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    prev = None
    while prev != text:
        prev = text
        text = _SUFFIX_RE.sub("", text).strip()
    text = re.sub(r"^the\s+", "", text)
    return text or None


def _name_score(a: str, b: str, **_) -> float:
    """Similarity of two normalised names, 0..100.

    ``fuzz.ratio`` on the whole strings, raised to 95 when one name abbreviates the other
    word by word ("wayne ent" / "wayne enterprises": same first word, same word count, each
    word a prefix of at least three letters of its counterpart).
    """
    score = fuzz.ratio(a, b)
    ta, tb = a.split(), b.split()
    if len(ta) == len(tb) >= 2 and ta[0] == tb[0] and ta != tb:
        if all((x.startswith(y) or y.startswith(x)) and min(len(x), len(y)) >= 3
               for x, y in zip(ta, tb)):
            score = max(score, 95.0)
    return score


def clean_domain(value: object) -> str | None:
    """A company domain from a domain, URL or e-mail address; free-mail domains give None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    dom = normalise_domain(text)
    if not dom or dom in FREE_MAIL or "." not in dom:
        return None
    return dom


@dataclass
class MatchResult:
    account_id: str | None
    how: str                       # external_id | domain | name | fuzzy | new | review | none
    score: float = 100.0
    candidate: str | None = None   # for review: the account it probably is
    candidate_name: str | None = None


@dataclass
class ReviewItem:
    """A record whose account is uncertain; the user accepts, rejects or picks another."""

    row: int
    name: str | None
    domain: str | None
    candidate_id: str | None
    candidate_name: str | None
    score: float
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "name": self.name, "domain": self.domain,
                "candidate_id": self.candidate_id, "candidate_name": self.candidate_name,
                "score": round(self.score, 1), "reason": self.reason}


class AccountIndex:
    """What is known about existing accounts, for matching. Grows as new accounts are made.

    Name and domain indexes are built on first use: a file that names accounts by the
    workspace's own ids (a big usage export, say) never pays for normalising every name.
    """

    def __init__(self):
        self.by_external: dict[tuple[str, str], str] = {}
        self.ids: set[str] = set()
        self._by_domain: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._domains: dict[str, str] = {}
        self._pending: list[tuple] = []
        self._choices: list[str] | None = None
        self._choice_ids: list[str] | None = None

    @classmethod
    def from_frames(cls, accounts: pd.DataFrame, external_ids: pd.DataFrame) -> "AccountIndex":
        idx = cls()
        idx._pending = list(zip(accounts["account_id"], accounts["name"], accounts["domain"]))
        idx.ids = set(accounts["account_id"])
        for src, ext, aid in zip(external_ids["source"], external_ids["external_id"],
                                 external_ids["account_id"]):
            idx.by_external[(src, str(ext))] = aid
        return idx

    @classmethod
    def from_workspace(cls, ws) -> "AccountIndex":
        """The index of a workspace's accounts; names and domains are read on first need."""
        idx = cls()
        conn = ws.conn
        idx.ids = {r[0] for r in conn.execute("SELECT account_id FROM accounts")}
        for src, ext, aid in conn.execute(
                "SELECT source, external_id, account_id FROM external_ids"):
            idx.by_external[(src, str(ext))] = aid
        idx._pending = lambda: conn.execute(
            "SELECT account_id, name, domain FROM accounts").fetchall()
        return idx

    def _build(self) -> None:
        pending, self._pending = self._pending, []
        if callable(pending):
            pending = pending()
        for aid, name, dom in pending:
            self._add(aid, name, dom)

    @property
    def by_name(self) -> dict[str, str]:
        self._build()
        return self._by_name

    @property
    def by_domain(self) -> dict[str, str]:
        self._build()
        return self._by_domain

    @property
    def names(self) -> dict[str, str]:
        self._build()
        return self._names

    @property
    def domains(self) -> dict[str, str]:
        self._build()
        return self._domains

    def add(self, account_id: str, name: object, domain: object = None) -> None:
        self._build()
        self._add(account_id, name, domain)

    def _add(self, account_id: str, name: object, domain: object = None) -> None:
        self.ids.add(account_id)
        norm = normalise_name(name)
        dom = clean_domain(domain)
        if name is not None and not (isinstance(name, float) and name != name):
            self._names.setdefault(account_id, str(name))
        if norm:
            self._by_name.setdefault(norm, account_id)
        if dom:
            self._by_domain.setdefault(dom, account_id)
            self._domains.setdefault(account_id, dom)
        self._choices = None

    def _fuzzy(self, norm: str) -> list[tuple[str, float, str]]:
        if self._choices is None:
            self._choices = list(self.by_name)
            self._choice_ids = [self.by_name[c] for c in self._choices]
        if not self._choices:
            return []
        found = process.extract(norm, self._choices, scorer=_name_score, limit=2,
                                score_cutoff=REVIEW_THRESHOLD)
        return [(c, s, self._choice_ids[i]) for c, s, i in found]

    def match(self, *, source: str | None, external_id: object, name: object,
              domain: object) -> MatchResult:
        ext = None if external_id is None or (isinstance(external_id, float)
                                               and external_id != external_id) else str(external_id)
        if source and ext:
            aid = self.by_external.get((source, ext))
            if aid:
                return MatchResult(aid, "external_id")
        dom = clean_domain(domain)
        if dom and dom in self.by_domain:
            return MatchResult(self.by_domain[dom], "domain")
        norm = normalise_name(name)
        if norm is None and dom:
            norm = normalise_name(dom)
        if norm and norm in self.by_name:
            aid = self.by_name[norm]
            other = self.domains.get(aid)
            if dom and other and other != dom:
                # same name, different company domains: do not merge, let the user decide
                return MatchResult(None, "review", 90.0, aid, self.names.get(aid))
            return MatchResult(aid, "name")
        if norm:
            found = self._fuzzy(norm)
            if found:
                best_c, best_s, best_id = found[0]
                runner = found[1][1] if len(found) > 1 else 0.0
                other = self.domains.get(best_id)
                conflict = bool(dom and other and other != dom)
                if best_s >= AUTO_THRESHOLD and best_s - runner >= MARGIN and not conflict:
                    return MatchResult(best_id, "fuzzy", best_s)
                return MatchResult(None, "review", best_s, best_id, self.names.get(best_id))
        return MatchResult(None, "none", 0.0)


#: meta key of the workspace's random salt for new account ids
SALT_KEY = "account_id_salt"


def new_account_id(source: str | None, external_id: object, name: object,
                   domain: object, *, salt: str | None = None) -> str:
    """A stable id for an account first seen in an import (same input and salt, same id).

    ``salt`` is the workspace's random salt (:func:`account_id_salt`): without it the id would
    be a plain hash of the name, and anyone could confirm a guessed company name from an id
    (in an audit entry kept after an erasure, say). With it, ids are still the same for the
    same company within one workspace, so importing a file again changes nothing.
    """
    basis = "|".join([
        source or "", "" if external_id is None else str(external_id),
        normalise_name(name) or "", clean_domain(domain) or "",
    ])
    if salt:
        digest = hashlib.sha256(f"{salt}|{basis}".encode("utf-8")).hexdigest()
    else:
        digest = hashlib.sha1(basis.encode("utf-8")).hexdigest()
    return "acc_" + digest[:12]


def account_id_salt(ws) -> str:
    """The workspace's salt for new account ids (made by its migration; made here for a
    workspace that somehow lacks one)."""
    salt = ws.get_meta(SALT_KEY)
    if not salt:
        import secrets

        with ws.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                         (SALT_KEY, secrets.token_hex(16)))
        salt = ws.get_meta(SALT_KEY)
    return salt
