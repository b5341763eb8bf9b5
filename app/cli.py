"""`flask --app wsgi ...` commands. Each one translates arguments to a domain call."""

from __future__ import annotations

import functools
import itertools
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.formatting import money
from workflow_engine import strict_json
from workflow_engine.engine import Actor, Command
from workflow_engine.engine.errors import EngineError
from workflow_engine.strict_json import InvalidJSONError

if TYPE_CHECKING:
    from app.services import Services
    from workflow_engine.persistence.platform.catalog import Editor


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
templates_cli = AppGroup("templates", help="Procedure templates: validate, import, publish.")
demo_cli = AppGroup("demo", help="The demo municipality.")
outbox_cli = AppGroup("outbox", help="Effects waiting to run, and dead letters.")
timers_cli = AppGroup("timers", help="Deadlines and reminders.")
cases_cli = AppGroup("cases", help="Cases (expedientes).")
apikeys_cli = AppGroup("apikeys", help="API keys for systems.")
calendar_cli = AppGroup("calendar", help="Holidays (non-business days) for legal deadlines.")
documents_cli = AppGroup("documents", help="Issued documents: revoke, signing certificate.")
users_cli = AppGroup("users", help="Accounts: the first administrator.")


def run_migrations(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    import migrations

    # Found through the installed `migrations` package, not the checkout: `pip install .` works.
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to DATABASE_URL."""
    run_migrations(_services().settings.database_url)
    click.echo("Base de datos al día.")


def _speaks(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--lang es|en` (Spanish by default) for a `templates` command: its own lines are
    gettext messages and the domain's messages are chosen in that language."""

    @functools.wraps(command)
    def run(*args: Any, lang: str, **kwargs: Any) -> Any:
        with force_locale(lang):
            return command(*args, lang=lang, **kwargs)

    option = click.option(
        "--lang", default="es", type=click.Choice(["es", "en"]), help="Language of the output."
    )
    return option(run)


def _read_template(name: str) -> Any:
    """A template file's JSON; InvalidJSONError (one clear line) when it cannot be used."""
    from workflow_engine.templates.validation import MAX_TEMPLATE_DEPTH

    try:
        text = Path(name).read_bytes()
    except OSError as exc:
        raise InvalidJSONError(
            f"no se puede leer el archivo ({exc.strerror}).",
            f"cannot read the file ({exc.strerror}).",
        ) from None
    return strict_json.loads(text, max_depth=MAX_TEMPLATE_DEPTH)


@templates_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_speaks
def templates_validate(files: tuple[str, ...], lang: str) -> None:
    """Check templates; one line per problem (severity, code, element, message); exit 1 on
    any error (warnings alone do not fail)."""
    from workflow_engine.templates.validation import errors, validate_template

    failed = False
    for name in files:
        try:
            doc = _read_template(name)
        except InvalidJSONError as exc:
            click.echo(f"$: {name}: {exc.message(lang)}")
            failed = True
            continue
        problems = validate_template(doc, with_warnings=True)
        for problem in problems:
            click.echo(
                f"{problem.severity} {problem.code} {problem.element or '$'} ({problem.path}): "
                f"{problem.message(lang)}"
            )
        blocking = len(errors(problems))
        if blocking:
            failed = True
        warnings = len(problems) - blocking
        summary = "OK" if not blocking else ngettext("%(num)s error", "%(num)s errores", blocking)
        if warnings:
            summary += ", " + ngettext("%(num)s aviso", "%(num)s avisos", warnings)
        click.echo(f"{name}: {summary}", err=True)
    sys.exit(1 if failed else 0)


def _fail(exc: EngineError, lang: str = "es") -> None:
    click.echo(exc.message(lang), err=True)
    for problem in exc.details.get("problems", []):
        click.echo(f"{problem['path']}: {problem[f'message_{lang}']}", err=True)
    sys.exit(1)


def _operator_name() -> str:
    """How the audit log names whoever runs a command on the server."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in this container
        who = "?"
    return f"línea de comandos ({who})"


def _editor(email: str | None) -> Editor:
    """`--as EMAIL`'s account as the acting editor, or the server's operator without it."""
    from workflow_engine.persistence.platform.accounts import Accounts
    from workflow_engine.persistence.platform.catalog import Editor

    if not email:
        return Editor.operator(_operator_name())
    account = Accounts(_services().engine).by_email(email)
    if account is None:
        click.echo(_("No existe esa cuenta."), err=True)
        sys.exit(1)
    return Editor(account.id)


_AS = click.option(
    "--as",
    "email",
    default=None,
    help="The acting account (a liaison of the department or an administrator); "
    "without it, the server's operator.",
)


@templates_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_AS
@_speaks
def templates_import(file: str, email: str | None, lang: str) -> None:
    """Save the file as the draft's next revision (even with errors: they are listed, and the
    exit status is 1 until they are fixed, since such a draft cannot be published)."""
    try:
        doc = _read_template(file)
    except InvalidJSONError as exc:
        click.echo(f"$: {file}: {exc.message(lang)}", err=True)
        sys.exit(1)
    catalog = _services().catalog
    try:
        revision = catalog.save_revision(doc, by=_editor(email), base=None)
    except EngineError as exc:
        _fail(exc, lang)
        return
    info = catalog.info(revision.key)
    saved = _(
        "borrador guardado, revisión %(number)s (estado: %(state)s)",
        number=revision.number,
        state=info.state,
    )
    click.echo(f"{info.key}: {saved}")
    for problem in revision.problems:
        click.echo(f"{problem['path']}: {problem[f'message_{lang}']}")
    if revision.error_count:
        click.echo(
            ngettext(
                "%(num)s error: no se puede publicar hasta corregirlo.",
                "%(num)s errores: no se puede publicar hasta corregirlos.",
                revision.error_count,
            ),
            err=True,
        )
        sys.exit(1)


@templates_cli.command("publish")
@click.argument("key")
@_AS
@click.option(
    "--note",
    default="Publicado desde la línea de comandos.",
    show_default=True,
    help="Why it is published (kept with the version and in the audit log).",
)
@_speaks
def templates_publish(key: str, email: str | None, note: str, lang: str) -> None:
    """Freeze the draft as a new numbered version (it must have no errors)."""
    try:
        version = _services().catalog.publish(key, by=_editor(email), note=note)
    except EngineError as exc:
        _fail(exc, lang)
        return
    published = _(
        "versión %(number)s publicada (sha256 %(checksum)s)",
        number=version.number,
        checksum=version.checksum,
    )
    click.echo(f"{key}: {published}")


@templates_cli.command("rollback")
@click.argument("key")
@click.argument("number", metavar="VERSION", type=int)
@_AS
@click.option("--note", required=True, help="Why the old version comes back.")
@_speaks
def templates_rollback(key: str, number: int, email: str | None, note: str, lang: str) -> None:
    """Publish an old version's document again, as a new version."""
    try:
        version = _services().catalog.rollback(key, number, by=_editor(email), note=note)
    except EngineError as exc:
        _fail(exc, lang)
        return
    again = _(
        "versión %(old)s publicada de nuevo como versión %(number)s (sha256 %(checksum)s)",
        old=number,
        number=version.number,
        checksum=version.checksum,
    )
    click.echo(f"{key}: {again}")


