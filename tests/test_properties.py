"""Property-based tests (hypothesis): whatever text or bytes come in, the engine and every
extractor end in findings or rows, never in an exception that escapes, and never quote input.

Bytes are drawn behind each format's magic number, so that every extractor is the one asked to
read them; coverage-guided fuzzing of the same entry points runs longer in benchmarks/fuzz.py.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from piiscan.connectors.local import file_uri
from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.model import Locator, ObjectRef, TextUnit
from piiscan.scan import ScanOptions, _Worker
from tests.helpers import TEST_KEY

#: characters detectors care about: digits, separators, letters, MRZ fillers, degrees, e-mail
ALPHABET = st.sampled_from([*"0123456789 .,-/:+()<>@_=\n\tNLBEDEabcdefxyzPIK°'\"#;", "€", "ß", "\ufffd"])
TEXT = st.text(ALPHABET, max_size=400)

ENGINE = Engine(load_detectors(), TEST_KEY.encode())
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_the_engine_never_raises_and_findings_are_well_formed(text: str) -> None:
    for finding in ENGINE.scan(TextUnit(text, Locator(line=1))):
        assert HEX64.match(finding.value_hash)
        assert 0.0 <= finding.score <= 1.0
        assert 0 <= finding.start < finding.end <= len(text)
        value = text[finding.start : finding.end]
        # the masked form never holds the whole value (a short value may keep a few characters)
        assert finding.masked != value or len(value.strip()) <= 4
        assert finding.locator.line is not None and finding.locator.line >= 1


#: a magic number (or shape) per format, so that each extractor claims the stream
MAGICS = {
    "parquet": b"PAR1",
    "orc": b"ORC",
    "avro": b"Obj\x01",
    "pdf": b"%PDF-1.7\n",
    "zip": b"PK\x03\x04",
    "gzip": b"\x1f\x8b\x08",
    "tar": b"a.txt".ljust(257, b"\0") + b"ustar\x0000",
    "rtf": b"{\\rtf1 ",
    "pst": b"!BDN",
    "msg": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "mbox": b"From jan@example.nl Sat Jan  3 01:05:34 1996\n",
    "mail": b"Received: from x\nFrom: a@b.nl\nSubject: s\n\n",
    "html": b"<!doctype html><html><body>",
    "json": b'[{"a": ',
    "ndjson": b'{"a": 1}\n{"b": ',
    "csv": b"name,bsn,iban\n",
    "text": b"",
}

_WORKER = _Worker(ScanOptions(scan_id="prop", key=TEST_KEY.encode()))


@pytest.mark.parametrize("kind", list(MAGICS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.binary(max_size=2048))
def test_every_extractor_survives_arbitrary_bytes(kind: str, tail: bytes) -> None:
    """One objects row per object (scanned, skipped or failed), members in rows of their own, and
    errors rows of one line that quote nothing of the input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"sample.{kind}"
        path.write_bytes(MAGICS[kind] + tail)
        ref = ObjectRef(uri=file_uri(path), size=path.stat().st_size)
        result = _WORKER.scan_object("file", ref)
    objects = result.rows.take("objects").to_pylist()
    assert [o["member"] for o in objects].count("") == 1
    assert {o["status"] for o in objects} <= {"scanned", "skipped", "failed"}
    for error in result.rows.take("errors").to_pylist():
        assert "\n" not in error["message"]
        quoted = re.findall(r"[A-Za-z0-9@.]{12,}", tail.decode("latin-1"))
        assert not any(q in error["message"] for q in quoted)
