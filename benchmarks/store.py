"""pyarrow.fs against fsspec (s3fs, gcsfs) for scan directories in buckets: why piiscan/store.py uses pyarrow.fs.

Starts a moto S3 server and a GCS emulator in this process on 127.0.0.1, then runs each client
library in a subprocess of its own (so imports and peak memory are its own), side by side:

- import: seconds to import the library's S3 and GCS filesystems (pyarrow itself is already
  loaded, as in piiscan) and to construct one of each;
- write+read: `--parts` findings parts of `--rows` rows each written to a bucket prefix, listed,
  and read back (two columns of every part);
- streamed read (S3 only): one `--big-rows` part (uploaded once with boto3, before either
  library is measured) read batch by batch, two columns, through a proxy that counts the bytes
  fetched; and the growth of the resident set (sampled every 5 ms) over its size just before the
  read (with Arrow's system allocator, as piiscan's CLI sets it), next to the part's size. Not on the GCS
  emulator: it serves one request at a time (a single-threaded HTTPServer), and pyarrow's reads
  of an object of tens of MB stalled on it for good (small parts read fine); a real bucket serves
  requests concurrently.

fsspec is measured only where s3fs and gcsfs are importable (they are not piiscan dependencies):
run this script with an interpreter that has them, e.g. a venv made for the comparison. The
servers run in this process, so their CPU competes with the clients' on a shared 2-core box:
compare rows of one run, not runs.

    python benchmarks/store.py [--parts 8] [--rows 50000] [--big-rows 1500000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from piiscan.scandir import FINDINGS_SCHEMA
from tests.connectors.cloud_servers import FailingProxy, gcs_endpoint, moto_endpoint, s3_client, stop_servers

ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1"}

# Each child gets: library, endpoints, buckets, sizes; prints one JSON line of figures.
CHILD = textwrap.dedent(
    """
    import json, os, sys, threading, time
    import pyarrow as pa, pyarrow.parquet as pq
    lib, s3, s3_counted, gcs, s3_bucket, gs_bucket, parts, part_file, big = json.loads(sys.argv[1])
    table = pq.read_table(part_file)
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    out = {}
    t0 = time.perf_counter()
    if lib == "pyarrow.fs":
        import pyarrow.fs as pafs
        systems = {
            "s3": pafs.S3FileSystem(endpoint_override=s3, allow_delayed_open=True),
            "gs": pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=gcs.removeprefix("http://")),
        }
        def write(fs, path):
            pq.write_table(table, path, filesystem=fs, compression="zstd")
        def names(fs, folder):
            return sorted(i.path for i in fs.get_file_info(pafs.FileSelector(folder)))
        def open_(fs, path):
            return fs.open_input_file(path)
        counted = pafs.S3FileSystem(endpoint_override=s3_counted)
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = gcs
        # by default gcsfs asks the Storage Control API (gRPC, not emulated) for the bucket type
        # before each open, and waits for it forever here: switched off
        os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
        import s3fs, gcsfs
        systems = {"s3": s3fs.S3FileSystem(endpoint_url=s3), "gs": gcsfs.GCSFileSystem(token="anon")}
        counted = s3fs.S3FileSystem(endpoint_url=s3_counted)
        def write(fs, path):
            with fs.open(path, "wb") as f:
                pq.write_table(table, f, compression="zstd")
        def names(fs, folder):
            return sorted(fs.ls(folder, detail=False))
        def open_(fs, path):
            return fs.open(path, "rb")
    out["import"] = time.perf_counter() - t0
    for scheme, bucket in (("s3", s3_bucket), ("gs", gs_bucket)):
        fs = systems[scheme]
        t0 = time.perf_counter()
        for i in range(parts):
            write(fs, f"{bucket}/{lib}/findings/part-{i:05d}.parquet")
        out[f"{scheme} write"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = 0
        for path in names(fs, f"{bucket}/{lib}/findings"):
            with open_(fs, path) as f:
                rows += pq.ParquetFile(f).read(columns=["object", "entity"]).num_rows
        out[f"{scheme} read"] = time.perf_counter() - t0
        assert rows == parts * table.num_rows, rows
        if scheme == "gs":
            continue  # see the module docstring: the emulator serves one request at a time
        before, peak, reading = rss(), [0], True
        def sample():
            while reading:
                peak[0] = max(peak[0], rss())
                time.sleep(0.005)
        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.perf_counter()
        rows = 0
        with open_(counted, f"{bucket}/big.parquet") as f:
            for batch in pq.ParquetFile(f).iter_batches(columns=["object", "entity"]):
                rows += batch.num_rows
        out[f"{scheme} stream"] = time.perf_counter() - t0
        reading = False
        sampler.join()
        out[f"{scheme} stream MB"] = (peak[0] - before) / 2**20
        assert rows == big, rows
    print(json.dumps(out))
    """
)


def findings(rows: int, seed: int) -> pa.Table:
    """Findings rows with incompressible hashes, so a part's size is near a real one's."""
    rng = np.random.default_rng(seed)
    objects = [f"s3://acme/support-chat/2026/{i:07d}.jsonl" for i in rng.integers(0, rows // 10 + 1, rows)]
    hashes = [f"{v:032x}" for v in rng.integers(0, 2**62, rows, dtype=np.int64).astype(object) * (2**60 + 7)]
    entity = pa.array(rng.choice(["NL_BSN", "IBAN_CODE", "EMAIL_ADDRESS", "PHONE_NUMBER"], rows))
    cols = {
        "scan_id": pa.array(["bench"] * rows),
        "object": pa.array(objects),
        "member": pa.array([""] * rows),
        "line": pa.array(rng.integers(1, 10_000, rows)),
        "entity": entity,
        "detector": pa.array(["bench@1"] * rows),
        "score": pa.array(np.full(rows, 0.9, dtype=np.float32)),
        "value_hash": pa.array(hashes),
        "masked": pa.array(["****6782"] * rows),
    }
    return pa.table({n: cols.get(n, pa.nulls(rows, FINDINGS_SCHEMA.field(n).type)) for n in FINDINGS_SCHEMA.names})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--big-rows", type=int, default=1_500_000)
    args = parser.parse_args()
    os.environ.update(ENV)
    s3, gcs = moto_endpoint(), gcs_endpoint()
    counting = FailingProxy(s3, failures=())  # forwards every request: the upstream reads are counted below
    fetched = [0]
    upstream_read = http.client.HTTPResponse.read

    def read(self: http.client.HTTPResponse, *rest: Any) -> bytes:
        data = upstream_read(self, *rest)
        fetched[0] += len(data or b"")
        return data

    http.client.HTTPResponse.read = read  # type: ignore[method-assign]
    os.environ["STORAGE_EMULATOR_HOST"] = gcs
    from google.cloud import storage

    try:
        with tempfile.TemporaryDirectory() as tmp:
            part = Path(tmp) / "part.parquet"
            pq.write_table(findings(args.rows, 1), part, compression="zstd")
            big = Path(tmp) / "big.parquet"
            pq.write_table(findings(args.big_rows, 2), big, compression="zstd", row_group_size=100_000)
            big_mb = big.stat().st_size / 2**20
            print(f"part: {args.rows:,} rows, {part.stat().st_size / 2**20:.1f} MB; ", end="")
            print(f"big part: {args.big_rows:,} rows, {big_mb:.1f} MB in row groups of 100,000 rows")
            client = s3_client(s3)
            client.create_bucket(Bucket="bench-store", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            client.upload_file(str(big), "bench-store", "big.parquet")
            storage.Client().create_bucket("bench-store-gs")
            libs = ["pyarrow.fs"]
            have = subprocess.run([sys.executable, "-c", "import s3fs, gcsfs"], capture_output=True).returncode == 0
            libs += ["fsspec"] if have else []
            results = {}
            for lib in libs:
                spec = [
                    lib,
                    s3,
                    counting.url,
                    gcs,
                    "bench-store",
                    "bench-store-gs",
                    args.parts,
                    str(part),
                    args.big_rows,
                ]
                env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system"}
                fetched[0] = 0
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    env=env,
                )
                if done.returncode:
                    sys.exit(f"{lib} failed:\n{done.stderr[-3000:]}")
                results[lib] = json.loads(done.stdout.strip().splitlines()[-1])
                results[lib]["s3 stream fetched MB"] = fetched[0] / 2**20
    finally:
        counting.close()
        stop_servers()
    if len(libs) == 1:
        print("fsspec: s3fs and gcsfs are not importable with this interpreter, so only pyarrow.fs is measured")
    print(f"{'':28}" + "".join(f"{lib:>14}" for lib in libs))
    for key in results["pyarrow.fs"]:
        unit = "MB" if key.endswith("MB") else "s"
        label = f"{key} ({unit})" if unit == "MB" else f"{key} (s)"
        print(f"{label:28}" + "".join(f"{results[lib][key]:>14.2f}" for lib in libs))
    print(f"(writes: {args.parts} parts; big part: {big_mb:.1f} MB)")


if __name__ == "__main__":
    main()
