"""A record's own time from one of its fields (`piiscan scan --timestamp-field`).

A chat export, a transaction log or a telemetry file holds many records, each with its own time;
retention is judged per record on that time, not on when the file was last written. The field's
value is read as:

- ISO 8601 (`2026-10-02T09:14:03Z`, `2026-10-02 09:14:03+02:00`, `2026-10-02`); without an offset: UTC;
- a number of seconds since 1970-01-01 UTC, or of milliseconds when it is 10^11 or more (a
  seconds value that large would lie after the year 5000);
- a date or time value of the format itself (Parquet, ORC, Avro and XLSX timestamps and dates).

A value that is none of these leaves the record with its object's time and is counted.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

#: a number at least this large is milliseconds since the epoch, not seconds
MILLIS_FROM = 10**11


def parse_record_time(value: object) -> datetime | None:
    """The UTC time `value` stands for, or None.

    >>> parse_record_time("2026-10-02T09:14:03Z")
    datetime.datetime(2026, 10, 2, 9, 14, 3, tzinfo=datetime.timezone.utc)
    >>> parse_record_time(1759396443000) == parse_record_time("1759396443")
    True
    >>> parse_record_time("yesterday") is None
    True
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.replace(".", "", 1).isdigit():
        return _epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _epoch(number: float) -> datetime | None:
    seconds = number / 1000 if number >= MILLIS_FROM else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def field_rule(rules: Sequence[str], name: str, uri: str) -> str | None:
    """The field named by the first rule (`field` or `glob=field`) whose glob matches the object's
    or member's `name` or its whole `uri` (`*` matches `/` too).

    >>> field_rule(["chat-*.csv=sent_at", "ts"], "chat-2026.csv", "file:///x/chat-2026.csv")
    'sent_at'
    >>> field_rule(["chat-*.csv=sent_at", "ts"], "trips.jsonl", "s3://b/trips.jsonl")
    'ts'
    """
    for rule in rules:
        glob, sep, field = rule.rpartition("=")
        if not sep:
            return rule
        if fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(uri, glob):
            return field
    return None


@dataclass
class RecordClock:
    """Reads records' times from the field `field`, counting what it could and could not read."""

    field: str
    parsed: int = 0
    unparsed: int = 0
    missing: int = 0  # records without the field (a spreadsheet's title row, a sparse JSON record)

    def names(self, name: str) -> bool:
        """Whether a record's field path `name` is this clock's field (a JSON key may be given bare)."""
        f = self.field
        return name == f or name == f"$.{f}" or (f.startswith("$") and name == f)

    def find(self, fields: Sequence[str], labels: Sequence[str], cells: Sequence[object]) -> datetime | None:
        """The time in the cell whose field (or column label) is this clock's field."""
        for j, name in enumerate(fields):
            if self.names(name) or (j < len(labels) and labels[j] == self.field):
                return self.read(cells[j])
        self.missing += 1
        return None

    def read(self, value: object) -> datetime | None:
        when = parse_record_time(value)
        if when is None:
            self.unparsed += 1
        else:
            self.parsed += 1
        return when
