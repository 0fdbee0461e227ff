"""What a record tells about its neighbours' values: a chat's question answered a few messages
later (a BSN's context reaches the same field of the four records before it), and a record's
country (a `country` field, a German address) that says whose national phone numbers it holds.

Every case runs on both roads (columnar and row by row) and must give the same findings, also
where the records around a value lie in another block of the file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import piiscan.extract.delimited as delimited
import piiscan.extract.jsondoc as jsondoc
from piiscan.connectors import Selection
from piiscan.extract.options import ExtractOptions, TableOptions
from piiscan.limits import Limits
from piiscan.scan import ScanOptions, run_scan
from tests.helpers import TEST_KEY, h, read_rows

BSN = "123456782"

Row = tuple[str, str, int | None, int | None, str | None, str]


def scan(tmp_path: Path, source: Path, columnar: bool, entities: str, limits: Limits | None = None) -> list[Row]:
    out = tmp_path / f"scan-{columnar}"
    options = ScanOptions(
        scan_id="ctx",
        key=TEST_KEY.encode(),
        entities=tuple(entities.split(",")),
        extract=ExtractOptions(tables=TableOptions(columnar=columnar)),
        **({"limits": limits} if limits else {}),
    )
    run_scan([str(source)], str(out), options, Selection(), workers=1)
    assert read_rows(out, "errors") == []
    return sorted(
        (Path(r["object"]).name, r["entity"], r["line"], r["record"], r["field"], r["value_hash"])
        for r in read_rows(out, "findings")
    )


def both_roads(tmp_path: Path, source: Path, entities: str, limits: Limits | None = None) -> list[Row]:
    """The findings of the columnar road, asserted equal to the row road's."""
    columns = scan(tmp_path, source, True, entities, limits)
    assert scan(tmp_path, source, False, entities, limits) == columns
    return columns


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


# -- a chat's question, answered a few records later ------------------------------------------

CHAT = [
    ("agent", "Goedemiddag, waarmee kan ik helpen?"),
    ("klant", "Mijn abonnement is twee keer afgeschreven."),
    ("agent", "Vervelend! Mag ik je BSN?"),  # record 2
    ("klant", "momentje"),
    ("klant", "even mijn pas pakken"),
    ("klant", f"Oeps, het is {BSN}"),  # record 5: three records after the question
    ("agent", "Dank je, ik kijk het na."),
    ("klant", "Mijn vorige nummer was 111222333"),  # record 7: five after it, beyond reach
    ("agent", "Je ticketnummer is 100245671."),
]


