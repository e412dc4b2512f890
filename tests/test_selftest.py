"""The self-test (``acctdesk self-test`` / ``--self-test``) and the About dialog.

The full self-test runs once in-process on a real demo workspace and real files; the command
line runs as a subprocess on a fast subset; failures must name the step that failed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from openpyxl import load_workbook
from PySide6.QtGui import QImage

from acctdesk import __version__, selftest
from acctdesk.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, qapp):
    """One full self-test in a kept directory (about 10 s), shared by the checks below."""
    keep = tmp_path_factory.mktemp("selftest")
    seen = []
    report = selftest.run_selftest(keep, accounts=300, on_step=seen.append)
    return report, keep, seen


@pytest.mark.slow
def test_every_step_passes_with_real_results(full_run):
    report, keep, seen = full_run
    assert [s.name for s in report.steps] == list(selftest.STEPS)
    assert [s.name for s in seen] == list(selftest.STEPS)  # reported as they finish
    assert report.ok, report.summary_line()
    detail = {s.name: s.detail for s in report.steps}
    assert detail["demo"].startswith("300 accounts")
    assert "shown in the window (300 rows)" in detail["demo"]
    # the 8 companies the workspace already has are linked to their accounts by name
    assert ("10 rows (spreadsheet.accounts): 2 new, 0 updated, 8 linked to existing "
            "accounts, 0 rejected") in detail["csv"]
    assert "5 rows (stripe.subscriptions): 5 new, 1 accounts created" in detail["xlsx"]
    assert "out-of-time AUC" in detail["churn"]
    line = report.summary_line()
    assert line.startswith(f"acctdesk {__version__} self-test (python) passed in ")
    assert "\n" not in line


@pytest.mark.slow
def test_kept_files_are_real(full_run):
    report, keep, _ = full_run
    assert (keep / "selftest.acctdesk").stat().st_size > 100_000
    # the input files it imported
    csv_text = (keep / "account book.csv").read_text(encoding="utf-8")
    assert csv_text.splitlines()[0] == "Customer,CSM,ARR,Renewal,Seats,Notes,Region"
    wb = load_workbook(keep / "stripe subscriptions.xlsx", read_only=True)
    rows = list(wb["Subscriptions"].iter_rows(values_only=True))
    wb.close()
    assert list(rows[0]) == selftest.STRIPE_HEADER and len(rows) == 6
    # the chart is a 640x400 image with bars in it
    chart = QImage(str(keep / "chart.png"))
    assert (chart.width(), chart.height()) == (640, 400)
    # the export holds one row per scored account under its header
    scored = int(report.steps[4].detail.split(" of ")[0])
    wb = load_workbook(keep / "scores.xlsx", read_only=True)
    values = [r for r in wb.worksheets[0].iter_rows(values_only=True) if any(r)]
    wb.close()
    header = next(i for i, r in enumerate(values) if r[0] == "Account")
    assert len(values) - header - 1 == scored > 200
    # the window's settings went to the private directory, not the user's profile
    assert (keep / "config" / "acctdesk.ini").exists()


def test_a_failing_step_is_named_and_later_steps_say_why(tmp_path, qapp, monkeypatch):
    def broken(ctx):
        raise RuntimeError("database is locked")

    monkeypatch.setitem(selftest.STEP_FUNCTIONS, "demo", broken)
    report = selftest.run_selftest(tmp_path, steps=("demo", "csv", "score", "keyring"))
    assert not report.ok
    by_name = {s.name: s for s in report.steps}
    assert by_name["demo"].error == "RuntimeError: database is locked"
    assert "Traceback" in by_name["demo"].traceback
    assert by_name["csv"].error == "not run: needs the demo step, which did not pass"
    assert by_name["score"].error == "not run: needs the demo step, which did not pass"
    assert by_name["keyring"].ok
    line = report.summary_line()
    assert line.startswith(f"acctdesk {__version__} self-test (python) FAILED (3 of 4 steps): ")
    assert "demo: RuntimeError: database is locked" in line


def test_missing_churn_module_fails_the_churn_step(tmp_path, qapp, monkeypatch):
    monkeypatch.setitem(sys.modules, "acctdesk.analytics.churn", None)  # import -> ImportError
    report = selftest.run_selftest(tmp_path, steps=("demo", "score", "churn"), accounts=300)
    by_name = {s.name: s for s in report.steps}
    assert by_name["demo"].ok and by_name["score"].ok
    assert not by_name["churn"].ok
    assert by_name["churn"].error.startswith("acctdesk.analytics.churn is not available")


def test_keyring_step_reports_backend_and_priority(_private_environment):
    # conftest's in-memory keychain has priority 1
    detail = selftest.step_keyring({})
    assert detail.startswith("conftest.MemoryKeyring (priority 1: a real keychain;")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    detail = selftest.step_keyring({})
    assert detail.startswith("keyring.backends.fail.Keyring (priority 0: no OS keychain;")
    assert "6 backends registered" in detail  # keyring's own entry points


def test_private_environment_is_restored(tmp_path, qapp):
    before = {k: os.environ.get(k) for k in selftest._PRIVATE_ENV}
    selftest.run_selftest(tmp_path, steps=("keyring",))
    assert {k: os.environ.get(k) for k in selftest._PRIVATE_ENV} == before


def test_temporary_directory_is_removed(qapp):
    report = selftest.run_selftest(steps=("keyring",))
    assert report.ok and not Path(report.workdir).exists()


def _cli(*args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=240)


def test_command_prints_json_and_exits_0():
    r = _cli("self-test", "--only", "keyring,window", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["version"] == __version__ and out["frozen"] is False
    assert [s["name"] for s in out["steps"]] == ["window", "keyring"]  # standard order
    assert out["steps"][0]["detail"] == "acctdesk window 1200x760, icon 8 sizes"


def test_command_exits_1_naming_the_failed_step():
    r = _cli("self-test", "--only", "score,keyring")
    assert r.returncode == 1
    assert r.stdout.count("\n") == 1  # one line
    assert "FAILED (1 of 2 steps): score: not run: needs the demo step" in r.stdout


def test_command_rejects_unknown_steps():
    assert main(["self-test", "--only", "window,bogus"]) == 2


def test_launcher_maps_the_flag_to_the_command(tmp_path):
    """packaging/launcher.py (the frozen entry script) accepts ``--self-test``."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, str(ROOT / "packaging" / "launcher.py"), "--self-test",
                        "--only", "keyring"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"acctdesk {__version__} self-test (python) passed in ")


