"""Names are content: values in file, member and field names are findings, masked, and sealed."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

from click.testing import CliRunner

from piiscan.cli import main
from piiscan.connectors.local import file_uri
from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.names import IN_FIELD, IN_MEMBER, IN_OBJECT, TOKEN, NameGuard, NamesKeyError, SealedNames
from piiscan.redact import safe_message
from tests.helpers import TEST_KEY, h, located, run_scan

BSN, OTHER_BSN, EMAIL = "111222333", "123456782", "jan.jansen@example.nl"
BSN_TOKEN = re.compile(r"\{\*\*\*\*2333~[a-p]{12}\}")
EMAIL_TOKEN = re.compile(r"\{j\*\*\*@example\.nl~[a-p]{12}\}")


def _guard() -> NameGuard:
    return NameGuard(Engine(load_detectors(None), TEST_KEY.encode()), TEST_KEY.encode())


def test_a_value_in_a_name_becomes_a_token_the_key_opens() -> None:
    guard = _guard()
    masked, values = guard.uri(f"file:///data/klant_{BSN}/brief.txt")
    assert BSN_TOKEN.fullmatch(masked.removeprefix("file:///data/klant_").removesuffix("/brief.txt"))
    assert [(v.entity, v.masked, v.value_hash) for v in values] == [("NL_BSN", "****2333", h("NL_BSN", BSN))]
    assert guard.uri("file:///data/report-2024-01-05.csv") == ("file:///data/report-2024-01-05.csv", ())
    assert guard.uri("postgresql://10.1.2.3:5432/shop/public.klant") == (
        "postgresql://10.1.2.3:5432/shop/public.klant",
        (),
    )
    seals = guard.take_seals()
    assert [t for t, _ in seals] == [TOKEN.search(masked).group(0)]  # type: ignore[union-attr]
    opened = SealedNames(TEST_KEY.encode())
    opened.add(*zip(*seals, strict=True))
    assert opened.reveal(masked) == f"file:///data/klant_{BSN}/brief.txt"
    other = SealedNames(b"another-key-of-16-bytes")
    try:
        other.add(*zip(*seals, strict=True))
    except NamesKeyError as exc:
        assert str(exc) == "a sealed name does not open with this HMAC key"
    else:
        raise AssertionError("opened with another key")


def test_a_cell_is_named_by_its_sheet_which_is_scanned_once_for_all_its_cells() -> None:
    """`Sheet!C7`: a value in the sheet's name is masked in every cell's name with one token, the
    sheet's name scanned once; a name that only looks like a cell is scanned whole."""
    guard = _guard()
    scanned: list[str] = []
    scan = guard.engine.scan
    guard.engine.scan = lambda unit, *a, **k: scanned.append(unit.text) or scan(unit, *a, **k)  # type: ignore[method-assign]
    cells = [guard.field(f"{EMAIL}!{cell}") for cell in ("A1", "C7", "XFD1048576")]
    assert [masked.removeprefix("{").split("}")[1] for masked, _ in cells] == ["!A1", "!C7", "!XFD1048576"]
    assert len({masked.split("}")[0] for masked, _ in cells}) == 1
    assert EMAIL_TOKEN.fullmatch(cells[0][0].removesuffix("!A1"))
    assert [[v.value_hash for v in values] for _, values in cells] == [[h("EMAIL_ADDRESS", EMAIL)]] * 3
    assert guard.field("Klanten!B2") == ("Klanten!B2", ())
    assert guard.field(f"x!{BSN}")[0] != f"x!{BSN}"  # no cell: a row number has at most 7 digits
    assert scanned == [EMAIL, "Klanten", f"x!{BSN}"]


def test_a_quoted_file_uri_is_masked_in_its_plain_form_and_revealed_as_written() -> None:
    guard = _guard()
    uri = file_uri(Path(f"/data/jan jansen {EMAIL}.txt"))
    masked, _ = guard.uri(uri)
    assert masked.startswith("file:///data/jan%20jansen%20{j***@example.nl~") and masked.endswith("}.txt")
    opened = SealedNames(TEST_KEY.encode())
    opened.add(*zip(*guard.take_seals(), strict=True))
    assert opened.reveal(masked) == uri


