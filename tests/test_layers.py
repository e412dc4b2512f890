"""The layers hold: which package may import which, no import cycles, no private names
imported across modules, SQL only in storage (``models/``).

Storage (``models/``) stores and reads; the engine (``engine/``) is the one place where storage
meets the analytics; analytics (``analytics/``) are functions of frames; importers bring files
in; export writes what it is given; the faces (``ui/``, ``commands/``, ``cli.py``) show the
engine's results. ``domain/`` holds the rules everyone shares and imports no other package.

Known breaks are listed in :data:`EXCEPTIONS` with their owner. The list can only shrink: a
break not listed fails the test, and so does a listed one that no longer occurs (delete it).
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "acctdesk"

#: package -> the packages it must not import
FORBIDDEN = {
    "domain": {"models", "analytics", "importers", "export", "engine", "ui", "commands", "cli"},
    "models": {"analytics", "importers", "export", "engine", "ui", "commands", "cli"},
    "analytics": {"importers", "export", "engine", "ui", "commands", "cli"},
    "importers": {"analytics", "export", "engine", "ui", "commands", "cli"},
    "export": {"models", "analytics", "importers", "engine", "ui", "commands", "cli"},
    "engine": {"importers", "export", "ui", "commands", "cli"},
    "ui": {"commands", "cli"},
}
#: what analytics may take from storage: the names of the entities' fields, nothing that
#: reads a workspace
ANALYTICS_MAY_IMPORT = {"acctdesk.models.schema"}
#: SQL as it appears in string literals
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                 r"DELETE\s+FROM|CREATE\s+(TEMP\s+)?(TABLE|INDEX)|DROP\s+TABLE|PRAGMA\s)",
                 re.I | re.S)

#: known breaks: kind, what -> who removes it
EXCEPTIONS: dict[tuple[str, str], str] = {
}


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name[:-9] if name.endswith(".__init__") else name] = p
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _resolve(current: str, node: ast.ImportFrom, modules: dict[str, Path]) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    pkg = base if modules[current].name == "__init__.py" else base[:-1]
    pkg = pkg[: len(pkg) - (node.level - 1)]
    return ".".join(pkg + ([node.module] if node.module else []))


def _imports(modules: dict[str, Path]):
    """(module, imported module, imported name or None) for every import statement,
    function-local ones included."""
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    yield mod, a.name, None
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, node, modules)
                for a in node.names:
                    full = f"{target}.{a.name}"
                    yield mod, full if full in modules else target, a.name


def _owner_module(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            strong(v)
    return out


def _sql_modules(modules: dict[str, Path]) -> set[str]:
    found = set()
    for mod, path in modules.items():
        if _package(mod) == "models":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL.search(node.value) and not _is_docstring(node, path):
                found.add(mod)
    return found


def _is_docstring(node: ast.Constant, path: Path) -> bool:
    # a docstring explains SQL; a statement literal is code
    return "\n" in node.value and node.value.lstrip()[:1].isupper() and \
        not node.value.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE",
                                                     "CREATE", "DROP", "PRAGMA"))


def breaks() -> set[tuple[str, str]]:
    """Every break of the layers found in the source tree."""
    modules = _modules()
    found: set[tuple[str, str]] = set()
    edges: dict[str, set[str]] = defaultdict(set)
    for mod, target, name in _imports(modules):
        if not target.startswith("acctdesk"):
            continue
        owner = _owner_module(target, modules)
        if owner and owner != mod:
            edges[mod].add(owner)
        src, dst = _package(mod), _package(owner or target)
        if dst in FORBIDDEN.get(src, ()):
            found.add(("layer", f"{mod} -> {owner or target}"))
        if src == "analytics" and dst == "models" and owner not in ANALYTICS_MAY_IMPORT:
            found.add(("layer", f"{mod} -> {owner}"))
        if name and name.startswith("_") and not name.startswith("__") and owner != mod:
            found.add(("private", f"{mod} <- {owner}.{name}"))
    for comp in _cycles(edges):
        found.add(("cycle", " / ".join(comp)))
    for mod in _sql_modules(modules):
        found.add(("sql", mod))
    return found


def test_no_break_of_the_layers_beyond_the_known_ones():
    new = sorted(breaks() - set(EXCEPTIONS))
    assert not new, "layers broken:\n" + "\n".join(f"  {k}: {w}" for k, w in new)


def test_the_known_exceptions_only_shrink():
    gone = sorted(set(EXCEPTIONS) - breaks())
    assert not gone, ("fixed, so delete from EXCEPTIONS:\n"
                      + "\n".join(f"  {k}: {w}" for k, w in gone))


def test_the_checker_sees_each_kind_of_break(tmp_path, monkeypatch):
    """The checks find what they look for (a checker that finds nothing proves nothing)."""
    pkg = tmp_path / "acctdesk"
    for sub in ("models", "analytics", "ui"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "a.py").write_text("from ..analytics import b\n")
    (pkg / "analytics" / "b.py").write_text(
        "from ..models.a import _hidden\nQ = 'SELECT x FROM accounts'\n")
    monkeypatch.setattr(__import__(__name__), "SRC", pkg)
    got = breaks()
    assert ("layer", "acctdesk.models.a -> acctdesk.analytics.b") in got
    assert ("private", "acctdesk.analytics.b <- acctdesk.models.a._hidden") in got
    assert ("cycle", "acctdesk.analytics.b / acctdesk.models.a") in got
    assert ("sql", "acctdesk.analytics.b") in got
    assert ("layer", "acctdesk.analytics.b -> acctdesk.models.a") in got
