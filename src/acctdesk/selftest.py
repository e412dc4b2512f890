"""``acctdesk --self-test``: prove that this installation (above all a packaged build) works.

Runs every layer once, offscreen, in a temporary directory, and never touches the user's
settings, data or keychain entries:

1. ``window``   the main window opens, paints and loads the demo workspace on its worker
                thread (with the application icon from ``resources/``)
2. ``demo``     a demo workspace is generated
3. ``csv``      a hand-kept account spreadsheet (CSV) is imported
4. ``xlsx``     a Stripe subscriptions export (XLSX, written with openpyxl) is imported
5. ``score``    health scores with the default scorecard
6. ``churn``    the churn model is trained on the demo history
7. ``chart``    a pyqtgraph chart is drawn and grabbed to an image
8. ``export``   the scores are exported to xlsx and read back
9. ``keyring``  the keyring backend is resolved (name; a real keychain when priority >= 1;
                the ``keyring.backends`` entry points must be present, which a bundle
                without keyring's metadata lacks)

A failing step does not stop the others (steps that need its result are reported as failed
too), so one run names everything that is broken. Exit code 0 when every step passed.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import APP_NAME, __version__

STEPS = ("window", "demo", "csv", "xlsx", "score", "churn", "chart", "export", "keyring")
DEMO_ACCOUNTS = 400
WINDOW_TIMEOUT_MS = 60_000


class StepFailed(Exception):
    """A step ran but its result is wrong (the message says what)."""


class _Skipped(Exception):
    """A step could not run because an earlier one failed."""


@dataclass
class StepResult:
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None

    @property
    def short_error(self) -> str:
        """The error on one line, at most about 300 characters (head and tail kept)."""
        text = " ".join((self.error or "").split())
        return text if len(text) <= 300 else f"{text[:120]} … {text[-170:]}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail,
                "seconds": round(self.seconds, 3), "error": self.error}


@dataclass
class SelfTestReport:
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    frozen: bool = False
    workdir: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]

    def summary_line(self) -> str:
        kind = "bundle" if self.frozen else "python"
        head = f"{APP_NAME} {__version__} self-test ({kind})"
        if self.ok:
            parts = "; ".join(f"{s.name}: {s.detail}" for s in self.steps)
            return f"{head} passed in {self.seconds:.1f} s: {parts}"
        parts = "; ".join(f"{s.name}: {s.short_error}" for s in self.failed)
        return f"{head} FAILED ({len(self.failed)} of {len(self.steps)} steps): {parts}"

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "version": __version__, "frozen": self.frozen,
                "seconds": round(self.seconds, 3), "steps": [s.as_dict() for s in self.steps]}


# ------------------------------------------------------------------------------ input files
def write_account_book_csv(path: Path, accounts) -> int:
    """A hand-kept account spreadsheet: some demo accounts (by name) and two new ones."""
    known = accounts.sort_values("account_id").head(8)
    rows = [{"Customer": r["name"], "CSM": "Self Test", "ARR": f"${(i + 1) * 12_000:,}",
             "Renewal": f"{(i % 12) + 1}/15/2027", "Seats": str(10 * (i + 1)),
             "Notes": "checked by self-test", "Region": r.get("region") or "EMEA"}
            for i, (_, r) in enumerate(known.iterrows())]
    rows += [
        {"Customer": "Selftest Alpha Ltd", "CSM": "Self Test", "ARR": "$48,000",
         "Renewal": "3/31/2027", "Seats": "40", "Notes": "new", "Region": "EMEA"},
        {"Customer": "Selftest Beta GmbH", "CSM": "Self Test", "ARR": "$9,600",
         "Renewal": "11/30/2027", "Seats": "8", "Notes": "", "Region": "DACH"},
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


STRIPE_HEADER = ["id", "Customer ID", "Customer Name", "Customer Email", "Plan", "Product",
                 "Quantity", "Currency", "Interval", "Amount", "Status", "Created (UTC)",
                 "Start Date (UTC)", "Current Period Start (UTC)", "Current Period End (UTC)",
                 "Canceled At (UTC)", "Ended At (UTC)"]


def write_stripe_xlsx(path: Path, accounts, data_date: str) -> int:
    """A Stripe subscriptions export saved as xlsx: three customers, five subscriptions."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Subscriptions"
    sheet.append(STRIPE_HEADER)
    year = int(data_date[:4])
    named = accounts.sort_values("account_id").iloc[20:22]
    customers = [(r["name"], f"billing@{r['domain']}" if r.get("domain") else "")
                 for _, r in named.iterrows()]
    customers.append(("Selftest Gamma Inc", "ap@selftest-gamma.example"))
    n = 0
    for c, (name, email) in enumerate(customers):
        for product, qty, interval, amount in (("Platform", 25 + c, "year", 240.0),
                                               ("Analytics Add-on", 1, "month", 99.0)):
            if c == 2 and product != "Platform":
                continue
            n += 1
            sheet.append([f"sub_selftest{n:04d}", f"cus_selftest{c:04d}", name, email,
                          f"price_{product.split()[0].lower()}_{interval}", product, qty,
                          "usd", interval, amount, "active", f"{year - 1}-02-01 09:00:00",
                          f"{year - 1}-02-01 09:00:00", f"{year}-02-01 09:00:00",
                          f"{year + 1}-02-01 09:00:00", None, None])
    wb.save(path)
    return n


