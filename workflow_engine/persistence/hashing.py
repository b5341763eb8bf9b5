"""Canonical JSON and the event hash chain that makes tampering with history detectable."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from workflow_engine import strict_json


def canonical_json(value: Any) -> str:
    return strict_json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def checksum(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def event_hash(
    prev_hash: str,
    case_id: int,
    seq: int,
    type_: str,
    data: Any,
    actor_id: str,
    created_at: datetime,
) -> str:
    """SHA-256 over the previous hash and this event's content."""
    material = "|".join(
        (
            prev_hash,
            str(case_id),
            str(seq),
            type_,
            canonical_json(data),
            actor_id,
            created_at.isoformat(),
        )
    )
    return hashlib.sha256(material.encode()).hexdigest()
