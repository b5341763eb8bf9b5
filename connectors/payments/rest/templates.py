"""Sandboxed Jinja templates for request paths and bodies.

The templates are written by an administrator but fed with what citizens typed, so two rules
make them safe by construction:

- every `{{ ... }}` in a **body** is written as a JSON value (strings quoted and escaped,
  numbers as numbers, dates as ISO strings), so case data can never change the document's
  structure: `{"nombre": {{ case.data.nombre }}}` is always valid JSON;
- every `{{ ... }}` in a **path** is percent-encoded, so a value cannot add path segments
  or a query string.

Both run in Jinja's immutable sandbox (no attribute tricks, no mutation of the context) with
undefined names as errors, so a typo in the configuration fails loudly instead of sending
an empty field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from jinja2 import StrictUndefined, Template, TemplateError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateRenderError(ValueError):
    """A template could not be rendered with this data (a configuration problem)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _as_json(value: Any) -> str:
    if isinstance(value, Undefined):
        return str(value)  # StrictUndefined: raises, naming what is missing or not allowed
    if isinstance(value, Decimal):
        return str(value)  # money stays exact: 1234.50, never 1234.4999
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _as_path_segment(value: Any) -> str:
    if value is None:
        return ""
    return quote(str(value), safe="")


_body_env = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, finalize=_as_json, autoescape=False
)
_path_env = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, finalize=_as_path_segment, autoescape=False
)


def compile_body(source: str) -> Template:
    return _body_env.from_string(source)


def compile_path(source: str) -> Template:
    return _path_env.from_string(source)


def render_body(template: Template, context: Mapping[str, Any]) -> bytes:
    """The request body as UTF-8 JSON; raises TemplateRenderError if it is not JSON."""
    try:
        text = template.render(**context)
    except (TemplateError, TypeError) as exc:
        raise TemplateRenderError(f"body template: {exc}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateRenderError(f"the body template does not give JSON: {exc}") from None
    return text.encode("utf-8")


def render_path(template: Template, context: Mapping[str, Any]) -> str:
    try:
        return template.render(**context)
    except TemplateError as exc:
        raise TemplateRenderError(f"path template: {exc}") from None
