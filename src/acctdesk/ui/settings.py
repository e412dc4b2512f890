"""Persistent user settings (window geometry, recent workspaces) in one INI file.

The file lives in the per-user config directory; ``ACCTDESK_CONFIG_DIR`` overrides it (tests
point it at a temporary directory so they never touch a real profile).
"""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir
from PySide6.QtCore import QSettings

from .. import APP_NAME

MAX_RECENT = 8


def config_dir() -> Path:
    override = os.environ.get("ACCTDESK_CONFIG_DIR")
    path = Path(override) if override else Path(user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings() -> QSettings:
    return QSettings(str(config_dir() / "acctdesk.ini"), QSettings.Format.IniFormat)


def recent_workspaces() -> list[str]:
    value = settings().value("workspaces/recent", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in (value or []) if v]


def remember_workspace(path: str) -> None:
    s = settings()
    recent = [path] + [p for p in recent_workspaces() if p != path]
    s.setValue("workspaces/recent", recent[:MAX_RECENT])
    s.setValue("workspaces/last", path)
    s.sync()


def last_workspace() -> str | None:
    value = settings().value("workspaces/last", None)
    return value or None
