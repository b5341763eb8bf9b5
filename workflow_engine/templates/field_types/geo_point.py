"""A geographic point: latitude and longitude (WGS 84), optionally inside the template's box.

The wizard asks for both as plain numbers (works without JavaScript); the value is
``{"lat": "20.676722", "lng": "-103.347499"}`` with decimal strings of up to six decimals
(about 10 cm), so that no float rounding changes a stored point.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from workflow_engine.templates.field_types._numbers import to_decimal
from workflow_engine.templates.field_types.base import (
    EMPTY,
    Env,
    FieldError,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
    PartsInput,
    bad_shape,
    error,
    is_empty,
    unknown,
)

PARTS = ("lat", "lng")
_RANGE = {"lat": (Decimal(-90), Decimal(90)), "lng": (Decimal(-180), Decimal(180))}
_NAMES = {"lat": ("la latitud", "the latitude"), "lng": ("la longitud", "the longitude")}
_SIX = Decimal("0.000001")
_BOX_SIDES = ("south", "west", "north", "east")


def _text(number: Decimal) -> str:
    return format(number.quantize(_SIX, rounding=ROUND_HALF_UP).normalize(), "f")


class GeoPoint(PartsInput, FieldType):
    """Where something is: a business, a works site, a street stall."""

    name = "geo_point"
    parts = PARTS
    order = 210
    label: ClassVar[Localized] = {"es": "Ubicación geográfica", "en": "Geographic point"}
    description: ClassVar[Localized] = {
        "es": "Latitud y longitud de un lugar, como la ubicación exacta de un puesto o una obra.",
        "en": "Latitude and longitude of a place, such as the exact spot of a stall or works.",
    }
    value_kind = "geo_point"
    value_kind_label: ClassVar[Localized] = {
        "es": "objeto {lat, lng} con cadenas decimales (WGS 84)",
        "en": "object {lat, lng} of decimal strings (WGS 84)",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "bounds": Option(
            {
                "type": "object",
                "required": list(_BOX_SIDES),
                "properties": {
                    "south": {"type": "number", "minimum": -90, "maximum": 90},
                    "west": {"type": "number", "minimum": -180, "maximum": 180},
                    "north": {"type": "number", "minimum": -90, "maximum": 90},
                    "east": {"type": "number", "minimum": -180, "maximum": 180},
                },
                "additionalProperties": False,
            },
            {"es": "Zona admitida (sur, oeste, norte, este)", "en": "Allowed area (S, W, N, E)"},
        )
    }
    sample: ClassVar[Any] = {"lat": "20.676722", "lng": "-103.347499"}

    @classmethod
    def sample_for(cls, field: Mapping[str, Any]) -> Any:
        box = field.get("bounds")
        if not isinstance(box, Mapping) or not all(k in box for k in _BOX_SIDES):
            return cls.sample
        centre = {
            "lat": (Decimal(str(box["south"])) + Decimal(str(box["north"]))) / 2,
            "lng": (Decimal(str(box["west"])) + Decimal(str(box["east"]))) / 2,
        }
        return {part: _text(centre[part]) for part in PARTS}

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        box = field.get("bounds")
        if not isinstance(box, Mapping) or not all(k in box for k in _BOX_SIDES):
            return []
        out: list[OptionProblem] = []
        if box["south"] > box["north"]:
            out.append(
                (
                    "invalid_bounds",
                    ".bounds.south",
                    "El límite sur de la zona está al norte del límite norte. Corrija uno.",
                    "The south edge of the area is north of its north edge. Fix one of them.",
                )
            )
        if box["west"] > box["east"]:
            out.append(
                (
                    "invalid_bounds",
                    ".bounds.west",
                    "El límite oeste de la zona está al este del límite este. Corrija uno.",
                    "The west edge of the area is east of its east edge. Fix one of them.",
                )
            )
        return out

    @classmethod
    def _coordinate(cls, part: str, raw: Any) -> Decimal:
        es, en = _NAMES[part]
        try:
            number = to_decimal(raw)
        except InvalidValueError as exc:
            raise InvalidValueError(
                exc.code, f"{es}: {exc.es}", f"{en}: {exc.en}", f".{part}"
            ) from None
        low, high = _RANGE[part]
        if not low <= number <= high:
            raise InvalidValueError(
                "out_of_range",
                f"{es} va de {low} a {high}.",
                f"{en} goes from {low} to {high}.",
                f".{part}",
            )
        return number

    @classmethod
    def clean(
        cls, field: Mapping[str, Any], raw: Any, path: str, env: Env, names: tuple[str, str]
    ) -> tuple[Any, list[FieldError]]:
        if is_empty(raw):
            return EMPTY, []
        if not isinstance(raw, Mapping):
            return EMPTY, [error(field, path, names, bad_shape())]
        errors = [unknown(str(k), f"{path}.{k}") for k in raw if k not in PARTS]
        point: dict[str, Decimal] = {}
        for part in PARTS:
            es, en = _NAMES[part]
            if is_empty(raw.get(part)):
                missing = InvalidValueError(
                    "required", f"falta {es}.", f"{en} is missing.", f".{part}"
                )
                errors.append(error(field, path, names, missing))
                continue
            try:
                point[part] = cls._coordinate(part, raw[part])
            except InvalidValueError as exc:
                errors.append(error(field, path, names, exc))
        box = field.get("bounds")
        if not errors and isinstance(box, Mapping):
            inside = Decimal(str(box["south"])) <= point["lat"] <= Decimal(str(box["north"]))
            inside = inside and Decimal(str(box["west"])) <= point["lng"] <= Decimal(
                str(box["east"])
            )
            if not inside:
                outside = InvalidValueError(
                    "outside_area",
                    "el punto queda fuera de la zona que atiende este trámite; revise las "
                    "coordenadas.",
                    "the point lies outside the area this procedure serves; check the coordinates.",
                )
                errors.append(error(field, path, names, outside))
        if errors:
            return EMPTY, errors
        return {part: _text(point[part]) for part in PARTS}, []

    @classmethod
    def draft_errors(
        cls, field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
    ) -> list[FieldError]:
        if value is None or value == "":
            return []
        if not isinstance(value, Mapping):
            return [error(field, path, names, bad_shape())]
        errors = [unknown(str(k), f"{path}.{k}") for k in value if k not in PARTS]
        for part in PARTS:
            item = value.get(part)
            if item is not None and (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                or len(str(item)) > 40
            ):
                errors.append(error(field, f"{path}.{part}", names, bad_shape()))
        return errors

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if not isinstance(value, Mapping):
            return [] if value in (None, "") else [str(value)]
        if not value:
            return []
        return [f"{value.get('lat', '')}, {value.get('lng', '')}"]
