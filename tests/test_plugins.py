"""Plugins: a third party's distribution, found through its entry points like the built-ins.

Each test lays out a tiny installed distribution in a temporary folder (a package and its
`.dist-info` with `entry_points.txt`, exactly what pip installs) and runs piiscan in a fresh
process with that folder on its path, as a user's environment would be after `pip install`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from piiscan.exitcodes import ExitCode
from piiscan.plugins import CONNECTORS, DETECTORS, EXTRACTORS, plugins
from tests.helpers import TEST_KEY, h

TICKET_MODULE = '''\
"""ACME_TICKET: an ACME helpdesk ticket number, TCK- and five digits."""

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption


class TicketDetector(Detector):
    name = "acme_ticket"
    entity = "ACME_TICKET"
    explanation = "TCK- and five digits"
    canonical_form = "upper case"
    subject = SubjectOption("ticket", "ID", "ACME ticket number; repeatable.", "not a ticket number (TCK-12345)")
    patterns = (Pattern(r"\\b[Tt][Cc][Kk]-[0-9]{5}\\b", 0.9),)

    def validate(self, text):
        return Candidate(text.upper())
'''


FORMAT_MODULE = '''\
"""An ACME note (ACMEDOC1 on the first line, then text), and memo://, a store of one note."""

import io

from piiscan.connectors.base import Connector
from piiscan.extract.base import Extractor
from piiscan.model import Locator, ObjectRef, TextUnit

NOTE = b"ACMEDOC1\\nsee ticket TCK-77001\\n"


class AcmeDocExtractor(Extractor):
    name = "acmedoc"

    def sniff(self, head, name):
        return "application/x-acme-doc" if head.startswith(b"ACMEDOC1\\n") else None

    def extract(self, stream, mime, ctx):
        yield TextUnit(stream.read().decode()[len("ACMEDOC1\\n") :], Locator(line=2))


class MemoConnector(Connector):
    scheme = "memo"

    def list(self, uri, selection):
        yield ObjectRef(f"{uri}/note.acme", size=len(NOTE))

    def open(self, ref):
        return io.BytesIO(NOTE)
