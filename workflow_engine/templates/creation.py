"""Starting a procedure: blank, from an example, as a copy of another, or from imported JSON.

Pure functions: each returns a new template document (a draft, which may still have problems)
or raises ``EditError`` with a message in Spanish and English. The key a procedure is stored
under follows the meta-schema's pattern; `key_from_title` derives a free one from its title.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from form_schemas import examples_dir, load_meta_schema
from workflow_engine.strict_json import InvalidJSONError, loads
from workflow_engine.templates.editing import EditError
from workflow_engine.templates.validation import MAX_TEMPLATE_DEPTH

__all__ = [
    "MAX_IMPORT_BYTES",
    "blank_template",
    "check_key",
    "copy_template",
    "example",
    "examples",
    "id_from_name",
    "key_from_title",
    "parse_import",
]

Doc = dict[str, Any]
MAX_IMPORT_BYTES = 2_000_000
"""The largest JSON document an import accepts (the licence example is about 60 kB)."""


@cache
def _pattern(name: str) -> re.Pattern[str]:
    schema = load_meta_schema()
    spec = schema["properties"][name]
    if "$ref" in spec:
        spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]]
    return re.compile(spec["pattern"])


def _max_key_length() -> int:
    found = re.search(r"\{\d+,(\d+)\}", _pattern("key").pattern)
    return 1 + int(found.group(1)) if found else 64


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def id_from_name(name: str, taken: Collection[str]) -> str:
    """An element id for something called `name` (``Comprobante de domicilio`` ->
    ``comprobante_de_domicilio``), made unique against `taken` with ``_2``, ``_3``..."""
    base = "_".join(_words(name)).lstrip("_0123456789")[:60].rstrip("_") or "elemento"
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}_{n}"
    return found


def key_from_title(title: str, taken: Collection[str]) -> str:
    """A key for a procedure called `title`: lowercase ASCII words joined by hyphens
    («Licencia de funcionamiento» -> ``licencia-de-funcionamiento``), made unique against
    `taken` with ``-2``, ``-3``..."""
    base = "-".join(_words(title)).lstrip("-0123456789") or "tramite"
    if len(base) < 3:
        base = f"tramite-{base}"
    limit = _max_key_length()
    base = base[:limit].rstrip("-")
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: limit - len(suffix)].rstrip("-") + suffix
    return key


def check_key(key: str, taken: Collection[str]) -> str:
    """`key` if a new procedure may be stored under it; EditError saying why not."""
    if not _pattern("key").match(key):
        raise EditError(
            "bad_key",
            f"«{key}» no sirve como clave: use de 3 a 64 letras minúsculas sin acentos, "
            "dígitos y guiones, empezando con una letra.",
            f"“{key}” cannot be a key: use 3 to 64 lowercase letters without accents, digits "
            "and hyphens, starting with a letter.",
        )
    if key in taken:
        raise EditError(
            "key_taken",
            f"Ya hay un trámite con la clave «{key}»; elija otra.",
            f"There is already a procedure with the key “{key}”; choose another.",
        )
    return key


def _title(title: Mapping[str, str]) -> dict[str, str]:
    es = (title.get("es") or "").strip()
    if not es:
        raise EditError(
            "title_required",
            "Escriba el nombre del trámite en español.",
            "Write the name of the procedure in Spanish.",
        )
    en = (title.get("en") or "").strip()
    return {"es": es, "en": en} if en else {"es": es}


def blank_template(key: str, title: Mapping[str, str], department: str) -> Doc:
    """A new procedure with only a name: one form step (without questions yet) that ends it.
    Everything else the liaison fills in, guided by the problems this draft has."""
    return {
        "format_version": 1,
        "key": key,
        "title": _title(title),
        "department": department,
        "catalog": {},
        "start": "solicitud",
        "steps": [
            {
                "id": "solicitud",
                "type": "form",
                "title": {"es": "Solicitud", "en": "Application"},
                "fields": [],
                "transitions": [{"id": "enviar", "to": "fin"}],
            },
            {
                "id": "fin",
                "type": "end",
                "title": {"es": "Trámite concluido", "en": "Procedure completed"},
                "outcome": "approved",
            },
        ],
    }


def copy_template(
    source: Mapping[str, Any], key: str, title: Mapping[str, str], department: str
) -> Doc:
    """`source` (an example or another procedure) as a new procedure `key` named `title` in
    `department`; the source is not changed."""
    doc = copy.deepcopy(dict(source))
    doc.update(key=key, title=_title(title), department=department)
    return doc


@cache
def _examples() -> dict[str, Doc]:
    found = {}
    for path in sorted(examples_dir().glob("*.json")):
        found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return found


def examples() -> dict[str, Mapping[str, Any]]:
    """The example procedures shipped with Tramita, by name (read them, do not change them)."""
    return dict(_examples())


def example(name: str) -> Doc:
    """A fresh copy of the example `name`; EditError when there is none by that name."""
    found = _examples().get(name)
    if found is None:
        raise EditError(
            "unknown_example",
            "Elija uno de los ejemplos de la lista.",
            "Choose one of the examples in the list.",
        )
    return copy.deepcopy(found)


def parse_import(text: str) -> Doc:
    """The template in `text` (JSON), if it can be stored as a draft: a JSON object with a
    valid key and department. Anything else it may lack is a problem of the draft."""
    if not text.strip():
        raise EditError(
            "empty_import",
            "Elija un archivo JSON o pegue su contenido.",
            "Choose a JSON file or paste its content.",
        )
    if len(text.encode("utf-8", "replace")) > MAX_IMPORT_BYTES:
        raise EditError(
            "import_too_large",
            "El documento es demasiado grande (máximo 2 MB).",
            "The document is too large (at most 2 MB).",
        )
    try:
        doc = loads(text, max_depth=MAX_TEMPLATE_DEPTH)
    except InvalidJSONError as error:
        if error.details.get("reason") != "syntax":
            raise EditError("invalid_json", error.message_es, error.message_en) from None
        line = re.search(r"line (\d+)", str(error))
        where_es = f" (línea {line.group(1)})" if line else ""
        where_en = f" (line {line.group(1)})" if line else ""
        raise EditError(
            "invalid_json",
            f"El contenido no es JSON válido{where_es}. Revise que sea el archivo exportado "
            "de un trámite, completo y sin cambios a mano que rompan el formato.",
            f"The content is not valid JSON{where_en}. Check that it is a procedure's "
            "exported file, complete and without hand edits that break the format.",
        ) from None
    if not isinstance(doc, dict):
        raise EditError(
            "not_a_template",
            "El JSON no es una plantilla de trámite: debe ser un objeto { … }.",
            "The JSON is not a procedure template: it must be an object { … }.",
        )
    for name, es, en in (("key", "clave", "key"), ("department", "dependencia", "department")):
        value = doc.get(name)
        if not isinstance(value, str) or not _pattern(name).match(value):
            raise EditError(
                f"import_without_{name}",
                f"El documento no tiene una {es} válida («{name}»); sin ella no se puede "
                "guardar. Agréguela al JSON e impórtelo de nuevo.",
                f"The document has no valid {en} (“{name}”); without it it cannot be saved. "
                "Add it to the JSON and import it again.",
            )
    return doc
