"""Business days and folios: what a citizen reads on a receipt must be right and unambiguous."""

from __future__ import annotations

from datetime import date

import pytest

from workflow_engine.calendar import BusinessCalendar, mexican_statutory_holidays
from workflow_engine.folio import ALPHABET, is_valid_folio, new_folio, normalize_folio

CAL = BusinessCalendar.with_holidays(mexican_statutory_holidays(2026))


def test_statutory_holidays_follow_the_federal_labour_law() -> None:
    days = mexican_statutory_holidays(2026)
    assert date(2026, 2, 2) in days  # first Monday of February
    assert date(2026, 3, 16) in days  # third Monday of March
    assert date(2026, 11, 16) in days  # third Monday of November
    assert date(2030, 10, 1) in mexican_statutory_holidays(2030)  # change of federal government
    assert date(2026, 10, 1) not in days


def test_business_days_skip_weekends_and_holidays() -> None:
    # Friday 13 Nov 2026 + 3 business days: Mon 16 is Revolution Day -> Tue, Wed, Thu.
    assert CAL.add_business_days(date(2026, 11, 13), 3) == date(2026, 11, 19)
    assert CAL.add_business_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert CAL.business_days_between(date(2026, 11, 13), date(2026, 11, 19)) == 3
    assert CAL.business_days_between(date(2026, 11, 19), date(2026, 11, 13)) == -3
    assert CAL.subtract_business_days(date(2026, 11, 19), 3) == date(2026, 11, 13)
    assert not CAL.is_business_day(date(2026, 12, 25))
    with pytest.raises(ValueError):
        CAL.add_business_days(date(2026, 1, 1), -1)


def test_folios_are_unique_enough_and_self_checking() -> None:
    folios = {new_folio("CHO", 2026) for _ in range(2000)}
    # 32^5 bodies: a collision or two among 2000 draws happens (~6% of runs); the database's
    # unique key and a retry handle it. Many collisions would mean broken randomness.
    assert len(folios) >= 1995
    for folio in list(folios)[:200]:
        assert is_valid_folio(folio)
        prefix, year, code = folio.split("-")
        assert (prefix, year, len(code)) == ("CHO", "2026", 6)
        assert set(code) <= set(ALPHABET)
        assert not set(code) & set("ILOU")


def test_a_mistyped_folio_is_caught() -> None:
    folio = new_folio("CHO", 2026)
    code = folio.split("-")[2]
    wrong = folio[:-6] + ("1" if code[0] != "1" else "2") + code[1:]
    assert not is_valid_folio(wrong)
    swapped = folio[:-6] + code[1] + code[0] + code[2:]
    if code[0] != code[1]:
        assert not is_valid_folio(swapped)
    assert not is_valid_folio("CHO-2026-XYZ")
    assert not is_valid_folio("hola")


def test_folios_typed_by_hand_are_normalised() -> None:
    folio = new_folio("CHO", 2026)
    typed = " " + folio.lower() + " "
    assert normalize_folio(typed) == folio
    assert is_valid_folio(typed)
    assert normalize_folio("cho-2026-o1l000") == "CHO-2026-011000"


def test_digitalization_level_of_the_examples() -> None:
    import json

    from workflow_engine.persistence.platform.demo import examples_dir
    from workflow_engine.templates import digitalization_label, digitalization_level

    levels = {
        p.stem: digitalization_level(json.loads(p.read_text()))
        for p in examples_dir().glob("*.json")
    }
    assert set(levels.values()) <= {3, 4}
    assert levels["constancia-residencia"] == 4
    original = json.loads((examples_dir() / "constancia-residencia.json").read_text())
    original["catalog"]["requirements"][0]["original_copy"] = "original"
    assert digitalization_level(original) == 3
    assert digitalization_label(4, "en") == "Fully online procedure"
