"""A scan directory that refuses a write: a full disk (a file size limit, RLIMIT_FSIZE, on the scan
process: the kernel answers EFBIG as it answers ENOSPC on a full disk, and needs no root or mount) and
a bucket that denies PutObject (403 from a proxy in front of moto). The scan stops with one line and
exit 11, the manifest says `interrupted` (never `complete`), what was committed stays, and
`--resume` once the write is possible again ends with every object's rows, none lost or doubled."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum.nl import bsn

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from piiscan.scan import BATCH_OBJECTS_PER_THREAD
from piiscan.scandir import read_manifest, read_table
from tests.connectors.cloud_servers import ENTITIES, FailingProxy, moto_endpoint, s3_client, s3_env  # noqa: F401
from tests.connectors.test_s3 import corpus_bucket

#: valid BSNs (11-proof): the big object's findings part is larger than the limit, the small ones' are not
BSNS = [n for n in range(100_000_000, 100_050_000) if bsn.is_valid(str(n))]
LIMIT = 24_000  # bytes any one file the scan writes may hold (RLIMIT_FSIZE)
SMALL = BATCH_OBJECTS_PER_THREAD  # the first batch (it closes at this many objects per I/O thread)


def _scan(src: Path, out: Path, *args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cmd = [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", "1", "-q", *args]
    return subprocess.run(cmd, capture_output=True, text=True, preexec_fn=limited, timeout=300, check=False)


def _stopped_line(output: str, out: str, part: str, cause: str) -> str:
    """The one line of a scan stopped because writing the part `out/part…` was refused for `cause`."""
    [line] = output.splitlines()
    assert line.startswith(f"piiscan: cannot write {out}/{part}")
    assert line.endswith(
        f".parquet: {cause}; the scan stopped: what was committed is in {out}, continue with --resume once it "
        "can be written"
    )
    return line


def test_a_full_disk_stops_the_scan_with_exit_11_and_resume_finishes_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(SMALL):
        (src / f"a{i:02d}.txt").write_text(f"bsn {BSNS[i]}\n")
    (src / "z-big.txt").write_text("".join(f"bsn {n}\n" for n in BSNS[SMALL : SMALL + 3000]))
    out = tmp_path / "scan"

    full = _scan(src, out, "--entities", "NL_BSN", limit=LIMIT)
    assert full.returncode == ExitCode.OUTPUT, full.stderr
    line = _stopped_line(full.stderr, str(out), "findings/part-a001-b000001-", "File too large")
    manifest = read_manifest(out)
    assert (manifest["status"], manifest["interrupted_by"]) == ("interrupted", "write error")
    assert manifest["write_error"] == line.removeprefix("piiscan: ").partition("; the scan")[0]
    # the first batch is committed, whole; the big object is not there at all
    objects = read_table(out, "objects", ["object", "status", "findings"]).to_pylist()
    assert sorted(o["object"].rsplit("/", 1)[1] for o in objects) == [f"a{i:02d}.txt" for i in range(SMALL)]
    assert {(o["status"], o["findings"]) for o in objects} == {("scanned", 1)}
    assert read_table(out, "findings", ["object"]).num_rows == SMALL
    assert not list(out.rglob("*.tmp"))  # no half-written file left under a temporary name

    resumed = _scan(src, out, "--entities", "NL_BSN", "--resume")
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    manifest = read_manifest(out)
    assert (manifest["status"], manifest["attempts"], manifest["write_error"]) == ("complete", 2, None)
    objects = read_table(out, "objects", ["object", "findings"]).to_pylist()
    assert len(objects) == SMALL + 1
    assert {o["object"].rsplit("/", 1)[1]: o["findings"] for o in objects}["z-big.txt"] == 3000
    assert read_table(out, "findings", ["object"]).num_rows == SMALL + 3000


def test_a_scan_directory_that_refuses_its_first_write_leaves_a_one_line_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("bsn 123456782\n")
    done = _scan(src, tmp_path / "scan", limit=100)  # not even the manifest fits
    assert done.returncode == ExitCode.OUTPUT, done.stderr
    manifest = tmp_path / "scan" / "manifest.json"
    assert done.stderr == f"piiscan: cannot write {manifest}: File too large; the scan did not start\n"
    assert not (tmp_path / "scan").exists()  # nothing left behind: the same command works once it can write
    assert _scan(src, tmp_path / "scan").returncode == ExitCode.OK


@pytest.mark.usefixtures("s3_env")
def test_an_output_bucket_that_denies_writes_stops_the_scan_with_exit_11(tmp_path: Path) -> None:
    source = corpus_bucket()
    out_bucket = source.partition("://")[2].split("/")[0] + "-out"
    s3_client(moto_endpoint()).create_bucket(
        Bucket=out_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    # the bucket takes the manifest, and answers every Parquet part with 403 AccessDenied
    proxy = FailingProxy(moto_endpoint(), failures=(), always={"/part-": "403"})
    out = f"s3://{out_bucket}/scans/one"
    try:
        result = CliRunner().invoke(
            main, ["scan", source, "--out", out, "--endpoint-url", proxy.url, "--workers", "1", "-q", *ENTITIES]
        )
    finally:
        proxy.close()
    assert result.exit_code == ExitCode.OUTPUT, result.output
    _stopped_line(result.output, out, "", "S3 PutObject failed: ACCESS_DENIED")
    manifest = json.loads(
        s3_client(moto_endpoint()).get_object(Bucket=out_bucket, Key="scans/one/manifest.json")["Body"].read()
    )
    assert (manifest["status"], manifest["interrupted_by"], manifest["counts"]["objects"]) == (
        "interrupted",
        "write error",
        0,
    )


def test_a_tools_output_on_a_full_disk_exits_11_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("bsn 123456782\n")
    assert _scan(src, tmp_path / "scan").returncode == ExitCode.OK
    report = tmp_path / "report.json"
    cmd = [
        sys.executable,
        "-m",
        "piiscan",
        "report",
        str(tmp_path / "scan"),
        "--format",
        "json",
        "--output",
        str(report),
    ]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100)),
        check=False,
    )
    assert (done.returncode, done.stderr) == (ExitCode.OUTPUT, f"piiscan: cannot write {report}: File too large\n")
