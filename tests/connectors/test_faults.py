"""Faults on the wire, injected between piiscan and the real S3 (moto) and GCS (emulator) servers
by a forwarding proxy: an object that keeps answering 503, or whose body is cut short, becomes a
`failed` objects row with an errors row at stage `read`; the rest is scanned, the scan is partial
(exit 3), and no object goes unaccounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from piiscan.exitcodes import ExitCode
from tests.connectors.cloud_servers import (
    CORPUS,
    ENTITIES,
    FailingProxy,
    gcs_endpoint,
    gcs_env,  # noqa: F401 - a fixture
    moto_endpoint,
    s3_env,  # noqa: F401 - a fixture
)
from tests.connectors.test_gcs import corpus_bucket as gcs_bucket
from tests.connectors.test_s3 import corpus_bucket as s3_bucket
from tests.helpers import run_scan

BROKEN = "notes/klant.txt"  # the object the proxy breaks: it holds the corpus's BSN and one IBAN


def _accounted(scan, uri: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every object of the corpus, with its status: none may be missing."""
    rows = {r["object"].removeprefix(uri + "/"): r["status"] for r in scan.rows("objects") if r["member"] == ""}
    assert sorted(rows) == sorted(CORPUS)
    return rows


@pytest.mark.usefixtures("s3_env")
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("503", ("OSError", "S3 GetObject failed: SlowDown")),
        (
            "truncate",
            # botocore names a short body by version: a stream error (1.35) or an incomplete read (1.40)
            (
                "ResponseStreamingError",
                "An error occurred while reading from response stream: ('…', IncompleteRead(32 bytes read, 33 more"
                " expected))",
            ),
        ),
        (
            "reset",
            (
                "ConnectionClosedError",
                "Connection was closed before we received a valid response from endpoint URL: '…'.",
            ),
        ),
    ],
)
def test_s3_object_that_keeps_failing_is_a_failed_row(tmp_path: Path, fault: str, error: tuple[str, str]) -> None:
    uri = s3_bucket()
    proxy = FailingProxy(moto_endpoint(), failures=(), always={BROKEN: fault})
    try:
        scan = run_scan(tmp_path, uri, "--endpoint-url", proxy.url, "--max-attempts", "3", *ENTITIES)
    finally:
        proxy.close()
    assert scan.exit_code == ExitCode.PARTIAL, scan.result.output
    assert _accounted(scan, uri) == {
        BROKEN: "failed",
        "data/payments.csv": "scanned",
        "data/people.jsonl": "scanned",
        "readme.md": "scanned",
    }
    [row] = scan.rows("errors")
    assert (row["object"], row["stage"]) == (f"{uri}/{BROKEN}", "read")
    got = (row["error"], row["message"])
    if fault == "truncate" and got[0] == "IncompleteReadError":
        assert got == ("IncompleteReadError", "32 read, but total bytes expected is 65.")
    else:
        assert got == error
    assert "111222333" not in row["message"]
    assert sorted(r["object"].removeprefix(uri + "/") for r in scan.rows("findings")) == [
        "data/payments.csv",
        "data/people.jsonl",
    ]


@pytest.mark.usefixtures("gcs_env")
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            "503",
            "Timeout of 1.8s exceeded, last exception: ('…', 503, '…', <HTTPStatus.OK: 200>,"
            " <HTTPStatus.PARTIAL_CONTENT: 206>)",
        ),
        (
            "429",
            "Timeout of 1.8s exceeded, last exception: ('…', 429, '…', <HTTPStatus.OK: 200>,"
            " <HTTPStatus.PARTIAL_CONTENT: 206>)",
        ),
        (
            "truncate",
            "Timeout of 1.8s exceeded, last exception: ('…', IncompleteRead(32 bytes read, 33 more expected))",
        ),
        ("reset", "Timeout of 1.8s exceeded, last exception: ('…', ConnectionResetError(104, '…'))"),
    ],
)
def test_gcs_object_that_keeps_failing_is_a_failed_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, message: str
) -> None:
    """--max-attempts 3 bounds the retries to 0.25 + 0.5 + 1 s of backoff, then the object fails."""
    uri = gcs_bucket()
    proxy = FailingProxy(gcs_endpoint(), failures=(), always={BROKEN.replace("/", "%2F"): fault})
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.url)
    try:
        scan = run_scan(tmp_path, uri, "--max-attempts", "3", *ENTITIES)
    finally:
        proxy.close()
    assert scan.exit_code == ExitCode.PARTIAL, scan.result.output
    assert _accounted(scan, uri)[BROKEN] == "failed"
    [row] = scan.rows("errors")
    assert (row["object"], row["stage"]) == (f"{uri}/{BROKEN}", "read")
    assert (row["error"], row["message"]) == ("RetryError", message)
    assert len({r["object"] for r in scan.rows("findings")}) == 2
