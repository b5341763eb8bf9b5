"""`flask --app wsgi ...` commands. Each one translates arguments to a domain call."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from workflow_engine import strict_json
from workflow_engine.engine import Actor
from workflow_engine.engine.errors import EngineError
from workflow_engine.strict_json import InvalidJSON


def _services() -> Any:
    return current_app.extensions["tramita"]


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


def _read_template(name: str) -> Any:
    """A template file's JSON; InvalidJSON (one clear line) when it cannot be used."""
    from workflow_engine.templates.validation import MAX_TEMPLATE_DEPTH

    try:
        text = Path(name).read_bytes()
    except OSError as exc:
        raise InvalidJSON(
            f"no se puede leer el archivo ({exc.strerror}).",
            f"cannot read the file ({exc.strerror}).",
        ) from None
    return strict_json.loads(text, max_depth=MAX_TEMPLATE_DEPTH)


@templates_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--lang", default="es", type=click.Choice(["es", "en"]))
def templates_validate(files: tuple[str, ...], lang: str) -> None:
    """Check templates; print one `path: message` line per error; exit 1 if any."""
    from workflow_engine.templates.validation import validate_template

    failed = False
    for name in files:
        try:
            doc = _read_template(name)
        except InvalidJSON as exc:
            click.echo(f"$: {name}: {exc.message(lang)}")
            failed = True
            continue
        problems = validate_template(doc)
        for problem in problems:
            click.echo(f"{problem.path}: {problem.message(lang)}")
        if problems:
            failed = True
            click.echo(f"{name}: {len(problems)} error(es)", err=True)
        else:
            click.echo(f"{name}: OK", err=True)
    sys.exit(1 if failed else 0)


def _fail(exc: EngineError) -> None:
    click.echo(exc.message_es, err=True)
    for problem in exc.details.get("problems", []):
        click.echo(f"{problem['path']}: {problem['message_es']}", err=True)
    sys.exit(1)


@templates_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def templates_import(file: str) -> None:
    """Create the template or replace its draft."""
    try:
        doc = _read_template(file)
    except InvalidJSON as exc:
        click.echo(f"$: {file}: {exc.message_es}", err=True)
        sys.exit(1)
    try:
        info = _services().catalog.save_draft(doc)
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"{info.key}: borrador guardado (estado: {info.state})")


@templates_cli.command("publish")
@click.argument("key")
def templates_publish(key: str) -> None:
    """Freeze the draft as a new numbered version."""
    try:
        version = _services().catalog.publish(key, published_by="cli")
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"{key}: versión {version.number} publicada (sha256 {version.checksum})")


@templates_cli.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="A published version.")
def templates_export(key: str, number: int | None) -> None:
    """Print the draft (or a published version) as JSON."""
    catalog = _services().catalog
    try:
        doc = catalog.draft(key) if number is None else catalog.version(key, number).definition
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@templates_cli.command("generate-schemas")
@click.option("--check", is_flag=True, help="Only say whether the files are out of date.")
def templates_generate_schemas(check: bool) -> None:
    """Regenerate form_schemas/field_types.json and the field part of procedure.schema.json."""
    from form_schemas import field_types_path
    from workflow_engine.templates.schemas import stale_files, write_schemas

    directory = field_types_path().parent
    if check:
        stale = stale_files(directory)
        for path in stale:
            click.echo(f"Desactualizado: {path}", err=True)
        sys.exit(1 if stale else 0)
    for path in write_schemas(directory):
        click.echo(f"Escrito: {path}")
    click.echo("Esquemas al día.")


@templates_cli.command("list")
def templates_list() -> None:
    for info in _services().catalog.all():
        click.echo(f"{info.key}\t{info.state}\tv{info.latest_version or '-'}")


@templates_cli.command("archive")
@click.argument("key")
def templates_archive(key: str) -> None:
    try:
        info = _services().catalog.archive(key)
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"{info.key}: {info.state}")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Departments, demo accounts, holidays and the example procedures (published)."""
    from workflow_engine.persistence.demo import seed_demo

    services = _services()
    try:
        report = seed_demo(services.engine, demo_mode=services.settings.demo_mode)
    except EngineError as exc:
        _fail(exc)
        return
    services.cases.refresh_calendar()
    click.echo(
        f"Municipio demo listo: {report.departments} dependencias, "
        f"{report.accounts_created} cuentas nuevas, {len(report.published)} trámites publicados."
    )


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
    from workflow_engine.persistence.accounts import Accounts
    from workflow_engine.persistence.walkthrough import run_walkthrough

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
    from app.tasks import expire_abandoned_drafts

    result = expire_abandoned_drafts(_services())
    click.echo(f"Borradores: {result}")


@timers_cli.command("fire")
def timers_fire() -> None:
    """Fire every due timer now (Celery beat does this every minute)."""
    from app.tasks import fire_due_timers

    click.echo(f"{fire_due_timers(_services())} plazos vencidos procesados")


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
    from workflow_engine.persistence.accounts import Accounts

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
    from workflow_engine.persistence.holidays import list_holidays

    for day, name in list_holidays(_services().engine, year):
        click.echo(f"{day.isoformat()}\t{name}")


@calendar_cli.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("name")
def calendar_add(day: Any, name: str) -> None:
    """Declare a non-business day (e.g. a municipal holiday): DAY as YYYY-MM-DD."""
    from workflow_engine.persistence.holidays import add_holiday

    add_holiday(_services().engine, day.date(), name)
    _services().cases.refresh_calendar()
    click.echo(f"{day.date().isoformat()}: {name} (día inhábil)")


@calendar_cli.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove(day: Any) -> None:
    """Make a day a business day again."""
    from workflow_engine.persistence.holidays import remove_holiday

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
    from connectors._common import local_today
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
    import getpass

    from flask import url_for

    from workflow_engine.persistence.staff import Staff, StaffError

    services = _services()
    password = None
    if password_stdin:
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")

    def link_for(token: str) -> str:
        with current_app.test_request_context():
            path = url_for("staff_invitation.accept", token=token)
        return str(services.settings.base_url).rstrip("/") + path

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in this container
        who = "?"
    try:
        created = Staff(services.engine).create_admin(
            email=email,
            name=name,
            password=password,
            operator=f"línea de comandos ({who})",
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
        except (OSError, ValueError) as exc:  # InvalidJSON included
            reason = exc.message_es if isinstance(exc, InvalidJSON) else str(exc)
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
    from workflow_engine.persistence.catalogs import (
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
    ):
        app.cli.add_command(group)
