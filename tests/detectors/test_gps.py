"""GPS_COORDINATES: every notation found with its canonical value, and what only looks like a pair refused."""

from __future__ import annotations

from functools import cache

import pytest

from piiscan.detectors.gps import GpsDetector
from piiscan.detectors.gps_fields import GpsFieldsDetector
from piiscan.engine import Engine
from piiscan.model import Locator, Record, TextUnit
from tests.helpers import TEST_KEY


@cache
def engine() -> Engine:
    return Engine([GpsDetector()], TEST_KEY.encode())


def found(text: str) -> list[tuple[str, str]]:
    """(masked, matched text) of every finding at the default threshold."""
    return [(f.masked, text[f.start : f.end]) for f in engine().scan(TextUnit(text, Locator(line=1)))]


@pytest.mark.parametrize(
    ("text", "canonical", "span"),
    [
        ("gps: 52.37276, 4.89528", "52.3728,4.8953", "52.37276, 4.89528"),
        ("positie (52.37276,4.89528).", "52.3728,4.8953", "52.37276,4.89528"),
        ("lat 52.37276 lon 4.89528", "52.3728,4.8953", "lat 52.37276 lon 4.89528"),
        ('{"lat": 52.3727, "lng": 4.8952}', "52.3727,4.8952", 'lat": 52.3727, "lng": 4.8952'),
        ("-33.86882, 151.20929 sydney", "-33.8688,151.2093", "-33.86882, 151.20929"),
        ("52.37276N 4.89528E", "52.3728,4.8953", "52.37276N 4.89528E"),
        ("S 33.8688 W 151.2093", "-33.8688,-151.2093", "S 33.8688 W 151.2093"),
        ("52°22'21.9\"N 4°53'43.0\"E", "52.3728,4.8953", "52°22'21.9\"N 4°53'43.0\"E"),
        ("52° 22′ 21.9″ N, 4° 53′ 43.0″ E", "52.3728,4.8953", "52° 22′ 21.9″ N, 4° 53′ 43.0″ E"),
        ("N 52° 22.365 E 4° 53.717", "52.3728,4.8953", "N 52° 22.365 E 4° 53.717"),
        (
            "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
            "48.1173,11.5167",
            "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
        ),
        (
            "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\n",
            "48.1173,11.5167",
            "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",
        ),
        ("$GPGLL,4916.45,N,12311.12,W,225444,A", "49.2742,-123.1853", "$GPGLL,4916.45,N,12311.12,W,225444,A"),
        ("open geo:52.3727,4.8952 now", "52.3727,4.8952", "geo:52.3727,4.8952"),
        (
            "latitudeE7: 523727600, longitudeE7: 48952800",
            "52.3728,4.8953",
            "latitudeE7: 523727600, longitudeE7: 48952800",
        ),
        ('{"type":"Point","coordinates": [4.89528, 52.37276]}', "52.3728,4.8953", '"coordinates": [4.89528, 52.37276'),
    ],
)
def test_notations(text: str, canonical: str, span: str) -> None:
    hits = found(text)
    assert [s for _, s in hits] == [span]
    assert GpsDetector().validate(span + " ").canonical == canonical
    lat, lon = canonical.split(",")
    assert hits[0][0] == f"{lat[: lat.index('.') + 2]}***,{lon[: lon.index('.') + 2]}***"


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3",
        "release 52.1.4, 4.8.1",
        "server 192.168.100.200 and 10.0.0.1, 10.0.0.2",
        "totaal € 52.37, btw 4.89",
        "price 52.3727, 4.8952 EUR",
        "scores 0.95, 0.87",
        "ratio 0.9512, 0.8734",
        "at 12:34:56.789, 12:35:01.123",
        "1699999999.123, 1700000000.456",
        "95.12345, 4.12345",
        "52.37276, 194.89528",
        "52.37, 4.89",
        "52.3727 4.8952E",
        "12.5°C 45.2°",
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48",
        "$GPRMC,123519,V,,,,,,,230394,,*3F",
        "0.00000, 0.00000",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert found(text) == []


def test_bare_pair_needs_precision_or_context() -> None:
    assert found("waarden 52.3727, 4.8952") == []  # four decimals, no context: a pair of numbers
    assert [s for _, s in found("locatie 52.3727, 4.8952")] == ["52.3727, 4.8952"]
    assert [s for _, s in found("waarden 52.372761, 4.895282")] == ["52.372761, 4.895282"]


