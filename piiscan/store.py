"""Where scan directories live: a local folder, `s3://bucket/prefix` or `gs://bucket/prefix`.

One `Store` per scan directory (or per folder of scan directories), on pyarrow.fs for all three,
so the writer and every tool speak one interface and Parquet is read in place: a dataset over a
bucket's parts fetches the footer and the projected columns' pages of one row group after another
with ranged reads, never a whole part (benchmarks/store.py compares this with fsspec's s3fs and
gcsfs: pyarrow.fs imports in a fraction of the time, fetches only the columns it reads, and adds
no dependency; see the README).

Every write is whole or invisible: a local file is written under a temporary name and renamed;
an object is one upload, which S3 and GCS show only once it is complete. Writing the same name
again replaces it atomically (the manifest is rewritten this way). A write the store refuses (a
full disk, a file size limit, a bucket policy) raises `OutputError`, one line naming the file and
the cause.

A `Store` pickles as its URI and `StoreOptions` and opens its filesystem again where it is
unpickled, so a worker process builds the same store from that small description. Credentials
come from the platforms' own chains, as for the connectors: the AWS SDK's (environment,
AWS_PROFILE and the shared config files, web identity, instance and container roles) and Google's
application default credentials. The S3 endpoint is `endpoint_url`, else $AWS_ENDPOINT_URL_S3 or
$AWS_ENDPOINT_URL; $STORAGE_EMULATOR_HOST points GCS at an emulator, unauthenticated, as
google-cloud-storage does.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from piiscan.redact import safe_message

if TYPE_CHECKING:
    import pyarrow.dataset as ds

#: attempts per S3 request (the SDK's standard backoff with jitter), as the S3 connector allows
S3_ATTEMPTS = 10
#: how long a GCS request is retried (429, 5xx, resets) before it fails, as the GCS connector
GCS_RETRY_LIMIT = timedelta(seconds=300)
BUCKET_SCHEMES = ("s3", "gs")
#: the first look at a scan directory in a bucket (`scan --out`): S3 attempts, GCS retry time
REACH_ATTEMPTS = 4
REACH_LIMIT = timedelta(seconds=8)


class StoreError(Exception):
    """A store URI that cannot be used (no bucket name, unknown scheme)."""


class OutputError(Exception):
    """The store refused a write (a full disk, a file size limit, a bucket policy): one line, named."""


#: what pyarrow says of a refused request (`AWS Error ACCESS_DENIED during PutObject operation`,
#: `Status(PERMISSION_DENIED: …`): the code, without the library's prose
_S3_ERROR = re.compile(r"AWS Error (\w+) during (\w+) operation")
_GCS_ERROR = re.compile(r"Status\((\w+):")


def request_failure(exc: BaseException) -> str | None:
    """What a refused bucket request was (`S3 HeadBucket failed: NETWORK_CONNECTION`), from pyarrow's
    message; None when it is not one."""
    if m := _S3_ERROR.search(str(exc)):
        return f"S3 {m.group(2)} failed: {m.group(1)}"
    if m := _GCS_ERROR.search(str(exc)):
        return f"GCS request failed: {m.group(1)}"
    return None


def write_failure(uri: str, name: str, exc: OSError) -> OutputError:
    """`exc`, met writing `name` under `uri`, as one line that names the cause and not the library's prose."""
    cause = os.strerror(exc.errno) if exc.errno else request_failure(exc) or safe_message(exc)
    return OutputError(f"cannot write {join(uri, name) if name else uri}: {cause}")


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """How to reach a bucket; the same for every process of a scan."""

    #: S3-compatible endpoint (MinIO, Ceph, a test server); None: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS
    endpoint_url: str | None = None
    #: unsigned requests (public buckets)
    anonymous: bool = False


def scheme_of(uri: str) -> str:
    """`s3`, `gs`, or `file` for a file:// URI and a plain path."""
    head, sep, _ = uri.partition("://")
    return head.lower() if sep else "file"