@templates_cli.command("revisions")
@click.argument("key")
@_speaks
def templates_revisions(key: str, lang: str) -> None:
    """One line per saved revision, newest first: number, who, when, errors, warnings."""
    try:
        revisions = _services().catalog.revisions(key)
    except EngineError as exc:
        _fail(exc, lang)
        return
    for r in revisions:
        when = r.saved_at.strftime("%Y-%m-%d %H:%M UTC")
        errors = ngettext("%(num)s error", "%(num)s errores", r.error_count)
        warnings = ngettext("%(num)s aviso", "%(num)s avisos", r.warning_count)
        click.echo(f"{r.number}\t{r.saved_by_name}\t{when}\t{errors}\t{warnings}")


@templates_cli.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="A published version.")
@_speaks
def templates_export(key: str, number: int | None, lang: str) -> None:
    """Print the draft (or a published version) as JSON."""
    catalog = _services().catalog
    try:
        doc = catalog.draft(key) if number is None else catalog.version(key, number).definition
    except EngineError as exc:
        _fail(exc, lang)
        return
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def _template_side(key: str, which: str) -> dict[str, Any]:
    """A published version (its number) or the draft (``draft``) of template ``key``."""
    catalog = _services().catalog
    doc: dict[str, Any]
    if which.strip().lower() == "draft":
        doc = catalog.draft(key)
        return doc
    try:
        number = int(which)
    except ValueError:
        raise click.BadParameter(
            _("«%(which)s» no es un número de versión ni «draft».", which=which),
            param_hint="A/B",
        ) from None
    doc = catalog.version(key, number).definition
    return doc


