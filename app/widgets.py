"""The small pieces every form field of the wizard and of the official's review draws
(`wizard/_fields.html`): a field's label with its required/optional marker, its hint and
errors, `aria-describedby`, the value as the input shows it, the conditional-reveal data.

They were Jinja macros; a page draws them five or six times per field, and a macro call costs
far more than a function call (its own frame, context and output buffer; docs/performance.md,
"Wizard over HTTP, 2026-12-03"). Same markup, escaped the same way: everything a liaison or a
citizen wrote goes through `escape`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from app.formatting import localized
from app.templating import translations

_REQUIRED = '<span class="required" aria-hidden="true"> *</span>'


def text_of(value: Any) -> Markup:
    """The value as a text input shows it: nothing for none, a mapping or a list; «si» and
    «no» for booleans; anything else as text."""
    if value is None or isinstance(value, Mapping):
        return Markup("")
    if value is True:
        return Markup("si")
    if value is False:
        return Markup("no")
    if not isinstance(value, str):
        try:
            iter(value)
        except TypeError:
            return escape(value)
        return Markup("")
    return escape(value)


def label_text(f: Mapping[str, Any]) -> Markup:
    """The field's label in the reader's language, then « *» (hidden from screen readers:
    `aria-required` says it) or «(opcional)»."""
    text = escape(localized(f.get("label")))
    if f.get("required"):
        return Markup(f"{text}{_REQUIRED}")
    optional = escape(translations().ugettext("opcional"))
    return Markup(f'{text} <span class="optional">({optional})</span>')


def described(id: str, f: Mapping[str, Any], errs: Any) -> Markup:
    """` aria-describedby="…"` naming the field's hint and error message, when it has any."""
    ids = []
    if f.get("help"):
        ids.append(id + "-ayuda")
    if errs:
        ids.append(id + "-error")
    if not ids:
        return Markup("")
    return Markup(f' aria-describedby="{escape(" ".join(ids))}"')


def hint_and_errors(id: str, f: Mapping[str, Any], errs: Any) -> Markup:
    """The field's hint and its error messages, with the ids `described` names."""
    key = escape(id)
    help_text = f.get("help")
    hint = f'<p class="usa-hint" id="{key}-ayuda">{escape(localized(help_text))}</p>'
    errors = ""
    if errs:
        prefix = escape(translations().ugettext("Error:"))
        parts = [f'<span class="visually-hidden">{prefix}</span> {escape(m)}' for m in errs]
        errors = f'<p class="usa-error-message" id="{key}-error">{"<br>".join(parts)}</p>'
    return Markup(f"\n  {hint if help_text else ''}\n  {errors}\n")


def show_if_attr(f: Mapping[str, Any]) -> Markup:
    """` data-show-if='…'`: the condition that reveals the field, for wizard.js."""
    if "show_if" not in f:
        return Markup("")
    policies = current_app.jinja_env.policies  # what Jinja's `tojson` filter uses
    dumped = htmlsafe_json_dumps(
        f["show_if"], dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]
    )
    return Markup(f" data-show-if='{dumped}'")


@pass_context
def controls_attr(context: Context, name: str) -> Markup:
    """` aria-controls="…"`: the questions this answer reveals (the step's `controls`)."""
    controls = context.get("controls")
    found = controls.get(name) if controls else None
    if not found:
        return Markup("")
    return Markup(f' aria-controls="{escape(found)}"')


GLOBALS = {
    "text_of": text_of,
    "label_text": label_text,
    "described": described,
    "hint_and_errors": hint_and_errors,
    "show_if_attr": show_if_attr,
    "controls_attr": controls_attr,
}