# ----------------------------------------------------------------------------- About dialog
def test_about_lists_components_with_licences(qtbot):
    from acctdesk.ui.about import AboutDialog, bundled_components

    comps = {c.name.lower().replace("_", "-"): c for c in bundled_components()}
    assert comps["python"].licence == "PSF-2.0"
    assert comps["qt"].licence == "LGPL-3.0-only"
    assert "LGPL-3.0-only" in comps["pyside6-essentials"].licence
    assert comps["pandas"].licence == "BSD-3-Clause"
    assert comps["openpyxl"].licence == "MIT"
    assert "scikit-learn" in comps and "pyqtgraph" in comps and "keyring" in comps
    assert "pip" not in comps and "acctdesk" not in comps
    assert "pytest" not in comps  # test extras are not shipped

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert __version__ in dialog.title_label.text()
    assert not dialog.icon_label.pixmap().isNull()
    assert dialog.table.rowCount() == len(comps)
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert names[:3] == ["Python", "Qt", "SQLite"]


def test_app_icon_has_every_size():
    from acctdesk.ui.about import ICON_SIZES, app_icon

    sizes = sorted(s.width() for s in app_icon().availableSizes())
    assert sizes == list(ICON_SIZES)


def test_summary_stays_on_one_line_with_a_long_multiline_error():
    numpy_like = ("\n\nIMPORTANT: PLEASE READ THIS FOR ADVICE ON HOW TO SOLVE THIS ISSUE!\n\n"
                  + "Importing the numpy C-extensions failed. " * 12
                  + "\nOriginal error was: libscipy_openblas64_.so: ELF load command "
                    "address/offset not page-aligned\n")
    report = selftest.SelfTestReport(steps=[
        selftest.StepResult("window", False, error=f"ImportError: {numpy_like}"),
        selftest.StepResult("keyring", True, "fine")])
    line = report.summary_line()
    assert "\n" not in line and len(line) < 420
    assert "window: ImportError: IMPORTANT: PLEASE READ" in line
    assert line.endswith("ELF load command address/offset not page-aligned")
