"""The accounts' forms (login, registration, password reset, profile): read what was posted
and say what is wrong, field by field, in the reader's language. The rules themselves live
in `workflow_engine.persistence.platform.accounts`."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from workflow_engine.persistence.platform.accounts import (
    email_problem,
    password_problem,
    validate_profile,
)

PROFILE_IDS = {
    "address.street": "address-street",
    "address.number": "address-number",
    "address.neighbourhood": "address-neighbourhood",
    "address.postcode": "address-postcode",
    "address.municipality": "address-municipality",
}
PROFILE_FIELDS = ("name", "curp", "phone", *PROFILE_IDS)

Form = MultiDict[str, str]


def login_form(form: Form) -> tuple[str, str]:
    """The e-mail address (trimmed) and the password typed on the login page."""
    return form.get("email", "").strip()[:254], form.get("password", "")


def password_message(code: str) -> str:
    return {
        "required": _("Escriba una contraseña."),
        "too_short": _("La contraseña debe tener al menos 10 caracteres."),
        "too_long": _("La contraseña es demasiado larga."),
        "is_email": _("La contraseña no puede ser su correo electrónico."),
        "common": _("Esa contraseña es muy común y fácil de adivinar; elija otra."),
    }.get(code, _("Elija otra contraseña."))


def check_new_password(form: Any, email: str, errors: dict[str, str]) -> str:
    """The new password and its confirmation; what is wrong goes to `errors`."""
    password = str(form.get("password", ""))
    problem = password_problem(password, email)
    if problem:
        errors["password"] = password_message(problem)
    elif form.get("password_confirm", "") != password:
        errors["password_confirm"] = _("Las contraseñas no coinciden.")
    return password


def email_error(email: str) -> str | None:
    """What is wrong with a typed e-mail address, or None."""
    problem = email_problem(email)
    if problem == "required":
        return _("Escriba su correo electrónico.")
    if problem:
        return _("Escriba un correo electrónico válido, por ejemplo nombre@ejemplo.com.")
    return None


def registration_form(form: Form) -> tuple[dict[str, str], dict[str, str], str]:
    """The sign-up page's name and e-mail (as typed, for the page), what is wrong with the
    form by field, and the chosen password."""
    errors: dict[str, str] = {}
    values = {
        "name": " ".join(form.get("name", "").split())[:400],
        "email": form.get("email", "").strip()[:400],
    }
    if not values["name"]:
        errors["name"] = _("Escriba su nombre completo.")
    elif len(values["name"]) > 200:
        errors["name"] = _("El nombre es demasiado largo.")
    wrong = email_error(values["email"])
    if wrong:
        errors["email"] = wrong
    password = check_new_password(form, values["email"], errors)
    return values, errors, password


def forgot_form(form: Form) -> tuple[str, str | None]:
    """The address a reset link is asked for, and what is wrong with it."""
    email = form.get("email", "").strip()[:400]
    return email, email_error(email)


def profile_message(field: str, code: str) -> str:
    if code == "too_long":
        return _("El texto es demasiado largo.")
    messages = {
        ("name", "required"): _("Escriba su nombre completo."),
        ("curp", "invalid"): _(
            "La CURP no es válida. Tiene 18 caracteres, por ejemplo PEGJ850315HJCRRN06; "
            "revise que esté completa y bien escrita."
        ),
        ("phone", "invalid"): _("Escriba un teléfono de 10 dígitos, por ejemplo 55 1234 5678."),
        ("address.postcode", "invalid"): _("El código postal tiene 5 dígitos, por ejemplo 06000."),
    }
    return messages.get((field, code), _("Revise este dato."))


def profile_form(form: Form) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The profile as posted (for the page), as cleaned (to store), and what is wrong with
    it by field."""
    posted = {key: str(form.get(key, ""))[:1000] for key in PROFILE_FIELDS}
    cleaned, codes = validate_profile(posted)
    errors = {field: profile_message(field, code) for field, code in codes.items()}
    return posted, cleaned, errors


def profile_shown(posted: dict[str, str], email: str) -> dict[str, Any]:
    """A refused profile shown again as it was typed."""
    return {
        "name": posted["name"],
        "email": email,
        "curp": posted["curp"],
        "phone": posted["phone"],
        "address": {
            key.partition(".")[2]: value
            for key, value in posted.items()
            if key.startswith("address.")
        },
    }