@templates_cli.command("diff")
@click.argument("key")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Machine output.")
@_speaks
def templates_diff(key: str, old: str, new: str, lang: str, as_json: bool) -> None:
    """What changed from OLD to NEW (version numbers or `draft`), grouped by step."""
    from workflow_engine.templates.diff import diff, grouped

    try:
        groups = grouped(diff(_template_side(key, old), _template_side(key, new)))
    except EngineError as exc:
        _fail(exc, lang)
        return
    if as_json:
        body = {"key": key, "old": old, "new": new, "groups": [g.as_json() for g in groups]}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if not groups:
        click.echo(_("Sin cambios."))
    for group in groups:
        click.echo(group.title(lang))
        for change in group.changes:
            click.echo(f"  - {change.message(lang)}")


@templates_cli.command("generate-schemas")
@click.option("--check", is_flag=True, help="Only say whether the files are out of date.")
@_speaks
def templates_generate_schemas(check: bool, lang: str) -> None:
    """Regenerate field_types.json and the field and step parts of procedure.schema.json."""
    from form_schemas import field_types_path
    from workflow_engine.templates.schemas import stale_files, write_schemas

    directory = field_types_path().parent
    if check:
        stale = stale_files(directory)
        for path in stale:
            click.echo(_("Desactualizado: %(path)s", path=path), err=True)
        sys.exit(1 if stale else 0)
    for path in write_schemas(directory):
        click.echo(_("Escrito: %(path)s", path=path))
    click.echo(_("Esquemas al día."))


@templates_cli.command("list")
def templates_list() -> None:
    for info in _services().catalog.all():
        click.echo(f"{info.key}\t{info.state}\tv{info.latest_version or '-'}")


@templates_cli.command("archive")
@click.argument("key")
@_speaks
def templates_archive(key: str, lang: str) -> None:
    try:
        info = _services().catalog.archive(key)
    except EngineError as exc:
        _fail(exc, lang)
        return
    click.echo(f"{info.key}: {info.state}")


def _template_doc(key: str, number: int | None, draft: bool) -> Any:
    """The document to preview: a template file, a published version, or the draft."""
    if key.endswith(".json") and Path(key).is_file():
        return _read_template(key)
    catalog = _services().catalog
    if number is not None and draft:
        raise click.UsageError(_("Use --version o --draft, no ambos."))
    return catalog.version(key, number).definition if number is not None else catalog.draft(key)


def _say_draft_errors(doc: Any) -> list[Any]:
    """A draft may have errors and still be previewed: say how many (on stderr); its errors."""
    from workflow_engine.templates.validation import validate_template

    problems = validate_template(doc)
    if problems:
        click.echo(
            ngettext(
                "Aviso: la plantilla tiene %(num)s error; la vista previa muestra lo que sí "
                "se puede usar.",
                "Aviso: la plantilla tiene %(num)s errores; la vista previa muestra lo que sí "
                "se puede usar.",
                len(problems),
            ),
            err=True,
        )
    return problems


