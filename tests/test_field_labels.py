"""Field names in words: every field a user can map or see in an import preview has a label."""
from __future__ import annotations

import re

from acctdesk.field_labels import field_label
from acctdesk.importers.profiles import REGISTRY
from acctdesk.models.schema import ENTITY_FIELDS


def test_every_stored_field_and_import_target_has_a_label_in_words():
    names = {(e, f) for e, fields in ENTITY_FIELDS.items() for f in fields}
    names |= {(p.entity, f.target) for p in REGISTRY for f in p.fields}
    for entity, name in sorted(names):
        label = field_label(name, entity)
        # words for people: no underscores, no dotted paths, no colons, starts upper-case
        assert not re.search(r"[_:]|\w\.\w", label), (entity, name, label)
        assert label[:1].isupper(), (entity, name, label)


def test_examples_from_the_import_dialog():
    assert field_label("account.external_id") == "Account (external id)"
    assert field_label("sub_id", "subscriptions") == "Subscription id"
    assert field_label("name", "accounts") == "Account name"
    assert field_label("name", "contacts") == "Contact name"
    assert field_label("value:active_users", "usage") == "Value of active users"
    assert field_label("Annual Revenue (kept)") == "Annual Revenue (kept)"
    assert field_label("xid:zendesk_user:user") == "Id in Zendesk user (links records)"