def test_a_bsn_three_chat_messages_after_the_question_csv(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_csv(src / "chat.csv", ["sent_at", "author", "message"], [[f"10:0{i}", a, m] for i, (a, m) in enumerate(CHAT)])
    assert both_roads(tmp_path, src, "NL_BSN") == [("chat.csv", "NL_BSN", 7, 5, "message", h("NL_BSN", BSN))]


def test_a_bsn_three_chat_messages_after_the_question_json_lines(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = [json.dumps({"author": a, "msg": {"text": m}}) for a, m in CHAT]
    (src / "chat.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert both_roads(tmp_path, src, "NL_BSN") == [("chat.jsonl", "NL_BSN", 6, 5, "$.msg.text", h("NL_BSN", BSN))]


def test_the_question_in_another_field_or_beyond_four_records_is_no_context(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [["vraag: bsn?", "x"], ["", "a"], ["", "b"], ["", BSN], ["bsn", ""], *[["", "y"]] * 4, ["", BSN]]
    write_csv(src / "two.csv", ["subject", "message"], rows)
    # record 3 has the word in another field only; record 9 is five records after record 4
    assert both_roads(tmp_path, src, "NL_BSN") == []


def test_the_window_reaches_into_the_block_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few records (columnar) and units of a few records (row road): the question and
    the answer in different ones, found alike."""
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 96)
    monkeypatch.setattr(jsondoc, "BLOCK_BYTES", 96)
    src = tmp_path / "in"
    src.mkdir()
    filler = [["agent", f"bericht {i} zonder nummers"] for i in range(30)]
    rows = [*filler, ["agent", "Mag ik je BSN?"], ["klant", "eh"], ["klant", "hmm"], ["klant", BSN], *filler]
    write_csv(src / "long.csv", ["author", "message"], rows)
    lines = [json.dumps({"author": a, "text": m}) for a, m in rows]
    (src / "long.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    small = Limits(chunk_chars=256, chunk_overlap=64)
    assert both_roads(tmp_path, src, "NL_BSN", small) == [
        ("long.csv", "NL_BSN", 35, 33, "message", h("NL_BSN", BSN)),
        ("long.jsonl", "NL_BSN", 34, 33, "$.text", h("NL_BSN", BSN)),
    ]


# -- a record's country ----------------------------------------------------------------------

CUSTOMERS: list[dict[str, Any]] = [
    {"name": "Hans Weber", "phone": "030 2345678", "country": "DE"},
    {"name": "Jane Miller", "phone": "(212) 555-0143", "country": "United States"},
    {"name": "Piet Bakker", "phone": "020 1234567", "country": "NL"},
    {"name": "Marie Dubois", "phone": "01 23 45 67 89", "country": "Frankrijk"},
    {"name": "Anna Becker", "phone": "030 2345678", "country": ""},  # no country: the Dutch reading
]
EXPECTED = [
    (0, "+49302345678"),
    (1, "+12125550143"),
    (2, "+31201234567"),
    (3, "+33123456789"),
    (4, "+31302345678"),
]


def test_a_country_column_says_whose_numbers_a_csv_row_holds(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_csv(src / "customers.csv", list(CUSTOMERS[0]), [list(c.values()) for c in CUSTOMERS])
    assert both_roads(tmp_path, src, "PHONE_NUMBER") == [
        ("customers.csv", "PHONE_NUMBER", record + 2, record, "phone", h("PHONE_NUMBER", e164))
        for record, e164 in EXPECTED
    ]


def test_a_country_field_in_json_lines_and_parquet(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    nested = [{"contact": {"tel": c["phone"]}, "address": {"country": c["country"]}} for c in CUSTOMERS]
    (src / "c.jsonl").write_text("\n".join(json.dumps(n) for n in nested) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(CUSTOMERS), src / "c.parquet")
    assert both_roads(tmp_path, src, "PHONE_NUMBER") == sorted(
        [("c.jsonl", "PHONE_NUMBER", r + 1, r, "$.contact.tel", h("PHONE_NUMBER", e)) for r, e in EXPECTED]
        + [("c.parquet", "PHONE_NUMBER", None, r, "phone", h("PHONE_NUMBER", e)) for r, e in EXPECTED]
    )


def test_a_german_address_on_the_record_makes_its_numbers_german(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [
        ["Hans Weber", "Hauptstraße 5", "10115", "Berlin", "030 2345678"],
        ["Anna Becker", "Lindenallee 7", "50968", "Köln", "Tel. (0221) 4567890"],
        ["Piet Bakker", "Kerkstraat 5", "3543 LS", "Utrecht", "030 2345678"],  # Dutch: Utrecht's 030
        ["Jean Martin", "12 rue de la Paix", "75002", "Paris", "030 2345678"],  # no German street
    ]
    write_csv(src / "kunden.csv", ["name", "strasse", "plz", "ort", "telefon"], rows)
    document = [{"klant": {"adres": "Friedrichstraße 123, 10117 Berlin", "telefoon": "(030) 2345678"}}]
    (src / "kunden.json").write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    assert both_roads(tmp_path, src, "PHONE_NUMBER") == sorted(
        [
            ("kunden.csv", "PHONE_NUMBER", 2, 0, "telefon", h("PHONE_NUMBER", "+49302345678")),
            ("kunden.csv", "PHONE_NUMBER", 3, 1, "telefon", h("PHONE_NUMBER", "+492214567890")),
            ("kunden.csv", "PHONE_NUMBER", 4, 2, "telefon", h("PHONE_NUMBER", "+31302345678")),
            ("kunden.csv", "PHONE_NUMBER", 5, 3, "telefon", h("PHONE_NUMBER", "+31302345678")),
            ("kunden.json", "PHONE_NUMBER", 5, 0, "$.klant.telefoon", h("PHONE_NUMBER", "+49302345678")),
        ]
    )


def test_columns_of_repeated_values_keep_their_records_context(tmp_path: Path) -> None:
    """A column of few distinct values is scanned a distinct value at a time, except where a row's
    country or an earlier record's words change what a value holds."""
    src = tmp_path / "in"
    src.mkdir()
    chat = [["agent", "ok"]] * 100 + [["agent", "Mag ik je BSN?"], ["klant", "ok"], ["klant", "ok"], ["klant", BSN]]
    write_csv(src / "chat.csv", ["author", "message"], [*chat, *[["klant", "ok"]] * 100])
    write_csv(src / "customers.csv", list(CUSTOMERS[0]), [list(c.values()) for c in CUSTOMERS] * 20)
    assert both_roads(tmp_path, src, "NL_BSN,PHONE_NUMBER") == sorted(
        [("chat.csv", "NL_BSN", 105, 103, "message", h("NL_BSN", BSN))]
        + [
            ("customers.csv", "PHONE_NUMBER", 5 * k + record + 2, 5 * k + record, "phone", h("PHONE_NUMBER", e164))
            for k in range(20)
            for record, e164 in EXPECTED
        ]
    )
