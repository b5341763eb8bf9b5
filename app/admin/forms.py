"""The administration's forms: inviting and editing staff, departments, accepting an
invitation, retrying dead outbox messages. Read what was posted, bounded in length; the
rules (and their messages) live in `workflow_engine.persistence.platform.staff` and
`municipal_settings`."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

Form = MultiDict[str, str]


def role_tags(form: Form) -> list[str]:
    """The ticked known tags and the free-text ones, as the staff rules expect them."""
    return [*form.getlist("role_tags"), form.get("other_tags", "")[:400]]


def invite_form(form: Form) -> dict[str, Any]:
    """The invitation's fields, as typed (for the page and the staff rules)."""
    return {
        "email": form.get("email", "").strip()[:400],
        "name": form.get("name", "")[:400],
        "role": form.get("role", ""),
        "department": form.get("department", "")[:64],
        "role_tags": form.getlist("role_tags"),
        "other_tags": form.get("other_tags", "")[:400],
        "language": "en" if form.get("language") == "en" else "es",
    }


def user_form(form: Form) -> dict[str, Any]:
    """An edited staff account's fields, as typed."""
    return {
        "name": form.get("name", "")[:400],
        "position": form.get("position", "")[:400],
        "role": form.get("role", ""),
        "department": form.get("department", "")[:64],
        "role_tags": form.getlist("role_tags"),
        "other_tags": form.get("other_tags", "")[:400],
    }


def department_form(form: Form, keys: tuple[str, ...]) -> dict[str, str]:
    """A department's fields among `keys` (key, name_es, name_en), as typed."""
    return {key: form.get(key, "")[:400] for key in keys}


def invitation_form(form: Form) -> dict[str, str]:
    """What a new staff member types when accepting an invitation."""
    return {
        "name": form.get("name", "")[:400],
        "password": form.get("password", ""),
        "password_confirm": form.get("password_confirm", ""),
    }


def retry_ids(form: Form) -> list[int] | None:
    """The one dead message to retry, or None for all of them."""
    raw = form.get("id", "")
    return [int(raw)] if raw.isdigit() else None
