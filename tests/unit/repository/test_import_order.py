"""Every module of the domain packages can be the first one a program imports (a script, a
Celery worker, a benchmark): no import cycle that only works in the usual order.

Only modules on a cycle can fail that way. The import graph (grimp, which import-linter
uses) gets an edge from each module to its parent package (importing `a.b.c` runs `a.b` first);
each module on a cycle is then imported with every module of the project forgotten (the
libraries stay loaded, so this is fast)."""

from __future__ import annotations

import subprocess
import sys

import grimp

from tests.helpers.paths import REPO_ROOT

PACKAGES = ("workflow_engine", "connectors")

SCRIPT = """
import importlib, sys, traceback
ROOTS = ("workflow_engine", "connectors")
failed = []
for line in sys.stdin.read().splitlines():
    name = line.strip()
    for module in [m for m in sys.modules if m.split(".")[0] in ROOTS]:
        del sys.modules[module]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
print("\\n".join(failed))
"""


def _cycles() -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = set(graph.modules)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
    for module in modules:
        parent = module.rpartition(".")[0]
        if parent in modules:
            edges[module].add(parent)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_every_module_can_be_imported_first() -> None:
    lines = sorted(name for cycle in _cycles() for name in cycle)
    assert lines, "the graph should have the package cycles every __init__ makes"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input="\n".join(lines),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "", "modules that fail when imported first:\n" + done.stdout
