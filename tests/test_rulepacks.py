"""Rule packs (`scan --rules`): custom detectors in the engine's pass, allow-lists, errors named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from piiscan.rulepacks import RulePackError, load_rule_packs
from tests.helpers import TEST_KEY, h, located, run_scan

#: the shape of issue 13, as written, with the 11-proof as validator
PACK = """\
detectors:
  - name: customer_number
    entity: CUSTOMER_ID
    patterns:
      - regex: 'C-\\d{6}'
        score: 0.8
    context: [klantnummer, customer]
    validator: elfproef
    canonical: upper
allow:
  - entity: EMAIL_ADDRESS
    value: info@example.nl
    objects: ["**"]
"""


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Customer numbers that pass the 11-proof (C-123456, C-654322, C-200001) and fail it
    (C-123457, C-200002); info@example.nl in both files, two other addresses once each."""
    d = tmp_path / "src"
    d.mkdir()
    (d / "crm.txt").write_text(
        "klantnummer C-123456\nfout C-123457 en C-654322\nmail info@example.nl of jan@example.nl\n"
    )
    (d / "orders.csv").write_text("customer,email\nC-200001,info@example.nl\nC-200002,piet@example.nl\n")
    return d


def _pack(tmp_path: Path, text: str = PACK, name: str = "pack.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_custom_detector_finds_exactly_its_planted_occurrences_and_allow_drops_one_address(
    tmp_path: Path, src: Path
) -> None:
    scan = run_scan(tmp_path, str(src), "--rules", _pack(tmp_path))
    assert scan.exit_code == ExitCode.OK, scan.result.output
    found = located(scan.rows("findings"), "object", "line", "record", "field", "entity", "detector", "score")
    crm, orders = f"file://{src}/crm.txt", f"file://{src}/orders.csv"
    assert found == [
        (crm, 1, None, None, "CUSTOMER_ID", "customer_number@1", 1.0),  # klantnummer: 0.8 + 0.35
        (crm, 2, None, None, "CUSTOMER_ID", "customer_number@1", pytest.approx(0.8)),
        (crm, 3, None, None, "EMAIL_ADDRESS", "email@1", pytest.approx(0.95)),
        (orders, None, 0, "customer", "CUSTOMER_ID", "customer_number@1", 1.0),  # the column is context
        (orders, None, 1, "email", "EMAIL_ADDRESS", "email@1", pytest.approx(0.95)),
    ]
    by_hash = {r["value_hash"]: r["masked"] for r in scan.rows("findings") if r["entity"] == "CUSTOMER_ID"}
    assert by_hash == {
        h("CUSTOMER_ID", "C-123456"): "****3456",
        h("CUSTOMER_ID", "C-654322"): "****4322",
        h("CUSTOMER_ID", "C-200001"): "****0001",
    }
    emails = {r["value_hash"] for r in scan.rows("findings") if r["entity"] == "EMAIL_ADDRESS"}
    assert emails == {h("EMAIL_ADDRESS", "jan@example.nl"), h("EMAIL_ADDRESS", "piet@example.nl")}
    manifest = _manifest(scan.out)
    assert manifest["allowed"] == {"pack.yaml:allow[0]": 2}
    assert manifest["counts"]["findings_by_entity"] == {"CUSTOMER_ID": 3, "EMAIL_ADDRESS": 2}
    assert "customer_number@1" in manifest["detectors"]
    objects = {r["object"]: r["findings"] for r in scan.rows("objects")}
    assert objects == {crm: 3, orders: 2}  # allowed findings are not counted either
    assert "info@example.nl" not in (scan.out / "manifest.json").read_text()


