"""Where the repository's own files are, whatever the depth of the test that reads them
(tests mirror the source tree, so a test's own `__file__` says nothing about the root)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "form_schemas" / "examples"
