"""A nightly audit kept in a bucket: `--baseline s3://…` read from and stored into moto's real S3 API."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.scandir import read_manifest, read_table
from piiscan.tools.baseline import BASELINE_SCHEMA
from tests.connectors.cloud_servers import (
    CORPUS,
    ENTITIES,
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,  # noqa: F401 - a fixture
)
from tests.connectors.conformance import EXPECTED_FINDINGS

pytestmark = pytest.mark.usefixtures("s3_env")


def test_baseline_in_a_bucket_and_comparison_stored_there() -> None:
    client = s3_client(moto_endpoint())
    data, audit = new_bucket_name("data"), new_bucket_name("audit")
    for bucket in (data, audit):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for rel, body in CORPUS.items():
        client.put_object(Bucket=data, Key=rel, Body=body)
    source = f"s3://{data}/"
    scan = ["scan", source, "--workers", "1", "--quiet", *ENTITIES]
    first = CliRunner().invoke(main, [*scan, "--out", f"s3://{audit}/night-1"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(
        main, [*scan, "--out", f"s3://{audit}/night-2", "--baseline", f"s3://{audit}/night-1", "--fail-on", "new"]
    )
    assert second.exit_code == 0, second.output
    n = len(EXPECTED_FINDINGS)
    manifest = read_manifest(f"s3://{audit}/night-2")
    assert {k: manifest["baseline"][k] for k in ("new", "unchanged", "absent")} == {
        "new": 0,
        "unchanged": n,
        "absent": 0,
    }
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=audit, Prefix="night-2/baseline/")["Contents"]]
    assert keys == ["night-2/baseline/part-00001.parquet"]
    body = client.get_object(Bucket=audit, Key=keys[0])["Body"].read()
    stored = pq.read_table(pa.BufferReader(body))
    assert stored.schema.equals(BASELINE_SCHEMA)
    assert stored["baseline_state"].to_pylist() == ["unchanged"] * n
    assert read_table(f"s3://{audit}/night-2", "findings").num_rows == n
