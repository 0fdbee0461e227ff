"""Baselines and `piiscan diff`: fingerprints that survive lines moving, new/unchanged/absent, erasures."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.scandir import FINDINGS_SCHEMA
from piiscan.tools.baseline import compare
from tests.helpers import h, run_scan

BSN, BSN2, IBAN = "123456782", "111222333", "NL91ABNA0417164300"


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)


def baseline_rows(out: Path) -> list[tuple]:
    rows = pq.read_table(out / "baseline" / "part-00001.parquet").to_pylist()
    return sorted((r["baseline_state"], r["line"], r["entity"], r["masked"]) for r in rows)


def test_lines_moving_are_no_change_a_second_copy_is_new_a_removed_one_absent(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "notes.txt", f"bsn {BSN}\nbsn {BSN2}\n")
    old = run_scan(tmp_path, str(src), "--entities", "NL_BSN", out_name="old")
    assert old.exit_code == 0, old.result.output
    # two lines inserted above, BSN2 erased, a second copy of BSN further down
    write(src, "notes.txt", f"header\n\nbsn {BSN}\nother\nbsn {BSN} again\n")
    new = run_scan(tmp_path, str(src), "--entities", "NL_BSN", "--baseline", str(old.out), out_name="new")
    assert new.exit_code == 0, new.result.output
    manifest = json.loads((new.out / "manifest.json").read_text())
    old_id = json.loads((old.out / "manifest.json").read_text())["scan_id"]
    assert manifest["baseline"] == {
        "scan_id": old_id,
        "source": str(old.out),
        "new": 1,
        "unchanged": 1,
        "absent": 1,
        "unread": 0,
    }
    assert baseline_rows(new.out) == [
        ("absent", 2, "NL_BSN", "****2333"),
        ("new", 5, "NL_BSN", "****6782"),
        ("unchanged", 3, "NL_BSN", "****6782"),
    ]
    # the findings table itself is as without --baseline
    assert sorted(r["line"] for r in new.rows("findings")) == [3, 5]


def test_diff_lists_added_and_removed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "a.csv", f"naam,bsn,iban\nJan,{BSN},{IBAN}\nPiet,{BSN2},\n")
    # the planted identifiers only: the names in `naam` are PERSON findings of their own
    old = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE", out_name="old")
    write(src, "a.csv", f"naam,bsn,iban\nPiet,{BSN2},{IBAN}\n")
    new = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE", out_name="new")
    result = CliRunner().invoke(main, ["diff", str(old.out), str(new.out), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"added": 0, "removed": 1, "unchanged": 2, "unread": 0}
    [removed] = data["items"]
    assert {k: removed[k] for k in ("change", "record", "field", "entity", "masked", "score")} == {
        "change": "removed",
        "record": 0,
        "field": "bsn",
        "entity": "NL_BSN",
        "masked": "****6782",
        "score": 0.9,
    }
    assert removed["object"] == (src / "a.csv").as_uri()
    assert "1 removed" in result.stderr
    assert BSN not in result.output and h("NL_BSN", BSN) not in result.output

    both = CliRunner().invoke(main, ["diff", str(new.out), str(old.out), "--format", "csv"])
    assert both.exit_code == 0
    lines = both.stdout.splitlines()
    assert lines[0].startswith('"change","object","member","line"') and len(lines) == 2
    assert lines[1].startswith('"added"')


def test_diff_refuses_scans_made_with_another_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write(src, "a.txt", f"bsn {BSN}\n")
    old = run_scan(tmp_path, str(src), out_name="old")
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "another-test-key-of-this-team")
    new = run_scan(tmp_path, str(src), out_name="new")
    result = CliRunner().invoke(main, ["diff", str(old.out), str(new.out)])
    assert result.exit_code == 2
    assert "different HMAC key" in result.stderr
    again = run_scan(tmp_path, str(src), "--baseline", str(old.out), out_name="again")
    assert again.exit_code == 2 and "--baseline" in again.result.stderr
    assert not (tmp_path / "again").exists()  # refused before scanning


def test_diff_needs_one_scan_each(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "a.txt", f"bsn {BSN}\n")
    run_scan(tmp_path, str(src), out_name="scans/one")
    run_scan(tmp_path, str(src), out_name="scans/two")
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "scans"), str(tmp_path / "scans" / "one")])
    assert result.exit_code == 2
    assert "OLD must be one scan directory, not 2" in result.stderr


def test_findings_of_objects_not_read_again_are_unread_not_removed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "small.txt", f"bsn {BSN}\n")
    write(src, "large.txt", f"bsn {BSN2}\n" + "x" * 500 + "\n")
    old = run_scan(tmp_path, str(src), "--entities", "NL_BSN", out_name="old")
    # the large file is skipped this time: its BSN is not proven gone
    new = run_scan(
        tmp_path,
        str(src),
        "--entities",
        "NL_BSN",
        "--max-object-size",
        "100",
        "--baseline",
        str(old.out),
        out_name="new",
    )
    assert new.exit_code == 0, new.result.output
    assert baseline_rows(new.out) == [("unchanged", 1, "NL_BSN", "****6782"), ("unread", 1, "NL_BSN", "****2333")]
    result = CliRunner().invoke(main, ["diff", str(old.out), str(new.out), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["counts"] == {"added": 0, "removed": 0, "unchanged": 1, "unread": 1}
    assert [(i["change"], i["masked"]) for i in data["items"]] == [("unread", "****2333")]
    sarif = CliRunner().invoke(main, ["report", str(new.out), "--format", "sarif", "--with-absent"])
    assert [r["baselineState"] for r in json.loads(sarif.stdout)["runs"][0]["results"]] == ["unchanged"]


def test_findings_under_a_source_or_folder_that_could_not_be_listed_are_unread() -> None:
    def findings(*objects: str) -> pa.Table:
        rows = [{"object": o, "member": "", "entity": "NL_BSN", "value_hash": o, "masked": "****"} for o in objects]
        return pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)

    old = findings("file:///data/locked/a.txt", "file:///data/lockedness.txt", "s3://b/pre/x.csv", "s3://b/other.csv")
    errors = pa.table(
        {"object": ["file:///data/locked", "s3://b/pre", "file:///data/x.txt"], "stage": ["list", "list", "read"]}
    )
    objects = pa.table(
        {"object": pa.array([], pa.string()), "member": pa.array([], pa.string()), "status": pa.array([], pa.string())}
    )
    comparison = compare(old, findings(), objects, errors)
    states = comparison.select(["object", "baseline_state"]).to_pylist()
    assert sorted((r["object"], r["baseline_state"]) for r in states) == [
        ("file:///data/locked/a.txt", "unread"),
        ("file:///data/lockedness.txt", "absent"),
        ("s3://b/other.csv", "absent"),
        ("s3://b/pre/x.csv", "unread"),
    ]
