"""A loopback SMTP server (aiosmtpd) and what it received, for tests that read the e-mails."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any, NamedTuple


def free_port() -> int:
    """A loopback TCP port nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mail(NamedTuple):
    """One message as delivered: its envelope recipients and the parsed e-mail."""

    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def text(self) -> str:
        """Plain body (or HTML when there is no plain part)."""
        body = self.message.get_body(("plain", "html"))
        if body is None:
            return ""
        return str(body.get_content())

    def all_text(self) -> str:
        parts = [self.subject]
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(str(part.get_content()))
        return "\n".join(parts)

    def link(self, path_part: str) -> str:
        """The first http(s) link in the message whose URL contains `path_part`."""
        for url in re.findall(r"https?://[^\s\"'<>]+", self.all_text()):
            if path_part in url:
                return str(url).rstrip(".,;)")
        raise AssertionError(
            f"no link containing {path_part!r} in the e-mail {self.subject!r}:\n{self.text()}"
        )

    def path(self, base_url: str) -> str:
        """The path of the message's first link under `base_url` («/verificar-correo/…»)."""
        return self.link(base_url).removeprefix(base_url)


@dataclass
class MailSink:
    """What the SMTP server received, in order, with a way to wait for one message."""

    port: int = field(default_factory=free_port)
    messages: list[Mail] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    # aiosmtpd calls its handler's hooks by these names
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._cond:
            self.messages.append(Mail(list(envelope.rcpt_tos), message))
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to `address`, in order."""
        return [m.message for m in self.messages if address.lower() in map(str.lower, m.to)]

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(
        self,
        to: str | None = None,
        *,
        containing: str | None = None,
        timeout: float = 20.0,
    ) -> Mail:
        """The first message to `to` (any recipient if None) whose text contains `containing`."""

        def find() -> Mail | None:
            for mail in self.messages:
                if to is not None and to.lower() not in [r.lower() for r in mail.to]:
                    continue
                if containing is not None and containing not in mail.all_text():
                    continue
                return mail
            return None

        deadline = time.monotonic() + timeout
        with self._cond:
            while (found := find()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.to, m.subject) for m in self.messages]
                    raise AssertionError(
                        f"no e-mail to {to!r} containing {containing!r} within {timeout}s; "
                        f"received: {seen}"
                    )
                self._cond.wait(left)
        return found


class SmtpServer:
    """aiosmtpd on a free loopback port. The port is chosen at once and `start()` may come
    later (until then connections are refused); `with SmtpServer() as smtp:` runs it."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller  # a dev dependency: missing is an error

        self.sink = MailSink()
        self.port = self.sink.port
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.running = False

    def start(self) -> None:
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
