"""Bank reconciliation: settle payment orders from a bank's payments file.

Every new payment goes through `PaymentRecorder.record` (source `bank:<name>`, external id =
the bank's line id or a stable hash of the line), so it is checked against its order,
recorded once and advances its case exactly like a webhook or the cashier would.

A bank file is large and mostly made of lines that need no writing (other payments, or lines
imported yesterday), so what can be decided by reading is decided in bulk first, a few hundred
lines per query: lines already imported (the ledger has their (source, external id)) are
duplicates; lines whose reference no order has are unmatched; lines the recorder already
refused in an earlier import are reported with the same reason. Only the rest, the payments
that are new, are handed to the recorder one by one. Re-importing a file therefore writes
nothing at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from connectors.payments.bankfile import (
    BadLine,
    BankFileError,
    BankLine,
    FileMapping,
    read,
)
from connectors.payments.recording import PaymentReceived, PaymentRecorder, RecordResult
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import LedgerPayment, PaymentEvent, PaymentOrder, table

payments_t = table(LedgerPayment)
orders_t = table(PaymentOrder)
events_t = table(PaymentEvent)

CHUNK = 500
RECORDED = "recorded"
DUPLICATE = "duplicate"
UNMATCHED = "unmatched"
REFUSED = "refused"
MALFORMED = "malformed"
STATUSES = (RECORDED, DUPLICATE, UNMATCHED, REFUSED, MALFORMED)

__all__ = [
    "BankFileError",
    "LineResult",
    "ReconciliationReport",
    "bank_source",
    "reconcile_file",
]


@dataclass(frozen=True)
class LineResult:
    line: int
    status: str  # recorded | duplicate | unmatched | refused | malformed
    reference: str = ""
    amount_cents: int | None = None
    currency: str = ""
    reason: str = ""  # the recorder's reason (amount_mismatch...) or what is wrong (malformed)
    reason_en: str = ""
    folio: str = ""


@dataclass
class ReconciliationReport:
    source: str
    lines: list[LineResult] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, status: str) -> list[LineResult]:
        return [line for line in self.lines if line.status == status]

    @property
    def recorded(self) -> list[LineResult]:
        return self.of(RECORDED)

    @property
    def duplicates(self) -> list[LineResult]:
        return self.of(DUPLICATE)

    @property
    def unmatched(self) -> list[LineResult]:
        return self.of(UNMATCHED)

    @property
    def refused(self) -> list[LineResult]:
        return self.of(REFUSED)

    @property
    def malformed(self) -> list[LineResult]:
        return self.of(MALFORMED)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for line in self.lines:
            counts[line.status] += 1
        return counts

    @property
    def recorded_cents(self) -> int:
        return sum(line.amount_cents or 0 for line in self.recorded)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "lines": [
                {k: v for k, v in line.__dict__.items() if v not in ("", None)}
                for line in self.lines
                if line.status != DUPLICATE
            ],
        }


def bank_source(bank: str) -> str:
    """`bank:<name>`, the name lower-cased with spaces as hyphens (the idempotency scope)."""
    name = "-".join(bank.strip().lower().split()) or "banco"
    return f"bank:{name}"[:64]


def reconcile_file(
    engine: Engine,
    cases: CaseService,
    path_or_bytes: str | Path | bytes,
    fmt: str,
    mapping: Mapping[str, Any] | FileMapping | None = None,
    *,
    bank: str | None = None,
    timezone: str = "America/Mexico_City",
    recorder: PaymentRecorder | None = None,
) -> ReconciliationReport:
    """Import one bank file; raises BankFileError when the file as a whole cannot be read.

    `mapping` (CSV columns, delimiter, decimal separator, encoding, date format, default
    currency; see `bankfile.FileMapping.parse`) may also name the `bank`.
    """
    started = time.perf_counter()
    if isinstance(mapping, FileMapping):
        file_mapping, bank_name = mapping, bank
    else:
        file_mapping = FileMapping.parse(mapping)
        bank_name = bank or str((mapping or {}).get("bank") or "")
    source = bank_source(bank_name or "banco")
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    parsed = list(read(data, fmt, file_mapping, timezone))
    recorder = recorder or PaymentRecorder(engine, cases, timezone=timezone)
    report = ReconciliationReport(source)
    outcomes: dict[int, LineResult] = {}
    good: list[BankLine] = []
    seen_ids: set[str] = set()
    for item in parsed:
        if isinstance(item, BadLine):
            outcomes[item.line] = LineResult(
                item.line, MALFORMED, reason=item.reason_es, reason_en=item.reason_en
            )
        elif item.external_id in seen_ids:
            outcomes[item.line] = _result(item, DUPLICATE, "repeated_in_file")
        else:
            seen_ids.add(item.external_id)
            good.append(item)

    imported = _already_imported(engine, source, [line.external_id for line in good])
    known = _known_references(engine, {line.reference for line in good})
    fresh: list[BankLine] = []
    for line in good:
        if line.external_id in imported:
            outcomes[line.line] = _result(line, DUPLICATE, "already_imported")
        elif line.reference not in known:
            outcomes[line.line] = _result(line, UNMATCHED, "unknown_reference")
        else:
            fresh.append(line)

    refused_before = _refused_before(engine, source, {line.reference for line in fresh})
    to_record: list[BankLine] = []
    for line in fresh:
        reason = refused_before.get(line.external_id)
        if reason is not None:
            outcomes[line.line] = _result(line, REFUSED, reason)
        else:
            to_record.append(line)
    # In bulk: money, orders and obligations a thousand lines per transaction; each case is
    # advanced by a durable outbox message written in the same transaction.
    results = recorder.record_many(
        [
            PaymentReceived(
                reference=line.reference,
                amount_cents=line.amount_cents,
                currency=line.currency,
                source=source,
                external_id=line.external_id,
                paid_at=line.paid_at,
            )
            for line in to_record
        ]
    )
    for line, result in zip(to_record, results, strict=True):
        outcomes[line.line] = _from_record(line, result)

    report.lines = [outcomes[number] for number in sorted(outcomes)]
    report.seconds = time.perf_counter() - started
    return report


def _result(line: BankLine, status: str, reason: str = "", folio: str = "") -> LineResult:
    return LineResult(
        line.line, status, line.reference, line.amount_cents, line.currency, reason, "", folio
    )


def _from_record(line: BankLine, result: RecordResult) -> LineResult:
    if result.status == "recorded":
        return _result(line, RECORDED, result.reason, result.folio)
    if result.status == "duplicate":
        return _result(line, DUPLICATE, "already_imported")
    if result.reason == "unknown_reference":
        return _result(line, UNMATCHED, result.reason)
    return _result(line, REFUSED, result.reason)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _already_imported(engine: Engine, source: str, external_ids: Sequence[str]) -> set[str]:
    """External ids of this bank already in the ledger (unique index on source, external id)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for batch in _chunks(external_ids):
            found.update(
                conn.execute(
                    select(payments_t.c.external_id).where(
                        payments_t.c.source == source, payments_t.c.external_id.in_(batch)
                    )
                ).scalars()
            )
    return found


def _known_references(engine: Engine, references: Iterable[str]) -> set[str]:
    found: set[str] = set()
    with engine.connect() as conn:
        for batch in _chunks(sorted(references)):
            found.update(
                conn.execute(
                    select(orders_t.c.reference).where(orders_t.c.reference.in_(batch))
                ).scalars()
            )
    return found


def _refused_before(engine: Engine, source: str, references: Iterable[str]) -> dict[str, str]:
    """external id -> reason, for this bank's lines the recorder refused in an earlier import
    (found through the index on reference). The same line is refused for the same reason."""
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for batch in _chunks(sorted(references)):
            rows = conn.execute(
                select(events_t.c.external_id, events_t.c.status, events_t.c.reason)
                .where(events_t.c.reference.in_(batch), events_t.c.source == source)
                .order_by(events_t.c.id)
            )
            for row in rows:
                if row.status == "refused" and row.reason != "unknown_reference":
                    found[row.external_id] = row.reason
                else:
                    found.pop(row.external_id, None)
    return found
