"""Every text a page shows in Spanish has its English translation (nobody reading in English
meets a Spanish sentence because someone forgot the catalog)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.helpers.paths import REPO_ROOT

METHOD_MAP = [("app/**.py", "python"), ("app/**/templates/**.html", "jinja2")]


def test_every_message_of_the_web_layer_has_an_english_translation() -> None:
    with (REPO_ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    # A plural (`ngettext`) is translated when every one of its forms is.
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), METHOD_MAP, options_map={"app/**/templates/**.html": {}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and msgid not in translated:
            missing.add(f"{filename}: {msgid}")
    assert not missing, "untranslated messages:\n" + "\n".join(sorted(missing))


def test_the_catalog_is_well_formed() -> None:
    """What GNU msgfmt would refuse and Babel lets pass: a translation with no message before
    it (left by a merge), a message given twice, a catalog without its plural rule."""
    text = (REPO_ROOT / "app/translations/en/LC_MESSAGES/messages.po").read_text("utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    previous = ""
    orphans = []
    for number, line in enumerate(text.splitlines(), 1):
        keyword = line.split(" ", 1)[0]
        if keyword.startswith("msgstr") and not previous.startswith(("msgid", "msgstr")):
            orphans.append(f"line {number}: {line}")
        if keyword.startswith("msg"):
            previous = keyword
        elif not line.startswith('"'):
            previous = ""
    assert not orphans, "translations with no message:\n" + "\n".join(orphans)
    with (REPO_ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    ids = [(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id]
    assert len(ids) == len(set(ids)), "messages given twice"
