"""PostgreSQL (psycopg 3): every table and (materialised) view is an object, every row a record.

`postgresql://[user@]host[:port]/db[/schema.table][?schema=S&table=T&<libpq params>]` — the
connection is made the libpq way (URI, `PG*` environment, `.pgpass`, `sslmode`); `schema` and
`table` (repeatable, comma-separated) narrow the discovery and are not passed to libpq. Objects
are named `postgresql://host:port/db/schema.table` (no user, never a password; a Unix socket
folder is percent-encoded as the host; a dot inside a name is written `%2E`).

Rows stream as Arrow record batches: with the ADBC driver (`adbc-driver-postgresql`, the `adbc`
extra) libpq's binary COPY is read into Arrow in native code; without it (or with
`--postgres-driver psycopg`, for servers that cannot COPY a query) a psycopg server-side cursor's
rows are put into the same Arrow columns. Either way every value is selected as the server writes
it as text (numbers too: leading zeros and precision stay as written; json, jsonb and arrays as
JSON text), floats as float8, integer key columns as int8: the two drivers give the same batches.
Reads run in read-only transactions, with a statement and a lock timeout; every identifier is
quoted by `psycopg.sql.Identifier`; the catalog is read with psycopg. Text-like columns (text,
varchar, char, citext, enum, inet, xml), json/jsonb, arrays of those and the integer columns wide
enough for a BSN or card number (integer, bigint, numeric) are read (float columns too, for record
detectors); bytea and PostGIS columns are reported as skipped members of the table. A table is read
as `TableRows`: its primary key (`ctid` without one; nothing for a view), the `--timestamp-column`
value, the columns; `piiscan.extract.table` makes records or column batches of them.
A listed table whose `ObjectRef.extra` holds `rows` (row keys, as `row_key` gives them) is read
for those rows only (`subject export` reads again exactly the rows of a case).
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib.util
import io
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
import pyarrow as pa
from psycopg import sql

from piiscan.connectors.base import Connector, Listing, Selection, Skipped, SourceError
from piiscan.connectors.options import PostgresOptions
from piiscan.model import Column, ContentType, Events, Member, ObjectRef, TableRows
from piiscan.redact import safe_message, strip_password

MIME = "application/x-postgresql-table"
#: `ObjectRef.extra` key: read only the rows with these keys (dicts of key column -> value)
ROWS_KEY = "rows"
#: how long the next table waits for a server whose connection was lost mid-scan (a restart, a failover)
RECONNECT_SECONDS = 30.0
SAMPLE_SEED = 0  # REPEATABLE: the same database gives the same sample twice
#: key columns read as int8 (a JSON number in `row_key`); other keys are read as text
_INTEGER_TYPES = {"int2", "int4", "int8"}
#: bytes of one Arrow batch from the ADBC driver (it batches by size, not by rows)
ADBC_BATCH_BYTES = 4 << 20
_NUMBER_TYPES = {"int4", "int8", "numeric"}  # int2 (max 32767) cannot hold a BSN or a card number
_FLOAT_TYPES = {"float4", "float8"}  # read only for record detectors (latitude/longitude fields)
_TIME_TYPES = {"timestamp", "timestamptz", "date"}
_SKIP_TYPES = {
    "bytea": "bytea column: binary values are not scanned",
    "geometry": "PostGIS geometry column: not scanned",
    "geography": "PostGIS geography column: not scanned",
}

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


def first_line(exc: BaseException) -> str:
    """libpq's message without its hint lines (`Is the server running…?`), made safe to show."""
    text = str(exc).strip()
    return safe_message(text.splitlines()[0] if text else type(exc).__name__)


class TimestampRuleError(ValueError):
    """A `--timestamp-column` rule naming a table does not hold for it: that table fails."""


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


def _select(name: str, kind: str, typname: str) -> sql.Composable:
    """The column as the batches hold it: text (JSON text for json and arrays), or float8."""
    col = sql.Identifier(name)
    if kind in ("text", "number", "json"):
        return sql.SQL("{}::text").format(col)  # one representation for enums, inet, numeric…
    if kind in ("array:text", "array:number"):  # JSON keeps a multidimensional array's shape
        return sql.SQL("array_to_json({}::text[])::text").format(col)
    if kind == "array:json":
        return sql.SQL("array_to_json({})::text").format(col)
    if typname == "float4":  # its shortest text, as psycopg reads it: not the float8 it widens to
        return sql.SQL("{}::text::float8").format(col)
    return col