# ------------------------------------------------------------------------------ the steps
#: What each step leaves in the context for later steps.
_PROVIDED_BY = {"ws": "demo", "data": "score", "scores": "score"}


def _need(ctx: dict, *keys: str) -> None:
    missing = sorted({_PROVIDED_BY[k] for k in keys if k not in ctx})
    if missing:
        raise _Skipped(f"not run: needs the {' and '.join(missing)} step, which did not pass")


def _wait(signals, timeout_ms: int) -> tuple[str, Any]:
    """Run a local event loop until one of ``signals`` (name -> signal) fires or time runs out."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got: list[tuple[str, Any]] = []
    for name, signal in signals.items():
        signal.connect(lambda *a, name=name: (got.append((name, a)), loop.quit()))
    QTimer.singleShot(timeout_ms, loop.quit)
    if not got:
        loop.exec()
    return got[0] if got else ("timeout", None)


def step_window(ctx: dict) -> str:
    from .ui.about import app_icon
    from .ui.app import make_app
    from .ui.main_window import MainWindow

    app = make_app()
    icon = app_icon()
    if icon.isNull():
        raise StepFailed("application icon not found under resources/icons")
    app.setWindowIcon(icon)
    window = MainWindow()
    ctx["window"] = window
    window.resize(1200, 760)
    window.show()
    image = window.grab().toImage()
    if image.isNull() or image.width() < 600:
        raise StepFailed(f"the window did not paint ({image.width()}x{image.height()})")
    return f"{APP_NAME} window {image.width()}x{image.height()}, icon {len(icon.availableSizes())} sizes"


def step_demo(ctx: dict) -> str:
    from .models import Workspace
    from .models.demo import create_demo_workspace

    path = ctx["dir"] / "selftest.acctdesk"
    # closed and reopened: a new file's header reaches the main file at the checkpoint on
    # close, and the window opens the file with a connection of its own
    create_demo_workspace(path, n_accounts=ctx.get("accounts", DEMO_ACCOUNTS)).close()
    ws = Workspace(path)
    ctx["ws"] = ws
    summary = ws.summary()
    if summary["accounts"] < 1 or not summary["data_date"]:
        raise StepFailed(f"the demo workspace is empty: {summary}")
    ctx["data_date"] = summary["data_date"]
    detail = f"{summary['accounts']} accounts, data date {summary['data_date']}"
    window = ctx.get("window")
    if window is not None:  # the window opens the demo on its worker thread
        window.open_workspace(path)
        what, args = _wait({"loaded": window.workspace_loaded, "failed": window.load_failed},
                           WINDOW_TIMEOUT_MS)
        if what != "loaded":
            raise StepFailed(f"the main window did not open the demo ({what}: {args})")
        rows = window.accounts_view.model.total_rows()     # churned ones included
        if rows != summary["accounts"]:
            raise StepFailed(f"the window shows {rows} accounts, the file has "
                             f"{summary['accounts']}")
        detail += f", shown in the window ({rows} rows)"
    return detail


def _check_import(result, expect_entity: str, expect_profile: str | None = None) -> None:
    if result.error:
        raise StepFailed(result.error)
    if result.entity != expect_entity:
        raise StepFailed(f"read as {result.entity!r} ({result.profile}), expected "
                         f"{expect_entity!r}")
    if expect_profile and result.profile != expect_profile:
        raise StepFailed(f"recognised as {result.profile!r}, expected {expect_profile!r}")
    if result.inserted + result.updated < 1:
        raise StepFailed(f"nothing imported (read {result.rows_read}, rejected "
                         f"{result.rejected}: {result.row_errors[:3]})")


def step_csv(ctx: dict) -> str:
    _need(ctx, "ws")
    from .importers.pipeline import import_file

    path = ctx["dir"] / "account book.csv"
    n = write_account_book_csv(path, ctx["ws"].accounts())
    result = import_file(ctx["ws"], path)
    _check_import(result, "accounts")
    if result.rows_read != n:
        raise StepFailed(f"read {result.rows_read} rows of {n}")
    return (f"{result.rows_read} rows ({result.profile}): {result.inserted} new, "
            f"{result.updated} updated, {result.merged} linked to existing accounts, "
            f"{result.rejected} rejected")


def step_xlsx(ctx: dict) -> str:
    _need(ctx, "ws")
    from .importers.pipeline import import_file

    path = ctx["dir"] / "stripe subscriptions.xlsx"
    n = write_stripe_xlsx(path, ctx["ws"].accounts(), ctx["data_date"])
    result = import_file(ctx["ws"], path)
    _check_import(result, "subscriptions", "stripe.subscriptions")
    if result.rows_read != n:
        raise StepFailed(f"read {result.rows_read} rows of {n}")
    return (f"{result.rows_read} rows ({result.profile}): {result.inserted} new, "
            f"{result.accounts_created} accounts created")


def step_score(ctx: dict) -> str:
    _need(ctx, "ws")
    import numpy as np

    from .analytics.scorecards import score_accounts
    from .analytics.scorecards import default_scorecard
    from .engine import read_data

    ws = ctx["ws"]
    data = read_data(ws)
    card = default_scorecard(data)
    scores = score_accounts(card, data, ctx["data_date"])
    scored = int(np.isfinite(scores["score"].to_numpy(dtype=float)).sum())
    if scored < 1:
        raise StepFailed(f"no account got a score ({len(scores)} active)")
    ctx["data"], ctx["scores"], ctx["card"] = data, scores, card
    bands = scores["band"].value_counts().to_dict()
    return (f"{scored} of {len(scores)} active accounts scored with '{card.id}' "
            f"({', '.join(f'{k} {v}' for k, v in bands.items())})")


def step_churn(ctx: dict) -> str:
    _need(ctx, "data")
    try:
        from .analytics.churn import train_churn_model
    except ImportError as exc:
        raise StepFailed(f"acctdesk.analytics.churn is not available ({exc})") from exc
    model = train_churn_model(ctx["data"], ctx["data_date"])
    auc = model.info.get("auc")
    if auc is None or not (0.5 < float(auc) <= 1.0):
        raise StepFailed(f"the model does not rank churners (out-of-time AUC {auc})")
    return (f"{model.info.get('kind')} on {model.info.get('n_train')} examples, "
            f"{model.info.get('events')} churn events, out-of-time AUC {float(auc):.2f}")


def step_chart(ctx: dict) -> str:
    _need(ctx, "scores")
    import numpy as np
    import pyqtgraph as pg

    scores = ctx["scores"]["score"].to_numpy(dtype=float)
    scores = scores[np.isfinite(scores)]
    counts, edges = np.histogram(scores, bins=10, range=(0, 100))
    plot = pg.PlotWidget(background="w")
    plot.resize(640, 400)
    plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts,
                                 brush=(29, 111, 184)))
    plot.setLabel("bottom", "health score")
    plot.setLabel("left", "accounts")
    plot.show()
    try:
        image = plot.grab().toImage()
        path = ctx["dir"] / "chart.png"
        image.save(str(path))
        # the bars must be there: count pixels of the bar colour
        small = image.scaled(160, 100)
        blue = sum(1 for y in range(small.height()) for x in range(small.width())
                   if _near(small.pixel(x, y), (29, 111, 184)))
    finally:
        plot.close()
        plot.deleteLater()
    if image.isNull() or blue < 20:
        raise StepFailed(f"the chart has no bars ({image.width()}x{image.height()}, "
                         f"{blue} bar pixels)")
    return f"histogram {image.width()}x{image.height()} px, {int(counts.sum())} accounts"


def _near(argb: int, rgb: tuple[int, int, int], tol: int = 40) -> bool:
    r, g, b = (argb >> 16) & 255, (argb >> 8) & 255, argb & 255
    return abs(r - rgb[0]) + abs(g - rgb[1]) + abs(b - rgb[2]) <= tol


def step_export(ctx: dict) -> str:
    _need(ctx, "scores")
    from openpyxl import load_workbook

    from .export.tables import ColumnSpec, SheetSpec, write_xlsx

    ws, scores = ctx["ws"], ctx["scores"]
    names = ws.accounts().set_index("account_id")["name"]
    frame = scores[["account_id", "score", "band"]].copy()
    frame["name"] = frame["account_id"].map(names)
    columns = [ColumnSpec("name", "Account"), ColumnSpec("score", "Health", "number"),
               ColumnSpec("band", "Band", "band")]
    path = ctx["dir"] / "scores.xlsx"
    report = write_xlsx(path, [SheetSpec("Health", frame, columns, title="Self-test")])
    wb = load_workbook(path, read_only=True)
    try:
        sheet = wb[report.sheets[0]]
        values = [row for row in sheet.iter_rows(values_only=True) if any(v is not None
                                                                          for v in row)]
    finally:
        wb.close()
    header_at = next((i for i, row in enumerate(values) if row[:1] == ("Account",)), None)
    if header_at is None:
        raise StepFailed("the exported workbook has no header row")
    data_rows = len(values) - header_at - 1
    if data_rows != len(frame) or report.rows != len(frame):
        raise StepFailed(f"exported {data_rows} rows, expected {len(frame)}")
    return f"{data_rows} rows, {path.stat().st_size:,} bytes, read back"


def step_keyring(ctx: dict) -> str:
    from importlib.metadata import entry_points

    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    try:
        priority = float(backend.priority)
    except Exception:
        priority = 0.0
    plugins = entry_points(group="keyring.backends")
    if not plugins:
        raise StepFailed(f"no keyring backends are registered (keyring's metadata is "
                         f"missing from the bundle); resolved {name}")
    real = "a real keychain" if priority >= 1 else "no OS keychain"
    return f"{name} (priority {priority:g}: {real}; {len(plugins)} backends registered)"


STEP_FUNCTIONS: dict[str, Callable[[dict], str]] = {
    "window": step_window, "demo": step_demo, "csv": step_csv, "xlsx": step_xlsx,
    "score": step_score, "churn": step_churn, "chart": step_chart, "export": step_export,
    "keyring": step_keyring,
}

_PRIVATE_ENV = ("QT_QPA_PLATFORM", "ACCTDESK_CONFIG_DIR", "ACCTDESK_DATA_DIR",
                "ACCTDESK_NO_DIALOGS")


def run_selftest(workdir: str | os.PathLike | None = None, *, steps=STEPS,
                 accounts: int = DEMO_ACCOUNTS,
                 on_step: Callable[[StepResult], None] | None = None) -> SelfTestReport:
    """Run the steps in order and return what happened; never raises for a failing step.

    Parameters
    ----------
    workdir
        Where to write the demo workspace and files (kept); a temporary directory, removed
        afterwards, when None.
    steps
        The step names to run (default all of :data:`STEPS`).
    """
    import sys

    from PySide6.QtWidgets import QApplication

    unknown = [s for s in steps if s not in STEP_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown self-test step(s): {', '.join(unknown)}")
    t0 = time.perf_counter()
    keep = workdir is not None
    base = Path(workdir) if keep else Path(tempfile.mkdtemp(prefix="acctdesk-selftest-"))
    base.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in _PRIVATE_ENV}
    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["ACCTDESK_CONFIG_DIR"] = str(base / "config")
    os.environ["ACCTDESK_DATA_DIR"] = str(base / "data")
    os.environ["ACCTDESK_NO_DIALOGS"] = "1"
    report = SelfTestReport(frozen=bool(getattr(sys, "frozen", False)), workdir=str(base))
    ctx: dict[str, Any] = {"dir": base, "accounts": accounts}
    try:
        for name in steps:
            s0 = time.perf_counter()
            try:
                detail = STEP_FUNCTIONS[name](ctx)
                result = StepResult(name, True, detail)
            except _Skipped as exc:
                result = StepResult(name, False, error=str(exc))
            except Exception as exc:
                message = str(exc) or type(exc).__name__
                if not isinstance(exc, StepFailed):
                    message = f"{type(exc).__name__}: {message}"
                result = StepResult(name, False, error=message,
                                    traceback=traceback.format_exc())
            result.seconds = time.perf_counter() - s0
            report.steps.append(result)
            if on_step is not None:
                on_step(result)
    finally:
        _cleanup(ctx)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    report.seconds = time.perf_counter() - t0
    return report


def _cleanup(ctx: dict) -> None:
    window = ctx.pop("window", None)
    if window is not None:
        window.close()  # saves state into the private config dir, closes its workspace
        window.deleteLater()
    ws = ctx.pop("ws", None)
    if ws is not None:
        ws.close()
