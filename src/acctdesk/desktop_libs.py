"""The system libraries Qt's window system plugins need on Linux, checked before Qt starts.

PySide6 wheels bring Qt but not the X11/Wayland client libraries Qt's platform plugins link
against; a fresh Debian or Ubuntu machine often lacks some of them, and Qt then aborts with a
message that names the wrong one ("xcb-cursor0" when libxcb-icccm4 and libxcb-keysyms1 are
missing). This module asks the dynamic linker (``ldd``) which libraries the plugin and its
Qt libraries cannot find and names the Debian packages that provide them.

Run as ``python -m acctdesk.desktop_libs [--install]``: exit 0 when nothing is missing; with
``--install``, as root with apt-get, installs what is missing; otherwise prints the one-line
command to run and exits 1. No Qt is imported here.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: shared library (soname) -> Debian/Ubuntu package, for every library the PySide6 xcb and
#: wayland platform plugins and the Qt libraries under them link against (``ldd`` on
#: Debian 12, PySide6 6.11), whether or not a minimal system has it
PACKAGES = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libffi.so.8": "libffi8",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
}

#: the files whose dependencies decide whether a window can open, relative to PySide6's folder
XCB_FILES = ("Qt/plugins/platforms/libqxcb.so", "Qt/lib/libQt6XcbQpa.so.6",
             "Qt/lib/libQt6Widgets.so.6", "Qt/lib/libQt6DBus.so.6")
WAYLAND_FILES = ("Qt/plugins/platforms/libqwayland.so",)


def platform_name(environ=os.environ) -> str | None:
    """The Qt platform plugin the app will load: ``QT_QPA_PLATFORM`` when set, else wayland
    in a Wayland session, else xcb (X11, also Xvfb)."""
    chosen = (environ.get("QT_QPA_PLATFORM") or "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def pyside_folder() -> Path | None:
    """PySide6's package folder, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def qt_files(platform: str, folder: Path | None = None) -> list[Path]:
    folder = folder or pyside_folder()
    if folder is None:
        return []
    names = {"xcb": XCB_FILES, "wayland": XCB_FILES + WAYLAND_FILES}.get(platform, ())
    return [folder / n for n in names if (folder / n).is_file()]


def missing_libraries(files) -> list[str]:
    """Sonames the dynamic linker cannot find for ``files`` (``ldd``), in first-seen order;
    [] when ``ldd`` is not available (not glibc Linux: nothing to say)."""
    ldd = shutil.which("ldd")
    if not ldd:
        return []
    missing: list[str] = []
    for f in files:
        try:
            out = subprocess.run([ldd, str(f)], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            if "=> not found" in line:
                name = line.split("=>")[0].strip()
                if name not in missing:
                    missing.append(name)
    return missing


def packages_for(sonames) -> tuple[list[str], list[str]]:
    """(Debian packages that provide ``sonames``, sonames with no known package)."""
    packages: list[str] = []
    unknown: list[str] = []
    for so in sonames:
        pkg = PACKAGES.get(so)
        if pkg is None:
            unknown.append(so)
        elif pkg not in packages:
            packages.append(pkg)
    return packages, unknown


def install_command(packages, root: bool) -> str:
    prefix = "" if root else "sudo "
    return (f"{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends "
            + " ".join(packages))


def explain(sonames, *, root: bool, has_apt: bool) -> str:
    """What is missing and the one command that installs it, in words."""
    packages, unknown = packages_for(sonames)
    lines = ["acctdesk: the desktop app cannot open a window: Qt needs system libraries "
             f"that are not installed ({', '.join(sonames)})."]
    if packages and has_apt:
        lines.append("Install them with this one command, then start acctdesk again:")
        lines.append("  " + install_command(packages, root))
    elif packages:
        lines.append("Install the packages that provide them with your system's package "
                     f"manager (on Debian and Ubuntu: {' '.join(packages)}).")
    if unknown:
        lines.append("Also install the package that provides: " + ", ".join(unknown) + ".")
    lines.append("(The tests and the command line do not need them.)")
    return "\n".join(lines)


def check(install: bool = False, environ=os.environ, out=sys.stderr) -> int:
    """Check (and with ``install``, as root with apt-get, install) the libraries the app's
    platform plugin needs. 0 when a window can open, 1 otherwise."""
    if not sys.platform.startswith("linux"):
        return 0
    platform = platform_name(environ)
    if platform not in ("xcb", "wayland"):
        return 0        # offscreen, minimal, vnc...: nothing from the system needed
    missing = missing_libraries(qt_files(platform))
    if not missing:
        return 0
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    apt = shutil.which("apt-get")
    packages, unknown = packages_for(missing)
    if install and root and apt and packages and not unknown:
        print(f"acctdesk: installing the system libraries Qt needs to open a window: "
              f"{' '.join(packages)}", file=out, flush=True)
        env = dict(environ, DEBIAN_FRONTEND="noninteractive")
        steps = ([apt, "update", "-qq"],
                 [apt, "install", "-y", "-qq", "--no-install-recommends", *packages])
        for step in steps:
            done = subprocess.run(step, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                print(f"acctdesk: '{' '.join(step)}' failed: "
                      f"{done.stderr.strip().splitlines()[-1:] or done.returncode}",
                      file=out)
                break
        missing = missing_libraries(qt_files(platform))
        if not missing:
            return 0
    print(explain(missing, root=root, has_apt=bool(apt)), file=out)
    return 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return check(install="--install" in argv)


if __name__ == "__main__":
    sys.exit(main())