@templates_cli.command("preview")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="A published version.")
@click.option("--draft", is_flag=True, help="The draft (the default).")
@click.option("--step", "step_id", required=True, help="A form step's id.")
@click.option("--empty", is_flag=True, help="No answers: the empty page.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False))
@_speaks
def templates_preview(
    key: str, number: int | None, draft: bool, step_id: str, empty: bool, lang: str, out_file: str
) -> None:
    """Render one form step as the wizard shows it, with sample (or no) answers, to HTML."""
    from app.citizen.wizard.preview import UnknownStepError, UnsoundStepError, render_step_preview

    try:
        doc = _template_doc(key, number, draft)
        _say_draft_errors(doc)
        html = render_step_preview(doc, step_id, empty=empty, lang=lang)
    except UnsoundStepError as exc:
        click.echo(
            _("El paso «%(step)s» tiene errores; corríjalos antes de verlo:", step=step_id),
            err=True,
        )
        for problem in exc.problems:
            click.echo(f"{problem.path}: {problem.message(lang)}", err=True)
        sys.exit(1)
    except InvalidJSONError as exc:
        click.echo(f"$: {key}: {exc.message(lang)}", err=True)
        sys.exit(1)
    except EngineError as exc:
        _fail(exc, lang)
        return
    except UnknownStepError:
        click.echo(
            _("«%(step)s» no es un paso de formulario de %(key)s.", step=step_id, key=key),
            err=True,
        )
        sys.exit(1)
    Path(out_file).write_text(html, encoding="utf-8")
    click.echo(_("vista previa: %(file)s", file=out_file))


@templates_cli.command("simulate")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="A published version.")
@click.option("--draft", is_flag=True, help="The draft (the default).")
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON {step: {field: value}}; the template's example_data by default.",
)
@click.option("--decisions", default="", help="approve, reject or return, in task order.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@_speaks
def templates_simulate(
    key: str,
    number: int | None,
    draft: bool,
    data_file: str | None,
    decisions: str,
    out_dir: str,
    lang: str,
) -> None:
    """Dry run: the path, fees, tasks and notices an answer set would give; preview PDFs to
    DIR. Nothing is written to the database."""
    from app.trial import preview_pdf, run_trial
    from workflow_engine.persistence.types import utcnow
    from workflow_engine.templates.preview import parse_decisions, readable

    try:
        words = parse_decisions(decisions)
    except ValueError as exc:
        raise click.BadParameter(
            _("«%(word)s» no es una decisión (approve, reject, return).", word=str(exc)),
            param_hint="--decisions",
        ) from None
    try:
        doc = _template_doc(key, number, draft)
        problems = _say_draft_errors(doc)
        data = _read_template(data_file) if data_file else None
    except InvalidJSONError as exc:
        click.echo(f"$: {exc.message(lang)}", err=True)
        sys.exit(1)
    except EngineError as exc:
        _fail(exc, lang)
        return
    if data is not None and not (
        isinstance(data, dict) and all(isinstance(v, dict) for v in data.values())
    ):
        click.echo(_("--data: se espera un objeto {paso: {campo: valor}}."), err=True)
        sys.exit(1)
    services = _services()
    at = utcnow()
    trial = run_trial(services, doc, data, words, at=at, problems=problems)
    sim = trial.simulation
    click.echo(f"path: {' -> '.join(sim.path)}")
    if trial.stopped is not None:
        reason = trial.stopped[1] if lang == "en" else trial.stopped[0]
        click.echo(_("detenido: %(reason)s", reason=reason), err=True)
        sys.exit(1)
    click.echo(f"outcome: {sim.outcome or '-'} ({sim.status})")
    for fee in sim.fees:
        for line in fee.lines:
            label = line["label"].get(lang) or line["label"].get("es") or line["id"]
            click.echo(f"fee: {fee.step_id}: {label}: {money(line['amount_cents'], fee.currency)}")
        click.echo(f"fees total: {fee.step_id}: {money(fee.total_cents, fee.currency)}")
    for task in sim.tasks:
        click.echo(
            f"task: {task.step_id}: {task.department} / {task.role}, "
            + _("plazo %(due)s", due=task.due_on or "-")
            + f": {task.decision or _('pendiente')}"
        )
    for notice in sim.notifications:
        click.echo(f"notification: {notice.template} -> {notice.to}")
    for note_es, note_en in sim.notes:
        click.echo(_("nota: %(note)s", note=note_en if lang == "en" else note_es))
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    shown = readable(doc)
    for document in sim.documents:
        pdf = preview_pdf(services, doc, document, at)
        if pdf is None:
            failed = _(
                "no se pudo generar la vista previa; revise los errores del documento de ese paso."
            )
            click.echo(f"document: {document.step_id}: {failed}", err=True)
            continue
        path = target / f"{shown['key']}-{document.step_id}-{document.kind}-vista-previa.pdf"
        path.write_bytes(pdf)
        click.echo(f"document: {path}")


@demo_cli.command("seed")
@click.option(
    "--cases/--no-cases",
    "with_cases",
    default=True,
    show_default=True,
    help="Also replay a few dozen cases in every state over recent months.",
)
def demo_seed(with_cases: bool) -> None:
    """Departments, demo accounts, holidays, catalogs and the procedures of the demo
    municipality (DEMO_MUNICIPALITY), published; then its demo cases."""
    from workflow_engine.persistence.platform.demo import demo_municipality, seed_demo

    services = _services()
    key = services.settings.demo_municipality
    try:
        municipality = demo_municipality(key) if key else None
        report = seed_demo(
            services.engine, demo_mode=services.settings.demo_mode, municipality=municipality
        )
    except EngineError as exc:
        _fail(exc)
        return
    services.cases.refresh_calendar()
    click.echo(
        f"Municipio demo listo: {report.departments} dependencias, "
        f"{report.accounts_created} cuentas nuevas, {len(report.catalogs_loaded)} catálogos "
        f"cargados, {len(report.published)} trámites publicados."
    )
    if with_cases:
        _seed_demo_cases(services, report.published)
        _seed_demo_expired_orders(services)
        _seed_demo_ledger(services)


# The channels the demo cases' fees are paid through, in turn (the treasury's revenue page
# then shows each of them).
DEMO_CHANNELS = ("gateway:demo", "bank:banco-demo", "counter:cash", "counter:card")


def _seed_demo_cases(services: Services, procedures: list[str]) -> None:
    from connectors.payments.handler import settle_payment
    from workflow_engine.persistence.cases.demo_cases import seed_demo_cases
    from workflow_engine.persistence.platform.demo import demo_staff

    paid = itertools.count()

    def settle(reference: str) -> Command:
        source = DEMO_CHANNELS[next(paid) % len(DEMO_CHANNELS)]
        return settle_payment(
            services.engine,
            reference,
            f"demo-{reference}",
            source=source,
            timezone=services.settings.timezone,
        )[1]

    began = time.monotonic()
    report = seed_demo_cases(
        services.cases,
        services.outbox,
        procedures,
        demo_staff(services.engine),
        settle=settle,
    )
    if report.skipped:
        click.echo("Expedientes demo: ya estaban creados.")
        return
    states = ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items()))
    click.echo(
        f"Expedientes demo: {report.created} nuevos ({states}) en {time.monotonic() - began:.1f} s."
    )


