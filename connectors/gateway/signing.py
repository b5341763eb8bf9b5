"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<raw body>` with the shared secret.

The timestamp is inside the signed text, so a captured webhook cannot be replayed later with
a fresh timestamp; deliveries signed more than five minutes ago (or ahead) are refused. The
body is verified byte for byte before anything parses it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Gateway-Timestamp"
SIGNATURE_HEADER = "X-Gateway-Signature"
SCHEME = "v1"
TOLERANCE_S = 300


class SignatureError(Exception):
    """The webhook is not provably from the gateway, or too old: `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: the value of the signature header for this body and timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers a gateway sends with `body` (used by tests and the benchmark)."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> int:
    """Return the delivery timestamp, or raise SignatureError with reason
    `missing_signature`, `bad_timestamp`, `stale_timestamp` or `bad_signature`.

    The signature header may carry several `v1=` values (comma separated) while a gateway
    rotates its secret; one match is enough.
    """
    if not timestamp_header or not signature_header:
        raise SignatureError("missing_signature")
    stamp = timestamp_header.strip()
    if not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError("bad_timestamp")
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise SignatureError("stale_timestamp")
    expected = signature(secret, timestamp, body)
    offered = [part.strip() for part in signature_header.split(",")][:5]
    if not any(hmac.compare_digest(expected, value) for value in offered):
        raise SignatureError("bad_signature")
    return timestamp
