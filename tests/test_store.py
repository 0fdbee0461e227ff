"""piiscan.store against a folder, moto's S3 server and the GCS emulator: the same answers from each."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from google.cloud import storage

from piiscan.cli import main
from piiscan.store import Store, StoreError, StoreOptions
from tests.connectors.cloud_servers import (
    gcs_env,  # noqa: F401 - a fixture
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.usefixtures("s3_env", "gcs_env")


def new_root(kind: str, tmp_path: Path) -> str:
    """An empty scan-directory location of `kind`: a local folder, or a prefix in a new bucket."""
    if kind == "local":
        return str(tmp_path / "scans" / "one")
    bucket = new_bucket_name("store")
    if kind == "s3":
        s3_client(moto_endpoint()).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        return f"s3://{bucket}/scans/one"
    storage.Client().create_bucket(bucket)
    return f"gs://{bucket}/scans/one"


KINDS = ["local", "s3", "gs"]


@pytest.mark.parametrize("kind", KINDS)
def test_write_list_and_read_back(kind: str, tmp_path: Path) -> None:
    store = Store(new_root(kind, tmp_path))
    assert not store.is_folder() and not store.exists("manifest.json")
    store.make_folders(["findings"])
    table = pa.table({"entity": ["NL_BSN", "IBAN_CODE", "NL_BSN"], "line": [1, 2, 3]})
    store.write_parquet("findings/part-a.parquet", table)
    store.write_parquet("findings/part-b.parquet", table.slice(0, 1))
    store.put("manifest.json", b'{"status": "running"}')
    store.put("manifest.json", b'{"status": "complete"}')  # replaced whole

    assert store.is_folder()
    assert store.get("manifest.json") == b'{"status": "complete"}'
    assert store.exists("manifest.json") and not store.exists("findings")
    assert store.files("findings") == ["findings/part-a.parquet", "findings/part-b.parquet"]
    assert [i.base_name for i in store.entries()] == ["findings", "manifest.json"]
    data = store.dataset(store.files("findings"), table.schema).to_table(columns=["entity"])
    assert data.column("entity").to_pylist() == ["NL_BSN", "IBAN_CODE", "NL_BSN", "NL_BSN"]

    parent = Store(store.uri.rsplit("/", 1)[0])
    assert parent.folders() == ["one"]
    assert parent.child("one").get("manifest.json") == b'{"status": "complete"}'
    if kind == "local":  # nothing half-written is left behind
        assert sorted(p.name for p in Path(store.uri).rglob("*")) == [
            "findings",
            "manifest.json",
            "part-a.parquet",
            "part-b.parquet",
        ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_pickles_as_its_description_and_works_where_it_is_unpickled(kind: str, tmp_path: Path) -> None:
    store = Store(new_root(kind, tmp_path), StoreOptions(endpoint_url=moto_endpoint() if kind == "s3" else None))
    store.put("manifest.json", b"{}")
    copy = pickle.loads(pickle.dumps(store))
    assert (copy.uri, copy.options) == (store.uri, store.options)
    assert copy.fs is not store.fs
    assert copy.get("manifest.json") == b"{}"


def test_endpoint_url_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    uri = new_root("s3", tmp_path)
    Store(uri).put("manifest.json", b"{}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    assert Store(uri, StoreOptions(endpoint_url=moto_endpoint())).get("manifest.json") == b"{}"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://", "s3://: no bucket name (use s3://bucket/prefix)"),
        ("gs:///scans", "gs:///scans: no bucket name (use gs://bucket/prefix)"),
        (
            "ftp://host/scans",
            "ftp://host/scans: a scan directory is a folder, s3://bucket/prefix or gs://bucket/prefix",
        ),
    ],
)
def test_unusable_uris(uri: str, message: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(uri)
    assert str(caught.value) == message


@pytest.mark.parametrize("scheme", ["s3", "gs"])
def test_scan_out_to_a_missing_bucket_stops_before_scanning(scheme: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("bsn 123456782\n")
    out = f"{scheme}://no-such-bucket-here/scans/1"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "a.txt"), "--out", out, "--workers", "1", "--quiet"])
    assert (result.exit_code, result.output) == (
        5,
        f"piiscan: --out {out} cannot be checked: FileNotFoundError: {scheme}://no-such-bucket-here: no such bucket\n",
    )


def test_a_file_uri_names_the_same_folder(tmp_path: Path) -> None:
    Store(str(tmp_path / "scans" / "one")).put("manifest.json", b"{}")
    scans = Store((tmp_path / "scans").as_uri())
    assert scans.folders() == ["one"]
    one = scans.child("one")
    assert (one.uri, one.get("manifest.json")) == (f"{(tmp_path / 'scans').as_uri()}/one", b"{}")


def test_reading_a_column_fetches_that_column_not_the_part(tmp_path: Path) -> None:
    import numpy as np

    from piiscan.scandir import FINDINGS_SCHEMA, ScanDirWriter
    from piiscan.tools.scans import open_scans, read
    from tests.connectors.cloud_servers import FailingProxy

    uri = new_root("s3", tmp_path)
    rows = 200_000
    hashes = [f"{v:016x}" for v in np.random.default_rng(1).integers(0, 2**62, rows)]  # incompressible
    columns = {"entity": ["NL_BSN"] * rows, "value_hash": hashes, "object": [f"s3://a/{i}" for i in range(rows)]}
    part = pa.table({n: columns.get(n, pa.nulls(rows, FINDINGS_SCHEMA.field(n).type)) for n in FINDINGS_SCHEMA.names})
    writer = ScanDirWriter(uri)
    writer.write_part("findings", part)
    writer.write_manifest({"scan_id": "big", "status": "complete"})
    size = Store(uri).fs.get_file_info(Store(uri).path(Store(uri).files("findings")[0])).size
    proxy = FailingProxy(moto_endpoint(), failures=())
    try:
        (scan,) = open_scans([uri], StoreOptions(endpoint_url=proxy.url))
        before = proxy.bytes_forwarded
        entities = read([scan], "findings", ["entity"])
        fetched = proxy.bytes_forwarded - before
    finally:
        proxy.close()
    assert entities.column("entity").to_pylist() == ["NL_BSN"] * rows
    # the footer (read 64 KiB at a time) and one small column chunk, of a part of over 2 MB
    assert size > 2_000_000 and fetched < size / 10, (fetched, size)


def _write_in_worker(store: Store, name: str) -> str:
    from piiscan.scandir import ScanDirWriter

    writer = ScanDirWriter(store)
    writer.add("errors", {"scan_id": name, "object": f"s3://a/{name}", "member": "", "stage": "read"})
    writer.flush()
    return name


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_worker_processes_write_parts_through_a_pickled_store(kind: str, tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from piiscan.scandir import read_table

    store = Store(new_root(kind, tmp_path), StoreOptions(endpoint_url=moto_endpoint() if kind == "s3" else None))
    with ProcessPoolExecutor(2) as pool:
        assert list(pool.map(_write_in_worker, [store] * 3, ["w1", "w2", "w3"])) == ["w1", "w2", "w3"]
    errors = read_table(store, "errors", ["scan_id"]).column("scan_id").to_pylist()
    assert sorted(errors) == ["w1", "w2", "w3"]
    assert store.files("findings") == []  # a finished scan gets its zero-row parts once, not one per writer
