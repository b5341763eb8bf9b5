"""The sandbox gateway's Flask app: checkout page, status API, webhooks to Tramita."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for

log = logging.getLogger(__name__)
OUTCOMES = ("succeeded", "failed", "expired", "refunded")


def retry_delays(attempts: int = 12, first: float = 0.5, cap: float = 60.0) -> list[float]:
    """When a real gateway tries a webhook again: at once, then after 0.5 s, 1 s, 2 s ...
    doubling up to `cap`, ±20 % jitter, `attempts` tries in all (default: ~5 minutes)."""
    delays = [0.0]
    for n in range(attempts - 1):
        delays.append(min(cap, first * 2 ** min(n, 30) * random.uniform(0.8, 1.2)))
    return delays


@dataclass
class Session:
    id: str
    reference: str
    amount_cents: int
    currency: str
    description: str
    return_url: str
    notify_url: str
    idempotency_key: str
    created_at: datetime
    expires_at: datetime | None = None
    status: str = "open"
    payment_id: str = ""
    paid_at: datetime | None = None
    reason: str = ""

    def public(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base_url}/checkout/{self.id}",
            "status": self.status,
            "reference": self.reference,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "payment_id": self.payment_id or None,
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "reason": self.reason,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


@dataclass
class Delivery:
    event_id: str
    type: str
    checkout_id: str
    url: str
    attempts: int = 0
    status: int | None = None
    answer: str = ""


@dataclass
class SandboxStore:
    """Sessions and webhook deliveries, in memory."""

    sessions: dict[str, Session] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)


def _sign(secret: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Gateway-Timestamp": timestamp,
        "X-Gateway-Signature": f"v1={mac}",
        "Content-Type": "application/json",
        "User-Agent": "tramita-sandbox-gateway",
    }


def _http_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2000:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


PAGE = """<!doctype html>
<html lang="es">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} · Pasarela de pagos de prueba</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f4f6f8; }
    main { max-width: 32rem; margin: 0 auto; padding: 1.5rem 1rem; background: #fff; }
    .sandbox { background: #fff3cd; border-left: 4px solid #8a6d00; padding: .5rem .75rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; }
    dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
    form { display: inline-block; margin: .5rem .5rem 0 0; }
    button { font-size: 1.1rem; padding: .6rem 1.4rem; border-radius: 4px; cursor: pointer;
             border: 2px solid #0b4f2c; background: #0b6b3a; color: #fff; }
    button.secondary { background: #fff; color: #8a1c1c; border-color: #8a1c1c; }
    a { color: #0b4f9c; }
  </style>
</head>
<body>
<main>
  <h1>{{ title }}</h1>
  <p class="sandbox">Entorno de pruebas: aquí no se cobra dinero real.</p>
  {% if session %}
  <dl>
    <dt>Concepto</dt><dd>{{ session.description }}</dd>
    <dt>Línea de captura</dt><dd>{{ session.reference }}</dd>
    <dt>Importe</dt><dd>{{ amount }}</dd>
  </dl>
  {% endif %}
  {% if message %}<p role="status">{{ message }}</p>{% endif %}
  {% if session and session.status == 'open' %}
  <form method="post" action="{{ url_for('pay', checkout_id=session.id) }}">
    <button type="submit">Pagar</button>
  </form>
  <form method="post" action="{{ url_for('decline', checkout_id=session.id) }}">
    <button type="submit" class="secondary">Rechazar</button>
  </form>
  {% elif session %}
  <p><a href="{{ session.return_url }}">Volver al sitio del municipio</a></p>
  {% endif %}
</main>
</body>
</html>
"""


def _parse_expiry(doc: Mapping[str, Any]) -> datetime | None:
    """The checkout's `expires_at` (ISO 8601, `Z` allowed); ValueError if it is not one."""
    if not doc.get("expires_at"):
        return None
    return datetime.fromisoformat(str(doc["expires_at"]).replace("Z", "+00:00"))


def _checkout_problems(doc: Mapping[str, Any]) -> list[str]:
    """What is wrong with a request to open a checkout, in the order a client reads it."""
    problems = []
    amount = doc.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        problems.append("amount_cents must be a positive whole number")
    currency = doc.get("currency")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        problems.append("currency must be a three-letter code")
    reference = doc.get("reference")
    if not isinstance(reference, str) or not 0 < len(reference) <= 40:
        problems.append("reference is required")
    if not _http_url(doc.get("return_url")):
        problems.append("return_url must be an http(s) URL")
    notify_url = doc.get("notify_url") or ""
    if notify_url and not _http_url(notify_url):
        problems.append("notify_url must be an http(s) URL")
    try:
        _parse_expiry(doc)
    except ValueError:
        problems.append("expires_at must be ISO 8601")
    return problems


def _no_retry_helps(status: int | None) -> bool:
    """A 2xx is done; a 4xx other than 408/429 will not get better by retrying (bad
    signature, too old...)."""
    if status is None:
        return False
    return 200 <= status < 300 or (400 <= status < 500 and status not in (408, 429))


def _amount_text(session: Session) -> str:
    return f"${Decimal(session.amount_cents) / 100:,.2f} {session.currency}"


CHECKOUT_MESSAGES = {
    "open": "",
    "succeeded": "Este pago ya se realizó.",
    "refunded": "Este pago fue reembolsado.",
    "failed": "Este intento de pago fue rechazado.",
    "expired": "Esta sesión de pago venció.",
}


class Sandbox:
    """What the gateway does behind its routes: sessions, their outcomes, signed webhooks."""

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        default_notify_url: str,
        deliver: str,
        public_url: str,
        clock: Callable[[], float],
        webhook_attempts: int,
    ) -> None:
        self.store = SandboxStore()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.default_notify_url = default_notify_url
        self.deliver = deliver
        self.public_url = public_url
        self.clock = clock
        self.webhook_attempts = webhook_attempts

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def base_url(self) -> str:
        return self.public_url.rstrip("/") or request.host_url.rstrip("/")

    def authorized(self) -> None:
        header = request.headers.get("Authorization", "")
        offered = header.removeprefix("Bearer ").strip()
        if not header.startswith("Bearer ") or not hmac.compare_digest(offered, self.api_key):
            abort(401)

    def session_or_404(self, checkout_id: str) -> Session:
        with self.store.lock:
            session = self.store.sessions.get(checkout_id)
        if session is None:
            abort(404)
        return session

    # -- webhooks --------------------------------------------------------------------------
    def event_for(self, session: Session, kind: str, **overrides: Any) -> dict[str, Any]:
        data = {
            "checkout_id": session.id,
            "payment_id": session.payment_id or None,
            "reference": session.reference,
            "amount_cents": session.amount_cents,
            "currency": session.currency,
            "paid_at": session.paid_at.isoformat() if session.paid_at else None,
            "reason": session.reason,
        }
        data.update(overrides)
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "type": f"payment.{kind}",
            "created": int(self.clock()),
            "data": data,
        }

    def post(self, delivery: Delivery, body: bytes) -> bool:
        """One attempt; True when there is no point in trying again."""
        delivery.attempts += 1
        request_ = urllib.request.Request(
            delivery.url,
            data=body,
            method="POST",
            headers=_sign(self.webhook_secret, body, self.clock()),
        )
        try:
            with urllib.request.urlopen(request_, timeout=10) as response:
                delivery.status = response.status
                delivery.answer = response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            delivery.status = exc.code
            delivery.answer = exc.read(2000).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            delivery.status = None
            delivery.answer = type(exc).__name__
        log.info(
            "webhook %s %s -> %s (attempt %d)",
            delivery.type,
            delivery.checkout_id,
            delivery.status,
            delivery.attempts,
        )
        return _no_retry_helps(delivery.status)

    def send(
        self, session: Session, event: dict[str, Any], *, sync: bool | None = None
    ) -> Delivery:
        url = session.notify_url or self.default_notify_url
        delivery = Delivery(event["id"], event["type"], session.id, url)
        with self.store.lock:
            self.store.deliveries.append(delivery)
        if not url:
            delivery.answer = "no notify_url"
            return delivery
        body = json.dumps(event, separators=(",", ":")).encode()
        synchronous = self.deliver == "sync" if sync is None else sync
        delays = (0, 0.2) if synchronous else retry_delays(self.webhook_attempts)

        def run() -> None:
            for delay in delays:
                time.sleep(delay)
                if self.post(delivery, body):
                    return

        if synchronous:
            run()
        else:
            threading.Thread(target=run, name="sandbox-webhook", daemon=True).start()
        return delivery

    def settle(self, session: Session, outcome: str, reason: str = "") -> bool:
        """Move an open session to its outcome (refunded: from succeeded). True if it moved."""
        with self.store.lock:
            if outcome == "refunded":
                if session.status != "succeeded":
                    return False
            elif session.status != "open":
                return False
            session.status = outcome
            if outcome == "succeeded":
                session.payment_id = f"pay_{secrets.token_hex(10)}"
                session.paid_at = self.now()
            elif outcome in ("failed", "expired"):
                session.reason = reason or ("card_declined" if outcome == "failed" else "")
        return True

    def lapse(self, session: Session) -> None:
        """An open session past its expiry is expired (and Tramita told so)."""
        if (
            session.status == "open"
            and session.expires_at is not None
            and session.expires_at <= self.now()
            and self.settle(session, "expired")
        ):
            self.send(session, self.event_for(session, "expired"))

    def open_session(self, doc: Mapping[str, Any]) -> tuple[Session, bool]:
        """The session for a valid request, and whether it is new (an idempotency key seen
        before answers the session it opened)."""
        key = str(doc.get("idempotency_key") or "")[:200]
        with self.store.lock:
            if key and key in self.store.by_key:
                return self.store.sessions[self.store.by_key[key]], False
            session = Session(
                id=f"cs_{secrets.token_urlsafe(18)}",
                reference=str(doc["reference"]),
                amount_cents=int(doc["amount_cents"]),
                currency=str(doc["currency"]),
                description=str(doc.get("description") or "")[:200],
                return_url=str(doc["return_url"]),
                notify_url=str(doc.get("notify_url") or ""),
                idempotency_key=key,
                created_at=self.now(),
                expires_at=_parse_expiry(doc),
            )
            self.store.sessions[session.id] = session
            if key:
                self.store.by_key[key] = session.id
        return session, True

    # -- API -------------------------------------------------------------------------------
    def create_checkout(self) -> Any:
        self.authorized()
        doc = request.get_json(silent=True)
        if not isinstance(doc, dict):
            return jsonify(error="body must be a JSON object"), 400
        problems = _checkout_problems(doc)
        if problems:
            return jsonify(error="; ".join(problems)), 400
        session, created = self.open_session(doc)
        return jsonify(session.public(self.base_url())), 201 if created else 200

    def checkout_status(self, checkout_id: str) -> Any:
        self.authorized()
        session = self.session_or_404(checkout_id)
        self.lapse(session)
        return jsonify(session.public(self.base_url()))

    def simulate(self, checkout_id: str) -> Any:
        """Tests: make an outcome happen. `deliver: false` loses the webhook;
        `amount_cents` / `currency` put other values in the event than in the session."""
        self.authorized()
        session = self.session_or_404(checkout_id)
        doc = request.get_json(silent=True) or {}
        outcome = doc.get("outcome")
        if outcome not in OUTCOMES:
            return jsonify(error=f"outcome is one of {', '.join(OUTCOMES)}"), 400
        if not self.settle(session, outcome, str(doc.get("reason") or "")):
            return jsonify(error=f"checkout is {session.status}"), 409
        overrides = {k: doc[k] for k in ("amount_cents", "currency") if k in doc}
        event = self.event_for(session, outcome, **overrides)
        delivery = None
        if doc.get("deliver", True):
            delivery = self.send(session, event, sync=bool(doc.get("sync", True)))
        return jsonify(
            checkout=session.public(self.base_url()),
            event=event,
            delivery=asdict(delivery) if delivery else None,
        )

    def deliveries(self) -> Any:
        self.authorized()
        with self.store.lock:
            return jsonify([asdict(d) for d in self.store.deliveries])

    # -- the hosted checkout page ---------------------------------------------------------
    def checkout_page(self, checkout_id: str) -> Any:
        session = self.session_or_404(checkout_id)
        self.lapse(session)
        return render_template_string(
            PAGE,
            title="Pagar en línea",
            session=session,
            amount=_amount_text(session),
            message=CHECKOUT_MESSAGES[session.status],
        )

    def decide(self, checkout_id: str, outcome: str) -> Any:
        session = self.session_or_404(checkout_id)
        self.lapse(session)
        if self.settle(session, outcome):
            self.send(session, self.event_for(session, outcome))
        return redirect(session.return_url, code=303)

    def pay(self, checkout_id: str) -> Any:
        return self.decide(checkout_id, "succeeded")

    def decline(self, checkout_id: str) -> Any:
        return self.decide(checkout_id, "failed")


def _health() -> Any:
    return jsonify(status="ok")


def _not_found(_: Any) -> Any:
    if request.path.startswith("/api/"):
        return jsonify(error="not found"), 404
    return render_template_string(
        PAGE, title="Sesión de pago no encontrada", session=None, message=""
    ), 404


def _unauthorized(_: Any) -> Any:
    return jsonify(error="missing or wrong API key"), 401


def _add_routes(app: Flask, sandbox: Sandbox) -> None:
    api = "/api/v1/checkouts"
    app.add_url_rule(api, "create_checkout", sandbox.create_checkout, methods=["POST"])
    app.add_url_rule(f"{api}/<checkout_id>", "checkout_status", sandbox.checkout_status)
    app.add_url_rule(
        f"{api}/<checkout_id>/simulate", "simulate", sandbox.simulate, methods=["POST"]
    )
    app.add_url_rule("/api/v1/deliveries", "deliveries", sandbox.deliveries)
    app.add_url_rule("/health", "health", _health)
    app.add_url_rule("/checkout/<checkout_id>", "checkout_page", sandbox.checkout_page)
    app.add_url_rule("/checkout/<checkout_id>/pagar", "pay", sandbox.pay, methods=["POST"])
    app.add_url_rule(
        "/checkout/<checkout_id>/rechazar", "decline", sandbox.decline, methods=["POST"]
    )
    app.register_error_handler(404, _not_found)
    app.register_error_handler(401, _unauthorized)
    app.add_url_rule("/", "home", lambda: redirect(url_for("health")))


def create_sandbox_app(
    *,
    api_key: str,
    webhook_secret: str,
    default_notify_url: str = "",
    deliver: str = "thread",
    public_url: str = "",
    clock: Callable[[], float] = time.time,
    webhook_attempts: int = 12,
) -> Flask:
    """The sandbox gateway. `deliver="thread"` posts webhooks in the background, retried
    with exponential back-off (`retry_delays(webhook_attempts)`), like a real gateway: the
    citizen may come back before the webhook lands, and a Tramita that is down for a few
    minutes still gets it; `deliver="sync"` posts before redirecting (deterministic tests)."""
    if deliver not in ("thread", "sync"):
        raise ValueError("deliver is 'thread' or 'sync'")
    app = Flask(__name__)
    sandbox = Sandbox(
        api_key=api_key,
        webhook_secret=webhook_secret,
        default_notify_url=default_notify_url,
        deliver=deliver,
        public_url=public_url,
        clock=clock,
        webhook_attempts=webhook_attempts,
    )
    app.extensions["sandbox"] = sandbox.store
    _add_routes(app, sandbox)
    return app
