"""Fixtures and helpers shared by the view tests."""
import contextlib
import shutil

import pytest

from acctdesk.ui.tasks import TaskRunner

#: how long a view may take to load the demo
LOAD_MS = 60_000


def shown(qtbot, widget, size=(1240, 840)):
    """``widget`` registered with qtbot, resized and shown on screen."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def open_in(qtbot, view, ws):
    """Give ``view`` the workspace ``ws`` and wait until it has loaded."""
    with qtbot.waitSignal(view.loaded, timeout=LOAD_MS):
        view.set_workspace(ws)


@contextlib.contextmanager
def loaded_on(qtbot, view, path):
    """(view, workspace): ``view`` showing the workspace at ``path``; cleared and closed
    afterwards."""
    from acctdesk.models import Workspace

    ws = Workspace(path)
    open_in(qtbot, view, ws)
    try:
        yield view, ws
    finally:
        view.set_workspace(None)
        ws.close()


@contextlib.contextmanager
def with_own_runner(qtbot, view_class, size=(1270, 860)):
    """A view of ``view_class`` on a task runner of its own, closed and drained after."""
    runner = TaskRunner()
    view = shown(qtbot, view_class(runner), size)
    try:
        yield view
    finally:
        view.close()
        runner.cancel()
        runner.wait(30_000)


@pytest.fixture
def runner():
    """The app's task runner; every job is cancelled and waited for at the end of a test."""
    r = TaskRunner()
    yield r
    r.cancel()
    r.wait()


@pytest.fixture(scope="module")
def demo_path(demo_file, tmp_path_factory):
    """One writable copy of the demo per test module (a view may store its churn model)."""
    path = tmp_path_factory.mktemp("view_demo") / "demo.acctdesk"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture(scope="module")
def trained_demo(demo_path):
    """The module's demo copy with its churn model trained and stored once (copies reuse it)."""
    from acctdesk.engine import Engine
    from acctdesk.models import Workspace

    with Workspace(demo_path) as ws:
        Engine(ws).analysis().risk
    return demo_path


@pytest.fixture
def trained_ws(trained_demo, tmp_path):
    """A writable copy of the trained demo, opened; its shared analyses forgotten after."""
    from acctdesk.models import Workspace
    from acctdesk import engine

    path = tmp_path / "demo.acctdesk"
    shutil.copy(trained_demo, path)
    w = Workspace(path)
    yield w
    engine.forget(w)
    w.close()


@pytest.fixture
def history():
    """An edit history of its own (the window's Edit > Undo stack)."""
    from acctdesk.ui.undo import EditHistory

    return EditHistory()
