"""Which payment gateway Tramita talks to, read from the environment (secrets never stored)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class GatewayConfigError(ValueError):
    """A gateway variable is set but unusable (the message names it, never its value)."""


@dataclass(frozen=True)
class GatewayConfig:
    """One hosted-checkout gateway. `repr()` leaves the API key and webhook secret out, so a
    config that ends up in a log or a traceback reveals nothing."""

    name: str
    url: str
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    # A checkout still open after this many seconds is asked about (lost webhook)...
    pending_seconds: float = 120.0
    # ...by a job that runs this often (Celery beat).
    poll_seconds: float = 60.0
    timeout_s: float = 10.0
    # The return page asks the gateway itself about a checkout whose webhook is late, at
    # most this often per checkout, waiting at most `return_timeout_s` for the answer.
    return_check_s: float = 5.0
    return_timeout_s: float = 3.0
    # Webhooks signed longer ago than this (or this far in the future) are refused.
    tolerance_s: int = 300

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise GatewayConfigError("GATEWAY_NAME: lowercase letters, digits, - and _ only")
        if not self.url.startswith(("http://", "https://")):
            raise GatewayConfigError("GATEWAY_URL must start with http:// or https://")
        if not self.api_key or not self.webhook_secret:
            raise GatewayConfigError("GATEWAY_API_KEY and GATEWAY_WEBHOOK_SECRET are required")
        if self.pending_seconds < 0 or self.poll_seconds <= 0:
            raise GatewayConfigError(
                "GATEWAY_PENDING_SECONDS must be 0 or more, GATEWAY_POLL_SECONDS more than 0"
            )

    @property
    def source(self) -> str:
        """The payment source name in the payment log: `gateway:<name>`."""
        return f"gateway:{self.name}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewayConfig | None:
        """The gateway of GATEWAY_URL / GATEWAY_API_KEY / GATEWAY_WEBHOOK_SECRET, or None
        when GATEWAY_URL is unset (online payment is then simply not offered)."""
        env = os.environ if environ is None else environ
        url = (env.get("GATEWAY_URL") or "").strip().rstrip("/")
        if not url:
            return None

        def number(name: str, default: float) -> float:
            raw = env.get(name, "")
            try:
                return float(raw) if raw.strip() else default
            except ValueError:
                raise GatewayConfigError(f"{name} must be a number") from None

        # GATEWAY_PENDING_MINUTES is the older name, still honoured when the new one is unset.
        pending = number("GATEWAY_PENDING_MINUTES", 2) * 60
        return cls(
            name=(env.get("GATEWAY_NAME") or "sandbox").strip(),
            url=url,
            api_key=env.get("GATEWAY_API_KEY") or "",
            webhook_secret=env.get("GATEWAY_WEBHOOK_SECRET") or "",
            pending_seconds=number("GATEWAY_PENDING_SECONDS", pending),
            poll_seconds=number("GATEWAY_POLL_SECONDS", 60.0),
            timeout_s=number("GATEWAY_TIMEOUT", 10.0),
        )
