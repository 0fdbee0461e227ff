"""Amazon S3 and S3-compatible stores (MinIO, Ceph): `s3://bucket/prefix`, on boto3.

Listing is ListObjectsV2 (or ListObjectVersions with `versions`), page by page, so the first
object is scanned before the listing ends; the prefixes at the source's top level (Delimiter `/`)
are listed at once on `list_threads` threads; globs and the size limit are applied to the listing,
before any byte is read. Objects are read as botocore streams (never whole in memory).
Credentials come only from boto3's own chain (profiles, environment, instance roles); the
endpoint from `endpoint_url`, else boto3's own `AWS_ENDPOINT_URL`. No credential is ever
written to a message. Retries: botocore's "adaptive" mode (exponential backoff with jitter on
throttling, 5xx and connection errors, plus client-side rate limiting once S3 says SlowDown).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any

import boto3
import botocore.loaders
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.utils import parse_timestamp

from piiscan.connectors.base import BucketConnector, Listing, Page, Selection, Skipped, SourceError
from piiscan.connectors.options import ConnectorOptions, S3Options
from piiscan.model import ObjectRef

#: storage classes whose objects must be restored before they can be read
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: attempts of the first request to a bucket (its location)
REACH_ATTEMPTS = 4
NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), run where an "
    "IAM role is available, or give --anonymous for a public bucket"
)
DENIED = frozenset(
    {"AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> (`bucket`, `a/b`)."""
    rest = uri.partition("://")[2]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise SourceError(f"{uri}: no bucket name (use s3://bucket/prefix)")
    return bucket, key


def timestamp(value: str) -> datetime:
    """A time in a response: ISO 8601 (LastModified in a listing) and HTTP dates (the Last-Modified
    header of every GET) read by the standard library, anything else by botocore's own parser. Its
    default, dateutil, took 78% of parsing a page of 1,000 keys: 5,700 keys per CPU second, against
    22,000 so (benchmarks/cluster.py); and a tenth of a GET's CPU.

    >>> timestamp("2026-11-01T10:00:00.000Z")
    datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.timezone.utc)
    >>> timestamp("Thu, 26 Nov 2026 19:45:12 GMT")
    datetime.datetime(2026, 11, 26, 19, 45, 12, tzinfo=datetime.timezone.utc)
    """
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed
    except (TypeError, ValueError):
        pass
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is not None:
            return parsed
    except (TypeError, ValueError, IndexError):
        pass
    return parse_timestamp(value)


def make_session(options: S3Options) -> boto3.session.Session:
    """A boto3 session on boto3's credential chain, whose clients parse times quickly (`timestamp`).
    Its loader keeps S3's service model and endpoint rules: a client made from it costs 10 ms of
    CPU, one made with a session of its own 200 ms (read and parsed again)."""
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=timestamp)
    return boto3.session.Session(botocore_session=core, profile_name=options.profile)


def make_client(options: S3Options, session: boto3.session.Session | None = None) -> Any:
    """An S3 client from boto3's credential chain, with tuned retries and timeouts (from `session`,
    else a session of its own; a session is not thread-safe: make its clients one at a time)."""
    config = Config(
        retries={"mode": "adaptive", "max_attempts": options.max_attempts},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(10, (options.io_threads or 0) * 2),
        signature_version=UNSIGNED if options.anonymous else None,
    )
    client = (session or make_session(options)).client("s3", endpoint_url=options.endpoint_url or None, config=config)
    _cache_endpoints(client)
    return client


#: endpoint parameters that S3's endpoint rules never read, though botocore passes them: the
#: key made every GetObject miss botocore's endpoint cache (keyed by every parameter), and the
#: whole rule set ran again for each object read (a quarter of a GET's CPU on 1 KB objects)
_UNREAD_ENDPOINT_PARAMETERS = ("Key", "Prefix", "CopySource")


def _cache_endpoints(client: Any) -> None:
    """Leave the endpoint parameters no rule reads out of `client`'s endpoint resolution, so that
    its cache answers every request to a bucket after the first. Only where this botocore's rule
    set indeed never reads them; otherwise the client is left as it is."""
    resolver = getattr(client, "_ruleset_resolver", None)
    parameters = getattr(resolver, "_param_definitions", None)
    if not isinstance(parameters, dict):
        return
    for name in _unread_endpoint_parameters():
        parameters.pop(name, None)


@functools.cache
def _unread_endpoint_parameters() -> tuple[str, ...]:
    """Of `_UNREAD_ENDPOINT_PARAMETERS`, those the installed botocore's S3 rule set declares and never reads."""
    rules = botocore.loaders.create_loader().load_service_model("s3", "endpoint-rule-set-1")
    text = json.dumps(rules.get("rules", []))
    declared = rules.get("parameters", {})
    return tuple(
        name for name in _UNREAD_ENDPOINT_PARAMETERS if name in declared and json.dumps({"ref": name}) not in text
    )


def _code(exc: ClientError) -> str:
    return str(
        exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    )


def describe(exc: BaseException) -> str:
    """What went wrong, from the error code only (S3 messages can echo request parameters)."""
    if isinstance(exc, ClientError):
        return f"S3 {exc.operation_name} failed: {_code(exc)}"
    return f"S3 request failed: {type(exc).__name__}"


