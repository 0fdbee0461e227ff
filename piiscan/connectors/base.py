"""What a connector is: it knows where data lives, and nothing about formats.

A connector lists the objects under a source URI (with size, modified time, version, region),
applying the selection before any byte is read, and opens one object as a byte stream. Sources
whose objects are not byte streams (a database table) override `read` to yield events directly.
"""

from __future__ import annotations

import fnmatch
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, ClassVar, Generic, TypeVar

from piiscan.connectors.options import BucketOptions, ConnectorOptions
from piiscan.model import Events, ObjectRef


@dataclass(frozen=True)
class Selection:
    """Which objects a scan reads: globs on the object's path, and a size limit."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    max_object_size: int | None = None

    def wants(self, path: str) -> bool:
        """`path` is relative to the source URI; a glob may match it or its basename."""
        name = path.rsplit("/", 1)[-1]

        def hit(globs: Sequence[str]) -> bool:
            return any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g) for g in globs)

        return (not self.include or hit(self.include)) and not hit(self.exclude)

    def too_large(self, size: int | None) -> bool:
        return self.max_object_size is not None and size is not None and size > self.max_object_size


@dataclass(frozen=True)
class Skipped:
    """A listed object that will not be read, and why (written as a `skipped` objects row)."""

    ref: ObjectRef
    reason: str


@dataclass(frozen=True)
class ListFailure:
    """A part of a source that could not be listed (an `errors` row at stage `list`)."""

    uri: str
    error: str
    message: str
    #: the whole source failed (missing bucket, access denied): the scan exits with SOURCE
    fatal: bool = True


_T = TypeVar("_T")
#: a page of a listing split by prefix: its entries, and the prefixes it names (listed apart)
Page = tuple[Sequence[_T], Sequence[str]]

Listing = Iterator[ObjectRef | Skipped | ListFailure]


class SourceError(Exception):
    """A source URI that cannot be used at all; the message is shown to the user as is."""


class Connector:
    """Base of the connectors, registered by URI scheme as `piiscan.connectors` entry points."""

    scheme: ClassVar[str]
    #: the options this connector takes (`piiscan.connectors.options`); none given: its defaults
    options_type: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    #: objects read at once per worker by default (remote stores: overlap the round trips)
    default_io_threads: ClassVar[int] = 1

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        if options is not None and not isinstance(options, self.options_type):
            raise TypeError(f"{type(self).__name__} takes {self.options_type.__name__}, not {type(options).__name__}")
        self.options = options if options is not None else self.options_type()

    def list(self, uri: str, selection: Selection) -> Listing:
        raise NotImplementedError

    def open(self, ref: ObjectRef) -> IO[bytes]:
        raise NotImplementedError

    def check(self, uri: str) -> None:
        """Raise SourceError when `uri` certainly cannot be read (no credentials at all): asked
        before a scan writes anything, so such a run leaves nothing behind. Nothing to check by default."""

    def read(self, ref: ObjectRef) -> Events | None:
        """Events for objects that are not byte streams (a table's `TableRows`); None (the default): use `open`."""
        return None

    def identify(self, ref: ObjectRef) -> ObjectRef:
        """`ref` with the version `--since` compares, where listing does not give it cheaply
        (a table's row count and newest change, asked just before it is read); as is by default."""
        return ref

    @property
    def lists_versions(self) -> bool:
        """The listing may hold several versions of one URI (objects differ by `version` too)."""
        return False

    def close(self) -> None:
        """Release clients and connections (called once per worker at the end)."""


class PerThread(Generic[_T]):
    """One `make()` per thread, made on first use: SDK clients are cheap, sharing them is not."""

    def __init__(self, make: Callable[[], _T]) -> None:
        self._make = make
        self._local = threading.local()

    def get(self) -> _T:
        value = getattr(self._local, "value", None)
        if value is None:
            value = self._local.value = self._make()
        return value

    def clear(self) -> None:
        self._local = threading.local()


class BucketConnector(Connector):
    """An object store's buckets: one SDK client per thread, each bucket's region asked once."""

    default_io_threads = 8

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        super().__init__(options)
        self._clients = PerThread(self.make_client)
        self._regions: dict[str, str | None] = {}

    @property
    def client(self) -> Any:
        return self._clients.get()

    def make_client(self) -> Any:
        raise NotImplementedError

    def region(self, bucket: str) -> str | None:
        """The bucket's region (data-residency checks use it); None when we may not ask."""
        if bucket not in self._regions:
            self._regions[bucket] = self.bucket_region(bucket)
        return self._regions[bucket]

    @property
    def lists_versions(self) -> bool:
        return isinstance(self.options, BucketOptions) and self.options.versions

    def bucket_region(self, bucket: str) -> str | None:
        """Ask the store; raise SourceError when the bucket does not exist or cannot be reached."""
        raise NotImplementedError

    def pages(self, bucket: str, prefix: str, delimiter: str | None = None) -> Iterator[Page[Any]]:
        """The store's listing of `prefix`, page by page: its entries and, with a delimiter, the
        prefixes it names."""
        raise NotImplementedError

    def entries(self, bucket: str, prefix: str) -> Iterator[Any]:
        """Every entry under `prefix`; with `list_threads` > 1 the prefixes at the source's level
        (delimiter `/`) are listed at once, a thread each, in no particular order (`by_prefix`)."""
        threads = self.options.list_threads if isinstance(self.options, BucketOptions) else 1
        if threads <= 1:
            return (entry for entries, _ in self.pages(bucket, prefix) for entry in entries)

        def under(below: str) -> Iterator[Sequence[Any]]:
            return (entries for entries, _ in self.pages(bucket, below))

        return by_prefix(self._level(bucket, prefix), under, threads)

    def _level(self, bucket: str, prefix: str) -> Iterator[Page[Any]]:
        """The delimited pages of the source's level: `s3://b/logs` names the folder `logs/`, whose
        own prefixes are then the ones listed apart."""
        folder = prefix + "/" if prefix and not prefix.endswith("/") else None
        for entries, prefixes in self.pages(bucket, prefix, delimiter="/"):
            yield entries, [p for p in prefixes if p != folder]
            if folder in prefixes:
                yield from self.pages(bucket, folder, delimiter="/")

    def close(self) -> None:
        self._clients.clear()


_END = object()


def by_prefix(
    top: Iterable[Page[_T]], pages_under: Callable[[str], Iterable[Sequence[_T]]], threads: int
) -> Iterator[_T]:
    """A listing split by prefix: the entries of `top` (a delimited listing's pages: the entries at
    its level and the prefixes below it), then, as they come, those of every prefix it names, each
    paged by `pages_under` on one of `threads` threads at once.

    In no particular order. Memory stays bounded: at most two pages per thread wait to be taken.
    An exception raised by `pages_under` is raised here; closing the iterator stops the threads.
    """
    pages: queue.Queue[object] = queue.Queue(maxsize=2 * threads)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def walk(prefix: str) -> None:
        try:
            for page in pages_under(prefix):
                if stop.is_set():
                    return
                put(page)
        except Exception as exc:  # raised where the listing is read
            put(exc)
        finally:
            put(_END)

    def taken(item: object) -> Sequence[_T]:
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[return-value]

    walking = 0
    pool = ThreadPoolExecutor(threads, thread_name_prefix="piiscan-list")
    try:
        for entries, prefixes in top:
            yield from entries
            for prefix in prefixes:
                pool.submit(walk, prefix)
                walking += 1
            while not pages.empty():  # the walkers wait while their pages are not taken
                item = pages.get()
                if item is _END:
                    walking -= 1
                else:
                    yield from taken(item)
        while walking:
            item = pages.get()
            if item is _END:
                walking -= 1
            else:
                yield from taken(item)
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
