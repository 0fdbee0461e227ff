"""PostgreSQL (psycopg 3): every table and (materialised) view is an object, every row a record.

`postgresql://[user@]host[:port]/db[/schema.table][?schema=S&table=T&<libpq params>]` — the
connection is made the libpq way (URI, `PG*` environment, `.pgpass`, `sslmode`); `schema` and
`table` (repeatable, comma-separated) narrow the discovery and are not passed to libpq. Objects
are named `postgresql://host:port/db/schema.table` (no user, never a password; a Unix socket
folder is percent-encoded as the host; a dot inside a name is written `%2E`).

Rows stream through a server-side cursor in batches, inside a read-only transaction, with a
statement and a lock timeout; every identifier is quoted by `psycopg.sql.Identifier`. Text-like
columns (text, varchar, char, citext, enum, inet, xml), json/jsonb (one field per JSON path:
`profile$.contact.email`), arrays of those (`tags[0]`) and the integer columns wide enough for a
BSN or card number (integer, bigint, numeric) are scanned; bytea and PostGIS columns are
reported as skipped members of the table. A row is located by its 0-based position in the
stream (`record`) and its primary key as JSON (`row_key`, `{"ctid": "(0,7)"}` without one);
a key value that is itself personal data is masked.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from piiscan.connectors.base import Connector, Listing, Selection, Skipped, SourceError
from piiscan.extract.base import ExtractError
from piiscan.extract.cells import CellPacker
from piiscan.extract.jsondoc import flatten
from piiscan.limits import DEFAULT_LIMITS
from piiscan.model import ContentType, Events, Locator, Member, ObjectRef, Record, TextUnit
from piiscan.redact import safe_message

MIME = "application/x-postgresql-table"
BATCH_ROWS = 2000
DEFAULT_STATEMENT_TIMEOUT = "5min"  # one FETCH of a batch; a plan that slow is not worth waiting for
DEFAULT_LOCK_TIMEOUT = "5s"  # never queue behind DDL: a waiting lock would hold up writers behind us
SMALL_KEY = 10_000_000  # integer keys below this (7 digits) cannot be a BSN, card or phone number
SAMPLE_SEED = 0  # REPEATABLE: the same database gives the same sample twice
_NUMBER_TYPES = {"int4", "int8", "numeric"}  # int2 (max 32767) cannot hold a BSN or a card number
_FLOAT_TYPES = {"float4", "float8"}  # read only for record detectors (latitude/longitude fields)
_SCALAR = {"text", "number", "float"}  # read as one value (text and number columns as text)
_TIME_TYPES = {"timestamp", "timestamptz", "date"}
_SKIP_TYPES = {
    "bytea": "bytea column: binary values are not scanned",
    "geometry": "PostGIS geometry column: not scanned",
    "geography": "PostGIS geography column: not scanned",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_COLUMNS = """
SELECT a.attname, t.typname, t.typcategory, e.typname, e.typcategory
FROM pg_attribute a
JOIN pg_type d ON d.oid = a.atttypid
JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END
LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.n
"""
_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples,
       CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_total_relation_size(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND (cardinality(%(schemas)s::text[]) = 0 OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY n.nspname, c.relname
"""


@dataclass(frozen=True)
class Source:
    """A source URI split into what libpq gets and what piiscan's selection gets."""

    conninfo: str  # the URI for libpq, without piiscan's own parameters (may hold a password)
    schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()  # "table" or "schema.table"


