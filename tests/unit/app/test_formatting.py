"""The web layer's one formatting module: {es, en} texts, dates and money."""

from __future__ import annotations

from datetime import date

from app.formatting import format_date, localized, money


def test_localized_text_in_the_readers_language_else_spanish() -> None:
    text = {"es": "Licencia", "en": "Licence"}
    assert localized(text, "en") == "Licence"
    assert localized(text, "es") == "Licencia"
    assert localized({"es": "Licencia"}, "en") == "Licencia"
    assert localized("Solo español", "en") == "Solo español"
    assert localized(None, "es") == ""
    assert localized({}, "es", "paso-1") == "paso-1"


def test_dates_in_words_in_both_languages() -> None:
    assert format_date(date(2026, 3, 5), "es") == "5 de marzo de 2026"
    assert format_date(date(2026, 3, 5), "en") == "5 March 2026"
    assert format_date("2026-03-05", "en") == "5 March 2026"
    assert format_date("no es fecha", "es") == "no es fecha"
    assert format_date(None, "es") == ""


def test_money_the_way_documents_write_it() -> None:
    assert money(123450) == "$1,234.50"  # pesos in México: the currency's own sign
    assert money(None, "USD") == "US$0.00"
