"""The demo configurations (DEMO_MUNICIPALITY): one country each, with its terms, money,
time zone, departments and procedures. Light on purpose: the settings read it at start-up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DEPARTMENTS = {
    "desarrollo-economico": ("Desarrollo Económico", "Economic Development"),
    "proteccion-civil": ("Protección Civil", "Civil Protection"),
    "desarrollo-urbano": ("Desarrollo Urbano y Obras Públicas", "Urban Development"),
    "tesoreria": ("Tesorería Municipal", "Treasury"),
    "secretaria-ayuntamiento": ("Secretaría del Ayuntamiento", "Town Hall Secretariat"),
    "movilidad": ("Movilidad y Tránsito", "Mobility and Transit"),
    "mercados": ("Mercados y Comercio en Vía Pública", "Markets and Street Trade"),
    "presidencia": ("Presidencia Municipal", "Mayor's Office"),
}


@dataclass(frozen=True)
class DemoMunicipality:
    """One demo configuration: a country's terms, money and procedures (DEMO_MUNICIPALITY).
    Its name, code, locale, currency and time zone are the settings' defaults."""

    key: str
    name: str
    name_en: str
    code: str
    locale: str
    currency: str
    timezone: str
    mail_from: str
    procedures: tuple[str, ...]  # example keys it publishes
    departments: dict[str, tuple[str, str]]

    def localize(self, doc: dict[str, Any]) -> dict[str, Any]:
        """An example as this municipality publishes it: its name in the texts, its currency
        wherever the example charges dollars (Panamá's balboa circulates at par)."""
        text = json.dumps(doc, ensure_ascii=False)
        text = text.replace("Municipio de Chocotlán", self.name)
        text = text.replace("Municipality of Chocotlán", self.name_en)
        if self.currency == "PAB":
            text = text.replace(
                "Montos en dólares; puede pagar en balboas (B/.), que circulan a la par "
                "(B/. 1.00 = US$ 1.00).",
                "Montos en balboas (B/.); puede pagar en dólares, que circulan a la par.",
            ).replace(
                "Amounts in US dollars; you may pay in balboas (B/.), which circulate at par "
                "(B/. 1.00 = US$ 1.00).",
                "Amounts in balboas (B/.); you may pay in US dollars, which circulate at par.",
            )
        localized: dict[str, Any] = json.loads(text)
        if self.currency != "USD":
            _replace_currency(localized, "USD", self.currency)
        return localized


def _replace_currency(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "currency" and value == old:
                node[key] = new
            else:
                _replace_currency(value, old, new)
    elif isinstance(node, list):
        for item in node:
            _replace_currency(item, old, new)


CHOCOTLAN = DemoMunicipality(
    key="chocotlan",
    name="Municipio de Chocotlán",
    name_en="Municipality of Chocotlán",
    code="CHO",
    locale="es_MX",
    currency="MXN",
    timezone="America/Mexico_City",
    mail_from="tramites@chocotlan.gob.mx",
    procedures=(
        "constancia-residencia",
        "licencia-funcionamiento",
        "permiso-construccion",
        "permiso-evento-via-publica",
        "permiso-mercado",
        "permiso-publicidad",
        "solicitud-acceso-informacion",
    ),
    departments=DEPARTMENTS,
)
LA_CHORRERA = DemoMunicipality(
    key="la-chorrera",
    name="Municipio de La Chorrera",
    name_en="Municipality of La Chorrera",
    code="LCH",
    locale="es_PA",
    currency="PAB",
    timezone="America/Panama",
    mail_from="tramites@lachorrera.gob.pa",
    procedures=("registro-vehicular",),
    departments={
        **DEPARTMENTS,
        "tesoreria": ("Tesorería Municipal", "Municipal Treasury"),
        "movilidad": ("Dirección de Tránsito y Transporte", "Traffic and Transport"),
        "secretaria-ayuntamiento": ("Secretaría General del Concejo", "Council Secretariat"),
    },
)
DEMO_MUNICIPALITIES = {m.key: m for m in (CHOCOTLAN, LA_CHORRERA)}


__all__ = ["CHOCOTLAN", "DEMO_MUNICIPALITIES", "DEPARTMENTS", "LA_CHORRERA", "DemoMunicipality"]