def _seed_demo_expired_orders(services: Services) -> None:
    """A few of the demo cases' payment orders expired (the revenue page's «Vencidas»)."""
    from connectors.common import local_today
    from connectors.payments.demo import seed_demo_expired_orders
    from workflow_engine.persistence.cases.demo_cases import DEMO_NEIGHBOURS
    from workflow_engine.persistence.platform.accounts import Accounts
    from workflow_engine.persistence.types import utcnow

    accounts = Accounts(services.engine, demo_mode=True)
    ids = [str(a.id) for email, _name in DEMO_NEIGHBOURS if (a := accounts.by_email(email))]
    today = local_today(services.settings.timezone, utcnow())
    expired = seed_demo_expired_orders(
        services.engine, services.cases, ids, today, timezone=services.settings.timezone
    )
    services.outbox.run_due()  # the new orders the cases asked for
    if expired:
        click.echo(f"Órdenes de pago demo vencidas: {expired} (cada expediente pidió otra).")


def _seed_demo_ledger(services: Services) -> None:
    from connectors.common import local_today
    from connectors.ledger.demo import seed_demo_ledger
    from workflow_engine.persistence.types import utcnow

    today = local_today(services.settings.timezone, utcnow())
    added = seed_demo_ledger(services.engine, today, timezone=services.settings.timezone)
    if added:
        click.echo(f"Padrón demo: {added} contribuyentes con cargos anuales, pagos y adeudos.")


@demo_cli.command("walkthrough")
@click.argument("key")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--wait",
    "wait_seconds",
    default=120.0,
    show_default=True,
    help="Seconds to wait for effects a worker holds (the rest run here).",
)
def demo_walkthrough(key: str, out_dir: str, wait_seconds: float) -> None:
    """Run one case from start to end with the example data; write its documents to DIR.
    Effects run here, or in a Celery worker when one takes them first; the command returns
    when all of them are done."""
    from connectors.payments.handler import settle_payment
    from workflow_engine.persistence.cases.walkthrough import run_walkthrough
    from workflow_engine.persistence.platform.accounts import Accounts

    services = _services()
    account = Accounts(services.engine).by_email("ciudadano@demo.gob.mx")
    applicant = account.actor() if account else Actor(id="demo-citizen", kind="citizen")
    try:
        result = run_walkthrough(
            services.cases,
            services.outbox,
            key,
            applicant,
            settle=lambda reference: settle_payment(services.engine, reference, "demo")[1],
            wait_seconds=wait_seconds,
        )
    except EngineError as exc:
        _fail(exc)
        return
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in result.documents:
        name = f"{result.folio}-{doc['step_id']}-{doc['kind']}.pdf"
        shutil.copyfile(Path(services.settings.documents_dir) / doc["storage_path"], target / name)
        written.append(str(target / name))
    click.echo(f"folio: {result.folio}")
    click.echo(f"path: {' -> '.join(result.path)}")
    click.echo(f"outcome: {result.outcome}")
    for path in written:
        click.echo(f"document: {path}")