def parse_source(uri: str) -> Source:
    """Split `?schema=`/`?table=` and a `/db/schema.table` path off the libpq URI.

    >>> s = parse_source("postgresql://u@h:5433/shop/public.klant%2Egegevens?table=orders&sslmode=require")
    >>> s.conninfo, s.tables
    ('postgresql://u@h:5433/shop?sslmode=require', ('orders', 'public.klant.gegevens'))
    """
    parts = urlsplit(uri)
    schemas: list[str] = []
    tables: list[str] = []
    rest: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "schema":
            schemas.extend(v for v in value.split(",") if v)
        elif name == "table":
            tables.extend(v for v in value.split(",") if v)
        else:
            rest.append((name, value))
    segments = parts.path.split("/")  # "", db, "schema.table"
    path = "/" + segments[1] if len(segments) > 1 and segments[1] else ""
    if len(segments) > 2 and segments[2]:
        schema, dot, table = segments[2].partition(".")
        tables.append(f"{unquote(schema)}.{unquote(table)}" if dot else unquote(schema))
    conninfo = urlunsplit((parts.scheme, parts.netloc, path, urlencode(rest), ""))
    return Source(conninfo, tuple(schemas), tuple(tables))


def object_uri(host: str, port: int | str, dbname: str, schema: str, table: str) -> str:
    """`postgresql://host:port/db/schema.table`, each part percent-encoded (dots in names too).

    >>> object_uri("/tmp/pg", 5432, "shop", "public", "Klant Gegevens")
    'postgresql://%2Ftmp%2Fpg:5432/shop/public.Klant%20Gegevens'
    """

    def enc(s: str) -> str:
        return quote(s, safe="").replace(".", "%2E")

    host_part = quote(host, safe="") if host.startswith("/") else (f"[{host}]" if ":" in host else host)
    return f"postgresql://{host_part}:{port}/{enc(dbname)}/{enc(schema)}.{enc(table)}"


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # text | number | json | float | array:<element kind>
    select: sql.Composable


def _kind(typname: str, category: str, elem: str | None, elem_category: str | None) -> tuple[str | None, str | None]:
    """(kind, skip reason) of a column type: what to read, or why not; (None, None): not read."""
    if category == "A" and elem is not None:
        kind, reason = _kind(elem, elem_category or "", None, None)
        if reason:
            return None, f"array of {reason}"
        return (f"array:{kind}", None) if kind in ("text", "number", "json") else (None, None)
    if typname in _SKIP_TYPES:
        return None, _SKIP_TYPES[typname]
    if typname in ("json", "jsonb"):
        return "json", None
    if category in ("S", "E", "I") or typname == "xml":  # strings (citext too), enums, inet/cidr
        return "text", None
    if typname in _NUMBER_TYPES:
        return "number", None
    if typname in _FLOAT_TYPES:
        return "float", None
    return None, None


def _select(name: str, kind: str) -> sql.Composable:
    col = sql.Identifier(name)
    if kind in ("text", "number"):
        return sql.SQL("{}::text").format(col)  # one representation for enums, inet, numeric…
    if kind in ("array:text", "array:number"):
        return sql.SQL("{}::text[]").format(col)
    return col


def _cells(column: _Column, value: Any) -> Iterator[tuple[str, Any]]:
    """(field, scalar) for one column value: JSON paths after `$`, array elements as `[i]`."""
    kind = column.kind
    if kind in ("text", "number", "float"):
        yield column.name, value
    elif kind == "json":
        yield from flatten(value, column.name + "$")
    elif kind == "array:json":
        for i, element in enumerate(value):
            yield from flatten(element, f"{column.name}[{i}]$")
    else:
        yield from flatten(value, column.name)


def _utc(epoch: Decimal | None) -> datetime | None:
    if epoch is None or not epoch.is_finite():
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(epoch * 1_000_000))
    except OverflowError:
        return None


def _json_default(value: Any) -> Any:
    return str(value)  # Decimal, uuid, dates…: their text form


