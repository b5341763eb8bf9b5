"""HTTP for the REST connector: authentication, timeouts, retries, circuit breaker, request log.

Every outgoing request, the token requests included, leaves one log line on the
`connectors.payments.rest` logger: method, URL (query values and user info removed), status
(or `timeout` / the error class) and duration. Nothing else: no headers, no bodies, so no
secret and no personal data reaches the logs.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from connectors.payments.base import PaymentOrderError
from connectors.payments.rest.breaker import CircuitBreaker
from connectors.payments.rest.config import RestConfig, RestConfigError
from workflow_engine.persistence.cases.outbox import PermanentError
from workflow_engine.persistence.cases.outbox_errors import TransientEffectError

log = logging.getLogger("connectors.payments.rest")
RETRY_STATUSES = (408, 425, 429)


class RestUnavailableError(TransientEffectError):
    """The system did not answer usefully (5xx, timeout, connection refused, malformed
    answer). Not a PermanentError: the outbox retries the effect later with back-off."""


class CircuitOpenError(RestUnavailableError):
    """Too many consecutive failures: no request is sent until the cool-down has passed."""


class RestRefusedError(PaymentOrderError, PermanentError):
    """The system answered and said no (4xx): retrying the same request cannot help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    data: Any = None  # the parsed JSON when one was expected


def safe_url(url: str) -> str:
    """The URL as it may appear in a log: no user info, query values replaced by `***`."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = "&".join(
        f"{quote(k, safe='')}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could carry the credentials to another host: treat it as an answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class RestClient:
    def __init__(
        self,
        config: RestConfig,
        *,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.config = config
        self.environ = environ
        self.sleep = sleep
        self.clock = clock
        self.breaker = breaker or CircuitBreaker(
            config.failure_threshold, config.cooldown_seconds, clock=clock
        )
        self._opener = urllib.request.build_opener(_NoRedirect())
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    # -- one HTTP exchange, logged ------------------------------------------------------------
    def _send(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Response:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        started = time.perf_counter()
        outcome = "error"
        try:
            try:
                with self._opener.open(request, timeout=self.config.timeout_seconds) as answer:
                    status, content = int(answer.status), answer.read()
            except urllib.error.HTTPError as exc:
                status, content = int(exc.code), exc.read()
            outcome = str(status)
            return Response(status, content)
        except TimeoutError:
            outcome = "timeout"
            raise RestUnavailableError(f"{method} {safe_url(url)}: timed out") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            outcome = "timeout" if isinstance(reason, TimeoutError) else type(reason).__name__
            raise RestUnavailableError(f"{method} {safe_url(url)}: {outcome}") from None
        except (OSError, ValueError) as exc:  # connection reset, bad status line...
            outcome = type(exc).__name__
            raise RestUnavailableError(f"{method} {safe_url(url)}: {outcome}") from None
        finally:
            log.info(
                "%s %s -> %s (%.0f ms)",
                method,
                safe_url(url),
                outcome,
                (time.perf_counter() - started) * 1000,
                extra={
                    "rest_method": method,
                    "rest_url": safe_url(url),
                    "rest_status": outcome,
                    "rest_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    # -- authentication -------------------------------------------------------------------------
    def _secret(self, env_name: str) -> str:
        try:
            return self.config.secret(env_name, self.environ)
        except RestConfigError as exc:
            raise PermanentError(str(exc)) from None

    def _auth_headers(self) -> dict[str, str]:
        auth = self.config.auth
        if auth.type == "api_key":
            return {auth.header: self._secret(auth.key_env)}
        if auth.type == "basic":
            pair = f"{auth.username}:{self._secret(auth.password_env)}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if auth.type == "oauth2":
            return {"Authorization": "Bearer " + self._access_token()}
        return {}

    def _access_token(self) -> str:
        """OAuth2 client credentials; the token is kept until shortly before it expires."""
        with self._token_lock:
            if self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
            auth = self.config.auth
            form = {"grant_type": "client_credentials"}
            if auth.scope:
                form["scope"] = auth.scope
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            }
            secret = self._secret(auth.client_secret_env)
            if auth.client_auth == "basic":
                pair = f"{auth.client_id}:{secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            else:
                form.update(client_id=auth.client_id, client_secret=secret)
            answer = self._send("POST", auth.token_url, urlencode(form).encode(), headers)
            if answer.status >= 500 or answer.status in RETRY_STATUSES:
                raise RestUnavailableError(f"token endpoint answered {answer.status}")
            if answer.status != 200:
                raise PermanentError(
                    f"the token endpoint refused the client credentials ({answer.status})"
                )
            try:
                data = json.loads(answer.body)
                token = str(data["access_token"])
                lifetime = float(data.get("expires_in") or 300)
            except (ValueError, KeyError, TypeError):
                raise RestUnavailableError("the token endpoint gave no access_token") from None
            # Renew a little early so a token never expires on its way to the server.
            self._token = (token, self.clock() + max(0.0, lifetime - min(30.0, lifetime / 10)))
            return token

    def forget_token(self) -> None:
        with self._token_lock:
            self._token = None

    # -- a call, with retries and the breaker ---------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        expect_json: bool = True,
        idempotency_key: str | None = None,
    ) -> Response:
        """Send the request until it gets an answer that is not a server failure.

        Returns the answer for any 2xx-4xx status; raises RestUnavailableError when every
        attempt failed (5xx, 408/429, timeout, connection error, or a 2xx that is not the
        JSON expected) and CircuitOpenError when the breaker is open.
        """
        url = self.config.base_url + (path if path.startswith("/") else "/" + path)
        last_error = "no attempt made"
        refreshed_token = False
        attempt = 0
        while attempt <= self.config.retries:
            if attempt:
                self.sleep(self.config.backoff_seconds * (2 ** (attempt - 1)))
            attempt += 1
            if not self.breaker.allow():
                raise CircuitOpenError(
                    f"circuit open after repeated failures of {safe_url(self.config.base_url)};"
                    f" next try in {self.breaker.retry_after():.0f} s"
                )
            try:
                headers = {"Accept": "application/json", **self.config.headers}
                headers.update(self._auth_headers())
                if body is not None:
                    headers["Content-Type"] = "application/json"
                if idempotency_key:
                    headers[self.config.idempotency_header] = idempotency_key
                answer = self._send(method, url, body, headers)
            except RestUnavailableError as exc:
                self.breaker.failure()
                last_error = str(exc)
                continue
            except PermanentError:
                self.breaker.success()  # the system answered; our credentials are wrong
                raise
            if answer.status >= 500 or answer.status in RETRY_STATUSES:
                self.breaker.failure()
                last_error = f"{method} {safe_url(url)} answered {answer.status}"
                continue
            if answer.status == 401 and self.config.auth.type == "oauth2" and not refreshed_token:
                # The token may have been revoked early: fetch a new one once, right away.
                self.breaker.success()
                self.forget_token()
                refreshed_token = True
                attempt -= 1
                continue
            if 200 <= answer.status < 300 and expect_json:
                try:
                    data = json.loads(answer.body) if answer.body.strip() else None
                except ValueError:
                    data = None
                if not isinstance(data, dict | list):
                    self.breaker.failure()
                    last_error = f"{method} {safe_url(url)} answered {answer.status} without JSON"
                    continue
                self.breaker.success()
                return Response(answer.status, answer.body, data)
            self.breaker.success()
            return answer
        raise RestUnavailableError(last_error)