@outbox_cli.command("retry")
@click.option("--id", "ids", type=int, multiple=True, help="Only these messages.")
def outbox_retry(ids: tuple[int, ...]) -> None:
    """Put dead-lettered effects back in the queue and run them."""
    services = _services()
    retried = services.outbox.retry_dead(list(ids) or None)
    for message_id in retried:
        result = services.outbox.process(message_id)
        click.echo(f"{message_id}: {result.status}")
    if not retried:
        click.echo("No hay mensajes en la cola de fallidos.")


@outbox_cli.command("dead")
def outbox_dead() -> None:
    """List dead-lettered effects with their case's folio and last error."""
    for row in _services().outbox.dead_letters():
        click.echo(
            f"{row['id']}\t{row['kind']}\t{row['folio'] or '-'}\t{row['attempts']}\t"
            f"{row['last_error']}"
        )


@outbox_cli.command("run")
def outbox_run() -> None:
    """Run every due effect now, in this process."""
    click.echo(f"{_services().outbox.run_due()} efectos ejecutados")


@outbox_cli.command("work")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between looks.")
@click.option(
    "--grace",
    type=float,
    default=None,
    help="Leave effects due for less than this many seconds to the Celery workers "
    "(default: 15 with CELERY_BROKER_URL, else 0).",
)
def outbox_work(interval: float, grace: float | None) -> None:
    """Run due effects from the database alone, until stopped (SIGTERM/SIGINT): keeps
    documents, payment orders and e-mails going while the broker is down."""
    import signal
    import threading

    services = _services()
    if grace is None:
        grace = 15.0 if services.settings.broker_url else 0.0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"outbox work: cada {interval:g} s, margen {grace:g} s")
    done = services.outbox.work(stop, interval=interval, grace=grace)
    click.echo(f"{done} efectos ejecutados")


@timers_cli.command("drafts")
def timers_drafts() -> None:
    """Warn about abandoned drafts, then cancel the ones already warned (daily in beat)."""
    from workflow_engine.persistence.cases.drafts import expire_abandoned_drafts

    services = _services()
    result = expire_abandoned_drafts(services.cases, services.uploads)
    click.echo(f"Borradores: {result}")


@timers_cli.command("fire")
def timers_fire() -> None:
    """Fire every due timer now (Celery beat does this every minute)."""
    from workflow_engine.persistence.cases.timers import fire_due_timers

    click.echo(f"{fire_due_timers(_services().cases)} plazos vencidos procesados")


@cases_cli.command("verify")
@click.argument("folio")
def cases_verify(folio: str) -> None:
    """Check the hash chain of a case's history."""
    services = _services()
    try:
        case_id = services.cases.case_id_for_folio(folio)
    except EngineError as exc:
        _fail(exc)
        return
    broken = services.cases.verify_history(case_id)
    if broken:
        click.echo(f"{folio}: historial alterado en los eventos {broken}")
        sys.exit(1)
    click.echo(f"{folio}: historial íntegro")


@apikeys_cli.command("create")
@click.option("--email", required=True, help="The account the key acts as.")
@click.option("--name", required=True, help="Which system uses it.")
def apikeys_create(email: str, name: str) -> None:
    """Create an API key; it is shown only once."""
    from workflow_engine.persistence.platform.accounts import Accounts

    accounts = Accounts(_services().engine)
    account = accounts.by_email(email)
    if account is None:
        click.echo("No existe esa cuenta.", err=True)
        sys.exit(1)
    click.echo(accounts.create_api_key(account.id, name))


@calendar_cli.command("list")
@click.option("--year", type=int, default=None)
def calendar_list(year: int | None) -> None:
    """List configured holidays."""
    from workflow_engine.persistence.platform.holidays import list_holidays

    for day, name in list_holidays(_services().engine, year):
        click.echo(f"{day.isoformat()}\t{name}")


