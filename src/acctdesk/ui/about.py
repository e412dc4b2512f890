"""The About dialog: name, icon, version, and the licences of the components acctdesk ships.

The component list is read from the installed distributions (``importlib.metadata``): acctdesk's
requirements, followed recursively, plus Python, Qt and SQLite. In the packaged app the spec
copies that metadata into the bundle (``copy_metadata("acctdesk", recursive=True)``), so the
list is the same there.
"""
from __future__ import annotations

import re
import sqlite3
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
    QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from .. import APP_NAME, __version__
from ..paths import resource_path

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Installed with the project's tools but not part of the app.
NOT_SHIPPED = {"pip", "setuptools", "wheel"}
HOMEPAGE_KEYS = ("Homepage", "homepage", "Home", "Source", "Repository")


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str
    url: str = ""


def app_icon() -> QIcon:
    """The application icon in every size that exists under ``resources/icons``."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("icons", f"acctdesk-{size}.png")
        if path.exists():
            icon.addFile(str(path))
    return icon


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(requirement: str) -> bool:
    """True when a requirement line applies here (no extra; environment markers hold)."""
    if ";" not in requirement:
        return True
    marker = requirement.split(";", 1)[1]
    if "extra" in marker:
        return False
    try:
        from packaging.markers import Marker
    except ImportError:  # no packaging (e.g. in a bundle): keep it, the lookup decides
        return True
    try:
        return Marker(marker.strip()).evaluate()
    except Exception:
        return True


def licence_of(dist: metadata.Distribution) -> str:
    """The licence as declared: License-Expression, a short License field, or classifiers."""
    meta = dist.metadata
    expr = (meta.get("License-Expression") or "").strip()
    if expr:
        return expr
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    if classifiers:
        return ", ".join(dict.fromkeys(classifiers))
    return "see the package's licence file" if text else "not declared"


def _url(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    if meta.get("Home-page"):
        return meta["Home-page"]
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip() in HOMEPAGE_KEYS:
            return url.strip()
    return ""


@lru_cache(maxsize=1)
def bundled_components(root: str = APP_NAME) -> tuple[Component, ...]:
    """Python, Qt, SQLite, then every distribution ``root`` requires (recursively), by name.

    Distributions whose metadata is not installed (a platform-only requirement, or one the
    bundle left out) are skipped.
    """
    from PySide6 import QtCore

    seen: dict[str, metadata.Distribution] = {}
    stack = [root]
    while stack:
        name = stack.pop()
        if _key(name) in seen or _key(name) in NOT_SHIPPED:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[_key(name)] = dist
        for req in dist.requires or []:
            if _applies(req):
                match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
                if match:
                    stack.append(match.group(0))
    seen.pop(_key(root), None)
    py = sys.version_info
    base = [
        Component("Python", f"{py.major}.{py.minor}.{py.micro}", "PSF-2.0",
                  "https://www.python.org"),
        Component("Qt", QtCore.qVersion(), "LGPL-3.0-only", "https://www.qt.io"),
        Component("SQLite", sqlite3.sqlite_version, "Public domain", "https://sqlite.org"),
    ]
    dists = sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())
    return tuple(base + [Component(d.metadata["Name"], d.version, licence_of(d), _url(d))
                         for d in dists])


class AboutDialog(QDialog):
    """Name, icon and version, and a table of the components and their licences."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        icon = app_icon()
        self.setWindowIcon(icon)
        self.resize(640, 520)

        self.icon_label = QLabel()
        self.icon_label.setPixmap(icon.pixmap(64, 64))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title_label = QLabel(
            f"<h2 style='margin:0'>{APP_NAME} {__version__}</h2>"
            "<p>An offline workbench for people who manage a book of B2B SaaS accounts. "
            "Your data stays on this machine.</p>")
        self.title_label.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.icon_label)
        head.addWidget(self.title_label, 1)

        components = bundled_components()
        self.table = QTableWidget(len(components), 3)
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, c in enumerate(components):
            for col, text in enumerate((c.name, c.version, c.licence)):
                item = QTableWidgetItem(text)
                if c.url:
                    item.setToolTip(c.url)
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        note = QLabel(
            "Qt and PySide6 are used under the GNU LGPL v3: their libraries are separate "
            "files in the application folder and can be replaced. Each component's full "
            "licence text is in its metadata folder (<i>*.dist-info</i>) in the application "
            "folder or the Python environment.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(QLabel(f"<b>Bundled components ({len(components)})</b>"))
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
