"""Linking records from different systems to one account, without merging different companies.

Evidence, strongest first (DESIGN.md "Importing", step 4):

1. **ids**: every id a file carries for a company is an external id of its account, with the
   system whose id it is and its kind (a CRM record id, a billing customer id, the product's
   workspace/tenant id found in billing metadata, a foreign key such as Salesforce
   ``AccountId``). A record whose id is known links through it, whatever else it says. A
   key of unknown system (a usage export's ``workspace_id``) links when exactly one account
   carries that value in any system.
2. **domain**: the registrable domain of a website or a work e-mail address
   (:mod:`importers.domains`); free-mail, platform and shared-hosting domains are not
   identity, and neither is a domain that several companies in the data carry.
3. **name**: the normalised name ("ACME, Inc." = "Acme Inc" = "acme.com" -> ``acme``); a
   "name" that is a mailbox or a free-mail domain is no name.
4. **look-alike name** (``rapidfuzz`` ratio >= :data:`REVIEW_THRESHOLD`, or one name
   abbreviating the other word by word): never merges by itself.

Evidence *against* a candidate account:

* the record has an id in system S and the candidate already has a different id in S: two
  records of one source with different ids are two companies;
* the record and the candidate have different identity domains.

The decision for one record (:meth:`AccountIndex.match`):

=========================================  ===============================================
what is found                              outcome
=========================================  ===============================================
a known id                                 that account
its domain, on one account, no evidence    that account
  against
its exact name, on one account, no         that account
  evidence against
exact name, but the candidate has another  a new account (two records of one source)
  id in the same system
exact name, but another domain             held for review (the evidence conflicts)
exact name on several accounts             held for review (which one?)
a look-alike name with evidence against    a new account (look-alikes are created, not held)
a look-alike name and nothing else         held for review (a look-alike never merges alone)
nothing                                    a new account (or no account, for entities that
                                           do not create accounts)
=========================================  ===============================================
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

import pandas as pd
from rapidfuzz import fuzz, process

from ..models import import_store
from .domains import identity_domain, is_placeholder_name, registrable_domain

REVIEW_THRESHOLD = 85.0

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

#: the pseudo-system under which names the user confirmed for an account are remembered
NAME_ALIAS = "name"


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def normalise_name(name: object) -> str | None:
    """Comparable form of a company name.

    >>> normalise_name("ACME, Inc."), normalise_name("Acme Inc"), normalise_name("acme.com")
    ('acme', 'acme', 'acme')
    >>> normalise_name("Société Générale S.A.")
    'societe generale'
    """
    if _missing(name):
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
    text = re.sub(r"[\s_]+", " ", text).strip()
    prev = None
    while prev != text:
        prev = text
        text = _SUFFIX_RE.sub("", text).strip()
    text = re.sub(r"^the\s+", "", text)
    return text or None


def company_name(name: object) -> str | None:
    """The normalised name when ``name`` names a company; None for mailboxes, free-mail
    and platform domains used as names ("gmail.com")."""
    if _missing(name) or is_placeholder_name(name):
        return None
    return normalise_name(name)


def _abbreviates(a: str, b: str) -> bool:
    """"wayne ent" / "wayne enterprises": same first word, same word count, each word a
    prefix of at least three letters of its counterpart."""
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb) or len(ta) < 2 or ta[0] != tb[0] or ta == tb:
        return False
    return all((x.startswith(y) or y.startswith(x)) and min(len(x), len(y)) >= 3
               for x, y in zip(ta, tb))


def _abbrev_key(norm: str) -> tuple:
    """Names that may abbreviate each other share this: first word, word count and the
    first three letters of the second word ("wayne ent" / "wayne enterprises")."""
    words = norm.split()
    return (words[0], len(words), words[1][:3] if len(words) > 1 else "")


def clean_domain(value: object) -> str | None:
    """The identity domain of a domain, URL or e-mail address (None for free mail,
    platforms and text that is no domain)."""
    return identity_domain(value)


def normalise_id(system: str | None, value: object) -> str | None:
    """An id as text, comparable across exports: ``12.0`` -> ``12``; Salesforce's
    18-character ids -> their case-sensitive 15-character form."""
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if system == "salesforce" and len(text) == 18 and text.isalnum():
        text = text[:15]
    return text or None


@dataclass
class MatchResult:
    account_id: str | None
    how: str                       # own | id | domain | name | confirmed | new | review | none
    score: float = 100.0
    candidate: str | None = None   # for review: the account it probably is
    candidate_name: str | None = None
    reason: str | None = None      # for review: why it is held, in words
    bridges: str | None = None     # another account this record proves is the same company


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


@dataclass
class _Account:
    name: str | None = None
    domains: set = field(default_factory=set)
    ids: dict = field(default_factory=dict)          # system -> set of ids


class AccountIndex:
    """What is known about existing accounts, for matching. Grows as new accounts are made.

    Name and domain indexes are built on first use: a file that names accounts by the
    workspace's own ids (a big usage export, say) never pays for normalising every name.
    """

    def __init__(self):
        self.by_external: dict[tuple[str, str], str] = {}
        self._holders: dict[tuple[str, str], set[str]] = {}
        self.ids: set[str] = set()
        self._by_value: dict[str, set[str]] = {}
        self._acc: dict[str, _Account] = {}
        self._by_domain: dict[str, set[str]] = {}
        self._by_name: dict[str, set[str]] = {}
        self._by_first: dict[tuple, list[str]] = {}
        self._pending: list[tuple] = []
        self._choices: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_frames(cls, accounts: pd.DataFrame, external_ids: pd.DataFrame) -> "AccountIndex":
        idx = cls()
        idx._pending = list(zip(accounts["account_id"], accounts["name"], accounts["domain"]))
        idx.ids = set(accounts["account_id"])
        for src, ext, aid in zip(external_ids["source"], external_ids["external_id"],
                                 external_ids["account_id"]):
            idx._link(src, str(ext), aid)
        return idx

    @classmethod
    def from_workspace(cls, ws) -> "AccountIndex":
        """The index of a workspace's accounts; names and domains are read on first need."""
        idx = cls()
        idx.ids = set(import_store.account_ids(ws.conn))
        for src, ext, aid in import_store.external_id_links(ws.conn):
            idx._link(src, str(ext), aid)
        idx._pending = lambda: import_store.account_names_domains(ws.conn)
        return idx

    def _build(self) -> None:
        pending, self._pending = self._pending, []
        if callable(pending):
            pending = pending()
        for aid, name, dom in pending:
            self._add(aid, name, dom)

    def _account(self, aid: str) -> _Account:
        acc = self._acc.get(aid)
        if acc is None:
            acc = self._acc[aid] = _Account()
        return acc

    def _link(self, system: str, value: str, aid: str) -> None:
        self.by_external.setdefault((system, value), aid)
        self._holders.setdefault((system, value), set()).add(aid)
        if system == NAME_ALIAS:
            return
        self._by_value.setdefault(value, set()).add(aid)
        self._account(aid).ids.setdefault(system, set()).add(value)

    def link(self, system: str, value: str, aid: str) -> None:
        """Record ``value`` as ``aid``'s id in ``system``."""
        self._link(system, value, aid)

    @property
    def names(self) -> dict[str, str]:
        self._build()
        return {aid: a.name for aid, a in self._acc.items() if a.name is not None}

    @property
    def by_name(self) -> dict[str, set[str]]:
        self._build()
        return self._by_name

    @property
    def by_domain(self) -> dict[str, set[str]]:
        self._build()
        return self._by_domain

    def name_of(self, aid: str) -> str | None:
        self._build()
        acc = self._acc.get(aid)
        return acc.name if acc else None

    def add(self, account_id: str, name: object, domain: object = None) -> None:
        self._build()
        self._add(account_id, name, domain)

    def _add(self, account_id: str, name: object, domain: object = None) -> None:
        self.ids.add(account_id)
        acc = self._account(account_id)
        if acc.name is None and not _missing(name):
            acc.name = str(name)
        norm = company_name(name)
        if norm:
            holders = self._by_name.setdefault(norm, set())
            if not holders:
                self._by_first.setdefault(_abbrev_key(norm), []).append(norm)
                self._choices.setdefault(norm[:1], []).append(norm)
            holders.add(account_id)
        dom = clean_domain(domain)
        if dom:
            acc.domains.add(dom)
            self._by_domain.setdefault(dom, set()).add(account_id)

    def add_domain(self, account_id: str, domain: object) -> None:
        self._build()
        dom = clean_domain(domain)
        if dom:
            self._account(account_id).domains.add(dom)
            self._by_domain.setdefault(dom, set()).add(account_id)

    # ------------------------------------------------------------------ lookups
    def lookup_id(self, system: str | None, value: object) -> set[str]:
        """Accounts carrying id ``value`` in ``system`` (any system when None)."""
        v = normalise_id(system, value)
        if v is None:
            return set()
        if system is not None:
            return set(self._holders.get((system, v), ()))
        return set(self._by_value.get(v, ()))

    def _fuzzy(self, norm: str) -> list[tuple[str, float]]:
        """Look-alike names (score, name), best first; the same first letter only."""
        choices = self._choices.get(norm[:1], ())
        found = [(c, s) for c, s, _ in process.extract(
            norm, choices, scorer=fuzz.ratio, limit=3, score_cutoff=REVIEW_THRESHOLD)
            if c != norm] if choices else []
        for other in self._by_first.get(_abbrev_key(norm), ()):
            if other != norm and _abbreviates(norm, other):
                found.append((other, 95.0))
        found.sort(key=lambda t: -t[1])
        return found

    def _against(self, aid: str, own: tuple[str, str] | None, dom: str | None) -> str | None:
        """Why account ``aid`` cannot be this record's company, or None."""
        acc = self._acc.get(aid)
        if acc is None:
            return None
        if own is not None:
            system, value = own
            theirs = acc.ids.get(system)
            if theirs and value not in theirs:
                return "id"
        if dom and acc.domains and dom not in acc.domains:
            return "domain"
        return None

    def _bridged(self, aid: str, domain: object) -> str | None:
        """Another account that this record's identity domain names, when the record's ids
        name ``aid``: one company that two systems knew by different keys (a billing
        customer named after a mailbox, linked by the CRM's billing id, and the same
        company's account from another billing system). None when nothing says so, or when
        the two carry different ids of one system or different domains."""
        dom = clean_domain(domain)
        if not dom:
            return None
        self._build()
        holders = self._by_domain.get(dom, set()) - {aid}
        if len(holders) != 1:
            return None
        other = next(iter(holders))
        a, b = self._acc.get(aid), self._acc.get(other)
        if a is None or b is None:
            return None
        for system in set(a.ids) & set(b.ids):
            if system != NAME_ALIAS and a.ids[system] != b.ids[system]:
                return None
        if a.domains and b.domains and not a.domains & b.domains:
            return None
        return other

    def merge(self, keep: str, drop: str) -> None:
        """Fold account ``drop`` into ``keep`` (both known): its ids, domains and names."""
        self._build()
        a, b = self._account(keep), self._acc.pop(drop, None)
        if b is None:
            return
        for system, values in b.ids.items():
            for v in values:
                self._holders.get((system, v), set()).discard(drop)
                self._holders.setdefault((system, v), set()).add(keep)
                if self.by_external.get((system, v)) == drop:
                    self.by_external[(system, v)] = keep
                vals = self._by_value.get(v)
                if vals is not None:
                    vals.discard(drop)
                    vals.add(keep)
            a.ids.setdefault(system, set()).update(values)
        for dom in b.domains:
            holders = self._by_domain.setdefault(dom, set())
            holders.discard(drop)
            holders.add(keep)
        a.domains |= b.domains
        for holders in self._by_name.values():
            if drop in holders:
                holders.discard(drop)
                holders.add(keep)
        if a.name is None or is_placeholder_name(a.name):
            a.name = b.name if b.name and not is_placeholder_name(b.name) else a.name
        self.ids.discard(drop)

    # ------------------------------------------------------------------ matching
    def match(self, *, source: str | None, external_id: object, name: object,
              domain: object, ids: Iterable[tuple[str | None, object]] = (),
              key: object = None) -> MatchResult:
        """The account of one record (see the module docstring for the rules).

        ``source``/``external_id``: the record's own id in its system. ``ids``: other
        (system, value) ids it carries (system None = any system). ``key``: a generic
        account key of unknown kind (an id of any system, a domain or a name).
        """
        own_v = normalise_id(source, external_id)
        own = (source, own_v) if source and own_v else None
        if own is not None and (mine := self.lookup_id(*own)):
            return MatchResult(next(iter(mine)), "own")
        found = self._found_by_ids(own, ids)
        if not _missing(key) and not found:
            found = self.lookup_id(None, key) or ({str(key)} if key in self.ids else set())
            if not found:
                if clean_domain(key) and "@" not in str(key) and " " not in str(key).strip():
                    domain = domain if not _missing(domain) else key
                elif _missing(name):
                    name = key
        if len(found) == 1:
            aid = next(iter(found))
            return MatchResult(aid, "id", bridges=self._bridged(aid, domain))
        if len(found) > 1:
            a, b = sorted(found)[:2]
            return MatchResult(None, "review", 100.0, a, self.name_of(a),
                               f"its ids belong to two accounts ('{self.name_of(a)}' and "
                               f"'{self.name_of(b)}'): pick the right one")
        self._build()
        dom = clean_domain(domain)
        norm = company_name(name)
        label = name if norm else (dom or own_v)
        if norm is not None and (alias := self.by_external.get((NAME_ALIAS, norm))):
            return MatchResult(alias, "confirmed")
        if dom and len(holders := self._by_domain.get(dom, set())) == 1:
            aid = next(iter(holders))
            if self._against(aid, own, None) is None:
                return MatchResult(aid, "domain")
            return MatchResult(None, "new")        # another record of the same system
        if norm:
            by_name = self._by_exact_name(norm, own, dom, label)
            if by_name is not None:
                return by_name
            by_look = self._by_look_alike(norm, own, dom, label)
            if by_look is not None:
                return by_look
        return MatchResult(None, "new" if (own or dom or norm) else "none", 0.0)

    def _found_by_ids(self, own, ids) -> set[str]:
        """Accounts the record's ids of other systems name; an id of another system is
        overruled by a different id of the record's own system (two records of one source
        with different ids are two companies)."""
        found: set[str] = set()
        for system, value in ids:
            found |= self.lookup_id(system, value)
        if own is not None and found:
            self._build()
            found = {aid for aid in found if self._against(aid, own, None) is None}
        return found

    def _by_exact_name(self, norm, own, dom, label) -> MatchResult | None:
        holders = self._by_name.get(norm, set())
        if not holders:
            return None
        verdicts = {aid: self._against(aid, own, dom) for aid in holders}
        fit = [aid for aid, why in verdicts.items() if why is None]
        if len(holders) == 1 and fit:
            return MatchResult(fit[0], "name")
        if not fit and all(why == "id" for why in verdicts.values()):
            return MatchResult(None, "new")
        aid = sorted(fit or holders)[0]
        cname = self.name_of(aid)
        if not fit:
            cdom = ", ".join(sorted(self._acc[aid].domains))
            reason = (f"'{label}' ({dom}) has the name of '{cname}' ({cdom}) but another web "
                      "domain: confirm it is the same company, or create a new account")
        else:
            reason = (f"{len(holders)} accounts are named '{cname}': pick the one '{label}' "
                      "belongs to, or create a new account")
        return MatchResult(None, "review", 100.0, aid, cname, reason)

    def _by_look_alike(self, norm, own, dom, label) -> MatchResult | None:
        for other, score in self._fuzzy(norm):
            holders = self._by_name.get(other, set())
            if len(holders) != 1:
                continue
            aid = next(iter(holders))
            if self._against(aid, own, dom) is not None:
                return MatchResult(None, "new")     # a look-alike of another company
            cname = self.name_of(aid)
            return MatchResult(None, "review", score, aid, cname,
                               f"'{label}' may be '{cname}' ({score:.0f}% similar): "
                               "confirm, or create a new account")
        return None


def new_account_id(source: str | None, external_id: object, name: object,
                   domain: object, *, salt: str = "") -> str:
    """A stable id for an account first seen in an import (same input and salt, same id).

    ``salt`` is the workspace's random salt (``meta.id_salt``, made by its migration):
    without it the id would be a plain hash of the name, and anyone could confirm a guessed
    company name from an id (in an audit entry kept after an erasure, say). With it, ids are
    still the same for the same company within one workspace, so importing a file again
    changes nothing.
    """
    basis = "|".join([
        salt, source or "", "" if external_id is None else str(external_id),
        normalise_name(name) or "", registrable_domain(domain) or "",
    ])
    return "acc_" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]