def join(uri: str, *names: str) -> str:
    """`uri` with `names` appended: a URI with `/`, a local path as the platform does."""
    if "://" in uri:
        return "/".join([uri.rstrip("/"), *names])
    return str(Path(uri).joinpath(*names))


class Store:
    """A root folder (or bucket prefix) and the filesystem it is in; names are relative to it."""

    def __init__(
        self, uri: str | os.PathLike[str], options: StoreOptions | None = None, *, fs: pafs.FileSystem | None = None
    ) -> None:
        """`fs`: an open filesystem to share (a store's children use their parent's)."""
        self.uri = str(uri)
        self.options = options or StoreOptions()
        self.root = _root(self.uri)
        self.fs = fs or _filesystem(self.uri, self.root, self.options)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Store, (self.uri, self.options))

    def __repr__(self) -> str:
        return f"Store({self.uri!r})"

    def path(self, name: str = "") -> str:
        """The filesystem path of `name` (as pyarrow.fs wants it: `bucket/prefix/name`)."""
        return posixpath.join(self.root, name) if name else self.root

    def child(self, name: str) -> Store:
        return Store(join(self.uri, name), self.options, fs=self.fs)

    # -- writing ---------------------------------------------------------------------------

    def make_folders(self, names: list[str]) -> None:
        """Create these sub-folders of a local root; buckets have no folders to create."""
        if self.local:
            for name in names:
                try:
                    self.fs.create_dir(self.path(name), recursive=True)
                except OSError as exc:
                    raise write_failure(self.uri, name, exc) from None

    def put(self, name: str, data: bytes | pa.Buffer) -> None:
        """Write `data` as `name`, replacing any earlier `name` atomically."""
        final = self.path(name)
        # an upload appears whole when its stream closes; a local file needs a rename for that
        folder = posixpath.dirname(final)
        target = posixpath.join(folder, f".{uuid.uuid4().hex[:12]}.tmp") if self.local else final
        try:
            if self.local:
                self.fs.create_dir(folder, recursive=True)
            try:
                with self.fs.open_output_stream(target) as stream:
                    stream.write(data)
                if self.local:
                    self.fs.move(target, final)
            except BaseException:
                if self.local and self.fs.get_file_info(target).type == pafs.FileType.File:
                    self.fs.delete_file(target)
                raise
        except OSError as exc:
            raise write_failure(self.uri, name, exc) from None

    def delete(self, name: str) -> None:
        """Remove the file `name` (a part a killed attempt left); one already gone is no error."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.path(name))

    def write_parquet(self, name: str, table: pa.Table) -> None:
        """Write `table` as the Parquet file `name`, atomically (zstd, as every part is)."""
        sink = pa.BufferOutputStream()  # a part is bounded by Limits.part_rows: serialised first, then one upload
        pq.write_table(table, sink, compression="zstd")
        self.put(name, sink.getvalue())

    # -- reading ---------------------------------------------------------------------------

    def get(self, name: str) -> bytes:
        """All bytes of `name` (for small files: the manifest)."""
        with self.fs.open_input_stream(self.path(name)) as stream:
            return stream.read()

    def exists(self, name: str) -> bool:
        """Whether `name` is a file."""
        return self.fs.get_file_info(self.path(name)).type == pafs.FileType.File

    def require_bucket(self) -> None:
        """Raise FileNotFoundError if the root is in a bucket that does not exist."""
        bucket = self.root.split("/", 1)[0]
        if not self.local and self.fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise FileNotFoundError(f"{scheme_of(self.uri)}://{bucket}: no such bucket")

    def is_folder(self) -> bool:
        """Whether the root is a folder: a local one, or a bucket prefix that holds anything."""
        if self.local:
            return self.fs.get_file_info(self.root).type == pafs.FileType.Directory
        return bool(self.entries())

    def entries(self, folder: str = "") -> list[pafs.FileInfo]:
        """What lies directly under `folder` (files and sub-folders), by name; nothing if it is absent."""
        base = self.path(folder)
        if not isinstance(self.fs, pafs.GcsFileSystem):
            info = self.fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
            return sorted(info, key=lambda i: i.base_name)
        # pyarrow's GCS listing names no sub-prefixes unless recursive: they are read off a full one
        children: dict[str, pafs.FileInfo] = {}
        for info in self.fs.get_file_info(pafs.FileSelector(base, allow_not_found=True, recursive=True)):
            head, sep, _ = info.path[len(base) :].lstrip("/").partition("/")
            if not head:
                continue  # a marker object for the folder itself
            children[head] = pafs.FileInfo(f"{base}/{head}", pafs.FileType.Directory) if sep else info
        return [children[name] for name in sorted(children)]

    def files(self, folder: str) -> list[str]:
        """Names (relative to the root) of the files directly under `folder`."""
        return [f"{folder}/{i.base_name}" for i in self.entries(folder) if i.type == pafs.FileType.File]

    def folders(self) -> list[str]:
        """Names of the sub-folders of the root (common prefixes in a bucket)."""
        return [i.base_name for i in self.entries() if i.type == pafs.FileType.Directory]

    def dataset(self, names: list[str], schema: pa.Schema) -> ds.Dataset:
        """A Parquet dataset over the files `names`, read lazily with `schema`."""
        import pyarrow.dataset as ds  # 0.1 s to import: a scan that only writes never needs it

        return ds.dataset([self.path(n) for n in names], schema=schema, format="parquet", filesystem=self.fs)


def _root(uri: str) -> str:
    """The path of `uri` in its filesystem: an absolute local path, or `bucket/prefix`."""
    scheme = scheme_of(uri)
    if scheme == "file":
        return str(Path(unquote(urlsplit(uri).path) if "://" in uri else uri).absolute())
    if scheme not in BUCKET_SCHEMES:
        raise StoreError(f"{uri}: a scan directory is a folder, s3://bucket/prefix or gs://bucket/prefix")
    bucket, _, prefix = uri.partition("://")[2].partition("/")
    if not bucket:
        raise StoreError(f"{uri}: no bucket name (use {scheme}://bucket/prefix)")
    return posixpath.join(bucket, prefix.strip("/")) if prefix.strip("/") else bucket


def first_look(uri: str, options: StoreOptions | None = None) -> Store:
    """A Store for the first look at `uri` (does it hold a scan?), retrying briefly: a bucket that
    cannot be reached at all is named within seconds, not after minutes of retries."""
    options = options or StoreOptions()
    return Store(uri, options, fs=_filesystem(uri, _root(uri), options, brief=True))


def _filesystem(uri: str, root: str, options: StoreOptions, *, brief: bool = False) -> pafs.FileSystem:
    scheme = scheme_of(uri)
    if scheme == "file":
        return pafs.LocalFileSystem()
    if scheme == "s3":
        return _s3(root.split("/", 1)[0], options, REACH_ATTEMPTS if brief else S3_ATTEMPTS)
    return _gcs(options, REACH_LIMIT if brief else GCS_RETRY_LIMIT)


def _s3(bucket: str, options: StoreOptions, attempts: int) -> pafs.S3FileSystem:
    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = None
    if not endpoint and not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        try:  # AWS itself: ask where the bucket is, as boto3's redirects would find out
            region = pafs.resolve_s3_region(bucket)
        except OSError:
            region = None  # left to the SDK's chain; a request then says what is wrong
    return pafs.S3FileSystem(
        endpoint_override=endpoint or None,
        region=region,
        anonymous=options.anonymous,
        connect_timeout=10,
        request_timeout=60,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=attempts),
        # a small file is one PutObject when it is closed; larger ones a multipart upload
        allow_delayed_open=True,
    )


def _gcs(options: StoreOptions, retry_limit: timedelta) -> pafs.GcsFileSystem:
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        parts = urlsplit(emulator if "://" in emulator else f"http://{emulator}")
        return pafs.GcsFileSystem(
            anonymous=True, scheme=parts.scheme, endpoint_override=parts.netloc, retry_time_limit=retry_limit
        )
    return pafs.GcsFileSystem(anonymous=options.anonymous, retry_time_limit=retry_limit)