def read_error(exc: ClientError) -> OSError:
    """A read failure as an OSError subclass the errors row names plainly."""
    code = _code(exc)
    msg = describe(exc)
    if code in DENIED or code == "403" or code.startswith("KMS"):
        return PermissionError(msg + " (access denied: check the bucket policy, IAM role and KMS key)")
    if code == "InvalidObjectState":
        return PermissionError(msg + " (archived: restore the object before scanning it)")
    if code in ("NoSuchKey", "NoSuchVersion", "404"):
        return FileNotFoundError(msg + " (deleted since it was listed)")
    return OSError(msg)


class S3Connector(BucketConnector):
    scheme = "s3"
    options_type = S3Options
    options: S3Options

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        super().__init__(options)
        self._session: boto3.session.Session | None = None
        self._session_lock = threading.Lock()

    def make_client(self) -> Any:
        """A client for the calling thread, from the connector's one session."""
        return self._client(self.options)

    def _client(self, options: S3Options) -> Any:
        with self._session_lock:  # a session makes one client at a time
            if self._session is None:
                self._session = make_session(self.options)
            return make_client(options, self._session)

    def check(self, uri: str) -> None:
        if self.options.anonymous:
            return
        if boto3.session.Session(profile_name=self.options.profile).get_credentials() is None:
            raise SourceError(f"{uri}: {NO_CREDENTIALS}")

    def list(self, uri: str, selection: Selection) -> Listing:
        bucket, prefix = split_uri(uri)
        region = self.region(bucket)
        versions = self.options.versions
        try:
            for entry in self.entries(bucket, prefix):
                key = entry["Key"]
                relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
                if key.endswith("/") or not selection.wants(relative):
                    continue  # "folder" placeholder objects hold no data
                yield from self._entry(bucket, entry, region, versions, selection)
        except ClientError as exc:
            raise SourceError(f"{uri}: {describe(exc)}") from None
        except NoCredentialsError:
            raise SourceError(f"{uri}: {NO_CREDENTIALS}") from None
        except BotoCoreError as exc:
            raise SourceError(f"{uri}: {describe(exc)}") from None

    def pages(self, bucket: str, prefix: str, delimiter: str | None = None) -> Iterator[Page[dict[str, Any]]]:
        """ListObjectsV2 (ListObjectVersions) pages: their entries and, with a delimiter, the prefixes they name."""
        args: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": prefix,
            "PaginationConfig": {"PageSize": self.options.page_size},
        }
        if delimiter:
            args["Delimiter"] = delimiter
        versions = self.options.versions
        operation, entries = ("list_object_versions", "Versions") if versions else ("list_objects_v2", "Contents")
        for page in self.client.get_paginator(operation).paginate(**args):
            # delete markers (DeleteMarkers) hold no data
            yield page.get(entries, []), [p["Prefix"] for p in page.get("CommonPrefixes", [])]

    def _entry(self, bucket: str, e: dict[str, Any], region: str | None, versions: bool, sel: Selection) -> Listing:
        etag = str(e.get("ETag", "")).strip('"') or None
        version_id = e.get("VersionId") if versions else None
        storage_class = e.get("StorageClass") or "STANDARD"
        ref = ObjectRef(
            uri=f"s3://{bucket}/{e['Key']}",
            size=e.get("Size"),
            modified=e.get("LastModified"),  # botocore parses it timezone-aware UTC
            version=version_id if version_id and version_id != "null" else etag,
            region=region,
            storage_class=storage_class,
            extra={"bucket": bucket, "key": e["Key"], "version_id": version_id, "etag": etag},
        )
        if storage_class in ARCHIVED:
            yield Skipped(ref, f"archived storage class {storage_class}: restore it before scanning")
        elif sel.too_large(ref.size):
            yield Skipped(ref, f"larger than --max-object-size ({sel.max_object_size} bytes)")
        else:
            yield ref

    def bucket_region(self, bucket: str) -> str | None:
        # the first request to a bucket, with fewer attempts: one that cannot be reached at all is
        # named within seconds, not after a minute of silent retries
        reach = self._client(replace(self.options, max_attempts=min(self.options.max_attempts, REACH_ATTEMPTS)))
        try:
            loc = reach.get_bucket_location(Bucket=bucket).get("LocationConstraint")
            return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)
        except ClientError as exc:
            if _code(exc) in ("NoSuchBucket", "404"):
                raise SourceError(f"s3://{bucket}: no such bucket") from None
            # no s3:GetBucketLocation permission: the listing's response header still says
            headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return headers.get("x-amz-bucket-region")
        except NoCredentialsError:
            raise SourceError(f"s3://{bucket}: {NO_CREDENTIALS}") from None
        except BotoCoreError as exc:
            raise SourceError(f"s3://{bucket}: cannot be reached: {type(exc).__name__}") from None

    def open(self, ref: ObjectRef) -> IO[bytes]:
        extra = ref.extra
        args: dict[str, Any] = {"Bucket": extra["bucket"], "Key": extra["key"]}
        if extra.get("version_id"):
            args["VersionId"] = extra["version_id"]
        elif extra.get("etag"):
            args["IfMatch"] = f'"{extra["etag"]}"'  # read exactly what was listed, not a newer write
        try:
            return self.client.get_object(**args)["Body"]  # a streaming body, read as the scanner goes
        except ClientError as exc:
            raise read_error(exc) from None
