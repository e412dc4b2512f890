"""Raw product-analytics event exports: one event per row (usually JSON lines).

* Mixpanel raw export: ``{"event": ..., "properties": {"time": <unix seconds>,
  "distinct_id": ..., "$insert_id": ..., <your properties>}}``;
* Amplitude export: ``{"event_type": ..., "event_time": "2024-01-01 10:00:00.000000",
  "user_id": ..., "amplitude_id": ..., "groups": {"company": ...}, "event_properties": ...}``;
* Segment / PostHog: ``{"event": ..., "timestamp": ..., "userId"/"distinct_id": ...,
  "context": {"groupId": ...} / "properties": {"$groups": {...}}}``.

The reader flattens nested objects with dots (``properties.time``). Events become usage:
the number of events per account, day and event name (a metric per event name). An event
belongs to an account through a group, company, account, workspace or tenant property; an
export whose events carry only person ids is recognised and refused with that reason, since
a person's events cannot be counted per account without knowing their company.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, register

#: the property holding the event's company, account or workspace (flattened name)
ACCOUNT_KEY = (r"re:(^|\b)(groups?|\$groups|context|properties|event properties|"
               r"group properties|user properties)? ?\b(company|account|workspace|org|"
               r"organi[sz]ation|tenant|team|customer|group)( ?(id|key|domain|name|slug))?$")


def _count_events(df: pd.DataFrame) -> pd.DataFrame:
    """Events per account key, day and event name; ``rows.folded`` says how many events
    each count stands for beyond the first."""
    if df.empty:
        return df
    keys = [c for c in ("account.key", "date", "metric") if c in df.columns]
    frame = df.assign(**{c: df[c].astype(object).where(df[c].notna(), "\x00") for c in keys})
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(value=("rownum.src", "size"), first=("rownum.src", "min")).reset_index()
    for c in keys:
        out[c] = out[c].where(out[c] != "\x00", None)
    out["rownum.src"] = out.pop("first").astype("int64")
    out["rows.folded"] = (out["value"] - 1).astype("int64")
    out["value"] = out["value"].astype(float)
    return out


def _events(system: str, source_key: str, fields: tuple, signature: tuple, marks: tuple):
    usage = register(Profile(
        id=f"{source_key}.events",
        system=system,
        entity="usage",
        source_key=source_key,
        description="Raw event export: events counted per account, day and event name",
        fields=fields + (FieldMap((ACCOUNT_KEY,), "account.key"),),
        signature=signature,
        loose=True, distinctive=marks,
        needs_any=("account.key",),
        transform=_count_events,
    ))
    refuse = register(Profile(
        id=f"{source_key}.events_without_accounts",
        system=system,
        entity="usage",
        source_key=source_key,
        fields=fields,
        signature=signature,
        loose=True, distinctive=marks,
        weight=0.9,
        refuse=(f"is a {system} event export (one event per row) whose events carry no "
                "company, account, group or workspace property, only person ids, so they "
                "cannot be counted per account. Export the events with your account key (for "
                "example a group analytics key such as 'company_id'), or import usage that "
                "is already counted per account"),
    ))
    return usage, refuse


MIXPANEL, MIXPANEL_NO_KEY = _events(
    "Mixpanel", "mixpanel",
    (FieldMap(("event",), "metric", required=True),
     FieldMap(("properties.time", "time"), "date", "date", required=True)),
    ("event", "properties.time", "properties.distinct_id", "properties.$insert_id",
     "properties.mp_lib", "properties.$lib_version", "properties.$os", "properties.$browser",
     "properties.$current_url", "properties.$city", "properties.$region",
     "properties.mp_country_code"),
    ("properties.distinct_id", "properties.$insert_id", "properties.mp_lib",
     "properties.mp_country_code"))

AMPLITUDE, AMPLITUDE_NO_KEY = _events(
    "Amplitude", "amplitude",
    (FieldMap(("event_type",), "metric", required=True),
     FieldMap(("event_time", "client_event_time", "server_upload_time"), "date", "date",
              required=True)),
    ("event_type", "event_time", "user_id", "device_id", "amplitude_id", "session_id",
     "client_event_time", "server_upload_time", "uuid", "$insert_id", "platform",
     "os_name", "country", "city"),
    ("amplitude_id", "event_type", "client_event_time", "server_upload_time", "device_id"))

SEGMENT, SEGMENT_NO_KEY = _events(
    "Segment", "segment",
    (FieldMap(("event",), "metric", required=True),
     FieldMap(("timestamp", "originalTimestamp", "receivedAt", "sentAt"), "date", "date",
              required=True)),
    ("event", "type", "timestamp", "userId", "anonymousId", "messageId", "originalTimestamp",
     "receivedAt", "sentAt", "context.library.name", "context.ip"),
    ("anonymousId", "messageId", "originalTimestamp", "receivedAt"))