def test_a_sheet_named_by_a_value_masks_every_cell_however_many(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A sheet named by an e-mail address: each finding's cell masked with the same token and the
    address reported once per cell, also where a worker remembers only a few names at a time."""
    import openpyxl

    from piiscan import scan as scanning
    from piiscan.extract import xlsx

    book = openpyxl.Workbook()
    book.active.title = EMAIL
    for _ in range(5):
        book.active.append(["NL91ABNA0417164300"])
    book.save(tmp_path / "klanten.xlsx")

    def rows(name: str) -> list[tuple[object, ...]]:
        found = run_scan(tmp_path, str(tmp_path / "klanten.xlsx"), out_name=name).rows("findings")
        return located(found, "entity", "record", "field")

    every = rows("every")
    monkeypatch.setattr(scanning, "_FIELDS_KEPT", 2)
    monkeypatch.setattr(xlsx, "BATCH_ROWS", 2)  # three batches: the names of two are let go
    assert rows("few") == every
    token = EMAIL_TOKEN.pattern
    assert [(e, r, re.sub(token, "T", f)) for e, r, f in every] == [
        *(("EMAIL_ADDRESS", None, f"{IN_FIELD}T!A{n}") for n in range(1, 6)),
        *(("IBAN_CODE", n - 1, f"T!A{n}") for n in range(1, 6)),
    ]


def _estate(src: Path) -> None:
    (src / f"klant_{BSN}").mkdir(parents=True)
    (src / f"klant_{BSN}" / "brief.txt").write_text("geen gegevens\n")
    with zipfile.ZipFile(src / "archief.zip", "w") as z:
        z.writestr(f"post/{EMAIL}.txt", "niets\n")
    (src / "klanten.json").write_text(json.dumps({EMAIL: {"iban": "NL91ABNA0417164300"}}))


def test_names_are_findings_and_are_masked_in_every_column(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _estate(src)
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == 0, scan.result.output
    folder = file_uri(src)
    objects = {(r["object"], r["member"]) for r in scan.rows("objects")}
    brief = next(o for o, _ in objects if o.endswith("/brief.txt"))
    assert BSN_TOKEN.fullmatch(brief.removeprefix(f"{folder}/klant_").removesuffix("/brief.txt"))
    member = next(m for o, m in objects if m.startswith("post/"))
    assert EMAIL_TOKEN.fullmatch(member.removeprefix("post/").removesuffix(".txt"))
    findings = scan.rows("findings")
    named = [(r["object"].rsplit("/", 1)[-1], r["member"], r["field"], r["entity"], r["value_hash"]) for r in findings]
    json_field = next(r["field"] for r in findings if r["entity"] == "IBAN_CODE")
    assert EMAIL_TOKEN.fullmatch(json_field.removeprefix('$["').removesuffix('"].iban'))
    assert sorted(n for n in named if n[2] and n[2].startswith("name:")) == sorted(
        [
            ("brief.txt", "", IN_OBJECT, "NL_BSN", h("NL_BSN", BSN)),
            ("archief.zip", member, IN_MEMBER, "EMAIL_ADDRESS", h("EMAIL_ADDRESS", EMAIL)),
            ("klanten.json", "", IN_FIELD + json_field, "EMAIL_ADDRESS", h("EMAIL_ADDRESS", EMAIL)),
        ]
    )
    # each name's values once, whatever its rows; line, record and page say nothing of a name
    assert all(r["line"] is None and r["record"] is None for r in findings if r["field"].startswith("name:"))
    counts = {(r["object"].rsplit("/", 1)[-1], r["member"]): r["findings"] for r in scan.rows("objects")}
    assert counts == {("brief.txt", ""): 1, ("archief.zip", ""): 0, ("archief.zip", member): 1, ("klanten.json", ""): 2}
    every_byte = b"".join(p.read_bytes() for p in scan.out.rglob("*") if p.is_file())
    assert BSN.encode() not in every_byte and b"jansen" not in every_byte


def test_masked_names_stay_apart_where_the_exact_names_differ(tmp_path: Path) -> None:
    """Two files differing only in the digits that are hidden: two objects, each with its own finding."""
    src = tmp_path / "src"
    src.mkdir()
    (src / f"klant_{BSN}.txt").write_text("iban NL91ABNA0417164300\n")
    (src / f"klant_{OTHER_BSN}.txt").write_text("geen\n")
    scan = run_scan(tmp_path, str(src))
    objects = sorted(r["object"] for r in scan.rows("objects"))
    assert len(set(objects)) == 2
    assert {o.rsplit("/", 1)[-1][:10] for o in objects} == {"klant_{***"}
    by_object = {}
    for r in scan.rows("findings"):
        by_object.setdefault(r["object"], []).append((r["field"] or "", r["entity"], r["value_hash"]))
    assert sorted(sorted(found) for found in by_object.values()) == sorted(
        [
            [("", "IBAN_CODE", h("IBAN_CODE", "NL91ABNA0417164300")), (IN_OBJECT, "NL_BSN", h("NL_BSN", BSN))],
            [(IN_OBJECT, "NL_BSN", h("NL_BSN", OTHER_BSN))],
        ]
    )


def test_names_reveal_opens_them_for_the_key_holder_only(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    _estate(src)
    scan = run_scan(tmp_path, str(src))
    runner = CliRunner()
    shown = runner.invoke(main, ["names", "reveal", str(scan.out), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    folder = file_uri(src)
    assert sorted((r["exact_object"], r["exact_member"]) for r in rows) == [
        (f"{folder}/archief.zip", f"post/{EMAIL}.txt"),
        (f"{folder}/klant_{BSN}/brief.txt", ""),
    ]
    masked = next(r["object"] for r in rows if r["exact_member"] == "")
    one = runner.invoke(main, ["names", "reveal", str(scan.out), "--name", masked, "--format", "csv"])
    assert one.exit_code == 0 and one.output.splitlines()[1] == f'"{masked}","{folder}/klant_{BSN}/brief.txt"'
    unknown = runner.invoke(main, ["names", "reveal", str(scan.out), "--name", "{****9999~abcdefghijkl}"])
    assert (unknown.exit_code, unknown.output) == (
        2,
        "piiscan: 1 masked value(s) of --name are in none of the scans given\n",
    )
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "another-key-of-16-bytes")
    refused = runner.invoke(main, ["names", "reveal", str(scan.out)])
    assert (refused.exit_code, refused.output) == (
        2,
        f"piiscan: {scan.out}: made with a different HMAC key: its names cannot be opened\n",
    )


def test_subject_verify_reopens_an_object_whose_name_is_masked(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / f"klant_{BSN}.txt").write_text(f"mail {EMAIL}\n")
    scan = run_scan(tmp_path, str(src))
    case = tmp_path / "case.json"
    runner = CliRunner()
    found = runner.invoke(
        main, ["subject", "find", str(scan.out), "--email", EMAIL, "--case", str(case), "--format", "csv"]
    )
    assert found.exit_code == 0, found.output
    assert BSN not in case.read_text() and EMAIL not in case.read_text()
    held = runner.invoke(main, ["subject", "verify", str(case), "--format", "csv"])
    assert held.exit_code == 6, held.output
    assert BSN_TOKEN.search(held.output) and ',"holds",1,' in held.output
    export = tmp_path / "export"
    exported = runner.invoke(main, ["subject", "export", str(case), "--reveal", "--out", str(export)])
    assert exported.exit_code == 0, exported.output
    assert BSN not in exported.output and BSN_TOKEN.search(exported.output)  # what it says: masked
    [written] = [p for p in export.iterdir() if p.name.endswith(".json") and p.name != "export.json"]
    document = json.loads(written.read_text())
    assert document["object"] == f"{file_uri(src)}/klant_{BSN}.txt"  # what it writes: in clear, as asked
    assert [v["value"] for v in document["values"]] == [EMAIL]
    scan.out.rename(tmp_path / "elsewhere")  # the scans hold the exact names: without them, no re-reading
    lost = runner.invoke(main, ["subject", "verify", str(case)])
    assert (lost.exit_code, lost.output) == (
        2,
        f"piiscan: the case's masked objects cannot be opened: {scan.out}: no such scan directory\n",
    )
    lost = runner.invoke(main, ["subject", "export", str(case), "--reveal", "--out", str(tmp_path / "again")])
    assert (lost.exit_code, lost.output.splitlines()[-1]) == (
        2,
        f"piiscan: the case's masked names cannot be opened: {scan.out}: no such scan directory",
    )
    (tmp_path / "elsewhere").rename(scan.out)
    (src / f"klant_{BSN}.txt").unlink()
    gone = runner.invoke(main, ["subject", "verify", str(case), "--format", "csv"])
    assert gone.exit_code == 0, gone.output
    assert ',"not found",0,' in gone.output


def test_error_messages_carry_no_mrz_line_or_value() -> None:
    mrz = "P<NLDJANSEN<<JAN<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
    assert safe_message(f"bad line {mrz} at 3") == "bad line … at 3"
    assert _guard().text(f"cannot open klant_{BSN}.txt").startswith("cannot open klant_{****2333~")


def test_names_without_a_value_are_written_as_they_are(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "report-2024-01-05.csv").write_text("id,email\n7,jan@example.nl\n")
    scan = run_scan(tmp_path, str(src))
    assert located(scan.rows("findings"), "object", "field", "entity") == [
        (file_uri(src / "report-2024-01-05.csv"), "email", "EMAIL_ADDRESS")
    ]
    assert [r["token"] for r in scan.rows("names")] == []


def test_a_scan_since_an_earlier_one_carries_its_sealed_names(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / f"klant_{BSN}.txt").write_text("geen\n")
    first = run_scan(tmp_path, str(src), out_name="first")
    second = run_scan(tmp_path, str(src), "--since", str(first.out), out_name="second")
    assert second.exit_code == 0, second.result.output
    assert [r["status"] for r in second.rows("objects")] == ["carried"]
    shown = CliRunner().invoke(main, ["names", "reveal", str(second.out), "--format", "csv"])
    assert shown.output.splitlines()[1].endswith(f'"{file_uri(src)}/klant_{BSN}.txt",""')


def test_what_the_listing_skips_is_named_masked_and_its_name_found(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / f"klant_{BSN}.fifo")
    scan = run_scan(tmp_path, str(src))
    [row] = scan.rows("objects")
    assert (row["status"], row["reason"], row["findings"]) == ("skipped", "a FIFO (named pipe): not data at rest", 1)
    assert BSN_TOKEN.fullmatch(row["object"].removeprefix(f"{file_uri(src)}/klant_").removesuffix(".fifo"))
    assert located(scan.rows("findings"), "object", "field", "entity", "value_hash") == [
        (row["object"], IN_OBJECT, "NL_BSN", h("NL_BSN", BSN))
    ]
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["counts"]["findings_by_entity"] == {"NL_BSN": 1}
    assert [r["token"] for r in scan.rows("names")] == [BSN_TOKEN.search(row["object"]).group(0)]  # type: ignore[union-attr]
