"""Every e-mail the platform sends: one text template per kind and language, one e-mail layout.

The registry is the template folder: kind `k` in language `l` is `templates/<l>/<k>.txt`, and
both languages have the same kinds. Two families share it: case notifications, worded from an
outbox effect's payload by `connectors.notifications.messages.compose`, and the account e-mails
(`ACCOUNT_KINDS`), written when a person acts (registering, asking for a new password, an
administrator inviting an official) and queued as ready-made `email` outbox messages. The
domain decides what to send and with which facts; these templates hold all the wording.

A kind's template (`templates/<lang>/<kind>.txt`) defines the blocks `subject`, `body`, and
optionally `private` (shown in-app only) and `action` (the label of the e-mail's link). The
in-app row and both e-mail parts are made from those same blocks, so there is one wording per
message. The layouts `email.txt` and `email.html` (autoescaped: the body may quote text a
liaison or an official wrote) wrap the body for e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("es", "en")
FALLBACK_KIND = "case_update"
ACCOUNT_KINDS = frozenset(
    {"account_exists", "email_verification", "password_reset", "staff_invitation"}
)
KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # what everybody reads (in-app and e-mail)
    private: str | None = None  # only in-app; the e-mail points to the case instead
    action: str = ""  # the label of the e-mail's link ("Ver su expediente")
    lang: str = "es"
    hint: str = ""  # what the e-mail says in place of the private note


@cache
def environment() -> Environment:
    """The connector's own Jinja environment (no Flask): HTML autoescaped, text verbatim."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def language(value: str | None) -> str:
    """A language we have templates for; Spanish unless the person chose English."""
    return value if value in LANGUAGES else "es"


def tidy(text: str) -> str:
    """Paragraphs separated by one blank line, each on one line: the templates may wrap
    their source lines freely without the wrapping reaching the reader."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def render_message(kind: str, context: Mapping[str, Any], lang: str) -> Message:
    """The subject, body, private note and action label of one notification kind (an unknown
    kind is worded as a general case update)."""
    lang = language(lang)
    env = environment()
    try:
        if not KIND_NAME.fullmatch(kind) or kind in ACCOUNT_KINDS:
            raise TemplateNotFound(kind)
        template = env.get_template(f"{lang}/{kind}.txt")
    except TemplateNotFound:
        template = env.get_template(f"{lang}/{FALLBACK_KIND}.txt")
    return _render(template, context, lang)


def render_account_mail(kind: str, context: Mapping[str, Any], lang: str) -> Message:
    """The subject and body of one account e-mail (`ACCOUNT_KINDS`); the e-mail layout adds
    the municipality's signature when it is sent."""
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"not an account e-mail: {kind!r}")
    lang = language(lang)
    return _render(environment().get_template(f"{lang}/{kind}.txt"), context, lang)


def _render(template: Any, context: Mapping[str, Any], lang: str) -> Message:
    env = environment()
    common: Any = env.get_template(f"{lang}/_common.txt").make_module({})
    values = {**context, "common": common}

    def block(name: str) -> str:
        render = template.blocks.get(name)
        if render is None:
            return ""
        return tidy("".join(render(template.new_context(values))))

    action = block("action") or str(common.default_action(context.get("audience", "applicant")))
    return Message(
        subject=block("subject"),
        body=block("body"),
        private=block("private") or None,
        action=action.strip(),
        lang=lang,
        hint=str(common.details_in_case()).strip(),
    )


def render_email(
    *,
    subject: str,
    text: str,
    link: str | None,
    action: str,
    note: str | None,
    municipality: str,
    lang: str,
) -> tuple[str, str]:
    """The plain-text and HTML parts of an e-mail around an already written `text`."""
    lang = language(lang)
    env = environment()
    common: Any = env.get_template(f"{lang}/_common.txt").make_module({})
    # Plain strings (called from Python the macros do not mark their output safe), so the
    # HTML layout escapes every one of them.
    context = {
        "lang": lang,
        "subject": subject,
        "paragraphs": [p.split("\n") for p in text.split("\n\n") if p.strip()],
        "text": text,
        "link": link,
        "action": action or str(common.default_action("applicant")).strip(),
        "note": note,
        "municipality": municipality,
        "footer": str(common.footer()).strip(),
    }
    plain = env.get_template("email.txt").render(context).strip() + "\n"
    html = env.get_template("email.html").render(context)
    return plain, html
