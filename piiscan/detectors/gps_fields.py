"""GPS_COORDINATES in structured records: latitude and longitude held in two fields of one record.

A CSV row, a JSON document, a Parquet or database row arrives as a `Record` (field path -> value).
A pair is found by name and range:

- `lat`/`lon`, `lat`/`lng`, `latitude`/`longitude`, `gps_lat`/`gps_lon`, `startLat`/`startLng`,
  Dutch `breedtegraad`/`lengtegraad`, German `breite`/`laenge`: two fields whose names differ only
  in the latitude and longitude word, under the same parent;
- Google-style `latitudeE7`/`longitudeE7` integers (degrees x 10^7);
- GeoJSON geometries (RFC 7946): `$.geometry.coordinates[0]` is the LONGITUDE and `[1]` the
  latitude, for every position of a Point, LineString, Polygon or Multi* geometry;
- `y`/`x` (also inside a name: `head_y`/`head_x`) only where the record says it holds geometry
  (an `srid`, `crs`, `epsg` or `geom` field), and then only in WGS 84 (SRID 4326) when an SRID
  is given: a VR session's `head_x`/`head_y`/`head_z` are a pose in a room, not a position.

A finding's field is the latitude field. Values must be numbers (or numeric strings) in range;
integral degrees are too coarse to be a person's position and score below the default threshold.

>>> from piiscan.model import Record, Locator
>>> d = GpsFieldsDetector()
>>> [(loc.field, c.canonical) for loc, c in d.find(Record({"id": 1, "gps_lat": "52.37276", "gps_lon": 4.89528}))]
[('gps_lat', '52.3728,4.8953')]
>>> rec = Record({"$.type": "Point", "$.coordinates[0]": 4.89528, "$.coordinates[1]": 52.37276})
>>> [(loc.field, c.canonical) for loc, c in d.find(rec)]
[('$.coordinates[1]', '52.3728,4.8953')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from piiscan.detectors.base import Candidate, RecordDetector
from piiscan.detectors.gps import canonical, decimals, mask_position
from piiscan.entities import GPS_COORDINATES
from piiscan.model import Locator, Record

LAT_WORDS = frozenset({"lat", "latitude", "breedtegraad", "breite", "breitengrad"})
LON_WORDS = frozenset(
    {"lon", "lng", "long", "longitude", "lengtegraad", "laenge", "länge", "laengengrad", "längengrad"}
)
GEOMETRY_HINTS = frozenset({"srid", "crs", "epsg", "geom", "geometry", "wkt", "wkb", "spatial_ref"})
WGS84 = ("4326", "epsg:4326", "crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "wgs84")

# $.parent.name or $.parent["name"] or a plain column name
_LAST = re.compile(r"^(?P<parent>.*?)(?:\.(?P<key>[^.\[\]]+)|\[\"(?P<quoted>[^\"]+)\"\])$")
_TOKENS = re.compile(r"[A-Z]?[a-zäöüß]+|[A-Z]+(?![a-z])|\d+")
_COORDS = re.compile(r"^(?P<base>.*)\.coordinates(?P<idx>(?:\[\d+\])*)\[(?P<axis>[01])\]$")


def split_name(path: str) -> tuple[str, str]:
    """(parent, last name) of a JSON path or a column name."""
    m = _LAST.match(path)
    if m and path.startswith("$"):
        return m.group("parent"), m.group("key") or m.group("quoted")
    return "", path


def tokens(name: str) -> tuple[str, ...]:
    """`gpsLat` -> ('gps', 'lat'); `start_latitude` -> ('start', 'latitude'); `latitudeE7` -> ('latitude', 'e7')."""
    out = [t.lower() for t in _TOKENS.findall(name)]
    merged: list[str] = []
    for t in out:
        if t.isdigit() and merged and merged[-1] == "e":
            merged[-1] = "e" + t  # E7 splits as 'E', '7'
        else:
            merged.append(t)
    return tuple(merged)


def as_number(value: Any) -> tuple[float, int] | None:
    """(value, decimals written) of a number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".") if value.count(",") == 1 and "." not in value else value.strip()
    else:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or ("e" in text.lower() and not isinstance(value, int)):
        return None
    return number, decimals(text)


