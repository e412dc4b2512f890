"""The domain and its storage: schema, migrations, the Workspace gateway, the demo portfolio.

No Qt here (a test imports this package in a subprocess and checks PySide6 stays unloaded).
"""
from . import crypto  # noqa: F401  (installs how an encrypted workspace finds its key)
from .schema import ENTITY_FIELDS, ENTITY_KEYS, MIGRATIONS, SCHEMA_VERSION
from .workspace import (
    NotAWorkspaceError, Workspace, WorkspaceDamagedError, WorkspaceError,
    WorkspaceTooNewError,
)

__all__ = [
    "ENTITY_FIELDS", "ENTITY_KEYS", "MIGRATIONS", "SCHEMA_VERSION", "Workspace",
    "WorkspaceError", "NotAWorkspaceError", "WorkspaceTooNewError", "WorkspaceDamagedError",
]
