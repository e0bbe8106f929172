"""The domain's modules build on each other in layers: no import cycle, and no import hidden in a
function body to get round one. The consequences of an item finishing reach cases and tickets
through server.domain.reactions instead."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "server" / "domain"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in DOMAIN.rglob("*.py")}


def _imported(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """The server.domain modules an import statement loads (a package's submodules by name)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    base = node.module or ""
    if node.level:
        package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return submodules or ([base] if base in MODULES else [])


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node, name):
                    # loading a.b.c runs the packages a.b first — except the importer's own packages
                    parts = target.split(".")
                    for end in range(len(parts), 2, -1):
                        module = ".".join(parts[:end])
                        if module != name and not name.startswith(module + "."):
                            graph[name].add(module)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_domain_modules_import_each_other_without_a_cycle():
    graph = _graph()
    assert graph["server.domain.work_items"], "the import graph found nothing: check the walker"
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_no_function_imports_a_domain_module():
    hidden = []
    for name, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and (
                        _imported(node, name) or (isinstance(node, ast.ImportFrom) and node.level)
                        or any(a.name.startswith("server.domain") for a in getattr(node, "names", []))
                        or (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("server.domain"))
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()")
    assert hidden == []


def test_the_walker_sees_a_cycle_and_a_hidden_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    tree = ast.parse("def f():\n    from server.domain import cases\n")
    node = tree.body[0].body[0]
    assert _imported(node, "server.domain.work_items") == ["server.domain.cases"]


def test_every_process_that_changes_status_has_the_reactions_of_cases_and_tickets():
    """The scheduler's worker process imports neither cases nor tickets by name, yet an item it
    closes must still move its case or split source on."""
    probe = (
        "import server.worker\n"
        "from server.domain import reactions\n"
        "print(sorted((t.value, f.__module__) for t, fs in reactions.registered().items() for f in fs))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    registered = ast.literal_eval(out.strip())
    assert ("ACTION", "server.domain.cases.flow") in registered
    assert ("CASE", "server.domain.cases.flow") in registered
    assert ("CASE", "server.domain.tickets") in registered
    assert ("TICKET", "server.domain.tickets") in registered


@pytest.mark.parametrize("process", ["server.worker", "server.mail.collecting", "server.app"])
def test_every_process_that_changes_items_tells_their_followers(process):
    """The scheduler's worker and the mail collectors import following by no name, yet the items
    they change must still notify their followers (the hook following registers in every unit of
    work)."""
    probe = (
        f"import {process}\n"
        "from server.domain import uow\n"
        "print(sorted((h.__module__, h.__name__) for h in uow.before_commit_hooks()))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert ast.literal_eval(out.strip()) == [("server.domain.search.following", "notify_followers")]


def test_the_domain_imports_neither_the_api_nor_the_transport():
    """Business rules know no GraphQL, HTTP or broker: events are the domain's own
    (server.domain.events) and the unit of work is handed its publisher."""
    outside = ("server.schema", "server.resolvers", "server.subscriptions", "server.http", "server.app", "strawberry")
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            )
            found += [f"{name} imports {t}" for t in targets if t.startswith(outside)]
    assert found == []