def _score(places: int) -> float:
    # a field named lat is strong context; integral degrees (~100 km) say little about a person
    return 0.9 if places >= 3 else 0.6 if places >= 1 else 0.3


_FEW = 256  # positions below which a column's are written by Python, not in arrays

_PLANS_KEPT = 4096  # field-name sets remembered: a table has one, JSON documents a few


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where a record with these field names may hold a position: worked out once per set of names."""

    pairs: tuple[tuple[str, str, bool, bool], ...]  # (latitude path, longitude path, E7, bare y/x)
    geometries: tuple[tuple[str, str, str], ...]  # (GeoJSON base, latitude path [1], longitude path [0])
    srids: tuple[str, ...]  # fields naming the spatial reference: their values decide y/x
    geometry: bool  # a field says the record holds geometry


def _plan(paths: tuple[str, ...]) -> _Plan:
    lon_index: dict[tuple[str, tuple[str, ...]], str] = {}
    lats: list[tuple[str, str, tuple[str, ...], bool]] = []
    srids: list[str] = []
    geometry = False
    geo: dict[tuple[str, str], dict[str, str]] = {}
    for path in paths:
        m = _COORDS.match(path)
        if m:
            geo.setdefault((m.group("base"), m.group("idx")), {})[m.group("axis")] = path
            continue
        parent, name = split_name(path)
        toks = tokens(name)
        if not toks:
            continue
        if GEOMETRY_HINTS.intersection(toks):
            geometry = True
            if toks[-1] in ("srid", "epsg", "crs"):
                srids.append(path)
        for i, t in enumerate(toks):
            if t in LON_WORDS or t == "x":
                lon_index[(parent, (*toks[:i], "*", *toks[i + 1 :]))] = path
            elif t in LAT_WORDS or t == "y":
                lats.append((path, parent, (*toks[:i], "*", *toks[i + 1 :]), t == "y"))
    pairs = tuple(
        (path, lon_index[(parent, key)], "e7" in key, bare_xy)
        for path, parent, key, bare_xy in lats
        if (parent, key) in lon_index
    )
    geometries = tuple((base, axes["1"], axes["0"]) for (base, _), axes in geo.items() if "0" in axes and "1" in axes)
    return _Plan(pairs, geometries, tuple(srids), geometry)


class GpsFieldsDetector(RecordDetector):
    name = "gps_fields"
    entity = GPS_COORDINATES
    explanation = "latitude and longitude in two fields of one record (lat/lon, latitudeE7, GeoJSON geometries)"
    canonical_form = "lat,lon each rounded to 4 decimals (%.4f,%.4f)"
    context = ("lat", "lon", "lng", "latitude", "longitude")

    def __init__(self) -> None:
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _plan(self, names: tuple[str, ...]) -> _Plan:
        plan = self._plans.get(names)
        if plan is None:
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            plan = self._plans[names] = _plan(names)
        return plan

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        plan = self._plan(tuple(names))
        return bool(plan.pairs or plan.geometries)

    def reads(self, names: Sequence[str]) -> Sequence[str] | None:
        plan = self._plan(tuple(names))
        kinds = [f"{base}.type" for base, _, _ in plan.geometries if f"{base}.type" in names]
        pairs = [(lat, lon) for lat, lon, _, _ in plan.pairs] + [(lat, lon) for _, lat, lon in plan.geometries]
        return [*(path for pair in pairs for path in pair), *plan.srids, *kinds]

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        fields = record.fields
        if len(fields) < 2:
            return
        plan = self._plan(tuple(fields))
        if not plan.pairs and not plan.geometries:
            return
        srid_ok = all(str(fields[path]).strip().lower() in WGS84 for path in plan.srids)
        for path, lon_path, e7, bare_xy in plan.pairs:
            if bare_xy and not (plan.geometry and srid_ok):
                continue  # y/x are positions only where the record says it holds WGS 84 geometry
            found = self._pair(fields[path], fields[lon_path], e7)
            if found:
                yield replace(record.locator, field=path), found
        for base, lat_path, lon_path in plan.geometries:
            if not self._is_geometry(fields, base):
                continue
            found = self._pair(fields[lat_path], fields[lon_path], False)
            if found:
                yield replace(record.locator, field=lat_path), found

    @staticmethod
    def _is_geometry(fields: Any, base: str) -> bool:
        kind = fields.get(f"{base}.type")
        return isinstance(kind, str) and kind in (
            "Point",
            "LineString",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
        )

    @staticmethod
    def _pair(lat_value: Any, lon_value: Any, e7: bool) -> Candidate | None:
        lat, lon = as_number(lat_value), as_number(lon_value)
        if lat is None or lon is None:
            return None
        if e7:
            if lat[1] or lon[1]:
                return None
            value = canonical(lat[0] / 1e7, lon[0] / 1e7)
            return Candidate(value, 0.95) if value else None
        value = canonical(lat[0], lon[0])
        if value is None:
            return None
        return Candidate(value, _score(min(lat[1], lon[1])))

    def mask(self, canonical: str) -> str:
        return mask_position(canonical)

    def masks(self, canonicals: list[str]) -> list[str]:
        """`mask` of each canonical form: where all are `%.4f,%.4f` pairs, each part's last three
        digits starred at once in the bytes of all of them (a mask is as long as its value)."""
        import numpy as np
        import pyarrow as pa

        values = pa.array(canonicals, pa.string())
        n = len(values)
        if not n:
            return []
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[: n + 1]
        data = np.frombuffer(values.buffers()[2] or b"", dtype=np.uint8)[: offsets[-1]].copy()
        commas, points = np.flatnonzero(data == ord(",")), np.flatnonzero(data == ord("."))
        ends = offsets[1:]
        fixed = (
            len(commas) == n
            and len(points) == 2 * n
            and bool((points[0::2] == commas - 5).all() and (points[1::2] == ends - 5).all())
            and bool((points[0::2] > offsets[:-1]).all() and (commas < ends).all())
        )
        if not fixed:
            return [mask_position(value) for value in canonicals]
        for back in (1, 2, 3):
            data[commas - back] = data[ends - back] = ord("*")
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).to_pylist()

    def column_pairs(self, names: Sequence[str]) -> tuple[tuple[str, str], ...] | None:
        """The (latitude, longitude) fields of records with these names, for a caller that judges
        each pair from its two values alone (a column store); None when a record's other fields
        decide (GeoJSON geometries, `y`/`x`)."""
        plan = self._plan(tuple(names))
        if plan.geometries or any(bare_xy for *_, bare_xy in plan.pairs):
            return None
        return tuple((lat, lon) for lat, lon, _, _ in plan.pairs)

    def find_columns(self, lat_path: str, lon_path: str, lats: Any, lons: Any) -> tuple[Any, list[str], list[float]]:
        """(rows, canonical forms, scores) for two columns of a pair (Arrow arrays): what `find`
        yields for records holding these two fields, as columns. Float columns are judged in native
        code up to the canonical form (range, and the decimals `repr` writes); other columns value
        by value, by `_pair`."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        [(_, _, e7, _)] = self._plan((lat_path, lon_path)).pairs
        if e7 or not (pa.types.is_floating(lats.type) and pa.types.is_floating(lons.type)):
            rows = pc.indices_nonzero(pc.and_(pc.is_valid(lats), pc.is_valid(lons)))
            pairs = zip(rows.to_pylist(), lats.take(rows).to_pylist(), lons.take(rows).to_pylist(), strict=True)
            found = [(i, cand) for i, lat, lon in pairs if (cand := self._pair(lat, lon, e7)) is not None]
            return (
                np.array([i for i, _ in found], dtype=np.int64),
                [c.canonical for _, c in found],
                [c.score for _, c in found],  # type: ignore[misc]
            )
        # numpy, not a call of Arrow's per check: a batch may be a few rows of a small file
        lat = np.asarray(lats.to_numpy(zero_copy_only=False), dtype=np.float64)  # a null is NaN: out of range
        lon = np.asarray(lons.to_numpy(zero_copy_only=False), dtype=np.float64)
        size_lat, size_lon = np.abs(lat), np.abs(lon)
        on_earth = (size_lat <= 90) & (size_lon <= 180) & ~((lat == 0) & (lon == 0))
        # `repr` writes 0 < |x| < 1e-4 with an exponent, which `as_number` turns down
        tiny = ((size_lat > 0) & (size_lat < 1e-4)) | ((size_lon > 0) & (size_lon < 1e-4))
        rows = np.flatnonzero(on_earth & ~tiny)
        lat, lon = lat[rows], lon[rows]
        if len(rows) < _FEW:  # a few values: Python's own `repr` and `%.4f` cost less than the arrays
            pairs = list(zip(lat.tolist(), lon.tolist(), strict=True))
            scores = [_score(min(decimals(repr(a)), decimals(repr(b)))) for a, b in pairs]
            return rows.astype(np.int64), [canonical(a, b) for a, b in pairs], scores  # type: ignore[misc]
        places = np.minimum(_decimals(lat), _decimals(lon))
        scores = np.select([places >= 3, places >= 1], [_score(3), _score(1)], _score(0)).tolist()
        # on Earth and not (0, 0), as checked above: `canonical` refuses none of them
        return rows.astype(np.int64), _positions(lat, lon), scores


