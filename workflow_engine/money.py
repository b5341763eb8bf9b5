"""How an amount is written for a reader: the currency's own sign and the municipality's number
format, from CLDR through Babel («B/. 1,234.50» in Panamá, «$1,234.50» for pesos in México,
«US$1,234.50» for dollars where the dollar is not the local currency).

The municipality chooses one locale (MUNICIPALITY_LOCALE, e.g. ``es_MX`` or ``es_PA``) and
optionally its currency (MUNICIPALITY_CURRENCY; default: the locale's country's currency).
Every amount that carries a currency code (fees, payment orders, ledger lines) is written in
that code; an amount that carries none (a money field of a form) is in the municipality's
currency. The app sets the process's format once at start-up (:func:`use_money_format`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_symbol, get_territory_currencies

DEFAULT_LOCALE = "es_MX"
NBSP = "\u00a0"


class MoneyFormatError(ValueError):
    """A locale or currency code Babel does not know."""


@dataclass(frozen=True)
class MoneyFormat:
    """The municipality's way of writing amounts: a CLDR locale and its default currency."""

    locale: str = DEFAULT_LOCALE
    currency: str = ""  # "": the currency of the locale's country

    def __post_init__(self) -> None:
        try:
            parsed = Locale.parse(self.locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise MoneyFormatError(f"unknown locale {self.locale!r} (e.g. es_MX, es_PA)") from None
        currency = self.currency.strip().upper()
        if not currency:
            found = (
                get_territory_currencies(parsed.territory, date.today()) if parsed.territory else []
            )
            currency = found[0] if found else "MXN"
        if len(currency) != 3 or not currency.isalpha():
            raise MoneyFormatError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "_locale", parsed)

    def symbol(self, currency: str) -> str:
        """The currency's sign in this locale; where the locale has none of its own (only the
        code), the sign the language gives it («US$» in Spanish), else the code."""
        loc: Locale = self._locale  # type: ignore[attr-defined]
        sign = str(get_currency_symbol(currency, loc))
        if sign == currency and loc.territory:
            sign = str(get_currency_symbol(currency, Locale(loc.language)))
        return sign

    def amount(self, value: Decimal, currency: str | None = None) -> str:
        """``value`` (in currency units) with its sign, CLDR currency spacing: a sign that does
        not end in a symbol character («B/.», «MXN») is kept apart by a no-break space."""
        code = (currency or self.currency).upper()
        if value.is_finite():
            # Babel parses the locale's pattern on every call (a quarter of a millisecond);
            # a municipality writes the same few amounts (its fees) over and over.
            return _written(self, str(value), code)
        return self._write(value, code)

    def _write(self, value: Decimal, code: str) -> str:
        loc: Locale = self._locale  # type: ignore[attr-defined]
        text = str(format_currency(value, code, locale=loc))
        local_sign = str(get_currency_symbol(code, loc))
        sign = self.symbol(code)
        text = text.replace(local_sign, sign, 1)
        at = text.find(sign)
        before, after = text[:at], text[at + len(sign) :]
        if after[:1].isdigit() and not unicodedata.category(sign[-1]).startswith("S"):
            after = NBSP + after
        if before[-1:].isdigit() and not unicodedata.category(sign[0]).startswith("S"):
            before = before + NBSP
        return before + sign + after

    def cents(self, cents: Any, currency: str | None = None) -> str:
        """An amount in centavos (an int, as fees and orders keep them)."""
        return self.amount(Decimal(int(cents or 0)) / 100, currency)

    def text(self, value: Any, currency: str | None = None) -> str:
        """An amount written as a decimal string ("1234.50", a money field); as is when it is
        not a number."""
        try:
            return self.amount(Decimal(str(value)), currency)
        except (InvalidOperation, ValueError):
            return str(value)


@lru_cache(maxsize=2048)
def _written(fmt: MoneyFormat, value: str, code: str) -> str:
    # Keyed by the decimal's exact text: equal decimals can be written differently
    # (Decimal("-0") == Decimal("0"), but Babel writes "-$0.00").
    return fmt._write(Decimal(value), code)


_current = MoneyFormat()


def use_money_format(fmt: MoneyFormat) -> None:
    """Set how this process writes amounts (the app factory and the worker call it once)."""
    global _current
    _current = fmt


def money_format() -> MoneyFormat:
    return _current


def format_cents(cents: Any, currency: str | None = None) -> str:
    """An amount in centavos, written the municipality's way: «$1,234.50», «B/. 1,234.50»."""
    return _current.cents(cents, currency)


def format_amount(value: Any, currency: str | None = None) -> str:
    """A decimal amount ("1234.50") written the municipality's way."""
    return _current.text(value, currency)
