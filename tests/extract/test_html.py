"""HTML: visible text and attribute values, on the lines they stand on in the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from piiscan.extract.html import html_to_text
from tests.helpers import h, located, run_scan


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a<b>b</b></p>", " ab "),
        ("<p>one</p>\n<p>two &amp; three</p>", " one \n two & three "),
        ('<a href="mailto:x@y.nl">mail</a>', " mailto:x@y.nl mail"),
        ("<style>p {}</style><script>\nvar a;\n</script>x", "   \n\n x"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_an_html_page_is_scanned_without_markup(tmp_path: Path) -> None:
    src = tmp_path / "site"
    src.mkdir()
    page = (
        "<!DOCTYPE html>\n<html><head><title>Klant</title></head>\n<body>\n"
        "<p>BSN: <b>123456782</b></p>\n"
        '<p><a href="mailto:jan@example.nl">mail Jan</a></p>\n'
        "<!-- IBAN NL91ABNA0417164300 in a comment is not shown -->\n"
        + "<p>filler</p>\n" * 40_000
        + "<td>IBAN</td><td>NL91 ABNA 0417 1643 00</td>\n</body></html>\n"
    )
    (src / "page").write_text(page)
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE,EMAIL_ADDRESS")
    assert scan.exit_code == 0, scan.result.output
    assert [r["content_type"] for r in scan.rows("objects")] == ["text/html"]
    assert located(scan.rows("findings"), "line", "entity", "value_hash") == [
        (4, "NL_BSN", h("NL_BSN", "123456782")),
        (40007, "IBAN_CODE", h("IBAN_CODE", "NL91ABNA0417164300")),
        (5, "EMAIL_ADDRESS", h("EMAIL_ADDRESS", "jan@example.nl")),
    ]
