"""The cells of an HTML table as text (what a reader sees), to compare a page's table with
its downloads and with hand-computed figures."""

from __future__ import annotations

from html.parser import HTMLParser


class _Rows(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the wanted table
        self.hidden = 0  # inside an element only screen readers get (.usa-sr-only)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and (self.depth or found.get("id") == self.table_id):
            self.depth += 1
        if not self.depth:
            return
        if tag == "caption":
            self.hidden += 1
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "caption":
            self.hidden -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.cell is not None and not self.hidden:
            self.cell.append(data)


def table_rows(html: str, key: str) -> list[list[str]]:
    """Header, body and total rows of the dashboard table `key` (id «tabla-<key>»); [] when
    the page has no such table."""
    parser = _Rows(f"tabla-{key}")
    parser.feed(html)
    return parser.rows
