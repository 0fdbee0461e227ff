"""Google Cloud Storage: `gs://bucket/prefix`, on google-cloud-storage.

Listing is the JSON API's objects.list, page by page (the first object is scanned before the
listing ends), the prefixes at the source's top level (delimiter `/`) listed at once on
`list_threads` threads; globs and the size limit apply before any byte is read. Objects are read with
`blob.open("rb")`: ranged reads of CHUNK bytes, pinned to the listed generation. Credentials
come only from Google's application default credentials (or none with `anonymous`, for public
buckets); `STORAGE_EMULATOR_HOST` points the client at an emulator. Retries: the library's
DEFAULT_RETRY predicate (429, 5xx, connection resets), with a shorter first delay, until the
backoff of `max_attempts` attempts runs out (10: about two minutes), so a long scan rides out a
few minutes of trouble and an object that keeps failing is given up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

import google.auth
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from piiscan.connectors.base import BucketConnector, Listing, Page, Selection, Skipped, SourceError
from piiscan.connectors.options import GcsOptions
from piiscan.model import ObjectRef

#: ARCHIVE objects are online, but every byte read is billed as a retrieval: not read by default
ARCHIVED = frozenset({"ARCHIVE"})
CHUNK = 4 * 1024 * 1024  # bytes per ranged read: bounds memory per object in flight
RETRY = DEFAULT_RETRY.with_delay(initial=0.25, maximum=30.0, multiplier=2.0).with_timeout(300.0)
#: the first request to a bucket (its location) is retried this long at most: a bucket that cannot
#: be reached at all (no network, no emulator) is named within seconds, not after minutes of silence
REACH = RETRY.with_timeout(8.0)
NO_CREDENTIALS = (
    "no Google credentials found: set up application default credentials (`gcloud auth application-default "
    "login`, or GOOGLE_APPLICATION_CREDENTIALS naming a key file), or give --anonymous for a public bucket"
)


def retry_for(attempts: int) -> object:
    """RETRY bounded by the delays of `attempts` attempts (0.25 s doubling, at most 30 s each).

    >>> round(retry_for(3)._timeout, 2)
    1.75
    """
    return RETRY.with_timeout(sum(min(0.25 * 2**i, 30.0) for i in range(attempts)))


def split_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/a/b` -> (`bucket`, `a/b`)."""
    rest = uri.partition("://")[2]
    bucket, _, name = rest.partition("/")
    if not bucket:
        raise SourceError(f"{uri}: no bucket name (use gs://bucket/prefix)")
    return bucket, name


def make_client(options: GcsOptions) -> storage.Client:
    if options.anonymous:
        return storage.Client.create_anonymous_client()
    return storage.Client(project=options.project)


def describe(exc: BaseException) -> str:
    """What went wrong by status class only: API messages can echo request parameters."""
    code = getattr(exc, "code", None)
    return f"GCS request failed: {type(exc).__name__}" + (f" (HTTP {code})" if code else "")


def unreachable(exc: BaseException) -> str:
    """Why a bucket cannot be reached: the last error behind the retries, by type (and status)."""
    cause = getattr(exc, "cause", None) if isinstance(exc, gexc.RetryError) else exc
    code = getattr(cause, "code", None)
    return f"cannot be reached: {type(cause or exc).__name__}" + (f" (HTTP {code})" if code else "")


class GcsConnector(BucketConnector):
    scheme = "gs"
    options_type = GcsOptions
    options: GcsOptions

    def make_client(self) -> storage.Client:
        return make_client(self.options)

    @property
    def retry(self) -> object:
        return retry_for(self.options.max_attempts)

    def check(self, uri: str) -> None:
        if self.options.anonymous or os.environ.get("STORAGE_EMULATOR_HOST"):
            return
        try:
            google.auth.default()
        except auth_exc.DefaultCredentialsError:
            raise SourceError(f"{uri}: {NO_CREDENTIALS}") from None

    def list(self, uri: str, selection: Selection) -> Listing:
        bucket, prefix = split_uri(uri)
        region = self.region(bucket)
        try:
            for blob in self.entries(bucket, prefix):
                relative = blob.name[len(prefix) :].lstrip("/") or blob.name.rsplit("/", 1)[-1]
                if blob.name.endswith("/") or not selection.wants(relative):
                    continue
                ref = ObjectRef(
                    uri=f"gs://{bucket}/{blob.name}",
                    size=blob.size,
                    modified=blob.updated,  # timezone-aware UTC
                    version=str(blob.generation) if blob.generation is not None else None,
                    region=region,
                    storage_class=blob.storage_class,
                    extra={"bucket": bucket, "name": blob.name, "generation": blob.generation},
                )
                if blob.storage_class in ARCHIVED:
                    yield Skipped(ref, f"storage class {blob.storage_class}: reading is billed as retrieval, not read")
                elif selection.too_large(ref.size):
                    yield Skipped(ref, f"larger than --max-object-size ({selection.max_object_size} bytes)")
                else:
                    yield ref
        except gexc.NotFound:
            raise SourceError(f"{uri}: no such bucket") from None
        except gexc.GoogleAPIError as exc:
            raise SourceError(f"{uri}: {describe(exc)}") from None

    def pages(self, bucket: str, prefix: str, delimiter: str | None = None) -> Iterator[Page[Any]]:
        """objects.list pages: their blobs and, with a delimiter, the prefixes they name."""
        listing = self.client.list_blobs(
            bucket,
            prefix=prefix or None,
            delimiter=delimiter,
            versions=self.options.versions,
            page_size=self.options.page_size,
            retry=self.retry,
        )
        for page in listing.pages:
            yield list(page), sorted(page.prefixes)

    def bucket_region(self, bucket: str) -> str | None:
        """The bucket's location (`EUROPE-WEST4`, `EU`…)."""
        try:
            return self.client.get_bucket(bucket, retry=REACH).location
        except gexc.NotFound:
            raise SourceError(f"gs://{bucket}: no such bucket") from None
        except gexc.Forbidden:
            return None  # listing may still be allowed without storage.buckets.get
        except auth_exc.DefaultCredentialsError:
            raise SourceError(f"gs://{bucket}: {NO_CREDENTIALS}") from None
        except (gexc.GoogleAPIError, auth_exc.GoogleAuthError, OSError) as exc:
            raise SourceError(f"gs://{bucket}: {unreachable(exc)}") from None

    def open(self, ref: ObjectRef) -> IO[bytes]:
        extra = ref.extra
        blob = self.client.bucket(extra["bucket"]).blob(extra["name"], generation=extra.get("generation"))
        try:
            return blob.open("rb", chunk_size=CHUNK, retry=self.retry)
        except gexc.Forbidden as exc:
            raise PermissionError(describe(exc) + " (access denied: check IAM and the KMS key)") from None
        except gexc.GoogleAPIError as exc:
            raise OSError(describe(exc)) from None
