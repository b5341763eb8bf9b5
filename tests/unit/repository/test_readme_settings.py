"""Every environment variable the code reads is in the README's production section, where an
operator learns which processes need it (catches a setting added without its documentation)."""

from __future__ import annotations

import inspect
import re

from app.config import Settings
from connectors.gateway.config import GatewayConfig
from connectors.payments.rest.config import CONFIG_ENV
from tests.helpers.paths import REPO_ROOT
from workflow_engine.persistence.cases.drafts import draft_days

README = REPO_ROOT / "README.md"
NAME = re.compile(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})"')


def _read_variables() -> set[str]:
    """The names the settings readers look up."""
    names = {CONFIG_ENV}
    for reader in (Settings.from_env, GatewayConfig.from_env, draft_days):
        names |= set(NAME.findall(inspect.getsource(reader)))
    return names


def _production_section() -> str:
    text = README.read_text("utf-8")
    start = text.index("## Production deployment")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readers_are_found() -> None:
    assert {"SECRET_KEY", "DATABASE_URL", "GATEWAY_WEBHOOK_SECRET", "DRAFT_WARNING_DAYS"} <= (
        _read_variables()
    )


def test_every_variable_read_is_documented_for_production() -> None:
    section = _production_section()
    missing = sorted(name for name in _read_variables() if f"`{name}`" not in section)
    assert missing == [], f"add to README 'Production deployment': {missing}"
