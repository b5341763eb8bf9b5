"""Lookup operations and the `connector.call` handler (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.demo_lookups import catastro_consultar_predio, padron_vehicular_consultar
from connectors.lookups import make_connector_handler
from connectors.registry import (
    InvalidInputError,
    Registry,
    UnknownConnectorError,
    default_registry,
)
from workflow_engine.engine.commands import ConnectorCompleted
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError


def _item(connector: str, data: dict[str, object], attempt: int = 1) -> OutboxItem:
    return OutboxItem(
        id=1,
        case_id=5,
        kind="connector.call",
        key=f"5:connector:consulta:{attempt}",
        payload={
            "case_id": "5",
            "folio": "CHO-2026-ABCDE0",
            "step_id": "consulta",
            "attempt": attempt,
            "connector": connector,
            "input": data,
        },
        attempts=1,
    )


def test_catastro_is_deterministic_and_zoned_by_sector() -> None:
    first = catastro_consultar_predio({"clave_catastral": "017-024-003"})
    assert first == catastro_consultar_predio({"clave_catastral": "017024003"})
    assert first["zona"] == "A"
    assert first["clave_catastral"] == "017-024-003"
    assert Decimal("150") <= Decimal(first["superficie_terreno_m2"]) < Decimal("900")
    assert first["propietario"]
    zones = {
        catastro_consultar_predio({"clave_catastral": f"{sector:03d}-001-001"})["zona"]
        for sector in (0, 30, 60, 99, 800)
    }
    assert zones == {"A", "B", "C", "D"}


def test_catastro_keys_give_different_plots() -> None:
    areas = {
        catastro_consultar_predio({"clave_catastral": f"017-024-{n:03d}"})["superficie_terreno_m2"]
        for n in range(20)
    }
    assert len(areas) > 15


@pytest.mark.parametrize("bad", ["", "17-24-3", "abc-def-ghi", None])
def test_catastro_refuses_malformed_keys(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        catastro_consultar_predio({"clave_catastral": bad})


def test_padron_is_deterministic() -> None:
    result = padron_vehicular_consultar({"placa_anterior": "BD4512"})
    assert result == padron_vehicular_consultar({"placa_anterior": "bd-4512"})
    assert set(result) >= {"marca", "modelo", "anio", "tipo", "propietario", "ultimo_pago"}
    assert isinstance(result["anio"], int) and 2008 <= result["anio"] <= 2024
    assert result["tipo"] in {"automovil", "pickup", "motocicleta", "camion_liviano"}
    assert result["ultimo_pago"] in {"2021", "2022", "2023", "2024"}
    with pytest.raises(InvalidInputError):
        padron_vehicular_consultar({"placa_anterior": "X"})


def test_handler_answers_connector_completed() -> None:
    handler = make_connector_handler(default_registry())
    commands = handler(_item("catastro.consultar_predio", {"clave_catastral": "017-024-003"}, 2))
    assert len(commands) == 1
    command = commands[0]
    assert isinstance(command, ConnectorCompleted)
    assert command.step_id == "consulta" and command.attempt == 2
    assert command.actor.kind == "system"
    assert command.at.tzinfo is not None
    assert command.result == catastro_consultar_predio({"clave_catastral": "017-024-003"})


def test_unknown_operation_and_bad_input_are_permanent() -> None:
    handler = make_connector_handler(default_registry())
    with pytest.raises(PermanentError, match="no connector operation"):
        handler(_item("padron.no_existe", {}))
    with pytest.raises(PermanentError):
        handler(_item("catastro.consultar_predio", {"clave_catastral": "nope"}))


def test_registry_registers_and_copies() -> None:
    registry = default_registry().copy()
    registry.register_operation("pruebas.eco", lambda data: {"eco": dict(data)})
    assert "pruebas.eco" in registry.operations()
    assert "pruebas.eco" not in default_registry().operations()
    commands = make_connector_handler(registry)(_item("pruebas.eco", {"a": 1}))
    assert commands[0].result == {"eco": {"a": 1}}  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        registry.register_operation("Not A Name", lambda data: {})
    with pytest.raises(UnknownConnectorError):
        Registry().operation("catastro.consultar_predio")
    with pytest.raises(UnknownConnectorError):
        Registry().collection_system("builtin", None, None)  # type: ignore[arg-type]


def test_non_json_result_is_permanent() -> None:
    registry = Registry()
    registry.register_operation("pruebas.malo", lambda data: {"x": object()})
    with pytest.raises(PermanentError, match="non-JSON"):
        make_connector_handler(registry)(_item("pruebas.malo", {}))
