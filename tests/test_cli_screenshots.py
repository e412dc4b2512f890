"""`acctdesk screenshots`: real subprocess, real demo workspace, real PNG files."""
from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage


def test_screenshots_of_every_view(tmp_path):
    ws = tmp_path / "small.acctdesk"
    from acctdesk.models.demo import create_demo_workspace

    create_demo_workspace(ws, n_accounts=80, seed=3, data_date="2026-10-31").close()
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    run = subprocess.run([sys.executable, "-m", "acctdesk", "screenshots", str(ws), "-o",
                          str(out)], capture_output=True, text=True, timeout=240, env=env)
    assert run.returncode == 0, run.stderr
    names = {p.stem for p in out.glob("*.png")}
    assert {"accounts", "imports", "scorecard-editor", "import-dialog"} <= names
    assert "simulator" in names
    for png in out.glob("*.png"):
        img = QImage(str(png))
        assert (img.width(), img.height()) == (1440, 900), png.name
        small = img.scaled(48, 30)
        colours = {small.pixel(x, y) for x in range(48) for y in range(30)}
        assert len(colours) > 8, f"{png.name} looks blank"
