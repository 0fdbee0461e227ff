"""The options of each connector: one frozen dataclass per source kind, passed plainly.

The CLI (or a library caller) builds them; a connector takes the one of its kind
(`Connector.options_type`). They are picklable: worker processes get them with the scan's
options. This module imports no SDK, so building options costs no import of boto3 or psycopg.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorOptions:
    """What every connector's options can tell the scan."""

    @property
    def sampling(self) -> dict[str, float] | None:
        """What is read of each object when only a sample is (the manifest's `sampling`); None: all."""
        return None


@dataclass(frozen=True)
class LocalOptions(ConnectorOptions):
    """file://, plain paths and maildir://: nothing to choose (links to folders are never followed)."""


@dataclass(frozen=True)
class BucketOptions(ConnectorOptions):
    """What s3:// and gs:// have in common."""

    #: scan every stored version, not only the latest (--versions)
    versions: bool = False
    #: unsigned requests, for public buckets (--anonymous)
    anonymous: bool = False
    #: objects per listing request (--list-page-size)
    page_size: int = 1000
    #: the prefixes at a source's top level listed at once, each on a thread of its own (--list-threads);
    #: 1: the whole source in one listing stream
    list_threads: int = 8
    #: attempts per request before a throttled or failing request is given up (--max-attempts):
    #: S3's adaptive retries count them, GCS retries until their backoff (0.25 s doubling, at most
    #: 30 s apart) would have run this many times
    max_attempts: int = 10


@dataclass(frozen=True)
class S3Options(BucketOptions):
    """s3:// (boto3): credentials only from boto3's chain; `profile` picks one of its profiles."""

    #: an S3-compatible endpoint (--endpoint-url, else boto3's own AWS_ENDPOINT_URL)
    endpoint_url: str | None = None
    profile: str | None = None
    #: objects read at once per worker (--io-threads): the connection pool is sized for it
    io_threads: int | None = None


@dataclass(frozen=True)
class GcsOptions(BucketOptions):
    """gs:// (google-cloud-storage): credentials only from Google's application default credentials."""

    #: the project billed for requests (None: the credentials' own)
    project: str | None = None


@dataclass(frozen=True)
class PostgresOptions(ConnectorOptions):
    """postgresql:// (psycopg): sampling, record timestamps, and how long a statement may take."""

    #: read at most this many rows per table (--sample-rows)
    sample_rows: int | None = None
    #: read about this percentage of each table's rows (--sample-percent)
    sample_percent: float | None = None
    #: `COLUMN` or `TABLE-GLOB=COLUMN` rules: a row's `modified` comes from that column (--timestamp-column)
    timestamp_columns: tuple[str, ...] = ()
    #: one FETCH of a batch; a plan that slow is not worth waiting for
    statement_timeout: str = "5min"
    #: never queue behind DDL: a waiting lock would hold up writers behind us
    lock_timeout: str = "5s"
    #: rows fetched from the server-side cursor at once
    batch_rows: int = 2000
    #: what reads rows (--postgres-driver): "auto" (ADBC where `adbc-driver-postgresql` is installed,
    #: else psycopg), "adbc" or "psycopg" (a server-side cursor: for servers that cannot COPY a query)
    driver: str = "auto"

    def __post_init__(self) -> None:
        if self.sample_rows is not None and self.sample_percent is not None:
            raise ValueError("choose one of --sample-rows and --sample-percent")
        if self.driver not in ("auto", "adbc", "psycopg"):
            raise ValueError(f"--postgres-driver: choose auto, adbc or psycopg, not {self.driver}")

    @property
    def sampling(self) -> dict[str, float] | None:
        if self.sample_rows is not None:
            return {"rows": self.sample_rows}
        if self.sample_percent is not None:
            return {"percent": self.sample_percent}
        return None