def _arrow_type(kind: str) -> pa.DataType:
    return pa.float64() if kind == "float" else pa.string()


def _adbc_installed() -> bool:
    return importlib.util.find_spec("adbc_driver_postgresql") is not None


def _server_error(exc: Exception) -> Exception:
    """An ADBC driver's error as psycopg's class for its SQLSTATE (`InsufficientPrivilege`), with
    the server's message alone; an error without one (a connection lost mid-COPY) is an
    `OperationalError`."""
    text = str(exc)
    said = re.search(r"(?:ERROR|FATAL):\s+(.*)", text)
    message = said.group(1).strip() if said else (text.strip().splitlines() or [type(exc).__name__])[0]
    sqlstate = getattr(exc, "sqlstate", None)
    kind: type[Exception] = psycopg.OperationalError
    if sqlstate:
        try:
            kind = psycopg.errors.lookup(sqlstate)
        except KeyError:
            kind = psycopg.DatabaseError
    return kind(message)


class PostgresConnector(Connector):
    scheme = "postgresql"
    options_type = PostgresOptions
    options: PostgresOptions

    def __init__(self, options: PostgresOptions | None = None) -> None:
        super().__init__(options)
        self._connections: dict[str, psycopg.Connection[Any]] = {}
        #: ADBC connections that read rows, each with the psycopg connection it was opened beside:
        #: that one reconnected (the server was lost), this one is opened again too
        self._arrow: dict[str, tuple[psycopg.Connection[Any], Any]] = {}
        driver = self.options.driver
        self._adbc = driver == "adbc" or (driver == "auto" and _adbc_installed())
        #: servers that did not come back within RECONNECT_SECONDS: the next tables try once each
        self._gone: set[str] = set()

    # -- connections -----------------------------------------------------------------------

    def _connect(self, conninfo: str) -> psycopg.Connection[Any]:
        conn = self._connections.get(conninfo)
        if conn is not None and not conn.closed:
            return conn
        timeout = (
            {} if "connect_timeout" in conninfo or os.environ.get("PGCONNECT_TIMEOUT") else {"connect_timeout": 10}
        )
        # a connection lost mid-scan (a restart, a failover): wait for the server once, not per table
        lost = conn is not None and conninfo not in self._gone
        deadline = time.monotonic() + (RECONNECT_SECONDS if lost else 0.0)
        while True:
            try:
                conn = psycopg.connect(conninfo, autocommit=True, **timeout)
                break
            except psycopg.OperationalError as exc:
                if time.monotonic() >= deadline:
                    if lost:
                        self._gone.add(conninfo)
                    raise ConnectionError(f"cannot connect to the PostgreSQL server: {first_line(exc)}") from None
                time.sleep(0.5)
        self._gone.discard(conninfo)
        for name, value in self._settings().items():
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))
        conn.autocommit = False
        conn.read_only = True  # every transaction: BEGIN READ ONLY
        self._connections[conninfo] = conn
        return conn

    def _arrow_connection(self, conninfo: str, beside: psycopg.Connection[Any]) -> Any:
        """The ADBC connection that reads rows, with the settings of `_connect`'s."""
        held = self._arrow.get(conninfo)
        if held is not None and held[0] is beside:
            return held[1]
        self._drop_arrow(conninfo)
        import adbc_driver_postgresql.dbapi

        uri = conninfo
        if "connect_timeout" not in conninfo and not os.environ.get("PGCONNECT_TIMEOUT"):
            uri += ("&" if "?" in uri else "?") + "connect_timeout=10"
        try:
            conn = adbc_driver_postgresql.dbapi.connect(uri, autocommit=True)
        except Exception as exc:
            raise ConnectionError(f"cannot connect to the PostgreSQL server: {first_line(exc)}") from None
        try:
            with conn.cursor() as cur:
                # a table is one COPY, timed from its start while the scan reads its rows: a
                # statement_timeout would cut every table read longer (lock_timeout still holds)
                for name, value in {**self._settings(), "statement_timeout": "0"}.items():
                    cur.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)).as_string(None))
        except Exception as exc:
            conn.close()
            raise _server_error(exc) from None
        self._arrow[conninfo] = (beside, conn)
        return conn

    def _drop_arrow(self, conninfo: str) -> None:
        """Close the ADBC connection (a COPY left unread ends with it: the server stops sending)."""
        held = self._arrow.pop(conninfo, None)
        if held is not None:
            with contextlib.suppress(Exception):  # a connection the server dropped has nothing left to close
                held[1].close()

    def _settings(self) -> dict[str, str]:
        return {
            "statement_timeout": self.options.statement_timeout,
            "lock_timeout": self.options.lock_timeout,
            "default_transaction_read_only": "on",
            "TimeZone": "UTC",
            "application_name": "piiscan",
        }

    def close(self) -> None:
        for conninfo in list(self._arrow):
            self._drop_arrow(conninfo)
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
        except ConnectionError as exc:  # the URI as written, never its password
            raise SourceError(f"{strip_password(uri)}: {exc}") from None
        except psycopg.Error as exc:
            raise SourceError(f"{strip_password(uri)}: cannot read the PostgreSQL catalog: {first_line(exc)}") from None
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
        try:
            conn = self._connect(x["conninfo"])
            with conn.transaction():
                rows, newest = conn.execute(query).fetchone() or (0, None)
        except (psycopg.Error, ConnectionError):
            return ref  # no version: the table is read (and a denied SELECT or a lost server fails there, as a row)
        return replace(ref, version=f"rows={rows};xmin={newest}")

    # -- reading ---------------------------------------------------------------------------

    def read(self, ref: ObjectRef) -> Events:
        """Start the query now (so a denied SELECT fails at stage `read`), stream rows later."""
        x = ref.extra
        if "conninfo" not in x:
            raise SourceError("not a listed PostgreSQL table")
        conninfo = x["conninfo"]
        conn = self._connect(conninfo)
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        try:
            try:
                plan = self._plan(conn, x)
            except psycopg.OperationalError:
                if not conn.closed:
                    raise
                # the server went away since the last table (its idle connection learns it only
                # now): wait for it as `_connect` does for a connection lost mid-table
                conn = self._connect(conninfo)
                plan = self._plan(conn, x)
            if self._adbc:
                conn.rollback()  # the catalog's transaction ends: ADBC reads on a connection of its own
                return self._rows(plan, *self._arrow_batches(conninfo, conn, plan))
            cursor = conn.cursor(name="piiscan_rows")
            cursor.execute(plan.query)
        except BaseException:
            if not conn.closed:  # a connection lost with the server: its error is the one to report
                conn.rollback()
            raise
        return self._rows(plan, self._cursor_batches(cursor, plan), lambda: self._end_cursor(conn, cursor))

    def _plan(self, conn: psycopg.Connection[Any], x: Mapping[str, Any]) -> _Plan:
        oid, relkind = x["oid"], x["relkind"]
        columns: list[Column] = []
        selects: list[sql.Composable] = []
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
                columns.append(Column(name, kind))
                selects.append(_select(name, kind, typname))
        keys = [r[0] for r in conn.execute(_PRIMARY_KEY, (oid,)).fetchall()]
        timestamp = self._timestamp_column(f"{x['schema']}.{x['table']}", x["table"], timestamp_candidates, types)

        selected: list[sql.Composable] = []
        schema: list[pa.DataType] = []
        for k in keys:
            integer = types.get(k) in _INTEGER_TYPES
            selected.append(sql.SQL("{}::int8" if integer else "{}::text").format(sql.Identifier(k)))
            schema.append(pa.int64() if integer else pa.string())
        if not keys and relkind != "v":
            selected.append(sql.SQL("ctid::text"))
            schema.append(pa.string())
        if timestamp:  # as text: exact, and 'Infinity' where the time is
            selected.append(sql.SQL("extract(epoch FROM {})::text").format(sql.Identifier(timestamp)))
            schema.append(pa.string())
        selected.extend(selects)
        schema.extend(_arrow_type(c.kind) for c in columns)
        # named by position: a key column is also read as a column, and names may repeat
        named = [sql.SQL("{} AS {}").format(s, sql.Identifier(f"c{i}")) for i, s in enumerate(selected)]
        relation = sql.Identifier(x["schema"], x["table"])
        if x.get(ROWS_KEY) is not None:
            sample_sql, note = _rows_where(keys or ["ctid"], x[ROWS_KEY]), None
        else:
            sample_sql, note = self._sample(relkind, x.get("rows_estimate"))
        query = sql.SQL("SELECT {} FROM {} {}").format(sql.SQL(", ").join(named), relation, sample_sql)
        return _Plan(
            query=query,
            schema=pa.schema([pa.field(f"c{i}", t) for i, t in enumerate(schema)]),
            columns=columns,
            skipped=skipped,
            keys=keys or (["ctid"] if relkind != "v" else []),
            timestamp=timestamp is not None,
            note=note,
        )

    def _timestamp_column(
        self, qualified: str, table: str, candidates: set[str], types: Mapping[str, str]
    ) -> str | None:
        """The first `--timestamp-column` rule (`column` or `table-glob=column`) for this table."""
        for rule in self.options.timestamp_columns:
            glob, sep, column = rule.rpartition("=")
            if sep and not (fnmatch.fnmatchcase(qualified, glob) or fnmatch.fnmatchcase(table, glob)):
                continue
            if column in candidates:
                return column
            if sep:  # a rule naming this table explicitly must hold: retention depends on it
                what = "has no such column" if column not in types else "is not a timestamp or date column"
                raise TimestampRuleError(f"--timestamp-column {glob}={column}: the table {what}")
        return None

    def _sample(self, relkind: str, estimate: float | None) -> tuple[sql.Composable, str | None]:
        rows, percent = self.options.sample_rows, self.options.sample_percent
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

    def _rows(self, plan: _Plan, batches: Iterator[pa.RecordBatch], end: Callable[[], None]) -> Events:
        try:
            yield ContentType(MIME, reason=plan.note)
            for name, reason in plan.skipped:
                yield Member(name=name, open=lambda: io.BytesIO(b""), skip_reason=reason)
            yield TableRows(plan.columns, plan.keys, plan.timestamp, batches)
        finally:  # the scanner has read the rows (or given up): the next event is asked for after
            batches.close()  # type: ignore[attr-defined]
            end()

    def _end_cursor(self, conn: psycopg.Connection[Any], cursor: psycopg.ServerCursor[Any]) -> None:
        try:
            cursor.close()
            conn.rollback()
        except psycopg.OperationalError:
            if not conn.closed:
                raise  # a connection lost with the server has nothing left to end

    def _cursor_batches(self, cursor: psycopg.ServerCursor[Any], plan: _Plan) -> Iterator[pa.RecordBatch]:
        """psycopg's rows, a FETCH at a time, as Arrow batches of the plan's schema."""
        while rows := cursor.fetchmany(self.options.batch_rows):
            columns = zip(*rows, strict=True)
            yield pa.record_batch(
                [pa.array(values, type=f.type) for values, f in zip(columns, plan.schema, strict=True)],
                schema=plan.schema,
            )

    def _arrow_batches(
        self, conninfo: str, beside: psycopg.Connection[Any], plan: _Plan
    ) -> tuple[Iterator[pa.RecordBatch], Callable[[], None]]:
        """The ADBC driver's batches (libpq's binary COPY read into Arrow), and what ends them. The
        query starts now, so a denied SELECT fails in `read`; after a failure, or rows left unread,
        the connection is closed (that ends its COPY) and the next table opens another."""
        conn = self._arrow_connection(conninfo, beside)
        cursor = conn.cursor()
        try:
            cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(ADBC_BATCH_BYTES)})
            cursor.execute(plan.query.as_string(beside))
            reader = cursor.fetch_record_batch()
        except Exception as exc:
            cursor.close()
            self._drop_arrow(conninfo)
            raise _server_error(exc) from None
        done: list[bool] = []

        def batches() -> Iterator[pa.RecordBatch]:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    done.append(True)
                    return
                except Exception as exc:
                    raise _server_error(exc) from None
                yield pa.RecordBatch.from_arrays(batch.columns, schema=plan.schema)

        def end() -> None:
            try:
                cursor.close()
            except Exception:  # a statement whose connection was lost
                done.clear()
            if not done:
                self._drop_arrow(conninfo)

        return batches(), end


def _rows_where(keys: list[str], rows: list[dict[str, Any]]) -> sql.Composable:
    """`WHERE (k1, k2) IN ((v1, v2), …)` for the rows whose keys are all given (literals untyped:
    the server reads each as its column's type); no row: a WHERE that holds for none."""
    wanted = [row for row in rows if all(k in row for k in keys)]
    if not wanted:
        return sql.SQL("WHERE false")
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in keys)
    values = sql.SQL(", ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(sql.Literal(_untyped(row[k])) for k in keys)) for row in wanted
    )
    return sql.SQL("WHERE ({}) IN ({})").format(columns, values)


def _untyped(value: Any) -> Any:
    """A key value as a literal the server types by its column: an int as is, anything else as text."""
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class _Plan:
    query: sql.Composable
    schema: pa.Schema  # of the batches: key columns, the row's time, the columns
    columns: list[Column]
    skipped: list[tuple[str, str]]
    keys: list[str]  # primary key column names, ["ctid"], or [] (views)
    timestamp: bool
    note: str | None
