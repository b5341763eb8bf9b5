"""The fonts every document prints in, and the one rule that picks a font for each letter.

Documents print in DejaVu Sans (Latin with every diacritic and digraph, «Ǆ», Greek, Cyrillic,
Armenian, Georgian, Hebrew, Arabic letters, many symbols and some emoji). What DejaVu lacks
is printed in a fallback, all vendored in fonts/ (see SOURCES.txt there) and embedded as a
subset: WenQuanYi Micro Hei for Chinese, Japanese and Korean (ideographs, kana, hangul) and
Noto Emoji, in monochrome outlines, for emoji. ReportLab has no font fallback of its own, so
each text is cut into runs by which font has its glyphs (`runs`), and a paragraph's runs in
a fallback are wrapped in ``<font name=...>`` (`with_fallback`); the canvas draws its strings
run by run (`draw_string`). The fallbacks are read only when a text needs them (the CJK one
takes about 0.3 s to load), so a Latin document costs nothing more.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

__all__ = [
    "BOLD",
    "CJK",
    "EMOJI",
    "FALLBACK_FILES",
    "FONTS_DIR",
    "REGULAR",
    "draw_string",
    "font_path_covering",
    "paragraph",
    "register_fonts",
    "runs",
    "string_width",
    "to_unicode_cmap",
    "with_fallback",
]

FONTS_DIR = Path(__file__).with_name("fonts")
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
CJK = "WenQuanYiMicroHei"
EMOJI = "NotoEmoji"
# The fallbacks in the order they are asked, after DejaVu (bold and italic use the same
# face: neither font has other weights).
FALLBACK_FILES = {CJK: "WenQuanYiMicroHei-subset.ttf", EMOJI: "NotoEmoji-Regular.ttf"}
_FACES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}


_REPORTLAB_TO_UNICODE = ttfonts.makeToUnicodeCMap
_ASTRAL = re.compile(r"^(<[0-9A-F]{2}> )<([0-9A-F]{5,6})>$", re.MULTILINE)


def _utf16(match: re.Match[str]) -> str:
    return f"{match.group(1)}<{chr(int(match.group(2), 16)).encode('utf-16-be').hex().upper()}>"


def to_unicode_cmap(fontname: str, subset: Any) -> str:
    """ReportLab's ToUnicode CMap (what copying text and pdftotext read) with letters past
    U+FFFF (most emoji) as UTF-16 surrogate pairs: ReportLab writes them as five hex digits,
    which readers cut to four (😀 came back as «ὠ»)."""
    return _ASTRAL.sub(_utf16, _REPORTLAB_TO_UNICODE(fontname, subset))


ttfonts.makeToUnicodeCMap = to_unicode_cmap  # ReportLab calls it by its module's name


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register DejaVu Sans with ReportLab once per process; returns the family name, whose
    <b> and <i> map to the bold and oblique faces."""
    for name, file in _FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / file)))
    pdfmetrics.registerFontFamily(
        REGULAR,
        normal=REGULAR,
        bold=BOLD,
        italic="DejaVuSans-Oblique",
        boldItalic="DejaVuSans-BoldOblique",
    )
    return REGULAR


@cache
def _font(name: str) -> TTFont:
    """A registered font by name; a fallback is read and registered on first use."""
    if name in FALLBACK_FILES:
        font = TTFont(name, str(FONTS_DIR / FALLBACK_FILES[name]))
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
        return font
    register_fonts()
    found = pdfmetrics.getFont(name)
    assert isinstance(found, TTFont), name
    return found


def _covers(name: str, code: int) -> bool:
    """Whether font `name` has a glyph for the code point (a fallback is loaded to know)."""
    return code in _font(name).face.charToGlyph


