"""One rule picks the font of every letter a document prints: DejaVu Sans where it has the
glyph, else the CJK fallback, else the emoji one; paragraph markup keeps its tags and
escaping when the runs are wrapped, and copied text keeps letters past U+FFFF."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle

from connectors.documents.typeface import (
    CJK,
    EMOJI,
    FALLBACK_FILES,
    FONTS_DIR,
    paragraph,
    runs,
    string_width,
    to_unicode_cmap,
    with_fallback,
)


def test_each_run_goes_to_the_first_font_that_has_its_letters() -> None:
    assert runs("Ǆurić Жуков") == [(None, "Ǆurić Жуков")]
    assert runs("Ana 北京市 서울 ✅️ fin") == [
        (None, "Ana "),
        (CJK, "北京市"),
        (None, " "),
        (CJK, "서울"),
        (None, " "),
        (EMOJI, "✅\ufe0f"),  # the variation selector stays with its emoji
        (None, " fin"),
    ]


def test_latin_markup_is_left_alone_and_fallback_runs_nest_inside_its_tags() -> None:
    plain = "Se otorga a <b>Zoë Ñúñez</b> &amp; socios.<br/>"
    assert with_fallback(plain) == plain
    markup = "<b>東京 &amp; Co</b> &lt;b&gt; ✅&#x4e2d;"
    assert with_fallback(markup) == (
        f'<b><font name="{CJK}">東京</font> &amp; Co</b> &lt;b&gt; '
        f'<font name="{EMOJI}">✅</font><font name="{CJK}">&#x4e2d;</font>'
    )
    text = paragraph(markup, ParagraphStyle("t")).getPlainText()
    assert text == "東京 & Co <b> ✅中"  # escaped text stays text


def test_a_string_is_measured_in_the_fonts_it_is_drawn_in() -> None:
    assert string_width("東京", "DejaVuSans", 10) > 0
    assert string_width("ab", "DejaVuSans", 10) < string_width("ab東", "DejaVuSans", 10)


def test_letters_past_the_basic_plane_are_written_as_utf16_pairs() -> None:
    cmap = to_unicode_cmap("F", [0x41, 0x1F600])
    assert "<00> <0041>" in cmap and "<01> <D83DDE00>" in cmap


def test_the_fallbacks_are_vendored_with_their_licences() -> None:
    for file in FALLBACK_FILES.values():
        assert (FONTS_DIR / file).stat().st_size < 4_000_000
    assert (FONTS_DIR / "LICENSE-WenQuanYiMicroHei").read_text().count("Apache License") >= 1
    assert "SIL Open Font License" in (FONTS_DIR / "LICENSE-NotoEmoji").read_text()
