"""Operator mistakes with buckets, and sources that cannot be reached: one line each, its
documented exit code, quickly, and (for what can be known before the scan) nothing written; and
tables that stay readable in a pipe."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from piiscan.exitcodes import ExitCode
from tests.helpers import run_scan


@pytest.fixture
def no_cloud_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS or Google credentials anywhere a chain looks (environment, files, metadata servers)."""
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "STORAGE_EMULATOR_HOST",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:1")  # no metadata server: refused at once
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:1")


@pytest.mark.usefixtures("no_cloud_credentials")
@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "gs://audit-bucket/logs",
            "piiscan: cannot list gs://audit-bucket/logs: no Google credentials found: set up application default "
            "credentials (`gcloud auth application-default login`, or GOOGLE_APPLICATION_CREDENTIALS naming a key "
            "file), or give --anonymous for a public bucket\n",
        ),
        (
            "s3://audit-bucket/logs",
            "piiscan: cannot list s3://audit-bucket/logs: no AWS credentials found: set AWS_PROFILE (or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), run where an IAM role is available, or give --anonymous "
            "for a public bucket\n",
        ),
    ],
    ids=["gs", "s3"],
)
def test_a_bucket_without_credentials_exits_5_with_one_line_and_writes_nothing(
    tmp_path: Path, source: str, message: str
) -> None:
    scan = run_scan(tmp_path, source)
    assert (scan.exit_code, scan.result.output) == (ExitCode.SOURCE, message)
    assert not scan.out.exists()


GS_CLOSED = {"STORAGE_EMULATOR_HOST": "http://127.0.0.1:1"}
S3_CLOSED = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["gs://audit-bucket"], GS_CLOSED, "cannot list gs://audit-bucket: cannot be reached: ConnectionError"),
        (["s3://audit-bucket"], S3_CLOSED, "cannot list s3://audit-bucket: cannot be reached: EndpointConnectionError"),
        (
            ["{tmp}", "--out", "gs://audit-scans/nightly"],
            GS_CLOSED,
            "--out gs://audit-scans/nightly cannot be checked: GCS request failed: UNAVAILABLE",
        ),
        (
            ["{tmp}", "--out", "s3://audit-scans/nightly"],
            S3_CLOSED,
            "--out s3://audit-scans/nightly cannot be checked: S3 HeadBucket failed: NETWORK_CONNECTION",
        ),
    ],
    ids=["gs", "s3", "gs-out", "s3-out"],
)
def test_a_bucket_that_cannot_be_reached_is_named_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], message: str
) -> None:
    """Nothing answers (no network, no emulator): the first request's retries are bounded (GCS 8 s,
    S3 4 attempts), not the minutes a scan's reads ride out (before: 2 min and 73 s for a source,
    5 min and 99 s for --out); exit 5, one line."""
    from click.testing import CliRunner

    from piiscan.cli import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    (tmp_path / "a.txt").write_text("bsn 123456782\n")
    full = [a.format(tmp=tmp_path / "a.txt") for a in args]
    if "--out" not in full:
        full += ["--out", str(tmp_path / "scan")]
    started = time.monotonic()
    result = CliRunner().invoke(main, ["scan", *full, "--anonymous", "-q"])
    assert (result.exit_code, result.output) == (ExitCode.SOURCE, f"piiscan: {message}\n")
    assert time.monotonic() - started < 45


def _piiscan(*args: str, **env: str) -> str:
    """stdout of `piiscan ARGS` in a process of its own, its stdout a pipe."""
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | env
    done = subprocess.run(
        [sys.executable, "-m", "piiscan", *args], capture_output=True, text=True, env=environ, check=True
    )
    return done.stdout


def test_tables_in_a_pipe_are_not_cut_to_80_columns() -> None:
    from piiscan.detectors import load_detectors

    bsn = next(d for d in load_detectors() if d.id == "nl_bsn@1")
    piped = _piiscan("detectors")
    [row] = [line for line in piped.splitlines() if "nl_bsn@1" in line]  # one line: nothing wrapped
    assert bsn.explanation in row and ", ".join(bsn.context) in row
    narrow = _piiscan("detectors", COLUMNS="60")  # $COLUMNS still rules where it is set
    assert max(len(line) for line in narrow.splitlines()) <= 60


def test_an_unwritable_out_folder_exits_2_with_one_line_and_writes_nothing() -> None:
    """Root may write anywhere: as root, the scan runs as `nobody`, for whom the folder is read-only."""
    base = Path(tempfile.mkdtemp(prefix="piiscan-unwritable-"))
    try:
        (base / "src").mkdir()
        (base / "src" / "a.txt").write_text("bsn 123456782\n")
        (base / "locked").mkdir()
        for path in (base, base / "src", base / "src" / "a.txt", base / "locked"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (base / "locked").chmod(0o555)
        out = base / "locked" / "scan"
        done = subprocess.run(
            [sys.executable, "-m", "piiscan", "scan", str(base / "src"), "--out", str(out), "-q"],
            capture_output=True,
            text=True,
            user=65534 if os.geteuid() == 0 else None,
            check=False,
        )
        assert (done.returncode, done.stderr) == (
            ExitCode.USAGE,
            f"piiscan: --out {out} cannot be created: {base / 'locked'} is not writable\n",
        )
        assert list((base / "locked").iterdir()) == []
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "{tmp}/no/such/folder/found.csv",
            "--output {tmp}/no/such/folder/found.csv cannot be written: {tmp}/no/such/folder is not a folder",
        ),
        ("{tmp}", "--output {tmp} is a folder: name a file"),
    ],
    ids=["missing-folder", "a-folder"],
)
def test_a_tools_output_that_cannot_be_written_exits_2_before_reading(
    tmp_path: Path, output: str, message: str
) -> None:
    from click.testing import CliRunner

    from piiscan.cli import main

    no_scan = tmp_path / "no-scan-here"  # never read: the tool stops as it parses --output
    args = ["subject", "find", str(no_scan), "--bsn", "123456782", "--output", output.format(tmp=tmp_path)]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output) == (ExitCode.USAGE, f"piiscan: {message.format(tmp=tmp_path)}\n")
