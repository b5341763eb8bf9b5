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