class PostgresConnector(Connector):
    """Options (from the CLI, picklable): sample_rows, sample_percent, timestamp_columns,
    statement_timeout, lock_timeout, batch_rows, entities and min_score (for masking row keys)."""

    scheme = "postgresql"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._connections: dict[str, psycopg.Connection[Any]] = {}
        self._engine: Any = None

    # -- connections -----------------------------------------------------------------------

    def _connect(self, conninfo: str) -> psycopg.Connection[Any]:
        conn = self._connections.get(conninfo)
        if conn is not None and not conn.closed:
            return conn
        timeout = (
            {} if "connect_timeout" in conninfo or os.environ.get("PGCONNECT_TIMEOUT") else {"connect_timeout": 10}
        )
        conn = psycopg.connect(conninfo, autocommit=True, **timeout)
        settings = {
            "statement_timeout": str(self.options.get("statement_timeout") or DEFAULT_STATEMENT_TIMEOUT),
            "lock_timeout": str(self.options.get("lock_timeout") or DEFAULT_LOCK_TIMEOUT),
            "default_transaction_read_only": "on",
            "TimeZone": "UTC",
            "application_name": "piiscan",
        }
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))
        conn.autocommit = False
        conn.read_only = True  # every transaction: BEGIN READ ONLY
        self._connections[conninfo] = conn
        return conn

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    # -- listing ---------------------------------------------------------------------------

    def list(self, uri: str, selection: Selection) -> Listing:
        source = parse_source(uri)
        try:
            conn = self._connect(source.conninfo)
            with conn.transaction():
                relations = conn.execute(_RELATIONS, {"schemas": list(source.schemas)}).fetchall()
            info = conn.info
            host, port, dbname = info.host, info.port, info.dbname
        except psycopg.Error as exc:
            # the message never quotes the URI: it may hold a password
            raise SourceError(f"cannot read the PostgreSQL catalog: {safe_message(exc)}") from None
        for oid, schema, table, relkind, reltuples, size in relations:
            name = f"{schema}.{table}"
            if source.tables and name not in source.tables and table not in source.tables:
                continue
            if not selection.wants(name):
                continue
            ref = ObjectRef(
                uri=object_uri(host, port, dbname, schema, table),
                size=size,
                extra={
                    "conninfo": source.conninfo,
                    "oid": oid,
                    "schema": schema,
                    "table": table,
                    "relkind": relkind,
                    "rows_estimate": reltuples,
                },
            )
            if selection.too_large(size):
                yield Skipped(ref, f"larger than --max-object-size ({selection.max_object_size} bytes)")
            else:
                yield ref

    def identify(self, ref: ObjectRef) -> ObjectRef:
        """A table's version for --since: its row count and newest xmin (the last transaction
        that wrote a row), so an insert, update or delete changes it. Views have none."""
        x = ref.extra
        if ref.version is not None or x.get("relkind") not in ("r", "p", "m"):
            return ref
        query = sql.SQL("SELECT count(*), max(xmin::text::bigint) FROM {}").format(
            sql.Identifier(x["schema"], x["table"])
        )
        conn = self._connect(x["conninfo"])
        try:
            with conn.transaction():
                rows, newest = conn.execute(query).fetchone() or (0, None)
        except psycopg.Error:
            return ref  # no version: the table is read (and a denied SELECT fails there, as a row)
        return replace(ref, version=f"rows={rows};xmin={newest}")

    # -- reading ---------------------------------------------------------------------------

    def read(self, ref: ObjectRef) -> Events:
        """Declare the cursor now (so a denied SELECT fails at stage `read`), stream rows later."""
        x = ref.extra
        if "conninfo" not in x:
            raise SourceError("not a listed PostgreSQL table")
        conn = self._connect(x["conninfo"])
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        try:
            plan = self._plan(conn, x)
            cursor = conn.cursor(name="piiscan_rows")
            cursor.execute(plan.query)
        except BaseException:
            conn.rollback()
            raise
        return self._rows(conn, cursor, plan)

    def _plan(self, conn: psycopg.Connection[Any], x: Mapping[str, Any]) -> _Plan:
        oid, relkind = x["oid"], x["relkind"]
        columns: list[_Column] = []
        skipped: list[tuple[str, str]] = []
        timestamp_candidates: set[str] = set()
        types: dict[str, str] = {}
        for name, typname, category, elem, elem_category in conn.execute(_COLUMNS, (oid,)).fetchall():
            types[name] = typname
            if typname in _TIME_TYPES:
                timestamp_candidates.add(name)
            kind, reason = _kind(typname, category, elem, elem_category)
            if reason:
                skipped.append((name, reason))
            elif kind:
                columns.append(_Column(name, kind, _select(name, kind)))
        keys = [r[0] for r in conn.execute(_PRIMARY_KEY, (oid,)).fetchall()]
        timestamp = self._timestamp_column(f"{x['schema']}.{x['table']}", x["table"], timestamp_candidates, types)

        selected: list[sql.Composable] = [sql.Identifier(k) for k in keys]
        if not keys and relkind != "v":
            selected.append(sql.SQL("ctid::text"))
        if timestamp:
            selected.append(sql.SQL("extract(epoch FROM {})::numeric").format(sql.Identifier(timestamp)))
        selected.extend(c.select for c in columns)
        relation = sql.Identifier(x["schema"], x["table"])
        sample_sql, note = self._sample(relkind, x.get("rows_estimate"))
        query = sql.SQL("SELECT {} FROM {} {}").format(sql.SQL(", ").join(selected), relation, sample_sql)
        key_kinds = {c.name: c.kind for c in columns}
        return _Plan(
            query=query,
            columns=columns,
            skipped=skipped,
            keys=keys or (["ctid"] if relkind != "v" else []),
            maskable_keys=[i for i, k in enumerate(keys) if key_kinds.get(k) in ("text", "number")],
            timestamp=timestamp is not None,
            note=note,
        )

    def _timestamp_column(
        self, qualified: str, table: str, candidates: set[str], types: Mapping[str, str]
    ) -> str | None:
        """The first `--timestamp-column` rule (`column` or `table-glob=column`) for this table."""
        for rule in self.options.get("timestamp_columns") or ():
            glob, sep, column = rule.rpartition("=")
            if sep and not (fnmatch.fnmatchcase(qualified, glob) or fnmatch.fnmatchcase(table, glob)):
                continue
            if column in candidates:
                return column
            if sep:  # a rule naming this table explicitly must hold: retention depends on it
                what = "has no such column" if column not in types else "is not a timestamp or date column"
                raise ExtractError(f"--timestamp-column {glob}={column}: the table {what}")
        return None

    def _sample(self, relkind: str, estimate: float | None) -> tuple[sql.Composable, str | None]:
        rows, percent = self.options.get("sample_rows"), self.options.get("sample_percent")
        seed = sql.Literal(SAMPLE_SEED)
        if percent is not None:
            p = float(percent)
            if relkind == "v":  # TABLESAMPLE needs a stored relation
                return sql.SQL("WHERE random() < {}").format(sql.Literal(p / 100)), f"sampled: about {p:g}% of rows"
            how = sql.SQL("TABLESAMPLE SYSTEM ({}) REPEATABLE ({})").format(sql.Literal(p), seed)
            return how, f"sampled: about {p:g}% of rows (TABLESAMPLE SYSTEM)"
        if rows is not None:
            n = int(rows)
            limit = sql.SQL("LIMIT {}").format(sql.Literal(n))
            if relkind != "v" and estimate and estimate > n:
                p = min(100.0, 100.0 * n / estimate * 1.2)  # a little over: LIMIT trims the surplus
                how = sql.SQL("TABLESAMPLE BERNOULLI ({}) REPEATABLE ({}) {}").format(sql.Literal(p), seed, limit)
                return how, f"sampled: at most {n} rows (TABLESAMPLE BERNOULLI {p:.4g}%)"
            return limit, f"sampled: at most {n} rows (the first in storage order)"
        return sql.SQL(""), None

    def _rows(self, conn: psycopg.Connection[Any], cursor: psycopg.ServerCursor[Any], plan: _Plan) -> Events:
        try:
            yield ContentType(MIME, reason=plan.note)
            for name, reason in plan.skipped:
                yield Member(name=name, open=lambda: io.BytesIO(b""), skip_reason=reason)
            packer = CellPacker(DEFAULT_LIMITS.chunk_chars)
            n_keys = len(plan.keys)
            offset = n_keys + plan.timestamp
            record = 0
            batch_rows = int(self.options.get("batch_rows") or BATCH_ROWS)
            while batch := cursor.fetchmany(batch_rows):
                row_keys = self._row_keys(plan, batch)
                for i, row in enumerate(batch):
                    locator = Locator(
                        record=record + i,
                        row_key=row_keys[i],
                        modified=_utc(row[n_keys]) if plan.timestamp else None,
                    )
                    # every row is also a Record: record detectors (lat/lon fields) read across columns
                    fields: dict[str, Any] = {}
                    text_fields: list[str] = []
                    cells: list[str] = []
                    for column, value in zip(plan.columns, row[offset:], strict=False):
                        if value is None:
                            continue
                        if column.kind in _SCALAR:
                            fields[column.name] = value
                            if column.kind != "float":
                                text_fields.append(column.name)
                                cells.append(value)
                            continue
                        for f, v in _cells(column, value):
                            fields[f] = v
                            if not isinstance(v, float):  # a float holds no identifier as text
                                text_fields.append(f)
                                cells.append(str(v))
                    if fields:
                        yield Record(fields, locator)
                    if cells:
                        unit = packer.add(locator, text_fields, cells)
                        if unit is not None:
                            yield unit
                record += len(batch)
            unit = packer.flush()
            if unit is not None:
                yield unit
        finally:
            cursor.close()
            conn.rollback()

    # -- row keys --------------------------------------------------------------------------

    def _key_engine(self) -> Any:
        """An engine over the scan's detectors, to tell which key values are personal data."""
        if self._engine is None:
            from piiscan.detectors import load_detectors
            from piiscan.engine import Engine

            entities = self.options.get("entities")
            # the key is never used to hash here: only masks leave this engine
            self._engine = Engine(
                load_detectors(entities),
                b"row-key-mask",
                min_score=float(self.options.get("min_score", 0.5)),
            )
        return self._engine

    def _row_keys(self, plan: _Plan, batch: Sequence[tuple[Any, ...]]) -> list[str | None]:
        if not plan.keys:
            return [None] * len(batch)
        n = len(plan.keys)
        keys = [list(row[:n]) for row in batch]
        for k in plan.maskable_keys:
            self._mask_column(plan.keys[k], [row[k] for row in keys], keys, k)
        return [
            json.dumps(dict(zip(plan.keys, row, strict=True)), default=_json_default, ensure_ascii=False)
            for row in keys
        ]

    def _mask_column(self, name: str, values: list[Any], keys: list[list[Any]], k: int) -> None:
        """Replace each key value holding a finding by the value with the finding masked."""
        if all(type(v) is int and -SMALL_KEY < v < SMALL_KEY for v in values):
            return  # serial ids: too short for any identifier, and no engine is built for them
        texts = ["" if v is None else str(v) for v in values]
        starts: list[int] = []
        pos = 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + 1
        unit = TextUnit("\n".join(texts), locator=Locator(field=name), context=name)
        masked: dict[int, str] = {}
        for f in reversed(self._key_engine().scan(unit)):  # from the end: earlier offsets stay valid
            i = _bisect(starts, f.start)
            text = masked.get(i, texts[i])
            s, e = f.start - starts[i], f.end - starts[i]
            masked[i] = text[:s] + f.masked + text[e:]
        for i, text in masked.items():
            keys[i][k] = text


@dataclass(frozen=True)
class _Plan:
    query: sql.Composable
    columns: list[_Column]
    skipped: list[tuple[str, str]]
    keys: list[str]  # primary key column names, ["ctid"], or [] (views)
    maskable_keys: list[int]  # positions in `keys` of columns that can hold personal data
    timestamp: bool
    note: str | None


def _bisect(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1
