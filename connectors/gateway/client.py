"""The gateway's HTTP API, as Tramita uses it: open a hosted checkout, ask about one.

    POST {url}/api/v1/checkouts          -> 201 {"id", "url", "status", "expires_at"}
    GET  {url}/api/v1/checkouts/<id>     -> 200 {"id", "status", "payment_id", "reference",
                                                 "amount_cents", "currency", "paid_at", ...}

Authenticated with `Authorization: Bearer <GATEWAY_API_KEY>`. Only the method, path, status
and duration of each call are logged: never the key, never the citizen's data.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from connectors.gateway.config import GatewayConfig

log = logging.getLogger(__name__)
OPEN = "open"
STATUSES = ("open", "succeeded", "failed", "expired", "refunded")
MAX_RESPONSE = 256 * 1024


class GatewayUnavailableError(Exception):
    """The gateway did not answer usefully (network, 5xx, garbage): try again later."""


class GatewayRejectedError(Exception):
    """The gateway refused the request (4xx): retrying the same request will not help."""


@dataclass(frozen=True)
class CheckoutSession:
    checkout_id: str
    url: str
    status: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CheckoutStatus:
    """What the gateway says about one checkout (its answer, as a dict, is kept in `raw`)."""

    checkout_id: str
    status: str
    raw: dict[str, Any]


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class GatewayClient:
    """A thin client; one instance per process is enough (it holds no connection)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.config.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.config.api_key}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        started = time.perf_counter()
        status = 0
        try:
            with urllib.request.urlopen(
                request, timeout=timeout_s or self.config.timeout_s
            ) as response:
                status = response.status
                raw = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise GatewayRejectedError(
                    f"gateway answered {exc.code} to {method} {path}"
                ) from None
            raise GatewayUnavailableError(f"gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise GatewayUnavailableError(f"gateway unreachable: {type(exc).__name__}") from None
        finally:
            log.info(
                "gateway %s %s %s -> %s in %.0f ms",
                self.config.name,
                method,
                path.split("/")[3] if path.count("/") >= 3 else path,
                status,
                (time.perf_counter() - started) * 1000,
            )
        if len(raw) > MAX_RESPONSE:
            raise GatewayUnavailableError("gateway answer too large")
        try:
            doc = json.loads(raw)
        except ValueError:
            raise GatewayUnavailableError("gateway answer is not JSON") from None
        if not isinstance(doc, dict):
            raise GatewayUnavailableError("gateway answer is not an object")
        return doc

    def create_checkout(
        self,
        *,
        reference: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
        idempotency_key: str,
        expires_at: datetime | None = None,
    ) -> CheckoutSession:
        """Open a hosted checkout for one payment order; the same idempotency key gives the
        same session back."""
        doc = self._call(
            "POST",
            "/api/v1/checkouts",
            {
                "reference": reference,
                "amount_cents": int(amount_cents),
                "currency": currency,
                "description": description[:200],
                "return_url": return_url,
                "notify_url": notify_url,
                "idempotency_key": idempotency_key,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        checkout_id, url = doc.get("id"), doc.get("url")
        if not isinstance(checkout_id, str) or not isinstance(url, str):
            raise GatewayUnavailableError("gateway answer has no checkout id or url")
        if not url.startswith(("http://", "https://")):
            raise GatewayUnavailableError("gateway checkout url is not http(s)")
        return CheckoutSession(
            checkout_id, url, str(doc.get("status") or OPEN), _moment(doc.get("expires_at"))
        )

    def checkout_status(self, checkout_id: str, timeout_s: float | None = None) -> CheckoutStatus:
        doc = self._call(
            "GET", f"/api/v1/checkouts/{quote(checkout_id, safe='')}", timeout_s=timeout_s
        )
        status = str(doc.get("status") or "")
        if status not in STATUSES:
            raise GatewayUnavailableError("gateway answered an unknown checkout status")
        return CheckoutStatus(checkout_id, status, doc)
