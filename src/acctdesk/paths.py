"""Where things live: bundled resources (source tree or frozen app) and per-user directories."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

from . import APP_NAME


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, in the source tree or inside a pyinstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root, "resources", *parts)
    return Path(__file__).resolve().parents[2].joinpath("resources", *parts)


def data_dir() -> Path:
    """Per-user application data (demo workspace, logs). ``ACCTDESK_DATA_DIR`` overrides."""
    override = os.environ.get("ACCTDESK_DATA_DIR")
    path = Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