def fields_found(fields: dict[str, object]) -> list[tuple[str | None, str, float]]:
    d = GpsFieldsDetector()
    return [(loc.field, c.canonical, c.score or 0) for loc, c in d.find(Record(fields, Locator(record=7)))]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"id": 1, "lat": "52.37276", "lon": "4.89528"}, [("lat", "52.3728,4.8953", 0.9)]),
        ({"Latitude": 52.37276, "Longitude": 4.89528}, [("Latitude", "52.3728,4.8953", 0.9)]),
        ({"$.pos.lat": 52.37276, "$.pos.lng": 4.89528}, [("$.pos.lat", "52.3728,4.8953", 0.9)]),
        ({"gpsLat": "52,37276", "gpsLng": "4,89528"}, [("gpsLat", "52.3728,4.8953", 0.9)]),
        ({"start_lat": 52.1, "start_lon": 5.2}, [("start_lat", "52.1000,5.2000", 0.6)]),
        ({"$.latitudeE7": 523727600, "$.longitudeE7": 48952800}, [("$.latitudeE7", "52.3728,4.8953", 0.95)]),
        ({"srid": 4326, "y": 52.37276, "x": 4.89528}, [("y", "52.3728,4.8953", 0.9)]),
        (
            {"$.geometry.type": "Point", "$.geometry.coordinates[0]": 4.89528, "$.geometry.coordinates[1]": 52.37276},
            [("$.geometry.coordinates[1]", "52.3728,4.8953", 0.9)],
        ),
        (
            {
                "$.type": "LineString",
                "$.coordinates[0][0]": 4.1234,
                "$.coordinates[0][1]": 52.1234,
                "$.coordinates[1][0]": 4.2234,
                "$.coordinates[1][1]": 52.2234,
            },
            [("$.coordinates[0][1]", "52.1234,4.1234", 0.9), ("$.coordinates[1][1]", "52.2234,4.2234", 0.9)],
        ),
    ],
)
def test_record_fields(fields: dict[str, object], expected: list[tuple[str, str, float]]) -> None:
    assert fields_found(fields) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"y": 52.37276, "x": 4.89528},  # y/x without a geometry hint
        {"srid": 28992, "y": 487000.0, "x": 121000.0},  # Dutch RD, not WGS 84
        {"plate": "52.1234", "long": "5.1234"},
        {"lat": "95.1234", "lon": "4.1234"},
        {"lat": "n/a", "lon": "4.1234"},
        {"lat": 0.0, "lon": 0.0},
        {"lat": True, "lon": 4.5},
        {"$.coordinates[0]": 4.8, "$.coordinates[1]": 52.3},  # no geometry type
    ],
)
def test_record_negatives(fields: dict[str, object]) -> None:
    assert fields_found(fields) == []


@pytest.mark.parametrize(
    ("text", "canonical", "span"),
    [
        # a word ending in S before a DMS pair is no southern hemisphere
        ("GPS 52°04'12.2\"N 5°11'06.3\"E", "52.0701,5.1851", "52°04'12.2\"N 5°11'06.3\"E"),
        ("ANWB-POS 52°04'12.2\"N 5°11'06.3\"E", "52.0701,5.1851", "52°04'12.2\"N 5°11'06.3\"E"),
        # degrees and decimal minutes, typed by hand, hemisphere letters after
        ("ligplaats 52 04.203N 005 11.105E", "52.0701,5.1851", "52 04.203N 005 11.105E"),
        ("at 33 51.407 S, 151 12.917 E", "-33.8568,151.2153", "33 51.407 S, 151 12.917 E"),
        # NMEA-style without a sentence
        ("fix 5204.2033N 00511.1050E", "52.0701,5.1851", "5204.2033N 00511.1050E"),
        ("fix 5204.2033,N,00511.1050,E;", "52.0701,5.1851", "5204.2033,N,00511.1050,E"),
        # longitude first, with explicit hemispheres
        ("pos: E 5.18508 N 52.07006", "52.0701,5.1851", "E 5.18508 N 52.07006"),
        ("5.18508E 52.07006N", "52.0701,5.1851", "5.18508E 52.07006N"),
        ("W 0.12750 N 51.50722", "51.5072,-0.1275", "W 0.12750 N 51.50722"),
    ],
)
def test_round2_notations(text: str, canonical: str, span: str) -> None:
    from piiscan.detectors.gps import mask_position

    assert found(text) == [(mask_position(canonical), span)]


@pytest.mark.parametrize(
    "text",
    [
        # void fixes: RMC status V, GLL status V, GGA fix quality 0 (checksums correct)
        "$GPRMC,123519,V,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*7D",
        "$GPGLL,4916.45,N,12311.12,W,225444,V*26",
        "$GPGGA,123519,4807.038,N,01131.000,E,0,08,0.9,545.4,M,46.9,M,,*46",
        # VR head and hand poses: x, y, z in metres
        "pose 1.7,0.4,-1.2",
        "head pose 1.70321,0.41234,-1.20087 rot 0.0012,0.7071,0.0004,0.7071",
        "hand_r 0.31245, 1.10987, -0.45012",
        "1.73214,0.41231,-1.20012",
    ],
)
def test_round2_refused(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"t": 1.5, "head_x": 1.70321, "head_y": 0.41234, "head_z": -1.20087},
        {"$.hand.left_x": 0.31245, "$.hand.left_y": 1.10987, "$.hand.left_z": -0.45012},
        {"pos_x": 52.37276, "pos_y": 4.89528},  # x/y with no geographic reference system
    ],
)
def test_round2_poses_are_no_positions(fields: dict[str, object]) -> None:
    assert fields_found(fields) == []