def test_an_allow_entry_limited_to_objects_and_one_by_hash(tmp_path: Path, src: Path) -> None:
    pack = _pack(
        tmp_path,
        f"""\
allow:
  - name: shared mailbox in the CRM only
    entity: EMAIL_ADDRESS
    value: INFO@example.nl
    objects: ["*/crm.txt"]
  - entity: EMAIL_ADDRESS
    hash: {h("EMAIL_ADDRESS", "piet@example.nl")}
  - entity: IBAN_CODE
    value: NL91 ABNA 0417 1643 00
""",
    )
    scan = run_scan(tmp_path, str(src), "--rules", pack, "--entities", "EMAIL_ADDRESS")
    assert scan.exit_code == ExitCode.OK, scan.result.output
    assert located(scan.rows("findings"), "object", "value_hash") == [
        (f"file://{src}/crm.txt", h("EMAIL_ADDRESS", "jan@example.nl")),
        (f"file://{src}/orders.csv", h("EMAIL_ADDRESS", "info@example.nl")),
    ]
    assert _manifest(scan.out)["allowed"] == {
        "shared mailbox in the CRM only": 1,
        "pack.yaml:allow[1]": 1,
        "pack.yaml:allow[2]": 0,
    }


def test_the_shape_of_the_issue_as_written_and_several_packs(tmp_path: Path, src: Path) -> None:
    as_written = PACK.replace("validator: elfproef", "validator: none")
    second = "detectors:\n  - {name: order_ref, entity: ORDER_REF, patterns: [{regex: 'ORD[0-9]{4}', score: 0.6}]}\n"
    (src / "more.txt").write_text("ORD1234 en C-999999\n")
    scan = run_scan(
        tmp_path,
        str(src),
        "--rules",
        _pack(tmp_path, as_written),
        "--rules",
        _pack(tmp_path, second, "orders.yaml"),
        "--entities",
        "CUSTOMER_ID,ORDER_REF",
    )
    assert scan.exit_code == ExitCode.OK, scan.result.output
    assert sorted(r["masked"] for r in scan.rows("findings")) == [
        "****0001",
        "****0002",
        "****234",  # never more than half of the value
        "****3456",
        "****3457",
        "****4322",
        "****9999",
    ]


def test_the_summary_says_how_many_findings_were_allowed(tmp_path: Path, src: Path) -> None:
    out = tmp_path / "scan"
    result = CliRunner().invoke(main, ["scan", str(src), "--out", str(out), "--rules", _pack(tmp_path), "-w", "1"])
    assert result.exit_code == ExitCode.OK, result.output
    assert "allowed: 2 finding(s) not written (manifest: allowed)" in result.output


def test_pack_detectors_reach_worker_processes(tmp_path: Path, src: Path) -> None:
    out = tmp_path / "scan"
    result = CliRunner().invoke(
        main, ["scan", str(src), "--out", str(out), "--rules", _pack(tmp_path), "--workers", "2", "--quiet"]
    )
    assert result.exit_code == ExitCode.OK, result.output
    manifest = _manifest(out)
    assert manifest["counts"]["findings_by_entity"] == {"CUSTOMER_ID": 3, "EMAIL_ADDRESS": 2}
    assert manifest["allowed"] == {"pack.yaml:allow[0]": 2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("'C-\\d{6}'", "'C-(\\d{6}'"),
            "detectors[0].patterns[0].regex: does not compile: missing ), unterminated subpattern at position 2",
        ),
        (("'C-\\d{6}'", "'C-(?=\\d{6})'"), "detectors[0].patterns[0].regex: Hyperscan cannot compile it"),
        (("'C-\\d{6}'", "'x*'"), "detectors[0].patterns[0].regex: matches the empty string"),
        (("'C-\\d{6}'", "'C-\\d+'"), "detectors[0].patterns[0].regex: may match more than 1024 bytes: bound its"),
        (("validator: elfproef", "validator: mod10"), "detectors[0].validator: 'mod10' is not one of"),
        (("canonical: upper", "canonical: title"), "detectors[0].canonical: 'title' is not one of"),
        (("entity: CUSTOMER_ID", "entity: customer_id"), "detectors[0].entity: 'customer_id' does not match"),
        (("score: 0.8", "score: 2"), "detectors[0].patterns[0].score: 2 is greater than the maximum of 1"),
        (("name: customer_number", "name: iban"), "detectors[0].name: iban is already an installed detector"),
        (("value: info@example.nl", "value: info(at)example.nl"), "allow[0].value: not a valid EMAIL_ADDRESS value"),
        (("value: info@example.nl", "value: 31612345678"), "allow[0].value: must be of type string"),
        (("entity: EMAIL_ADDRESS", "entity: SHOE_SIZE"), "allow[0].entity: no installed or pack detector finds"),
        (("    value: info@example.nl\n", ""), "allow[0]: give exactly one of value and hash"),
        (("detectors:", "detector:"), "(top): Additional properties are not allowed ('detector' was unexpected)"),
        (("    canonical: upper\n", "    canonical: upper\n   bad: [\n"), "is not valid YAML at line"),
    ],
)
def test_a_pack_that_does_not_compile_is_exit_2_before_anything_is_scanned(
    tmp_path: Path, src: Path, change: tuple[str, str], message: str
) -> None:
    pack = _pack(tmp_path, PACK.replace(*change))
    assert PACK.replace(*change) != PACK
    scan = run_scan(tmp_path, str(src), "--rules", pack)
    assert scan.exit_code == ExitCode.USAGE
    assert scan.result.output.startswith(f"piiscan: --rules: rule pack {pack}")
    assert message in scan.result.output
    assert "info(at)" not in scan.result.output and "31612345678" not in scan.result.output
    assert not scan.out.exists()  # nothing scanned, no scan directory made


