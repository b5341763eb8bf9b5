"""Amounts written the municipality's way (workflow_engine.money): the currency's own sign and
the CLDR number format of MUNICIPALITY_LOCALE, through Babel, never a table of our own."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from connectors.common import money
from workflow_engine.money import (
    MoneyFormat,
    MoneyFormatError,
    format_amount,
    money_format,
    use_money_format,
)
from workflow_engine.templates.field_types import PERSONAL_IDS, REGISTRY, identity_name

NBSP = "\u00a0"


@pytest.fixture
def panama() -> Iterator[None]:
    before = money_format()
    use_money_format(MoneyFormat("es_PA"))
    try:
        yield
    finally:
        use_money_format(before)


@pytest.mark.parametrize(
    ("locale", "currency", "cents", "shown"),
    [
        ("es_MX", "MXN", 123450, "$1,234.50"),
        ("es_MX", "USD", 123450, "US$1,234.50"),  # the dollar is not the local currency
        ("es_MX", "PAB", 5, f"PAB{NBSP}0.05"),  # a code keeps a space from the digits
        ("es_PA", "PAB", 123450, f"B/.{NBSP}1,234.50"),
        ("es_PA", "USD", 123450, "US$1,234.50"),
        ("es_PA", "PAB", -500, f"-B/.{NBSP}5.00"),
        ("es_EC", "USD", 123450, "$1.234,50"),  # Ecuador: the dollar is local, comma decimals
    ],
)
def test_each_currency_has_its_own_sign(locale: str, currency: str, cents: int, shown: str) -> None:
    assert MoneyFormat(locale).cents(cents, currency) == shown


def test_the_municipality_currency_comes_from_the_locale_unless_set() -> None:
    assert MoneyFormat("es_MX").currency == "MXN"
    assert MoneyFormat("es_PA").currency == "PAB"
    assert MoneyFormat("es_PA", "usd").currency == "USD"
    assert MoneyFormat("es_PA", "USD").text("99.5") == "US$99.50"
    assert MoneyFormat("es_MX").text("no es número") == "no es número"
    with pytest.raises(MoneyFormatError):
        MoneyFormat("xx_YY")
    with pytest.raises(MoneyFormatError):
        MoneyFormat("es_MX", "PESOS")


def test_pages_mails_and_documents_follow_the_process_format(panama: None) -> None:
    assert money(123450, "PAB") == f"B/.{NBSP}1,234.50"
    assert money(100) == f"B/.{NBSP}1.00"  # no currency of its own: the municipality's
    assert format_amount(Decimal("1500.5")) == f"B/.{NBSP}1,500.50"
    assert REGISTRY["money"].display_lines({"id": "m"}, "1500.50", "es") == [f"B/.{NBSP}1,500.50"]


def test_the_default_is_mexican_pesos() -> None:
    assert money(123450, "MXN") == "$1,234.50" and money(0) == "$0.00"


def test_amounts_read_the_same_however_often_and_however_spelled() -> None:
    # Written amounts are remembered per format: the same value in another format, or
    # spelled another way, must not come back written wrong.
    panama, mexico = MoneyFormat("es_PA"), MoneyFormat("es_MX")
    for _ in range(2):
        assert panama.amount(Decimal("1234.5")) == "B/.\u00a01,234.50"
        assert panama.amount(Decimal("1234.50")) == "B/.\u00a01,234.50"
        assert mexico.amount(Decimal("1234.5")) == "$1,234.50"
        assert mexico.amount(Decimal("1234.5"), "USD") == "US$1,234.50"
    assert mexico.text("abc") == "abc"
    assert (mexico.text("0"), mexico.text("-0")) == ("$0.00", "-$0.00")  # equal, not alike


def test_settings_refuse_an_unknown_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import ConfigError, Settings

    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.setenv("MUNICIPALITY_LOCALE", "es_PA")
    settings = Settings.from_env()
    assert (settings.municipality_locale, settings.municipality_currency) == ("es_PA", "PAB")
    monkeypatch.setenv("MUNICIPALITY_LOCALE", "panama")
    with pytest.raises(ConfigError, match="MUNICIPALITY_LOCALE"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("value", "tax", "personal"),
    [
        ("GODE561231GR8", "RFC", "RFC"),
        ("155634567-2-2016 DV 45", "RUC", "RUC"),
        ("8-745-1290", "RUC", "Cédula"),  # a person's RUC is their cédula
        ("HELG850312MPLRPD05", "CURP", "CURP"),
        ("no es un número", "", ""),
    ],
)
def test_identity_numbers_are_named_by_their_type(value: str, tax: str, personal: str) -> None:
    assert identity_name(value) == tax
    assert identity_name(value, first=PERSONAL_IDS) == personal
