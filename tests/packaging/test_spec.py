"""The pyinstaller spec, the desktop entry and the icons (no build here: CI builds the bundle
with packaging/ci_build.sh and runs the built app's self-test).

The spec is executed with stand-ins for pyinstaller's build classes, so the test sees exactly
what the spec would hand to pyinstaller: names, version, excludes, data, hidden imports.
"""
from __future__ import annotations

import configparser
import struct
import sys
import types
from pathlib import Path

import pytest

import acctdesk
from acctdesk.paths import resource_path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "acctdesk.spec"


class _Recorder:
    def __init__(self, kind, calls):
        self.kind, self.calls = kind, calls

    def __call__(self, *args, **kwargs):
        obj = types.SimpleNamespace(kind=self.kind, args=args, kwargs=kwargs, pure=[],
                                    scripts=[], binaries=[], datas=[])
        self.calls.append(obj)
        return obj


def run_spec(monkeypatch, platform: str = "linux", env: dict | None = None):
    calls: list = []
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name: [f"{name}.cli", f"{name}.commands.selftest"]
    hooks.copy_metadata = lambda name, recursive=False: [(f"/site/{name}-x.dist-info",
                                                          f"{name}-x.dist-info")]
    for mod in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, mod, types.ModuleType(mod))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec prepends src/
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    ns = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC), "__name__": "__main__"}
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        ns[kind] = _Recorder(kind, calls)
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), ns)
    by_kind: dict[str, list] = {}
    for c in calls:
        by_kind.setdefault(c.kind, []).append(c)
    return ns, by_kind


def test_spec_takes_name_and_version_from_the_package(monkeypatch):
    ns, calls = run_spec(monkeypatch)
    assert ns["__version__"] == acctdesk.__version__
    assert calls["EXE"][0].kwargs["name"] == acctdesk.APP_NAME == "acctdesk"
    assert calls["COLLECT"][0].kwargs["name"] == "acctdesk"  # one folder: dist/acctdesk/
    assert calls["EXE"][0].kwargs["exclude_binaries"] is True
    # no version literal anywhere in the spec
    assert acctdesk.__version__ not in SPEC.read_text(encoding="utf-8")


def test_macos_bundle_carries_the_version(monkeypatch):
    _, calls = run_spec(monkeypatch, platform="darwin")
    bundle = calls["BUNDLE"][0].kwargs
    assert bundle["version"] == acctdesk.__version__
    assert bundle["info_plist"]["CFBundleShortVersionString"] == acctdesk.__version__
    assert bundle["icon"].endswith("acctdesk.icns") and Path(bundle["icon"]).exists()
    assert [e.kwargs["name"] for e in calls["EXE"]] == ["acctdesk", "acctdesk-cli"]
    assert [e.kwargs["console"] for e in calls["EXE"]] == [False, True]
    assert [e.kwargs["strip"] for e in calls["EXE"]] == [False, False]  # keeps signatures


def test_windows_gets_a_windowed_and_a_console_exe_with_the_ico(monkeypatch):
    _, calls = run_spec(monkeypatch, platform="win32")
    assert "BUNDLE" not in calls
    exes = calls["EXE"]
    assert [(e.kwargs["name"], e.kwargs["console"]) for e in exes] == [
        ("acctdesk", False), ("acctdesk-cli", True)]
    assert all(e.kwargs["icon"].endswith("acctdesk.ico") for e in exes)
    assert Path(exes[0].kwargs["icon"]).exists()


def test_resources_metadata_and_hidden_imports(monkeypatch):
    _, calls = run_spec(monkeypatch)
    analysis = calls["Analysis"][0]
    assert analysis.args[0] == [str(ROOT / "packaging" / "launcher.py")]
    datas = analysis.kwargs["datas"]
    assert (str(ROOT / "resources"), "resources") in datas
    assert ("/site/acctdesk-x.dist-info", "acctdesk-x.dist-info") in datas  # About's licences
    # hidden imports only for what is imported by string: acctdesk's own modules
    assert all(h.startswith("acctdesk.") for h in analysis.kwargs["hiddenimports"])
    assert analysis.kwargs["pathex"] == [str(ROOT / "src")]


def test_other_qt_bindings_and_tk_are_excluded(monkeypatch):
    _, calls = run_spec(monkeypatch)
    excludes = calls["Analysis"][0].kwargs["excludes"]
    for name in ("PyQt5", "PyQt6", "PySide2", "tkinter", "_tkinter", "matplotlib", "pytest",
                 "hypothesis", "pyarrow.flight"):
        assert name in excludes
    # nothing acctdesk needs
    for needed in ("PySide6", "pyqtgraph", "pandas", "sklearn", "scipy", "openpyxl",
                   "keyring", "fastexcel", "pyarrow", "sqlcipher3", "xlsxwriter"):
        assert needed not in excludes
    # the unexcluded build (to measure) still keeps other Qt bindings out
    _, calls = run_spec(monkeypatch, env={"ACCTDESK_NO_EXCLUDES": "1"})
    assert calls["Analysis"][0].kwargs["excludes"] == ["PyQt5", "PyQt6", "PySide2"]


def test_drop_rules(monkeypatch):
    ns, _ = run_spec(monkeypatch)
    keep = ns["_keep"]
    assert not keep(("PySide6/Qt/translations/qtbase_de.qm", "x", "DATA"))
    assert not keep(("pyarrow/libarrow_flight.so.2600", "x", "BINARY"))
    assert not keep(("pyarrow/include/arrow/api.h", "x", "DATA"))
    assert keep(("pyarrow/libarrow.so.2600", "x", "BINARY"))
    assert keep(("PySide6/Qt/plugins/platforms/libqxcb.so", "x", "BINARY"))
    assert keep(("PySide6/Qt/plugins/platforms/libqoffscreen.so", "x", "BINARY"))
    assert keep(("resources/icons/acctdesk-256.png", "x", "DATA"))


def test_resources_are_found_in_the_source_tree_and_in_a_bundle(monkeypatch, tmp_path):
    assert resource_path("icons", "acctdesk.svg") == ROOT / "resources" / "icons" / "acctdesk.svg"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("icons", "acctdesk-16.png") == tmp_path / "resources" / "icons" / \
        "acctdesk-16.png"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_png_icons(size):
    assert _png_size(ROOT / "resources" / "icons" / f"acctdesk-{size}.png") == (size, size)


def test_ico_and_icns():
    ico = (ROOT / "resources" / "icons" / "acctdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 7)
    widths = [ico[6 + 16 * i] or 256 for i in range(count)]
    assert widths == [16, 24, 32, 48, 64, 128, 256]
    for i in range(count):  # every entry points at a PNG inside the file
        size, offset = struct.unpack("<II", ico[6 + 16 * i + 8: 6 + 16 * i + 16])
        assert ico[offset:offset + 4] == b"\x89PNG" and offset + size <= len(ico)
    icns = (ROOT / "resources" / "icons" / "acctdesk.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    kinds, pos = [], 8
    while pos < len(icns):
        kinds.append(icns[pos:pos + 4])
        pos += struct.unpack(">I", icns[pos + 4:pos + 8])[0]
    assert kinds == [b"icp4", b"icp5", b"icp6", b"ic07", b"ic08", b"ic09", b"ic10"]


def test_desktop_entry():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "packaging" / "acctdesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == acctdesk.APP_NAME
    assert entry["Exec"].split()[0] == "acctdesk"
    assert entry["Icon"] == "acctdesk"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")
