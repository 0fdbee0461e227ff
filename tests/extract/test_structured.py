"""CSV, TSV, JSON and JSON Lines: record and field locators."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import h, located, run_scan

BSN, IBAN = "123456782", "NL91ABNA0417164300"
B, IB = h("NL_BSN", BSN), h("IBAN_CODE", IBAN)


def scan_one(tmp_path: Path, name: str, content: str) -> list[tuple[object, ...]]:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_text(content, encoding="utf-8")
    scan = run_scan(tmp_path, str(tmp_path / "in"))
    assert scan.exit_code == 0, scan.result.output
    return located(scan.rows("findings"), "line", "record", "field", "value_hash")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "klanten.csv",
            f"naam,bsn,iban\nJan,{BSN},x\nPiet,,{IBAN}\n",
            [
                (None, 0, "bsn", B),
                (None, 0, "naam", h("PERSON", "jan")),
                (None, 1, "iban", IB),
                (None, 1, "naam", h("PERSON", "piet")),
            ],
        ),
        (
            "semicolons.csv",
            f'naam;bsn;opmerking\n"Jan; de Vries";{BSN};"regel\nmet iban {IBAN}"\n',
            [(None, 0, "bsn", B), (None, 0, "opmerking", IB)],
        ),
        ("export.tsv", f"id\tsofi\n1\t{BSN}\n", [(None, 0, "sofi", B)]),
        # no header: fields are 1-based column numbers, record 0 is the first line, and a bare
        # 9-digit number in an unnamed column is no BSN finding (no context)
        ("noheader.csv", f"1,{BSN},x\n2,{IBAN},y\n", [(None, 1, "2", IB)]),
        # sniffed as CSV by content, without the extension
        ("export", f"id,bsn,note\n1,{BSN},a\n2,x,b\n3,y,c\n", [(None, 0, "bsn", B)]),
    ],
)
def test_delimited(tmp_path: Path, name: str, content: str, expected: list[tuple[object, ...]]) -> None:
    assert scan_one(tmp_path, name, content) == expected


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "events.jsonl",
            f'{{"user": {{"bsn": "{BSN}"}}}}\n\n{{"pay": [{{"iban": "{IBAN}"}}]}}\nnot json bsn {BSN}\n',
            [(1, 0, "$.user.bsn", B), (3, 2, "$.pay[0].iban", IB), (4, 3, "$", B)],
        ),
        (
            "doc.json",
            f'{{"klant": {{"burgerservicenummer": {BSN}, "rekening nr": "{IBAN}"}}}}',
            [(None, None, "$.klant.burgerservicenummer", B), (None, None, '$.klant["rekening nr"]', IB)],
        ),
        (
            "list.json",
            f'[{{"a": 1}}, {{"bsn": "{BSN}"}}]',
            [(None, 1, "$.bsn", B)],
        ),
        ("broken.json", f'{{"bsn": "{BSN}",\n', [(1, None, None, B)]),
    ],
)
def test_json(tmp_path: Path, name: str, content: str, expected: list[tuple[object, ...]]) -> None:
    assert scan_one(tmp_path, name, content) == expected