@calendar_cli.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("name")
def calendar_add(day: Any, name: str) -> None:
    """Declare a non-business day (e.g. a municipal holiday): DAY as YYYY-MM-DD."""
    from workflow_engine.persistence.platform.holidays import add_holiday

    add_holiday(_services().engine, day.date(), name)
    _services().cases.refresh_calendar()
    click.echo(f"{day.date().isoformat()}: {name} (día inhábil)")


@calendar_cli.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove(day: Any) -> None:
    """Make a day a business day again."""
    from workflow_engine.persistence.platform.holidays import remove_holiday

    if not remove_holiday(_services().engine, day.date()):
        click.echo("Ese día no estaba registrado como inhábil.", err=True)
        sys.exit(1)
    _services().cases.refresh_calendar()
    click.echo(f"{day.date().isoformat()}: día hábil")


@documents_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Shown publicly on /verificar/<code>.")
@click.option("--by", "by", default="cli", help="Who revokes (recorded in the audit log).")
def documents_revoke(code: str, reason: str, by: str) -> None:
    """Revoke an issued document; its verification page then says revoked, with REASON."""
    from connectors.documents.verification import RevocationError, revoke_document

    try:
        record = revoke_document(_services().engine, code, reason, actor_id=by, actor_name=by)
    except RevocationError as exc:
        click.echo(exc.message_es, err=True)
        sys.exit(1)
    click.echo(f"{record.code}: revocado ({record.folio}) - {record.revoked_reason}")


@documents_cli.command("show")
@click.argument("code")
def documents_show(code: str) -> None:
    """Print what /verificar/<code> shows about a document."""
    from connectors.common import local_today
    from connectors.documents.verification import find_document

    services = _services()
    record = find_document(services.engine, code)
    if record is None:
        click.echo("No existe ningún documento con ese código.", err=True)
        sys.exit(1)
    click.echo(f"code: {record.code}")
    click.echo(f"folio: {record.folio}")
    click.echo(f"title: {record.title}")
    click.echo(f"issued_at: {record.issued_at.isoformat()}")
    click.echo(f"expires_on: {record.expires_on.isoformat() if record.expires_on else '-'}")
    click.echo(f"status: {record.status(local_today(services.settings.timezone))}")
    if record.revoked_reason:
        click.echo(f"reason: {record.revoked_reason}")


@documents_cli.command("signing-info")
def documents_signing_info() -> None:
    """Load the signing certificate (creating the DEMO one if none is configured) and print
    whose it is."""
    from app.services import connector_settings
    from connectors.documents.signing import SigningError, signing_setup

    try:
        setup = signing_setup(connector_settings(_services().settings))
    except SigningError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    cert = setup.credentials.certificate
    click.echo(f"signer: {cert.subject.human_friendly}")
    click.echo(f"issuer: {cert.issuer.human_friendly}")
    click.echo(f"valid_until: {cert['tbs_certificate']['validity']['not_after'].native}")
    click.echo(f"demo: {'yes' if setup.demo else 'no'}")
    click.echo(f"timestamps: {setup.signer.timestamper is not None}")