'''


def _distribution(site: Path, name: str, modules: dict[str, str], entry_points: str) -> None:
    """What `pip install` leaves behind: the modules, and NAME-1.0.dist-info with its metadata."""
    for module, text in modules.items():
        (site / f"{module}.py").write_text(text)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def _piiscan(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "PIISCAN_HMAC_KEY": TEST_KEY}
    return subprocess.run(
        [sys.executable, "-m", "piiscan", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    site.mkdir()
    _distribution(
        site,
        "acme-piiscan",
        {"acme_ticket": TICKET_MODULE},
        "[piiscan.detectors]\nacme_ticket = acme_ticket:TicketDetector\n",
    )
    return site


def test_a_third_party_detector_is_listed_scans_and_answers_subject_find(tmp_path: Path, site: Path) -> None:
    listed = _piiscan(site, "detectors", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["detector"]: r for r in json.loads(listed.stdout)}
    assert rows["acme_ticket@1"] == {
        "detector": "acme_ticket@1",
        "entity": "ACME_TICKET",
        "version": 1,
        "explanation": "TCK- and five digits",
        "canonical": "upper case",
        "subject_option": "--ticket",
        "context": [],
    }
    assert "nl_bsn@1" in rows  # the built-ins are plugins of the same kind, still there

    src = tmp_path / "src"
    src.mkdir()
    (src / "helpdesk.log").write_text("opened tck-40213 for bsn 123456782\nclosed TCK-40213\nTCK-1234 is no ticket\n")
    out = tmp_path / "scan"
    scanned = _piiscan(site, "scan", str(src), "--out", str(out), "--workers", "1", "--quiet")
    assert scanned.returncode == ExitCode.OK, scanned.stderr
    findings = pq.read_table(out / "findings").to_pylist()
    assert sorted((r["line"], r["entity"], r["detector"], r["value_hash"], r["masked"]) for r in findings) == [
        (1, "ACME_TICKET", "acme_ticket@1", h("ACME_TICKET", "TCK-40213"), "****0213"),
        (1, "NL_BSN", "nl_bsn@1", h("NL_BSN", "123456782"), "****6782"),
        (2, "ACME_TICKET", "acme_ticket@1", h("ACME_TICKET", "TCK-40213"), "****0213"),
    ]
    assert "acme_ticket@1" in json.loads((out / "manifest.json").read_text())["detectors"]

    # the detector owns its entity: subject find gets --ticket from it, canonical form and mask too
    found = _piiscan(site, "subject", "find", str(out), "--ticket", " Tck-40213 ", "--format", "csv")
    assert found.returncode == 0, found.stderr
    assert [row[-2:] for row in list(csv.reader(io.StringIO(found.stdout)))[1:]] == [
        ["ACME_TICKET", "ticket ****0213"],
        ["ACME_TICKET", "ticket ****0213"],
    ]
    assert "--ticket ID" in _piiscan(site, "subject", "find", "--help").stdout


def test_a_third_party_connector_and_extractor(tmp_path: Path, site: Path) -> None:
    _distribution(
        site,
        "acme-formats",
        {"acme_formats": FORMAT_MODULE},
        "[piiscan.extractors]\nacmedoc = acme_formats:AcmeDocExtractor\n"
        "[piiscan.connectors]\nmemo = acme_formats:MemoConnector\n",
    )
    out = tmp_path / "scan"
    scanned = _piiscan(site, "scan", "memo://desk", "--out", str(out), "--workers", "1", "--quiet")
    assert scanned.returncode == ExitCode.OK, scanned.stderr
    objects = pq.read_table(out / "objects").to_pylist()
    assert [(r["object"], r["content_type"], r["status"], r["findings"]) for r in objects] == [
        ("memo://desk/note.acme", "application/x-acme-doc", "scanned", 1)
    ]
    findings = pq.read_table(out / "findings").to_pylist()
    assert [(r["object"], r["line"], r["entity"], r["masked"]) for r in findings] == [
        ("memo://desk/note.acme", 2, "ACME_TICKET", "****7001")
    ]


def test_a_plugin_whose_dependency_is_missing_names_the_extra(tmp_path: Path, site: Path) -> None:
    broken = "import acme_ocr_engine  # not installed\n"
    _distribution(
        site,
        "acme-extras",
        {"acme_scanned_forms": broken, "acme_vault": broken},
        "[piiscan.detectors]\nacme_forms = acme_scanned_forms:FormDetector [ocr]\n"
        "[piiscan.connectors]\nvault = acme_vault:VaultConnector [vault]\n",
    )
    src = tmp_path / "src"
    src.mkdir()
    scanned = _piiscan(site, "scan", str(src), "--out", str(tmp_path / "scan"), "--quiet")
    assert scanned.returncode == ExitCode.USAGE
    assert scanned.stderr == (
        "piiscan: detector plugin acme_forms (acme-extras) needs acme_ocr_engine, which is not installed: "
        "pip install 'acme-extras[ocr]'\n"
    )
    assert not (tmp_path / "scan").exists()


def test_a_connector_plugin_whose_dependency_is_missing_says_the_same(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    _distribution(
        site,
        "acme-vault",
        {"acme_vault": "import acme_vault_sdk  # not installed\n"},
        "[piiscan.connectors]\nvault = acme_vault:VaultConnector [vault]\n",
    )
    scanned = _piiscan(site, "scan", "vault://secrets/hr", "--out", str(tmp_path / "scan"), "--quiet")
    assert scanned.returncode == ExitCode.USAGE
    assert scanned.stderr == (
        "piiscan: connector plugin vault (acme-vault) needs acme_vault_sdk, which is not installed: "
        "pip install 'acme-vault[vault]'\n"
    )


def test_the_built_ins_are_entry_points() -> None:
    assert {"nl_bsn", "iban", "places", "mail_display_name"} <= set(plugins(DETECTORS))
    assert {"file", "s3", "gs", "postgresql", "maildir"} <= set(plugins(CONNECTORS))
    assert plugins(CONNECTORS)["s3"].extras == ["s3"]
    assert {"pdf", "archive", "csv", "text"} <= set(plugins(EXTRACTORS))
    assert {p.dist for group in (DETECTORS, CONNECTORS, EXTRACTORS) for p in plugins(group).values()} == {"piiscan"}


def test_extractors_claim_streams_in_their_order() -> None:
    from piiscan.extract import extractors

    names = [e.name for e in extractors()]
    # zip-based documents before plain zip; text formats last, plain text the very last
    assert names.index("docx") < names.index("archive") < names.index("mbox") < names.index("csv")
    assert names[-1] == "text"


def test_the_readme_table_of_detectors_is_piiscan_detectors_output() -> None:
    from click.testing import CliRunner

    from piiscan.cli import main

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- piiscan detectors --format markdown -->\n") + len(
        "<!-- piiscan detectors --format markdown -->\n"
    )
    table = readme[start : readme.index("<!-- end of piiscan detectors -->")]
    output = CliRunner().invoke(main, ["detectors", "--format", "markdown"]).output
    assert table == output, "regenerate the README's table with `piiscan detectors --format markdown`"


def test_two_distributions_declaring_one_name_is_an_error(site: Path) -> None:
    _distribution(
        site, "acme-fork", {"acme_fork": TICKET_MODULE}, "[piiscan.detectors]\nacme_ticket = acme_fork:TicketDetector\n"
    )
    listed = _piiscan(site, "detectors")
    assert listed.returncode == ExitCode.USAGE
    assert listed.stderr.startswith("piiscan: detector plugin acme_ticket (acme-")
    assert listed.stderr.endswith(": uninstall one of them\n")
    assert "acme-fork" in listed.stderr and "acme-piiscan" in listed.stderr
