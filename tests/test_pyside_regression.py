"""PySide6 6.12.0 aborts Python 3.11 after a few thousand void calls (none_dealloc).

The pin in pyproject.toml keeps us below it; this proves the installed Qt survives a long run
of void calls in a fresh interpreter and exits cleanly.
"""
import os
import subprocess
import sys


def test_twenty_thousand_void_calls_exit_cleanly():
    code = (
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "label = QLabel()\n"
        "for i in range(20000):\n"
        "    label.setText(str(i))\n"
        "print('done', label.text())\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    assert "done 19999" in out.stdout
    assert "none_dealloc" not in out.stderr


def test_installed_pyside_is_below_the_broken_release():
    import PySide6

    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), PySide6.__version__
