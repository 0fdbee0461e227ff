"""gs:// against gcp-storage-emulator on 127.0.0.1: the GCS JSON API over real HTTP.

The emulator ignores maxResults and pageToken, so paging is proven against moto (test_s3.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from google.cloud import storage

from piiscan.cli import main
from piiscan.connectors import Selection, Skipped
from piiscan.connectors.gcs import GcsConnector
from piiscan.connectors.options import ConnectorOptions, GcsOptions
from piiscan.scandir import read_manifest, read_table
from tests.connectors.cloud_servers import (
    CORPUS,
    ENTITIES,
    gcs_env,  # noqa: F401 - a fixture
    new_bucket_name,
)
from tests.connectors.conformance import EXPECTED_FINDINGS, ConnectorConformance, relative_findings
from tests.helpers import h, run_scan

pytestmark = pytest.mark.usefixtures("gcs_env")


def corpus_bucket(prefix: str = "corpus") -> str:
    bucket = storage.Client().create_bucket(new_bucket_name("gcorpus"))
    for rel, data in CORPUS.items():
        bucket.blob(f"{prefix}/{rel}").upload_from_string(data)
    return f"gs://{bucket.name}/{prefix}"


class TestGcsConformance(ConnectorConformance):
    def source(self, tmp_path: Path) -> tuple[str, ConnectorOptions | None]:
        if not hasattr(self, "_uri"):
            self._uri = corpus_bucket()
        return self._uri, None


def test_refs_carry_generation_and_location() -> None:
    uri = corpus_bucket()
    refs = list(GcsConnector().list(uri, Selection(include=("*.csv",))))
    blob = storage.Client().bucket(uri.split("/")[2]).get_blob("corpus/data/payments.csv")
    assert [(r.uri, r.version, r.region, r.storage_class) for r in refs] == [
        (f"{uri}/data/payments.csv", str(blob.generation), "US", "STANDARD")
    ]


def test_a_listing_split_by_prefix_lists_what_one_listing_stream_lists() -> None:
    bucket = storage.Client().create_bucket(new_bucket_name("gprefixes"))
    keys = [
        *(f"logs/{day}/{i:02d}.log" for day in ("2026-11-01", "2026-11-02") for i in range(4)),
        *(f"logs/export/deep/{i}.csv" for i in range(3)),
        "logs/readme.txt",
        "logs-old/a.txt",
        "top.txt",
    ]
    for key in keys:
        bucket.blob(key).upload_from_string(key)

    def listed(uri: str, threads: int) -> list[object]:
        return sorted(GcsConnector(GcsOptions(list_threads=threads)).list(uri, Selection()), key=repr)

    for uri, expected in ((f"gs://{bucket.name}", 14), (f"gs://{bucket.name}/logs", 13)):
        one = listed(uri, 1)
        assert len(one) == len({r.uri for r in one}) == expected
        assert listed(uri, 3) == one


def test_archive_storage_class_is_skipped_with_the_reason(tmp_path: Path) -> None:
    bucket = storage.Client().create_bucket(new_bucket_name("cold"))
    cold = bucket.blob("cold.txt")
    cold.storage_class = "ARCHIVE"
    cold.upload_from_string(b"BSN 111222333\n")
    bucket.blob("warm.txt").upload_from_string(b"BSN 111222333\n")
    items = list(GcsConnector().list(f"gs://{bucket.name}", Selection()))
    assert [(type(i).__name__, getattr(i, "reason", None)) for i in items] == [
        ("Skipped", "storage class ARCHIVE: reading is billed as retrieval, not read"),
        ("ObjectRef", None),
    ]
    assert isinstance(items[0], Skipped)
    scan = run_scan(tmp_path, f"gs://{bucket.name}", *ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    assert [(r["object"], r["value_hash"]) for r in scan.rows("findings")] == [
        (f"gs://{bucket.name}/warm.txt", h("NL_BSN", "111222333"))
    ]


def test_a_missing_bucket_exits_with_source(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, "gs://no-such-bucket-here", *ENTITIES)
    assert scan.exit_code == 5
    assert scan.result.output == "piiscan: cannot list gs://no-such-bucket-here: no such bucket\n"


def test_scan_directory_written_to_a_bucket_and_read_back(tmp_path: Path) -> None:
    uri = corpus_bucket()
    audit = storage.Client().create_bucket(new_bucket_name("gaudit"))
    out = f"gs://{audit.name}/scans/1"
    result = CliRunner().invoke(main, ["scan", uri, "--out", out, "--workers", "1", "--quiet", *ENTITIES])
    assert result.exit_code == 0, result.output
    names = sorted(b.name for b in storage.Client().list_blobs(audit.name))
    assert "scans/1/manifest.json" in names and any(n.startswith("scans/1/findings/part-") for n in names)
    assert relative_findings(read_table(out, "findings").to_pylist(), uri) == EXPECTED_FINDINGS
    assert read_manifest(out)["status"] == "complete"
    again = CliRunner().invoke(main, ["scan", uri, "--out", out, "--workers", "1", "--quiet", *ENTITIES])
    assert again.exit_code == 2 and "already holds a scan" in again.output
