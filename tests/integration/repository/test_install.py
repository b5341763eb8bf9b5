"""A production install: `pip install .` without development extras, then `db upgrade` and the
app factory from the installed package, outside the checkout; and the settings it refuses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

STARTS = """
import sys
import app, form_schemas, migrations
from form_schemas import catalogs_dir
from workflow_engine.persistence.platform.demo import examples_dir
from wsgi import app as flask_app

for module in (app, form_schemas, migrations):
    assert module.__file__.startswith(sys.prefix), module.__file__  # the installed copy
assert len(list(examples_dir().glob("*.json"))) >= 7
assert {p.name for p in catalogs_dir().glob("*.csv")} >= {"colonias.csv", "scian.csv"}
import connectors.documents.pdf  # registers the fonts: they were installed
from connectors.documents.typeface import FONTS_DIR, runs
assert FONTS_DIR.is_relative_to(sys.prefix) and (FONTS_DIR / "LICENSE").is_file()
assert (FONTS_DIR / "LICENSE-WenQuanYiMicroHei").is_file() and (FONTS_DIR / "SOURCES.txt").is_file()
assert [font for font, _ in runs("Ñ北✅")] == [None, "WenQuanYiMicroHei", "NotoEmoji"]
client = flask_app.test_client()
home = client.get("/", base_url="https://tramites.example")
assert home.status_code == 200, home.status_code
assert "Catálogo de trámites" in home.get_data(as_text=True)
english = client.get("/?lang=en", base_url="https://tramites.example")
assert "Procedure catalog" in english.get_data(as_text=True), "English catalog missing"
assert client.get("/static/tramita.css", base_url="https://tramites.example").status_code == 200
print("started")
"""


def _fresh_clone(target: Path) -> None:
    """The files a clone has (tracked or about to be): no .mo, no egg-info, no instance."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = REPO_ROOT / name
        if not source.is_file() or name.startswith(("tests/", "bench/", "node_modules/")):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


@pytest.mark.slow
def test_pip_install_without_extras_migrates_and_starts(tmp_path: Path) -> None:
    # Dependencies come from the project's virtualenv (a .pth line: its own .pth files, such
    # as the editable install of the checkout, are not processed), so only Tramita itself is
    # installed: `pip install --no-deps .` keeps this test well under a minute.
    source, venv, run = tmp_path / "src", tmp_path / "venv", tmp_path / "run"
    _fresh_clone(source)
    run.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    installed = subprocess.run(
        [*pip, "install", "-q", "--no-deps", str(source)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEMO_", "SECRET_", "DATABASE_", "CELERY_", "INSTANCE_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.db",
        INSTANCE_DIR=str(tmp_path / "instance"),
        SECRET_KEY="a-long-random-value-shared-by-every-process",
        PYTHONPATH="",
    )
    upgrade = subprocess.run(
        [str(python), "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Base de datos al día" in upgrade.stdout
    started = subprocess.run(
        [str(python), "-c", STARTS], cwd=run, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout

    del env["SECRET_KEY"]
    refused = subprocess.run(
        [str(python), "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0, refused.stderr  # one line, no traceback
    assert "SECRET_KEY" in refused.stderr


def test_secret_key_is_required_outside_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import ConfigError, Settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DEMO_MODE", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env()
    monkeypatch.setenv("DEMO_MODE", "1")
    assert Settings.from_env().secret_key  # the demo runs without one
    monkeypatch.delenv("DEMO_MODE")
    monkeypatch.setenv("SECRET_KEY", "shared")
    assert Settings.from_env().secret_key == "shared"


def test_beat_keeps_its_schedule_in_the_instance_directory(tmp_path: Path) -> None:
    from app import create_app
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path}/t.db"
    flask_app = create_app(make_settings(url, tmp_path))
    try:
        celery = flask_app.extensions["tramita"].celery
        assert Path(celery.conf.beat_schedule_filename).parent == tmp_path
    finally:
        flask_app.extensions["tramita"].engine.dispose()
