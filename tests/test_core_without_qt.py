"""The domain packages never load Qt: they run headless, in CLI tools and in workers."""
import subprocess
import sys

CORE = ["acctdesk.models", "acctdesk.importers", "acctdesk.analytics", "acctdesk.cli"]


def test_core_packages_import_without_pyside6():
    code = (
        "import importlib, pkgutil, sys\n"
        f"roots = {CORE!r}\n"
        "import acctdesk\n"
        "for root in roots:\n"
        "    mod = importlib.import_module(root)\n"
        "    for info in pkgutil.walk_packages(getattr(mod, '__path__', []), root + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "try:\n"
        "    import acctdesk.export as ex\n"
        "    for info in pkgutil.walk_packages(ex.__path__, 'acctdesk.export.'):\n"
        "        importlib.import_module(info.name)\n"
        "except ModuleNotFoundError:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6') or m.startswith('acctdesk.ui'))\n"
        "print('LOADED', len(sys.modules))\n"
        "print('QT', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "QT []" in out.stdout, out.stdout
