"""s3:// against moto's ThreadedMotoServer on 127.0.0.1: a real S3 REST API over HTTP."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.connectors import Selection, connector_for
from piiscan.connectors.options import ConnectorOptions, S3Options
from piiscan.connectors.s3 import S3Connector
from piiscan.scandir import read_manifest, read_table
from tests.connectors.cloud_servers import (
    CORPUS,
    ENTITIES,
    FailingProxy,
    gcs_env,  # noqa: F401 - a fixture
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,  # noqa: F401 - a fixture
    write_corpus,
)
from tests.connectors.conformance import EXPECTED_FINDINGS, ConnectorConformance, relative_findings
from tests.helpers import h, run_scan

pytestmark = pytest.mark.usefixtures("s3_env")


def corpus_bucket(prefix: str = "corpus") -> str:
    """A new bucket (region eu-west-1) holding CORPUS under `prefix`; its source URI."""
    bucket = new_bucket_name("corpus")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for rel, data in CORPUS.items():
        client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=data)
    return f"s3://{bucket}/{prefix}"


class TestS3Conformance(ConnectorConformance):
    def source(self, tmp_path: Path) -> tuple[str, ConnectorOptions | None]:
        if not hasattr(self, "_uri"):
            self._uri = corpus_bucket()
        return self._uri, None


def test_listing_pages_through_more_objects_than_one_page() -> None:
    bucket = new_bucket_name("paged")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for i in range(25):
        client.put_object(Bucket=bucket, Key=f"p/{i:03d}.txt", Body=b"x")
    connector = S3Connector(S3Options(page_size=4))
    listing = connector.list(f"s3://{bucket}/p", Selection())
    first = next(listing)  # the first object comes before the listing has ended
    assert first.uri == f"s3://{bucket}/p/000.txt"
    rest = list(listing)
    assert [r.uri.rsplit("/", 1)[-1] for r in [first, *rest]] == [f"{i:03d}.txt" for i in range(25)]
    assert {r.region for r in rest} == {"eu-west-1"}


def test_a_listing_split_by_prefix_lists_what_one_listing_stream_lists() -> None:
    bucket = new_bucket_name("prefixes")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    keys = [
        *(f"logs/{day}/{i:02d}.log" for day in ("2026-11-01", "2026-11-02", "2026-11-03") for i in range(7)),
        *(f"logs/export/deep/{i}.csv" for i in range(5)),
        "logs/readme.txt",
        "logs/empty/",  # a "folder" placeholder
        "logs-old/a.txt",
        "top.txt",
    ]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    client.put_object(Bucket=bucket, Key="logs/2026-11-02/03.log", Body=b"written again")

    def listed(uri: str, threads: int, versions: bool = False) -> list[object]:
        connector = S3Connector(S3Options(page_size=2, list_threads=threads, versions=versions))
        return sorted(connector.list(uri, Selection(exclude=("*.csv",) if versions else ())), key=repr)

    for uri in (f"s3://{bucket}", f"s3://{bucket}/logs", f"s3://{bucket}/logs/"):
        one = listed(uri, 1)
        expected = {f"s3://{bucket}": 29, f"s3://{bucket}/logs": 28, f"s3://{bucket}/logs/": 27}[uri]
        assert len(one) == len({r.uri for r in one}) == expected  # no placeholder, no object twice
        assert listed(uri, 3) == one
    listing = S3Connector(S3Options(page_size=2, list_threads=3)).list(f"s3://{bucket}/logs", Selection())
    next(listing)
    assert any(t.name.startswith("piiscan-list") for t in threading.enumerate())  # the prefixes' threads
    listing.close()
    every = listed(f"s3://{bucket}/logs", 1, versions=True)
    assert len(every) == 24 and listed(f"s3://{bucket}/logs", 4, versions=True) == every


def test_a_bucket_listed_by_prefix_gives_the_objects_table_of_one_listing_stream(tmp_path: Path) -> None:
    bucket = new_bucket_name("tables")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for prefix in ("a", "b", "c/d"):
        for rel, data in CORPUS.items():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=data)
    split = run_scan(tmp_path, f"s3://{bucket}", "--list-page-size", "3", *ENTITIES, out_name="split")
    one = run_scan(tmp_path, f"s3://{bucket}", "--list-threads", "1", *ENTITIES, out_name="one")
    assert split.exit_code == one.exit_code == 0, split.result.output
    assert len(split.rows("objects")) >= 3 * len(CORPUS)
    for table in ("objects", "findings", "errors"):
        assert [{**r, "scan_id": ""} for r in split.rows(table)] == [{**r, "scan_id": ""} for r in one.rows(table)]


def test_prefix_is_a_key_prefix_and_a_single_key_works() -> None:
    uri = corpus_bucket()
    bucket = uri.split("/")[2]
    connector = S3Connector()
    assert [r.uri for r in connector.list(f"s3://{bucket}/corpus/data/", Selection())] == [
        f"s3://{bucket}/corpus/data/payments.csv",
        f"s3://{bucket}/corpus/data/people.jsonl",
    ]
    single = list(connector.list(f"s3://{bucket}/corpus/readme.md", Selection(include=("readme.md",))))
    assert [r.uri for r in single] == [f"s3://{bucket}/corpus/readme.md"]


def test_versions_scans_every_version_with_its_version_id(tmp_path: Path) -> None:
    bucket = new_bucket_name("versioned")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = client.put_object(Bucket=bucket, Key="k.txt", Body=b"BSN 111222333\n")["VersionId"]
    v2 = client.put_object(Bucket=bucket, Key="k.txt", Body=b"nothing now\n")["VersionId"]

    latest = run_scan(tmp_path, f"s3://{bucket}", *ENTITIES, out_name="latest")
    assert latest.exit_code == 0, latest.result.output
    assert latest.rows("findings") == []

    every = run_scan(tmp_path, f"s3://{bucket}", "--versions", *ENTITIES, out_name="every")
    assert every.exit_code == 0, every.result.output
    assert sorted((r["version"], r["findings"]) for r in every.rows("objects")) == sorted([(v1, 1), (v2, 0)])
    assert [(r["object"], r["entity"], r["value_hash"], r["line"]) for r in every.rows("findings")] == [
        (f"s3://{bucket}/k.txt", "NL_BSN", h("NL_BSN", "111222333"), 1)
    ]


def test_large_object_is_streamed_and_a_value_past_the_first_chunk_found(tmp_path: Path) -> None:
    bucket = new_bucket_name("large")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    filler = b"lorem ipsum dolor sit amet\n" * 200_000  # 5.4 MB of lines
    client.put_object(Bucket=bucket, Key="big.txt", Body=filler + b"BSN: 111222333\n")
    ref = next(iter(S3Connector().list(f"s3://{bucket}", Selection())))
    with S3Connector().open(ref) as body:
        assert not hasattr(body, "getvalue") and body.read(27) == filler[:27]  # a stream, not a buffer

    scan = run_scan(tmp_path, f"s3://{bucket}", *ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    assert [(r["entity"], r["line"], r["value_hash"]) for r in scan.rows("findings")] == [
        ("NL_BSN", 200_001, h("NL_BSN", "111222333"))
    ]


def test_archived_and_denied_objects_are_rows_and_the_scan_goes_on(tmp_path: Path) -> None:
    bucket = new_bucket_name("mixed")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_object(Bucket=bucket, Key="cold.txt", Body=b"BSN 111222333\n", StorageClass="GLACIER")
    client.put_object(Bucket=bucket, Key="deep.txt", Body=b"BSN 111222333\n", StorageClass="DEEP_ARCHIVE")
    client.put_object(Bucket=bucket, Key="secret.txt", Body=b"BSN 111222333\n")
    client.put_object(Bucket=bucket, Key="open.txt", Body=b"BSN 111222333\n")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/secret.txt",
            }
        ],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    scan = run_scan(tmp_path, f"s3://{bucket}", *ENTITIES)
    assert scan.exit_code == 3, scan.result.output  # partial: one object could not be read
    status = {r["object"].rsplit("/", 1)[-1]: (r["status"], r["reason"]) for r in scan.rows("objects")}
    assert status == {
        "cold.txt": ("skipped", "archived storage class GLACIER: restore it before scanning"),
        "deep.txt": ("skipped", "archived storage class DEEP_ARCHIVE: restore it before scanning"),
        "secret.txt": (
            "failed",
            "PermissionError: S3 GetObject failed: 403 (access denied: check the bucket policy, IAM role and KMS key)",
        ),
        "open.txt": ("scanned", None),
    }
    assert [(r["object"], r["stage"], r["error"]) for r in scan.rows("errors")] == [
        (f"s3://{bucket}/secret.txt", "read", "PermissionError")
    ]
    assert "testing" not in json.dumps(scan.rows("errors"))  # no credential in any message
    assert [r["object"] for r in scan.rows("findings")] == [f"s3://{bucket}/open.txt"]


def test_a_bucket_that_cannot_be_listed_exits_with_source(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, "s3://no-such-bucket-here/x", *ENTITIES)
    assert scan.exit_code == 5
    assert "piiscan: cannot list s3://no-such-bucket-here: no such bucket\n" in scan.result.output
    assert [(r["stage"], r["error"]) for r in scan.rows("errors")] == [("list", "SourceError")]


def test_retries_ride_out_503_and_connection_resets(tmp_path: Path) -> None:
    uri = corpus_bucket()
    proxy = FailingProxy(moto_endpoint(), failures=("503", "reset"))
    try:
        scan = run_scan(tmp_path, uri, "--endpoint-url", proxy.url, *ENTITIES)
    finally:
        proxy.close()
    assert scan.exit_code == 0, scan.result.output
    assert proxy.failed == 2 and proxy.forwarded >= 1 + len(CORPUS)
    assert relative_findings(scan.rows("findings"), uri) == EXPECTED_FINDINGS


def test_io_threads_and_worker_processes_give_the_same_findings(tmp_path: Path) -> None:
    uri = corpus_bucket()
    out = tmp_path / "procs"
    args = ["scan", uri, "--out", str(out), "--workers", "2", "--io-threads", "3", "--quiet", *ENTITIES]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert relative_findings(read_table(out, "findings").to_pylist(), uri) == EXPECTED_FINDINGS
    one = run_scan(tmp_path, uri, "--io-threads", "1", *ENTITIES, out_name="one")
    assert relative_findings(one.rows("findings"), uri) == EXPECTED_FINDINGS


def test_scan_directory_written_to_a_bucket_and_read_back(tmp_path: Path) -> None:
    uri = corpus_bucket()
    audit = new_bucket_name("audit")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=audit, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    out = f"s3://{audit}/scans/2026-11-23"
    result = CliRunner().invoke(main, ["scan", uri, "--out", out, "--workers", "1", "--quiet", *ENTITIES])
    assert result.exit_code == 0, result.output

    keys = [o["Key"] for o in client.list_objects_v2(Bucket=audit)["Contents"]]
    assert "scans/2026-11-23/manifest.json" in keys
    assert not [k for k in keys if k.endswith(".tmp")]
    parts = [k for k in keys if k.startswith("scans/2026-11-23/findings/part-")]
    body = client.get_object(Bucket=audit, Key=parts[0])["Body"].read()
    local = tmp_path / "part.parquet"
    local.write_bytes(body)
    assert relative_findings(pq.read_table(local).to_pylist(), uri) == EXPECTED_FINDINGS  # plain pyarrow
    assert relative_findings(read_table(out, "findings").to_pylist(), uri) == EXPECTED_FINDINGS
    assert read_manifest(out)["counts"]["findings"] == len(EXPECTED_FINDINGS)

    again = CliRunner().invoke(main, ["scan", uri, "--out", out, "--workers", "1", "--quiet", *ENTITIES])
    assert again.exit_code == 2
    assert f"{out} already holds a scan" in again.output


@pytest.mark.usefixtures("gcs_env")
def test_local_s3_and_gcs_give_the_same_findings(tmp_path: Path) -> None:
    from google.cloud import storage

    local = write_corpus(tmp_path / "corpus").as_uri()
    s3 = corpus_bucket()
    bucket = storage.Client().create_bucket(new_bucket_name("same"))
    for rel, data in CORPUS.items():
        bucket.blob(f"corpus/{rel}").upload_from_string(data)
    gs = f"gs://{bucket.name}/corpus"
    seen = {}
    for name, source in (("local", local), ("s3", s3), ("gs", gs)):
        scan = run_scan(tmp_path, source, *ENTITIES, out_name=name)
        assert scan.exit_code == 0, scan.result.output
        seen[name] = relative_findings(scan.rows("findings"), source)
    assert seen["local"] == seen["s3"] == seen["gs"] == EXPECTED_FINDINGS


def test_connector_is_registered_with_its_extra() -> None:
    assert isinstance(connector_for("s3"), S3Connector)


def test_reads_of_one_bucket_resolve_its_endpoint_once() -> None:
    """S3's endpoint rules never read an object's key: botocore's endpoint cache answers every read
    after the first (it missed on each new key, and the whole rule set ran again for every object)."""
    from botocore.endpoint_provider import EndpointProvider

    bucket = new_bucket_name("endpoint")
    client = s3_client(moto_endpoint())
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for i in range(20):
        client.put_object(Bucket=bucket, Key=f"k/{i:02d}.txt", Body=f"object {i}".encode())
    connector = S3Connector(S3Options())
    refs = list(connector.list(f"s3://{bucket}/k", Selection()))
    with connector.open(refs[0]) as first:
        assert first.read() == b"object 0"
    misses = EndpointProvider.resolve_endpoint.cache_info().misses
    bodies = []
    for ref in refs:
        with connector.open(ref) as body:
            bodies.append(body.read())
    assert EndpointProvider.resolve_endpoint.cache_info().misses == misses
    assert bodies == [f"object {i}".encode() for i in range(20)]
    connector.close()
