"""What each notification says, in Spanish or English: the facts of the payload, worded by the
kind's Jinja template (`templates/<lang>/<kind>.txt`).

Messages carry the least personal data that lets the reader act: the folio, the procedure's
name, what to do next and, for a payment, the amount and reference. Anything more (an
official's observations, a payment failure reason) is a `private` note: it is kept in the
in-app notification, and the e-mail only says where to read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.common import CaseRecord, long_date, money
from workflow_engine.engine.events import document_name, reason_text
from workflow_engine.mail.rendering import Message, language, render_message

# One line, not a twelve-line tuple repeated from the web layer's (which connectors cannot import).
MONTHS_EN = (
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)


def localized(text: Any, lang: str, default: str = "") -> str:
    """A localized text ({"es": ..., "en": ...}) in `lang`, else Spanish, else the other."""
    if isinstance(text, Mapping):
        other = "en" if lang == "es" else "es"
        return str(text.get(lang) or text.get("es") or text.get(other) or default)
    if isinstance(text, str) and text:
        return text
    return default


def written_date(value: Any, lang: str, timezone: str | None = None) -> str:
    """«5 de marzo de 2026» or «5 March 2026»; "" for nothing, the text itself if unparsable."""
    if lang == "es" or value is None or value == "":
        return long_date(value, timezone)
    parsed: date | datetime
    try:
        parsed = (
            (datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value))
            if isinstance(value, str)
            else value
        )
    except ValueError:
        return str(value)
    if isinstance(parsed, datetime):
        if parsed.tzinfo is not None and timezone:
            parsed = parsed.astimezone(ZoneInfo(timezone))
        parsed = parsed.date()
    return f"{parsed.day} {MONTHS_EN[parsed.month - 1]} {parsed.year}"


def _currency(case: CaseRecord | None, payload: Mapping[str, Any]) -> str | None:
    if payload.get("currency"):
        return str(payload["currency"])
    if case is not None:
        reference = payload.get("reference")
        for payment in [case.state.get("payment") or {}, *(case.state.get("payments") or ())]:
            if payment and payment.get("reference") == reference and payment.get("currency"):
                return str(payment["currency"])
    return None  # the municipality's currency (workflow_engine.money)


def context(
    payload: Mapping[str, Any], case: CaseRecord | None, audience: str, lang: str
) -> dict[str, Any]:
    """Every name a kind's template may use, always defined (the templates are strict)."""
    default_title = "su trámite" if lang == "es" else "your procedure"
    title = (
        localized(case.definition.get("title"), lang, case.procedure_key)
        if case
        else str(payload.get("procedure") or default_title)
    )
    return {
        "audience": audience,
        "folio": str(payload.get("folio") or (case.folio if case else "")),
        "procedure": title,
        "amount": money(payload.get("total_cents"), _currency(case, payload)),
        "reference": str(payload.get("reference") or ""),
        "expires": written_date(payload.get("expires_on"), lang),
        "respond_by": written_date(payload.get("respond_by"), lang),
        "due": written_date(payload.get("due_on"), lang),
        "reason": str(payload.get("reason") or ""),
        "reason_text": reason_text(payload.get("reason"), lang),  # the event catalog's words
        "bank_reason": str(payload.get("reason") or "").strip(),
        "comment": str(payload.get("message") or "").strip()
        if not isinstance(payload.get("message"), Mapping)
        else "",
        "kind": str(payload.get("kind") or ""),
        "document_name": document_name(payload.get("kind"), lang),
        "notice_subject": localized(payload.get("subject"), lang),
        "notice_message": localized(payload.get("message"), lang)
        if isinstance(payload.get("message"), Mapping)
        else "",
    }


def compose(
    template: str,
    payload: Mapping[str, Any],
    case: CaseRecord | None,
    audience: str,
    lang: str = "es",
) -> Message:
    """The subject and text of a notification. `audience` is `applicant` or `staff`."""
    lang = language(lang)
    return render_message(template, context(payload, case, audience, lang), lang)


__all__ = ["Message", "compose", "localized", "written_date"]
