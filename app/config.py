"""Configuration from the environment. Every variable is listed in the README."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from workflow_engine.persistence.platform.demo_profiles import DEMO_MUNICIPALITIES, DemoMunicipality

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(SystemExit):
    """A setting production cannot run without: the process stops with one readable line."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Tramita: {message}")


def default_instance_dir() -> str:
    """A checkout keeps its data in ./instance beside the code; an installed package (Flask's
    own convention) in <prefix>/var/tramita-instance, never inside site-packages."""
    if (ROOT / "pyproject.toml").exists():
        return str(ROOT / "instance")
    return str(Path(sys.prefix) / "var" / "tramita-instance")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _tile_url(value: str) -> str | None:
    """MAP_TILE_URL must name one http(s) origin (the CSP lets images come from it) and the
    {z}/{x}/{y} placeholders a map asks tiles by."""
    url = value.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not all(f"{{{p}}}" in url for p in "zxy")
    ):
        raise ConfigError(
            f"MAP_TILE_URL no es una dirección de mosaicos como "
            f"https://tiles.example/{{z}}/{{x}}/{{y}}.png / MAP_TILE_URL is not a tile URL like "
            f"https://tiles.example/{{z}}/{{x}}/{{y}}.png: {url!r}"
        )
    return url


def _luminance(color: str) -> float:
    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(color[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _color(value: str) -> str:
    """MUNICIPALITY_COLOR: #rrggbb, dark enough for white text on it (4.5:1, WCAG AA)."""
    color = value.strip().lower()
    if not re.fullmatch(r"#[0-9a-f]{6}", color):
        raise ConfigError(
            "MUNICIPALITY_COLOR debe ser un color #rrggbb / MUNICIPALITY_COLOR must be a "
            f"#rrggbb colour: {value!r}"
        )
    if 1.05 / (_luminance(color) + 0.05) < 4.5:
        raise ConfigError(
            "MUNICIPALITY_COLOR es demasiado claro para texto blanco (contraste < 4.5:1) / "
            f"MUNICIPALITY_COLOR is too light for white text (contrast < 4.5:1): {value!r}"
        )
    return color


def _money(locale: str, currency: str) -> tuple[str, str]:
    """MUNICIPALITY_LOCALE must be a locale Babel knows (es_MX, es_PA...) and
    MUNICIPALITY_CURRENCY, when set, an ISO 4217 code (PAB, USD, MXN)."""
    from workflow_engine.money import MoneyFormat, MoneyFormatError

    try:
        fmt = MoneyFormat(locale.strip(), currency.strip())
    except MoneyFormatError as exc:
        raise ConfigError(
            "MUNICIPALITY_LOCALE o MUNICIPALITY_CURRENCY no válidos / MUNICIPALITY_LOCALE or "
            f"MUNICIPALITY_CURRENCY is not valid: {exc}"
        ) from None
    return fmt.locale, fmt.currency


def _demo_municipality(key: str) -> DemoMunicipality:
    """The demo configuration whose name, code, money and time zone are the defaults."""
    try:
        return DEMO_MUNICIPALITIES[key.strip() or "chocotlan"]
    except KeyError:
        raise ConfigError(
            f"DEMO_MUNICIPALITY no válido / DEMO_MUNICIPALITY is not valid: {key!r} "
            f"({', '.join(DEMO_MUNICIPALITIES)})"
        ) from None


@dataclass
class Settings:
    """Runtime settings; `from_env()` reads them, tests pass overrides."""

    database_url: str = ""
    broker_url: str | None = None
    secret_key: str = ""
    demo_mode: bool = False
    instance_dir: str = field(default_factory=default_instance_dir)
    documents_dir: str = ""
    uploads_dir: str = ""
    municipality_name: str = "Municipio de Chocotlán"
    municipality_code: str = "CHO"
    timezone: str = "America/Mexico_City"
    municipality_locale: str = "es_MX"  # how amounts are written (workflow_engine.money)
    municipality_currency: str = ""  # "": the currency of the locale's country
    demo_municipality: str = ""  # `demo seed`: chocotlan | la-chorrera ("": every example)
    base_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "tramites@chocotlan.gob.mx"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    outbox_max_attempts: int = 8
    outbox_base_delay: float = 5.0
    outbox_lease_seconds: float = 30.0
    broker_timeout: float = 2.0
    session_cookie_secure: bool = False
    inline_sweeper: bool = False
    proxy_count: int = 0
    api_max_body_bytes: int = 1024 * 1024  # a JSON body of the API; uploads have their own cap
    inline_effects: str = "sync"
    collection_system: str = "builtin"
    signing_p12_path: str | None = None
    signing_p12_password: str | None = None
    signing_tsa_url: str | None = None
    signing_trust_roots: str | None = None
    municipality_logo: str | None = None
    municipality_color: str = "#6b1d2f"  # header band and buttons, white text on it
    metrics_token: str | None = None
    map_tile_url: str | None = None
    map_tile_attribution: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        instance = os.environ.get("INSTANCE_DIR") or default_instance_dir()
        demo = _bool("DEMO_MODE", False)
        secret = os.environ.get("SECRET_KEY", "")
        if not secret and not demo:
            # A random key per process would sign each worker's sessions differently.
            raise ConfigError(
                "falta SECRET_KEY: defina el mismo valor largo y aleatorio para web, worker y "
                "beat (o DEMO_MODE=1 para una demostración) / SECRET_KEY is not set: give web, "
                "worker and beat the same long random value (or DEMO_MODE=1 for a demo)."
            )
        secret = secret or "demo-not-secret"
        profile = _demo_municipality(os.environ.get("DEMO_MUNICIPALITY", "chocotlan"))
        money = _money(
            os.environ.get("MUNICIPALITY_LOCALE", profile.locale),
            os.environ.get(
                "MUNICIPALITY_CURRENCY",
                "" if "MUNICIPALITY_LOCALE" in os.environ else profile.currency,
            ),
        )
        return cls(
            database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{instance}/tramita.db",
            broker_url=os.environ.get("CELERY_BROKER_URL") or None,
            secret_key=secret,
            demo_mode=demo,
            instance_dir=instance,
            documents_dir=os.environ.get("DOCUMENTS_DIR", f"{instance}/documents"),
            uploads_dir=os.environ.get("UPLOADS_DIR", f"{instance}/uploads"),
            municipality_name=os.environ.get("MUNICIPALITY_NAME", profile.name),
            municipality_code=os.environ.get("MUNICIPALITY_CODE", profile.code),
            timezone=os.environ.get("TIMEZONE", profile.timezone),
            municipality_locale=money[0],
            municipality_currency=money[1],
            demo_municipality=profile.key,
            base_url=os.environ.get("BASE_URL", cls.base_url).rstrip("/"),
            smtp_host=os.environ.get("SMTP_HOST") or None,
            smtp_port=int(os.environ.get("SMTP_PORT", "25")),
            mail_from=os.environ.get("MAIL_FROM", profile.mail_from),
            smtp_user=os.environ.get("SMTP_USER") or None,
            smtp_password=os.environ.get("SMTP_PASSWORD") or None,
            smtp_starttls=_bool("SMTP_STARTTLS", False),
            outbox_max_attempts=int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),
            outbox_base_delay=float(os.environ.get("OUTBOX_BASE_DELAY", "5")),
            outbox_lease_seconds=float(os.environ.get("OUTBOX_LEASE_SECONDS", "30")),
            broker_timeout=float(os.environ.get("CELERY_BROKER_TIMEOUT", "2")),
            session_cookie_secure=_bool("SESSION_COOKIE_SECURE", not demo),
            inline_sweeper=_bool("INLINE_SWEEPER", False),
            proxy_count=int(os.environ.get("PROXY_COUNT", "0")),
            api_max_body_bytes=int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024))),
            inline_effects=os.environ.get("INLINE_EFFECTS", "sync"),
            collection_system=os.environ.get("COLLECTION_SYSTEM", "builtin"),
            signing_p12_path=os.environ.get("SIGNING_P12_PATH") or None,
            signing_p12_password=os.environ.get("SIGNING_P12_PASSWORD") or None,
            signing_tsa_url=os.environ.get("SIGNING_TSA_URL") or None,
            signing_trust_roots=os.environ.get("SIGNING_TRUST_ROOTS") or None,
            municipality_logo=os.environ.get("MUNICIPALITY_LOGO") or None,
            municipality_color=_color(os.environ.get("MUNICIPALITY_COLOR", "#6b1d2f")),
            metrics_token=os.environ.get("METRICS_TOKEN") or None,
            map_tile_url=_tile_url(os.environ.get("MAP_TILE_URL", "")),
            map_tile_attribution=os.environ.get("MAP_TILE_ATTRIBUTION", ""),
        )