def test_a_missing_pack_and_a_name_defined_twice(tmp_path: Path, src: Path) -> None:
    missing = run_scan(tmp_path, str(src), "--rules", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == ExitCode.USAGE
    assert f"cannot read rule pack {tmp_path / 'nope.yaml'}: No such file or directory" in missing.result.output
    with pytest.raises(RulePackError, match=r"detectors\[0\]\.name: customer_number is defined twice"):
        load_rule_packs([_pack(tmp_path), _pack(tmp_path, name="again.yaml")], TEST_KEY.encode())


def test_every_validator(tmp_path: Path) -> None:
    cases = {
        "luhn": ("4111111111111111", "4111111111111112"),
        "mod97": ("3214282912345698765432161182", "3214282912345698765432161183"),
        "elfproef": ("111222333", "111222334"),
        "iso7064_mod11_2": ("0000-0002-1825-002X", "0000-0002-1825-0027"),
        "none": ("anything", None),
    }
    for validator, (good, bad) in cases.items():
        spec = f"detectors:\n  - {{name: t, entity: T, patterns: [{{regex: 'x', score: 1}}], validator: {validator}}}\n"
        (detector,) = load_rule_packs([_pack(tmp_path, spec)], TEST_KEY.encode()).detectors
        assert detector.validate(good) is not None, validator
        if bad is not None:
            assert detector.validate(bad) is None, validator


def test_detectors_lists_a_packs_detectors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["detectors", "--format", "json", "--rules", _pack(tmp_path)])
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.output) if r["detector"] == "customer_number@1")
    assert row == {
        "detector": "customer_number@1",
        "entity": "CUSTOMER_ID",
        "version": 1,
        "explanation": "from rule pack pack.yaml (validator: elfproef)",
        "canonical": "upper case, trimmed",
        "subject_option": None,
        "context": ["klantnummer", "customer"],
    }


def test_the_readme_example_pack_compiles(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Rule packs: custom detectors and allow-lists") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    packs = load_rule_packs([_pack(tmp_path, example, "team.yaml")], TEST_KEY.encode())
    (detector,) = packs.detectors
    assert (detector.id, detector.entity, len(detector.patterns)) == ("customer_number@1", "CUSTOMER_ID", 2)
    assert detector.validate("C-123456").canonical == "C-123456"
    assert detector.validate("C-123457") is None
    assert [(a.label, a.entity, a.objects) for a in packs.allow] == [
        ("our info mailbox", "EMAIL_ADDRESS", ("**",)),
        ("team.yaml:allow[1]", "NL_BSN", ("s3://test-fixtures/*",)),
    ]
    assert packs.allow[0].value_hash == h("EMAIL_ADDRESS", "info@example.nl")
