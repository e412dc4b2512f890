"""Company domains as identity: the rules live in :mod:`acctdesk.domain.company_domains`
(storage's erasure uses them too); the importers take them from here as before."""
from __future__ import annotations

from ..domain.company_domains import (  # noqa: F401
    FREE_MAIL, PLATFORMS, __all__, host_of, identity_domain, is_free_mail, is_placeholder_name,
    is_platform, looks_like_domain, registrable_domain,
)
