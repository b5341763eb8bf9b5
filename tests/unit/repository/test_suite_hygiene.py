"""The suite's own rules, checked on its source: a test may skip only through
`tests.conftest.service_missing` (which fails under REQUIRE_SERVICES=1), and finds its
services through TEST_POSTGRES_URL / TEST_REDIS_URL, never at a fixed address."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers.paths import REPO_ROOT

TESTS = REPO_ROOT / "tests"
SKIP_HELPER = (TESTS / "conftest.py", "service_missing")
SKIPS = {"skip", "skipif", "importorskip", "xfail"}
SERVICE_ADDRESS = re.compile(r"(127\.0\.0\.1|localhost):(5432|6379)")


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(TESTS.rglob("*.py"))]


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                owner.setdefault(inner, node.name)
    return owner


def test_every_skip_goes_through_service_missing() -> None:
    offenders = []
    for path, source in _sources():
        tree = ast.parse(source)
        owner = _enclosing_functions(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in SKIPS
                and ast.unparse(node.value) in ("pytest", "pytest.mark")
                and (path, owner.get(node)) != SKIP_HELPER
            ):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == [], "skip only with tests.conftest.service_missing:\n" + "\n".join(
        offenders
    )


def test_no_test_names_a_fixed_service_address() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path, source in _sources()
        if path != TESTS / "conftest.py"  # the documented defaults of the two variables
        for number, line in enumerate(source.splitlines(), start=1)
        if SERVICE_ADDRESS.search(line) and path.name != Path(__file__).name
    ]
    assert offenders == [], "use TEST_POSTGRES_URL / TEST_REDIS_URL:\n" + "\n".join(offenders)


def test_no_test_module_imports_another_test_module() -> None:
    """Shared fixtures live in a conftest.py, shared helpers in tests/helpers/: importing a
    `test_*` module runs (and re-collects) its tests and hides where a helper belongs."""
    offenders = []
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                if node.level or (node.module or "").startswith("tests"):
                    modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            if any(part.startswith("test_") for m in modules for part in m.split(".")):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == [], "move shared code to a conftest.py or tests/helpers/:\n" + "\n".join(
        offenders
    )


KINDS = ("unit", "integration", "browser", "security")
ACROSS_PACKAGES = ("journeys", "repository")  # a whole journey; rules over the whole checkout


def _covers_a_package(folder: Path) -> bool:
    relative = folder.relative_to(REPO_ROOT)
    return relative.parts[0] != "tests" and (folder / "__init__.py").is_file()


def test_tests_mirror_the_source_tree() -> None:
    """tests/<kind>/<source package path>/test_*.py (tests/README.md): a module's tests are
    found where the module is, and every folder is a package so equal names never clash."""
    offenders = []
    for path in sorted(TESTS.rglob("test_*.py")):
        kind, *folders = path.parent.relative_to(TESTS).parts or ("",)
        if kind not in KINDS or not folders:
            offenders.append(f"{path.relative_to(TESTS)}: not under tests/<kind>/<package>/")
        elif folders[0] not in ACROSS_PACKAGES and not _covers_a_package(
            REPO_ROOT.joinpath(*folders)
        ):
            offenders.append(f"{path.relative_to(TESTS)}: no source package {'/'.join(folders)}")
    for folder in sorted(p for p in TESTS.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        if not (folder / "__init__.py").is_file():
            offenders.append(f"{folder.relative_to(TESTS)}/: no __init__.py")
    assert offenders == [], "move each test beside what it covers:\n" + "\n".join(offenders)


def test_shared_modules_live_in_helpers_or_a_conftest() -> None:
    shared = {"conftest.py", "__init__.py"}
    offenders = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if not path.name.startswith("test_")
        and path.name not in shared
        and path.parent.relative_to(TESTS).parts[:1] != ("helpers",)
    ]
    assert offenders == [], "move shared code to tests/helpers/:\n" + "\n".join(offenders)