def _positions(lats: Any, lons: Any) -> list[str]:
    """`canonical(lat, lon)` of each pair of doubles (no nulls, on Earth, not (0, 0)), written in
    native code: each value in ten-thousandths, rounded half to even as `%.4f` rounds the exact
    double, its characters laid out in a byte matrix."""
    import numpy as np
    import pyarrow as pa

    lat, lon = _fixed4(lats), _fixed4(lons)
    comma = np.full((len(lat[0]), 1), ord(","), dtype=np.uint8)
    chars = np.concatenate((lat[0], comma, lon[0]), axis=1)
    kept = np.concatenate((lat[1], np.ones_like(comma, dtype=bool), lon[1]), axis=1)
    offsets = np.concatenate(([0], np.cumsum(kept.sum(axis=1)))).astype(np.int32)
    data = np.ascontiguousarray(chars[kept])
    return pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)).to_pylist()


def _fixed4(x: Any) -> tuple[Any, Any]:
    """(characters, which are written) of `f"{v + 0.0:.4f}"` for each |v| <= 180, right-aligned in
    nine bytes, with `canonical`'s `0.0000` for a negative that rounds to zero."""
    import numpy as np

    scaled = x * 1e4
    q = np.rint(scaled)
    # the product is off by far less than 1e-6: only near a half may it round the other way
    for k in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        q[k] = int(f"{float(x[k]):.4f}".replace(".", ""))
    q = q.astype(np.int64)
    size = np.abs(q)
    chars = np.zeros((len(q), 9), dtype=np.uint8)
    for col, power in ((8, 1), (7, 10), (6, 100), (5, 1000), (3, 10_000), (2, 100_000), (1, 1_000_000)):
        chars[:, col] = ord("0") + (size // power) % 10
    chars[:, 4] = ord(".")
    width = 1 + (size >= 100_000) + (size >= 1_000_000)  # digits before the point
    sign = 3 - width
    negative = q < 0
    chars[np.flatnonzero(negative), sign[negative]] = ord("-")
    kept = np.arange(9) >= (4 - width - negative)[:, None]
    return chars, kept


def _decimals(values: Any) -> Any:
    """`decimals(repr(x))` for doubles in [1e-4, 1e13) or 0: Arrow writes the same shortest digits,
    but a whole number without Python's `.0`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(values):
        return np.zeros(0, dtype=np.int64)
    text = pc.cast(pa.array(values, pa.float64()), pa.string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[: len(text) + 1]
    data = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)[: offsets[-1]]
    point = np.flatnonzero(data == ord("."))
    value = np.searchsorted(offsets, point, side="right") - 1
    places = np.ones(len(text), dtype=np.int64)
    places[value] = offsets[value + 1] - point - 1
    return places
