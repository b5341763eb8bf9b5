"""What a liaison or a citizen writes is text in the signed PDF: never an image read from the
server's disk, never a javascript:/file: link, never a rendering failure. Only <b>, <i> and
<br/> without attributes are markup, and the validator names any other tag."""

from __future__ import annotations

import contextlib
import copy
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.platypus import Paragraph

from connectors.documents import DocumentContent, render_body, render_pdf
from connectors.documents.body import document_data, fees_context
from tests.helpers.engine import MINI
from tests.helpers.markup import assert_inert, png
from workflow_engine.templates.markup import foreign_tags, inline_markup
from workflow_engine.templates.validation import validate_template

VERIFY_URL = "https://tramites.example/verificar/ABCDE23456"


def hostile(image: Path) -> list[str]:
    return [
        f'<img src="{image}"/>',
        '<img src="/etc/hostname"/>',  # not an image: issuance used to fail for good
        '<a href="javascript:alert(1)">pulse aquí</a>',
        '<link href="file:///etc/passwd">ver</link>',
        '<a href="file:///etc/passwd" color="red">ver</a>',
        "<font name='Courier' size=40>grande</font>",
        '<para autoLeading="max"><b>x</b></para>',
        '<span backColor="red">x</span>',
        "<onDraw name='x'/>",
        "<b>negritas</b> <i>cursivas</i><br/>salto",
        "Menor < 5 & mayor > 2",
        "&lt;img src=x/&gt; &aacute; &#39; &bogus; &#0;",
    ]


def _content(body: list[str]) -> DocumentContent:
    return DocumentContent(
        municipality="Municipio de Chocotlán",
        title="Constancia",
        procedure_title="Constancia",
        folio="CHO-2026-ABCDE0",
        issued_on=date(2026, 3, 5),
        verification_code="ABCDE23456",
        verification_url=VERIFY_URL,
        body=body,
    )


def _render_case(source: str, nombre: str) -> bytes:
    """The body as the document step renders it, with a citizen's answer filled in."""
    definition = {"steps": [{"id": "d", "fields": [{"id": "nombre", "type": "text"}]}]}
    context = {
        "data": document_data({"nombre": nombre}, definition),
        "case": {"folio": "CHO-2026-ABCDE0"},
        "fees": fees_context([]),
    }
    return render_pdf(_content(render_body(source, context)))


def test_hostile_markup_written_by_a_liaison_is_printed_as_text(tmp_path: Path) -> None:
    for source in hostile(png(tmp_path / "secreto.png")):
        pdf = _render_case(source, "Ana")
        assert_inert(pdf)
    text = PdfReader(io.BytesIO(_render_case('<img src="/etc/hostname"/> fin', "Ana")))
    assert '<img src="/etc/hostname"/> fin' in text.pages[0].extract_text()


def test_hostile_markup_typed_by_a_citizen_is_printed_as_text(tmp_path: Path) -> None:
    for value in hostile(png(tmp_path / "secreto.png")):
        pdf = _render_case("Se expide a {{ data.nombre }}.", value)
        assert_inert(pdf)
    reader = PdfReader(io.BytesIO(_render_case("A {{ data.nombre }}.", "<b>Ana</b> & Co")))
    assert "A <b>Ana</b> & Co." in reader.pages[0].extract_text()


def test_allowed_tags_still_format_and_odd_spellings_are_normalised() -> None:
    assert inline_markup("<b>a</b><i>b</i><br>c<br />d<br/>") == "<b>a</b><i>b</i><br/>c<br/>d<br/>"
    assert inline_markup("<B>a</B>") == "&lt;B&gt;a&lt;/B&gt;"
    assert inline_markup('<b class="x">a</b>') == '&lt;b class="x"&gt;a</b>'
    assert inline_markup("&aacute; &amp; & &#39;") == "&aacute; &amp; &amp; &#39;"


MARKUPISH = st.text(
    alphabet=st.sampled_from(list("<>/&;#=\"' abiflnkmgsrcphty:.x0123456789\n{}%")), max_size=80
) | st.lists(
    st.sampled_from(
        [
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<br/>",
            "<img src='/etc/hostname'/>",
            '<a href="javascript:x()">',
            "</a>",
            '<link href="file:///x">',
            "</link>",
            "<font size=90>",
            "&amp;",
            "&lt;",
            "&#",
            "&#x110000;",
            "&#1114111;",
            "texto",
            "<",
            ">",
            "&",
            "\n",
            "<para>",
            "<br",
            "<seq/>",
            "<onDraw name=x/>",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=MARKUPISH)
def test_inline_markup_only_lets_the_allowed_tags_through(text: str) -> None:
    safe = inline_markup(text)
    assert inline_markup(safe) == safe  # idempotent: escaping twice changes nothing
    rest = safe
    for tag in ("<b>", "</b>", "<i>", "</i>", "<br/>"):
        rest = rest.replace(tag, "")
    assert "<" not in rest and ">" not in rest
    with contextlib.suppress(ValueError):  # a <b> left open: the layout prints it as written
        Paragraph(safe)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(liaison=MARKUPISH, citizen=MARKUPISH)
def test_random_markup_from_liaison_and_citizen_never_fails_nor_links_nor_embeds(
    liaison: str, citizen: str
) -> None:
    source = liaison.replace("{", "(").replace("}", ")") + " {{ data.nombre }}"
    assert_inert(_render_case(source, citizen))


# -- the validator ------------------------------------------------------------------------------


def _with_body(text: str) -> dict[str, Any]:
    doc = copy.deepcopy(MINI)
    step = next(s for s in doc["steps"] if s["type"] == "document")
    step["document"]["body"] = {"es": "Hola {{ data.nombre }}.", "en": text}
    return doc


@pytest.mark.parametrize("text", [*hostile(Path("/srv/logo.png"))[:9], '<b onclick="x">a</b>'])
def test_the_validator_names_any_other_tag_with_its_path(text: str) -> None:
    problems = validate_template(_with_body(text))
    assert [p.path for p in problems] == ["$.steps[4].document.body.en"]
    (problem,) = problems
    assert "<b>…</b>" in problem.message_es and "<b>…</b>" in problem.message_en
    assert foreign_tags(text)[0][:20] in problem.message_es


@pytest.mark.parametrize(
    "text",
    [
        "<b>Negritas</b>, <i>cursivas</i><br/>y salto<br>o<br />",
        "Si la superficie es < 100 m² y > 10 m², paga menos & rápido.",
        "{% if data.edad > 60 and data.edad < 99 %}<b>Descuento</b>{% endif %}",
    ],
)
def test_the_validator_accepts_the_allowed_tags_and_plain_comparisons(text: str) -> None:
    assert validate_template(_with_body(text)) == []


@pytest.mark.parametrize("text", ["{{ data.nombre | no_existe }}", "{% if data.edad %}sin fin"])
def test_the_validator_refuses_a_text_that_cannot_be_rendered(text: str) -> None:
    (problem,) = validate_template(_with_body(text))
    assert problem.path == "$.steps[4].document.body.en"
    assert "plantilla" in problem.message_es and "template" in problem.message_en
