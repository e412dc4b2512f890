"""Qt's system libraries: found with the real dynamic linker, named as Debian packages."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from acctdesk import desktop_libs as D

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("ldd"),
                                reason="the check is for Linux with glibc (ldd)")


@linux_only
def test_every_window_system_library_of_the_xcb_plugin_has_a_package():
    """ldd on the real plugin: each X11/GL/font/D-Bus library it links is in the table, so
    whatever a machine lacks is named as a package."""
    files = D.qt_files("xcb")
    assert [f.name for f in files][:2] == ["libqxcb.so", "libQt6XcbQpa.so.6"]
    out = "".join(subprocess.run(["ldd", str(f)], capture_output=True, text=True).stdout
                  for f in files)
    linked = {line.split("=>")[0].strip() for line in out.splitlines() if "=>" in line}
    window_libs = {so for so in linked
                   if so.startswith(("libxcb", "libX", "libxkb", "libEGL", "libGL",
                                     "libfontconfig", "libfreetype", "libdbus", "libglib",
                                     "libgthread"))}
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0",
            "libxkbcommon-x11.so.0", "libEGL.so.1", "libfontconfig.so.1"} <= window_libs
    assert window_libs - set(D.PACKAGES) == set()
    # and what is missing on this machine right now is exactly what ldd says is not found
    missing = D.missing_libraries(files)
    assert missing == sorted(set(missing), key=missing.index)
    assert all(f"{so} => not found" in out for so in missing)


def test_the_message_names_the_packages_and_one_command():
    text = D.explain(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libglib-2.0.so.0",
                      "libgthread-2.0.so.0"], root=False, has_apt=True)
    assert ("sudo apt-get update && sudo apt-get install -y --no-install-recommends "
            "libxcb-icccm4 libxcb-keysyms1 libglib2.0-0\n") in text
    assert "libxcb-icccm.so.4" in text                  # what Qt could not find
    as_root = D.explain(["libxcb-keysyms.so.1"], root=True, has_apt=True)
    assert "sudo" not in as_root and "apt-get install -y --no-install-recommends " \
        "libxcb-keysyms1" in as_root
    elsewhere = D.explain(["libxcb-keysyms.so.1", "libfoo.so.9"], root=False, has_apt=False)
    assert "apt-get" not in elsewhere
    assert "libxcb-keysyms1" in elsewhere and "libfoo.so.9" in elsewhere


def test_the_platform_qt_will_load():
    assert D.platform_name({}) == "xcb"
    assert D.platform_name({"DISPLAY": ":0"}) == "xcb"
    assert D.platform_name({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}) \
        == "wayland"
    assert D.platform_name({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert D.platform_name({"QT_QPA_PLATFORM": "xcb:display=:1"}) == "xcb"


def test_offscreen_needs_nothing_from_the_system(monkeypatch):
    monkeypatch.setattr(D, "missing_libraries", lambda files: pytest.fail("ldd was run"))
    assert D.check(environ={"QT_QPA_PLATFORM": "offscreen"}) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the run script's Linux path")
def test_run_app_without_a_display_says_how_to_run_it(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([str(ROOT / "run"), "app"], capture_output=True, text=True, env=env,
                         timeout=600, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert "No display found" in out.stderr
    assert "xvfb-run -a ./run app" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the run script's Linux path")
def test_run_test_says_at_the_end_when_the_workbook_checks_were_skipped(tmp_path):
    """./run test on a machine without LibreOffice where it may not install it: the last
    lines say the checks did not run, and why."""
    bin_dir = tmp_path / "bin"          # the usual tools, but no soffice on the PATH
    bin_dir.mkdir()
    for tool in ("bash", "env", "sha256sum", "cut", "uname", "id", "dirname", "rm", "touch",
                 "apt-get"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(bin_dir), ACCTDESK_NO_INSTALL="1")
    env.pop("ACCTDESK_LIBREOFFICE_NOTE", None)
    out = subprocess.run([str(ROOT / "run"), "test", "-q", "-p", "no:cacheprovider",
                          "tests/export/test_xlsx.py", "-k", "libreoffice"],
                         capture_output=True, text=True, env=env, timeout=600,
                         stdin=subprocess.DEVNULL, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    last = out.stdout.strip().splitlines()[-2:]
    assert last[0].startswith("LibreOffice checks: 1 SKIPPED, not run: LibreOffice is not "
                              "installed and ACCTDESK_NO_INSTALL is set"), last
    assert "libreoffice-calc-nogui" in last[0]
    assert "1 skipped" in last[1]
