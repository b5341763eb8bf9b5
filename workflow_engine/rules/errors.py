"""What a rule reports when it is malformed or cannot be evaluated, in Spanish and English."""

from __future__ import annotations

from dataclasses import dataclass


class RuleError(Exception):
    """A JSON Logic rule could not be evaluated.

    ``path`` points into the expression (``$.and[1].>[0]``); the messages are meant for the
    liaison who wrote the rule, so they avoid programming jargon.
    """

    def __init__(self, message_es: str, message_en: str, path: str = "$") -> None:
        super().__init__(message_es, message_en, path)
        self.message_es = message_es
        self.message_en = message_en
        self.path = path
        # Set by an operator to blame one of its arguments; the evaluator turns it into "[i]".
        self.arg_index: int | None = None
        self._base = path
        self._segments: list[str] = []  # innermost first, added while the error bubbles up

    def prepend(self, segment: str) -> None:
        """Record that the failing node sits below ``segment`` (e.g. ``.and`` or ``[1]``)."""
        self._segments.append(segment)
        self.path = self._base + "".join(reversed(self._segments))
        self.args = (self.message_es, self.message_en, self.path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message_es} / {self.message_en}"


@dataclass(frozen=True)
class RuleProblem:
    """One reason why a rule is not well formed, found without any case data."""

    path: str
    message_es: str
    message_en: str