@users_cli.command("create-admin")
@click.argument("email")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of printing a set-password link.",
)
def users_create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an administrator (the first one: there is nobody yet to invite it); print a
    single-use link to choose the password, valid 7 days, or read it from stdin."""
    from flask import url_for

    from workflow_engine.persistence.platform.staff import Staff, StaffError

    services = _services()
    password = None
    if password_stdin:
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")

    def link_for(token: str) -> str:
        with current_app.test_request_context():
            path = url_for("staff_invitation.accept", token=token)
        return str(services.settings.base_url).rstrip("/") + path

    try:
        created = Staff(services.engine).create_admin(
            email=email,
            name=name,
            password=password,
            operator=_operator_name(),
            link_for=link_for,
        )
    except StaffError as exc:
        for problem in exc.problems:
            click.echo(problem.message_es, err=True)
        sys.exit(1)
    click.echo(f"Administrador(a) creado(a): {created.user.email} (id {created.user.id})")
    if created.link:
        click.echo("Enlace para elegir la contraseña (vale 7 días y sólo una vez):")
        click.echo(created.link)


departments_cli = AppGroup("departments", help="Departments (dependencias) tasks go to.")


@departments_cli.command("list")
def departments_list() -> None:
    """One line per department: KEY, Spanish name, English name, active staff."""
    from workflow_engine.persistence.platform.staff import Staff

    for dept in Staff(_services().engine).departments():
        click.echo(f"{dept.key}\t{dept.name_es}\t{dept.name_en}\t{dept.active_staff}")


@departments_cli.command("add")
@click.argument("key")
@click.argument("name_es")
@click.argument("name_en", required=False, default="")
def departments_add(key: str, name_es: str, name_en: str) -> None:
    """Create a department: KEY as templates name it (e.g. desarrollo-urbano), its name in
    Spanish and, optionally, in English. Recorded in the audit log."""
    from workflow_engine.persistence.platform.staff import Staff, StaffError

    try:
        dept = Staff(_services().engine).add_department(
            key=key, name_es=name_es, name_en=name_en, operator=_operator_name()
        )
    except StaffError as exc:
        for problem in exc.problems:
            click.echo(problem.message_es, err=True)
        sys.exit(1)
    click.echo(f"Dependencia creada: {dept.key} ({dept.name_es})")


payments_cli = AppGroup("payments", help="Payments: bank reconciliation files.")
MAPPING_MAX_DEPTH = 8  # a CSV mapping is an object of column names and small lists


@payments_cli.command("reconcile")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "fixed"]))
@click.option("--mapping", default=None, help="CSV mapping: JSON text or a JSON file path.")
@click.option("--bank", default=None, help="The bank's name (source bank:<name>).")
def payments_reconcile(file: str, fmt: str, mapping: str | None, bank: str | None) -> None:
    """Import a bank's payments file; print what was recorded and every line not recorded."""
    from connectors.payments.reconciliation import BankFileError, reconcile_file

    services = _services()
    doc: Any = None
    if mapping:
        try:
            text = mapping if mapping.lstrip().startswith("{") else Path(mapping).read_text("utf-8")
            doc = strict_json.loads(text, max_depth=MAPPING_MAX_DEPTH)
        except (OSError, ValueError) as exc:  # InvalidJSONError included
            reason = exc.message_es if isinstance(exc, InvalidJSONError) else str(exc)
            click.echo(f"--mapping no es JSON válido: {reason}", err=True)
            sys.exit(1)
    try:
        report = reconcile_file(
            services.engine,
            services.cases,
            Path(file),
            fmt,
            doc,
            bank=bank,
            timezone=services.settings.timezone,
        )
    except BankFileError as exc:
        click.echo(exc.message("es"), err=True)
        sys.exit(1)
    counts = report.counts()
    click.echo(f"origen: {report.source}")
    click.echo(
        f"registrados: {counts['recorded']}  duplicados: {counts['duplicate']}  "
        f"sin coincidencia: {counts['unmatched']}  rechazados: {counts['refused']}  "
        f"ilegibles: {counts['malformed']}  ({report.seconds:.2f} s)"
    )
    for line in report.lines:
        if line.status in ("recorded", "duplicate"):
            continue
        label = {"unmatched": "sin coincidencia", "refused": "rechazado", "malformed": "ilegible"}
        click.echo(
            f"línea {line.line}: {label[line.status]} {line.reference} {line.reason}".rstrip()
        )


catalogs_cli = AppGroup("catalogs", help="Reusable catalogs (SCIAN lines, colonias).")


@catalogs_cli.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def catalogs_import(name: str, file: Path) -> None:
    """Replace catalog NAME with the entries of a CSV (header: clave,nombre)."""
    from workflow_engine.persistence.platform.catalogs import (
        CatalogImportError,
        parse_csv,
        replace_catalog,
    )

    try:
        text = file.read_text(encoding="utf-8")
        count = replace_catalog(_services().engine, name, parse_csv(text))
    except UnicodeDecodeError:
        click.echo(f"{file}: el archivo no está en UTF-8; no se cargó nada.", err=True)
        sys.exit(1)
    except CatalogImportError as exc:
        for line in exc.lines:
            click.echo(f"{file}: {line}", err=True)
        click.echo("No se cargó nada.", err=True)
        sys.exit(1)
    click.echo(f"Catálogo «{name}»: {count} entradas.")


from app.ledger_cli import ledger_cli  # noqa: E402  (a group of its own module)


def init_app(app: Flask) -> None:
    for group in (
        db_cli,
        templates_cli,
        demo_cli,
        outbox_cli,
        timers_cli,
        cases_cli,
        apikeys_cli,
        calendar_cli,
        payments_cli,
        documents_cli,
        ledger_cli,
        users_cli,
        catalogs_cli,
        departments_cli,
    ):
        app.cli.add_command(group)