def _neutral(char: str) -> bool:
    """Joiners, variation selectors and combining marks: they take the font of the letter
    before them when that font has them (an emoji's U+FE0F, an accent on a letter). Spaces
    are DejaVu's (Noto Emoji's space is as wide as an emoji)."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf")


def _pick(char: str, current: str | None) -> str | None:
    """The font for `char`: None for DejaVu (also when no font has it: DejaVu's box)."""
    code = ord(char)
    if current is not None and _neutral(char) and _covers(current, code):
        return current
    if _covers(REGULAR, code):
        return None
    for name in FALLBACK_FILES:
        if _covers(name, code):
            return name
    return None


def _tokens(markup: str) -> Iterator[tuple[str, str | None]]:
    """(raw text, the letter it stands for) pieces of paragraph markup: a tag stands for
    no letter, an entity for the letter it decodes to."""
    for piece in _MARKUP.split(markup):
        if not piece:
            continue
        if piece.startswith("<"):
            yield piece, None
        elif piece.startswith("&"):
            letter = html.unescape(piece)
            yield piece, letter if len(letter) == 1 else None
        else:
            yield from ((char, char) for char in piece)


_MARKUP = re.compile(r"(<[^>]*>|&#?[A-Za-z0-9]+;)")


def runs(text: str) -> list[tuple[str | None, str]]:
    """`text` cut into (font, piece) runs; font None is DejaVu Sans."""
    out: list[tuple[str | None, str]] = []
    current: str | None = None
    for char in text:
        font = _pick(char, current)
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + char)
        else:
            out.append((font, char))
        current = font
    return out


def _plain(text: str) -> bool:
    """True when DejaVu has every letter of `text` (the common case, checked fast)."""
    face = _font(REGULAR).face.charToGlyph
    return all(ord(char) in face for char in text)


def with_fallback(markup: str) -> str:
    """Paragraph markup with every run DejaVu lacks wrapped in its fallback's <font>; tags
    and entities are kept as they are (a tag never ends a run of its own font)."""
    if markup.isascii() or _plain(markup):
        return markup
    out: list[str] = []
    current: str | None = None
    for raw, letter in _tokens(markup):
        font = current if letter is None else _pick(letter, current)
        if letter is not None and font != current:
            if current is not None:
                out.append("</font>")
            if font is not None:
                out.append(f'<font name="{font}">')
            current = font
        elif letter is None and current is not None and raw.startswith("<"):
            # A tag inside a fallback run: close the run around it so the tags nest.
            out.append("</font>")
            current = None
        out.append(raw)
    if current is not None:
        out.append("</font>")
    return "".join(out)


def paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of document markup, each letter in a font that has it."""
    return Paragraph(with_fallback(markup), style)


def _pieces(text: str) -> list[tuple[str | None, str]]:
    return [(None, text)] if _plain(text) else runs(text)


def string_width(text: str, font: str, size: float) -> float:
    """The width of `text` drawn with `draw_string` in `font` (a DejaVu face) and `size`."""
    return sum(pdfmetrics.stringWidth(piece, name or font, size) for name, piece in _pieces(text))


def draw_string(
    canvas: Any, x: float, y: float, text: str, font: str, size: float, anchor: str = "start"
) -> None:
    """Draw `text` on a ReportLab canvas at (x, y) in `font` (a DejaVu face), switching to a
    fallback for the runs DejaVu lacks; `anchor` is start, middle or end."""
    if anchor != "start":
        width = string_width(text, font, size)
        x -= width / 2 if anchor == "middle" else width
    for name, piece in _pieces(text):
        face = name or font
        canvas.setFont(face, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, face, size)


def font_path_covering(text: str) -> Path | None:
    """The one font file that has every letter of `text` (DejaVu Sans, else the CJK
    fallback, which has Latin-1 too), for a text set in a single font (the signature
    stamp); None when no single font has them all."""
    if _plain(text):
        return FONTS_DIR / _FACES[REGULAR]
    if all(_covers(CJK, ord(char)) or _neutral(char) for char in text):
        return FONTS_DIR / FALLBACK_FILES[CJK]
    return None
