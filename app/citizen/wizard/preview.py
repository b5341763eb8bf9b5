"""A form step of any template rendered through the wizard's own page and widgets, with
sample or empty answers and no case behind it (`templates preview`; later the configurator)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, flash
from flask_babel import gettext as _

from app.api import queries
from app.citizen.wizard import views
from workflow_engine.engine import CaseState, ProcedureDefinition
from workflow_engine.engine import state as case_state
from workflow_engine.templates.preview import (
    APPLICANT,
    PREVIEW_FOLIO,
    form_step_problems,
    readable,
    sample_data,
)
from workflow_engine.templates.validation import Problem


class UnknownStepError(LookupError):
    """The step asked for is not a form step of the template."""


class UnsoundStepError(ValueError):
    """The step's own fields have errors, so its page cannot be drawn; `problems` say which
    (errors elsewhere in a draft do not stop a preview)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message_en)
        self.problems = problems


def render_step_preview(
    doc: Mapping[str, Any],
    step_id: str,
    *,
    empty: bool = False,
    lang: str = "es",
    urls: tuple[str, str] | None = None,
    cookie: str | None = None,
) -> str:
    """The wizard page of `step_id` as HTML (needs an app context); nothing is stored.

    `doc` may be a draft with errors: the page is drawn when the step's own fields are
    sound, else `UnsoundStepError` lists what to fix first. `urls`: where the page's form
    posts and where «Regresar» goes (a page someone clicks through); by default the case's
    own, which do not exist for a preview. `cookie`: the visitor's, so the page's form
    carries their CSRF token (a preview clicked through in the browser)."""
    definition = ProcedureDefinition(readable(doc))
    if not definition.is_form(step_id):
        raise UnknownStepError(step_id)
    problems = form_step_problems(doc, step_id)
    if problems:
        raise UnsoundStepError(problems)
    samples = sample_data(definition)
    data: dict[str, Any] = {}
    for values in samples.values():
        data.update(values)
    values = {} if empty else samples.get(step_id, {})
    form_path = tuple(definition.form_steps())
    state = CaseState(
        case_id="preview",
        folio=PREVIEW_FOLIO,
        applicant_id=APPLICANT.id,
        status=case_state.DRAFT,
        position=step_id,
        created_at="",
        data={} if empty else data,
        form_path=form_path[: form_path.index(step_id) + 1] if step_id in form_path else (step_id,),
    )
    row = queries.CaseRow(0, PREVIEW_FOLIO, definition.key, 0, APPLICANT.id, None, None)
    case = views.Case(row, state, definition, APPLICANT)
    # current_app is a werkzeug LocalProxy, typed as the Flask object it stands for.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # A fresh application context: `g` (where the page's locale is cached) is not shared
    # with the caller's, so each preview is rendered in its own language.
    with (
        app.app_context(),
        app.test_request_context(
            f"/expedientes/{PREVIEW_FOLIO}/pasos/{step_id}",
            headers={"Accept-Language": lang, **({"Cookie": cookie} if cookie else {})},
        ),
    ):
        flash(_("Vista previa: así verá la persona solicitante este paso. Nada se guarda."))
        html, _status = views.render_step(case, definition.step_model(step_id), values, urls=urls)
    return html
