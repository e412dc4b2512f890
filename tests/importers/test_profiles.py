"""Source profiles: recognition, column mapping and transforms against the golden exports.

Golden files live in tests/data/importers/<system>/ with a hand-computed
``<file>.expected.json`` beside each. The real reader and coercer are tested elsewhere; here
files are read with plain pandas (``dtype=str``, no default NA markers) and values are coerced
by a deliberately small helper that understands the formats the golden files use.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from acctdesk.importers import profiles as P
from acctdesk.importers.profiles import (FieldMap, Profile, get, header_date, kind_for,
                                         map_frame, normalise_billing, normalise_domain,
                                         normalise_header, recognise, register)

DATA = Path(__file__).resolve().parents[1] / "data" / "importers"
GOLDEN = sorted(DATA.glob("*/*.expected.json"))
GOLDEN = [p for p in GOLDEN if not p.parent.name.startswith("_")]
REAL = Path(__file__).resolve().parents[1] / "data" / "real"


# --------------------------------------------------------------------------- helpers

def load(expected_path: Path) -> tuple[dict, pd.DataFrame]:
    spec = json.loads(expected_path.read_text(encoding="utf-8"))
    path = expected_path.with_name(expected_path.name[: -len(".expected.json")])
    read = spec.get("read", {})
    if read.get("format") == "xlsx":
        df = pd.read_excel(path, header=read.get("header", 0), dtype=str,
                           keep_default_na=False, na_values=[])
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                         encoding=read.get("encoding", "utf-8"),
                         skiprows=read.get("skiprows", 0), comment=read.get("comment"))
    df = df.fillna("")
    df = df.iloc[read.get("skip_after_header", 0):].reset_index(drop=True)
    return spec, df


_DT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d",
               "%Y%m%d", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def _parse_dt(text: str) -> datetime:
    text = re.sub(r"\s*(UTC|Z)$", "", text.strip())
    for fmt in _DT_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(f"unparsed date {text!r}")


def coerce(value: str, kind: str):
    text = str(value).strip()
    if text == "":
        return None
    if kind == "text":
        return text
    if kind in ("number", "money", "int", "money_cents"):
        num = float(re.sub(r"[$€,\s]", "", text))
        if kind == "money_cents":
            return num / 100.0
        return int(num) if kind == "int" else num
    if kind == "bool":
        return text.lower() in ("true", "yes", "1")
    if kind == "date":
        return _parse_dt(text).date().isoformat()
    if kind == "datetime":
        return _parse_dt(text).isoformat(timespec="seconds")
    raise AssertionError(kind)


def canonical(profile: Profile, raw: pd.DataFrame) -> pd.DataFrame:
    mapping = map_frame(profile, raw)
    frame = pd.DataFrame({target: raw[src].map(lambda v, k=kind_for(profile, target):
                                               coerce(v, k)).astype(object)
                          for src, target in mapping.items()})
    return profile.transform(frame)


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), abs_tol=0.005)
    return a == b


def records_of(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict("records"):
        out.append({k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                    for k, v in rec.items()})
    return out


def ids(paths):
    return [f"{p.parent.name}/{p.name[:-len('.expected.json')]}" for p in paths]


# --------------------------------------------------------------------------- golden files

def test_every_system_has_golden_files():
    systems = {p.parent.name for p in GOLDEN}
    assert systems >= {"salesforce", "hubspot", "pipedrive", "stripe", "chargebee", "recurly",
                       "zendesk", "intercom", "freshdesk", "mixpanel", "amplitude",
                       "google_analytics", "delighted", "surveymonkey", "qualtrics",
                       "spreadsheet"}
    covered = {json.loads(p.read_text(encoding="utf-8"))["profile"] for p in GOLDEN}
    # profiles of layouts we have genuine exports of are covered by those (tests/data/real)
    covered |= {json.loads(p.read_text(encoding="utf-8")).get("acctdesk", {}).get("profile")
                for p in REAL.glob("*/*.expect.json")}
    # layouts tested end to end in test_events.py
    covered |= set(json.loads((DATA / "_events" / "profiles.json").read_text()).values())
    assert covered >= {p.id for p in P.REGISTRY}, "every profile has a golden or real file"


@pytest.mark.parametrize("expected_path", GOLDEN, ids=ids(GOLDEN))
def test_golden_file_is_recognised_with_margin(expected_path):
    spec, raw = load(expected_path)
    ranked = recognise(list(raw.columns))
    (best, s1) = ranked[0]
    # the runner-up of another layout (a system's "survey without NPS" fallback is the same
    # layout: it ranks just below on purpose)
    second, s2 = next((p, s) for p, s in ranked[1:] if not (p.system == best.system
                                                             and p.refuse))
    assert best.id == spec["profile"], [(p.id, s) for p, s in ranked[:3]]
    assert best.entity == spec["entity"]
    assert s1 >= 0.8
    assert s1 - s2 >= 0.2, f"{best.id} {s1} vs {second.id} {s2}"


#: record keys a transform derives (not read from one column of its own)
DERIVED = {"source", "kind", "billing_flag", "mrr", "arr", "metric", "date", "value",
           "account.domain", "domain", "csat", "name", "product", "status"}


@pytest.mark.parametrize("expected_path", GOLDEN, ids=ids(GOLDEN))
def test_golden_file_maps_every_expected_field(expected_path):
    spec, raw = load(expected_path)
    profile = get(spec["profile"])
    mapping = map_frame(profile, raw)
    assert len(P.drop_report_rows(raw)) == spec["rows"]  # footer/subtotal rows not counted
    targets = set(mapping.values())
    wanted = set().union(*(r.keys() for r in spec["records"]))
    missing = {k for k in wanted - targets if k not in DERIVED}
    assert not missing, missing
    assert not P.missing_required(profile, raw)
    for src, target in mapping.items():  # every mapped target is valid for the entity
        kind_for(profile, target)
        assert src in raw.columns


@pytest.mark.parametrize("expected_path", GOLDEN, ids=ids(GOLDEN))
def test_golden_file_canonical_records(expected_path):
    spec, raw = load(expected_path)
    profile = get(spec["profile"])
    got = records_of(canonical(profile, raw))
    want = spec["records"]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        for key, value in w.items():
            assert same(g.get(key), value), f"record {i} {key}: {g.get(key)!r} != {value!r}"
        extra = {k for k, v in g.items() if v is not None and k not in w}
        assert not extra, f"record {i} unexpected {extra}"
        assert not any(k.startswith("_") for k in g), "helper columns dropped"
    hint_cols = ("name", "domain", "account.external_id") if spec["entity"] == "accounts" \
        else ("account.name", "account.domain", "account.external_id")
    accounts = []
    for g in got:
        a = dict(zip(("name", "domain", "external_id"), (g.get(c) for c in hint_cols)))
        if any(a.values()) and a not in accounts:
            accounts.append(a)
    assert accounts == spec["accounts"]


def test_na_is_a_value_not_missing():
    spec, raw = load(DATA / "spreadsheet" / "account_book.csv.expected.json")
    out = canonical(get("spreadsheet.accounts"), raw)
    assert (out["region"] == "NA").sum() == 7
    spec, raw = load(DATA / "delighted" / "responses.csv.expected.json")
    out = canonical(get("delighted.responses"), raw)
    assert "NA" in set(out["comment"])


def test_formula_looking_text_is_kept_verbatim():
    spec, raw = load(DATA / "zendesk" / "tickets.csv.expected.json")
    out = canonical(get("zendesk.tickets"), raw)
    assert "=SUM(A1:A3) shows #REF! in exported sheet" in set(out["subject"])


# --------------------------------------------------------------------------- billing

def _subs(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols).astype(object)


def test_mrr_interval_normalisation():
    df = _subs(_amount=[1200.0, 300.0, 100.0, 10.0, 120.0], quantity=[1, 1, 1, 3, 2],
               _interval=["year", "quarter", "week", "month", "month"],
               _interval_count=[None, None, None, None, 3], status=["active"] * 5)
    out = normalise_billing(df)
    assert list(out["mrr"]) == [100.0, 100.0, round(100 * 52 / 12, 2), 30.0, 80.0]
    assert list(out["arr"]) == [1200.0, 1200.0, 5200.0, 360.0, 960.0]


def test_total_amount_column_wins_over_unit_price():
    df = _subs(_amount=[30.0], _total=[1200.0], quantity=[40], _interval=["month"],
               _interval_count=[3], status=["active"])
    out = normalise_billing(df, amount_is_total="_total")
    assert out.loc[0, "mrr"] == 400.0 and out.loc[0, "arr"] == 4800.0


def test_cents_are_coerced_by_kind():
    cb = get("chargebee.subscriptions")
    assert cb.field_for("_total").kind == "money_cents"
    assert cb.field_for("_amount").kind == "money_cents"
    assert get("recurly.subscriptions").field_for("_amount").kind == "money_cents"
    assert get("stripe.subscriptions").field_for("_amount").kind == "money"


def test_still_paying_statuses_and_non_paying_statuses():
    prof = get("stripe.subscriptions")
    frame = _subs(sub_id=["a", "b", "c", "d", "e", "f"], _amount=[10.0] * 6,
                  quantity=[1] * 6, _interval=["month"] * 6,
                  status=["active", "past_due", "trialing", "canceled", "unpaid", "active"],
                  _cancel_at_period_end=[False, False, False, True, False, True],
                  _current_period_end=[None, "2025-04-02", None, None, None, "2025-04-10"],
                  end_date=[None, None, None, "2024-06-01", None, None])
    out = prof.transform(frame)
    assert list(out["status"]) == ["active", "active", "trialing", "cancelled", "active",
                                   "active"]
    assert list(out["billing_flag"]) == [None, "past_due", None, None, "past_due",
                                         "cancel_at_period_end"]
    assert list(out["mrr"]) == [10.0, 10.0, 0.0, 10.0, 10.0, 10.0]
    assert list(out["end_date"]) == [None, None, None, "2024-06-01", None, "2025-04-10"]
    assert set(out["source"]) == {"stripe"}
    assert not [c for c in out.columns if c.startswith("_")]


def test_chargebee_and_recurly_non_renewing():
    cb = get("chargebee.subscriptions").transform(_subs(
        sub_id=["x"], _total=[25000 / 100], quantity=[1], _interval=["month"],
        _interval_count=[1], status=["non_renewing"], _current_period_end=["2025-04-30"]))
    assert cb.loc[0, "status"] == "active" and cb.loc[0, "billing_flag"] == "non_renewing"
    assert cb.loc[0, "end_date"] == "2025-04-30" and cb.loc[0, "mrr"] == 250.0
    rc = get("recurly.subscriptions").transform(_subs(
        sub_id=["y", "z"], _amount=[12.0, 12.0], quantity=[1, 1], _interval=["months"] * 2,
        _interval_count=[12, 1], status=["canceled", "expired"],
        end_date=["2025-06-30", "2024-03-31"]))
    assert list(rc["status"]) == ["active", "ended"]
    assert list(rc["billing_flag"]) == ["non_renewing", None]
    assert list(rc["mrr"]) == [1.0, 12.0]


def test_status_map_is_idempotent():
    prof = get("zendesk.tickets")
    once = prof.transform(pd.DataFrame({"ticket_id": ["1", "2"], "status": ["Hold", "Solved"]}))
    twice = prof.transform(once)
    assert list(once["status"]) == list(twice["status"]) == ["pending", "solved"]


def test_unknown_interval_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        normalise_billing(_subs(_amount=[1.0], _interval=["fortnightly-ish"],
                                status=["active"]))


# --------------------------------------------------------------------------- registry

def test_recognise_scores_every_profile_between_0_and_1():
    ranked = recognise(["id", "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Status",
                        "Created (UTC)", "Current Period End (UTC)", "Cancel At Period End"])
    assert len(ranked) == len(P.REGISTRY)
    assert all(0.0 <= s <= 1.0 for _, s in ranked)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert ranked[0][0].id == "stripe.subscriptions"


def test_recognise_is_case_space_and_order_insensitive():
    headers = ["  CUSTOMER ID", "id", "status", "AMOUNT", "interval", "quantity", "plan",
               "current period end (utc)", "cancel_at_period_end", "created (UTC)"]
    assert recognise(headers)[0][0].id == "stripe.subscriptions"
    assert recognise(list(reversed(headers)))[0][0].id == "stripe.subscriptions"


def test_missing_required_field_is_penalised():
    prof = get("zendesk.tickets")
    full = list(prof.signature)
    without_id = [h for h in full if h != "Id"]
    assert P.score_profile(prof, without_id) < P.score_profile(prof, full) * 0.6


def test_unrelated_headers_score_low():
    ranked = recognise(["foo", "bar", "baz"])
    assert ranked[0][1] < 0.2


def test_register_validates_targets_and_wraps_transform():
    with pytest.raises(ValueError):
        register(Profile(id="test.bad", system="T", entity="tickets",
                         fields=(FieldMap("x", "mrr"),), signature=("x",), source_key="t"))
    with pytest.raises(ValueError):
        FieldMap("x", "csat", kind="float")
    prof = register(Profile(id="test.tmp", system="T", entity="surveys",
                            fields=(FieldMap("Score", "score", "number"),),
                            signature=("Score", "When"), source_key="tmp",
                            constants={"kind": "csat"}))
    try:
        out = prof.transform(pd.DataFrame({"score": [4.0]}))
        assert out.loc[0, "kind"] == "csat" and out.loc[0, "source"] == "tmp"
        assert get("test.tmp") is prof
    finally:
        P.REGISTRY[:] = [p for p in P.REGISTRY if p.id != "test.tmp"]


def test_profile_ids_are_unique_and_targets_valid():
    seen = [p.id for p in P.REGISTRY]
    assert len(seen) == len(set(seen))
    for p in P.REGISTRY:
        assert p.transform is not None
        assert p.id.split(".")[0] == p.source_key
        for f in p.fields:
            assert P._valid_target(p.entity, f.target), (p.id, f.target)


def test_header_helpers():
    assert normalise_header("\ufeffCreated (UTC)") == "created utc"
    assert normalise_header("Deal - Title") == normalise_header("deal_title")
    assert header_date("2025-03-01") == "2025-03-01"
    assert header_date("Mar 2025") == "2025-03-01"
    assert header_date("20250301") == "2025-03-01"
    assert header_date("March 1, 2025") == "2025-03-01"
    assert header_date("Company") is None and header_date("2025-13-01") is None
    assert normalise_domain("https://www.Acme.com/about?x=1") == "acme.com"
    assert normalise_domain("jane@Acme.com") == "acme.com"
    assert normalise_domain("") is None


def test_email_domain_is_not_taken_from_free_mail():
    out = get("zendesk.tickets").transform(pd.DataFrame(
        {"ticket_id": ["1", "2"], "requester_email": ["x@gmail.com", "y@acme.com"]}))
    assert list(out["account.domain"]) == [None, "acme.com"]


def test_wide_usage_mapping_uses_date_headers():
    prof = get("amplitude.usage_wide")
    mapping = map_frame(prof, ["gp:company_domain", "Jan 2025", "Feb 2025", "Notes"])
    assert mapping == {"gp:company_domain": "account.domain", "Jan 2025": "value@2025-01-01",
                       "Feb 2025": "value@2025-02-01"}
    assert kind_for(prof, "value@2025-01-01") == "number"


def test_salesforce_detail_export_blanks_are_not_filled():
    prof = get("salesforce.accounts")
    out = prof.transform(pd.DataFrame({"name": ["A", "B"], "owner": ["Maria", None]}))
    assert records_of(out)[1]["owner"] is None
    grouped = prof.transform(pd.DataFrame({"name": ["A", "B", None, "C"],
                                           "owner": ["Maria", None, "Subtotal", "Sam"]}))
    assert [r["owner"] for r in records_of(grouped)] == ["Maria", "Maria", "Sam"]
