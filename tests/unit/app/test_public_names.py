"""The web layer (`app/`) uses only the public names of `workflow_engine` and `connectors`: no
`from workflow_engine... import _name`, no `module._name` on a module or object imported from
them. (import-linter checks modules, not names; pyproject's contracts do the rest.)"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.helpers.paths import REPO_ROOT

LOWER = ("workflow_engine", "connectors")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _lower(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LOWER


def violations(source: str, filename: str) -> Iterator[str]:
    tree = ast.parse(source, filename)
    bound: set[str] = set()  # local names of modules and objects imported from the lower layers
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _lower(node.module):
            assert node.module is not None
            if any(_private(part) for part in node.module.split(".")):
                yield f"{filename}:{node.lineno}: from {node.module} import ..."
            for alias in node.names:
                if _private(alias.name):
                    yield f"{filename}:{node.lineno}: from {node.module} import {alias.name}"
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _lower(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        yield f"{filename}:{node.lineno}: import {alias.name}"
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in bound:
                yield f"{filename}:{node.lineno}: {ast.unparse(node)}"


def test_app_uses_only_public_names_of_the_engine_and_connectors() -> None:
    found = [
        problem
        for path in sorted((REPO_ROOT / "app").rglob("*.py"))
        for problem in violations(path.read_text("utf-8"), str(path.relative_to(REPO_ROOT)))
    ]
    assert found == []


def test_the_check_sees_private_imports_and_attributes() -> None:
    source = (
        "from workflow_engine.persistence.cases import inbox\n"
        "from connectors.x import _y, z\n"
        "import connectors._secret\n"
        "from flask import _request_ctx\n"
        "inbox._norm('a')\n"
        "z._hidden\n"
        "z.__doc__\n"
    )
    assert sorted(line.split(": ", 1)[1] for line in violations(source, "t.py")) == [
        "from connectors.x import _y",
        "import connectors._secret",
        "inbox._norm",
        "z._hidden",
    ]
