"""The only markup a document text may carry: bold, italic and line breaks, without attributes.

A liaison's text (and a citizen's answers filled into it) becomes ReportLab paragraph markup,
where ``<img src>`` reads a file of the server and ``<a href>``/``<link href>`` become link
actions in the signed PDF. So everything is escaped and exactly the tokens of
``INLINE_TAGS`` are given back; the validator names any other tag a liaison writes.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

__all__ = ["INLINE_TAGS", "foreign_tags", "inline_markup"]

INLINE_TAGS = ("<b>", "</b>", "<i>", "</i>", "<br/>")
"""Tags a document text may use, exactly as written here (``<br>`` and ``<br />`` too)."""

# On escaped text: an allowed tag, or an entity that was already escaped (``&amp;lt;``,
# ``&amp;#39;``, ``&amp;aacute;``) and is inert, so it is given back as the entity.
_GIVE_BACK = re.compile(
    r"&lt;(?P<tag>/?[bi]|br ?/?)&gt;"
    r"|&amp;(?P<entity>[A-Za-z][A-Za-z0-9]{1,15}|#[0-9]{1,6}|#[xX][0-9A-Fa-f]{1,5});"
)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]{0,200}>?")


def _give_back(match: re.Match[str]) -> str:
    tag = match.group("tag")
    if tag is not None:
        return "<br/>" if tag.startswith("br") else f"<{tag}>"
    return f"&{match.group('entity')};"


def inline_markup(text: str) -> str:
    """``text`` as paragraph markup that can only be bold, italic, line breaks and text."""
    return _GIVE_BACK.sub(_give_back, escape(text))


def foreign_tags(text: str) -> list[str]:
    """Tags in a liaison's document text (outside ``{{ }}``/``{% %}``) that are not allowed."""
    literal = _JINJA.sub(" ", text)
    allowed = {"<b>", "</b>", "<i>", "</i>", "<br/>", "<br>", "<br />"}
    return [m.group(0) for m in _TAG_LIKE.finditer(literal) if m.group(0) not in allowed]
