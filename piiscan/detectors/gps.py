"""GPS_COORDINATES in free text: a latitude/longitude pair in any common notation (WGS 84).

Notations found:

- decimal degrees, signed or with N/S/E/W hemispheres (ISO 6709 order, latitude first):
  `52.37276, 4.89528`, `(52.37276,4.89528)`, `52.37276N 4.89528E`, `N 52.37276 E 4.89528`;
  labelled `lat 52.37276 lon 4.89528`, `latitude=52.37 longitude=4.89`;
- degrees-minutes-seconds and degrees with decimal minutes: `52°22'21.9"N 4°53'43.0"E`,
  `N 52° 22.365 E 4° 53.717`;
- NMEA 0183 GGA, RMC and GLL sentences (`ddmm.mmmm,N,dddmm.mmmm,E`; the `*hh` XOR checksum,
  when present, must match), https://gpsd.gitlab.io/gpsd/NMEA.html;
- `geo:` URIs (RFC 5870), Google-style `latitudeE7`/`longitudeE7` integers (degrees x 10^7),
  and GeoJSON `"coordinates": [lon, lat]` written inline (RFC 7946: longitude first).

What merely looks like a pair is refused: out-of-range values, fewer than three decimals (money,
versions, scores), two values both under one degree (ratios), digits glued to more digits or dots
(IP addresses, timestamps, version strings). A bare decimal pair scores by its precision; context
words (`gps`, `locatie`, `coordinates`…) lift it, money and version words lower it.

>>> d = GpsDetector()
>>> d.validate(" 52.37276, 4.89528 ").canonical
'52.3728,4.8953'
>>> d.validate("52°22'21.9\\"N 4°53'43.0\\"E").canonical
'52.3728,4.8953'
>>> d.validate("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\\n").canonical
'48.1173,11.5167'
>>> d.validate(" 0.9512, 0.8734 ") is None
True
>>> d.mask("52.3728,4.8953")
'52.3***,4.8***'
"""

from __future__ import annotations

import re
from functools import reduce

from piiscan.detectors.base import Candidate, Detector, Pattern, longest_match
from piiscan.entities import GPS_COORDINATES

# -- pattern pieces (Hyperscan and `re` on UTF-8 bytes: ASCII classes, no look-around) ----------------

_LAT = r"[-+]?\d{1,2}\.\d{3,9}"
_LON = r"[-+]?\d{1,3}\.\d{3,9}"
_DEG = r"(?:°|º)?"
_SEP = r"(?:[ \t]*[,;/][ \t]*|[ \t]+)"
# a candidate must not continue a number, a dotted string or a word: one guard character each side,
# trimmed again by `validate` (Hyperscan has no look-around)
_BEFORE = r"(?:^|[^0-9A-Za-z.+\-])"
_AFTER = r"(?:[^0-9A-Za-z.]|\.[^0-9]|$)"
# after a pair: no third number (x, y, z of a pose or a vector are no position)
_AFTER_PAIR = r"(?:[^0-9A-Za-z.,]|,[ \t]{0,3}[^0-9 \t+\-.]|,[ \t]{0,3}$|\.[^0-9]|$)"
_LAT_LABEL = r"(?i:lat(?:itude)?|breedtegraad|breite)"
_LON_LABEL = r"(?i:lo?ng?(?:itude)?|lengtegraad|l(?:ä|ae)nge)"
_DMS_ONE = (
    r"\d{1,3}[ \t]?(?:°|º)[ \t]?\d{1,2}(?:\.\d{1,6})?[ \t]?(?:'|′|’)?"
    r"(?:[ \t]?\d{1,2}(?:\.\d{1,4})?[ \t]?(?:\"|″|''|”))?"
)
# a hemisphere letter before the degrees starts a word (the S of `GPS 52°…` is none): a pattern of
# its own, with the character before it as a guard
_HEMI_LAT = r"(?:(?m:^)|[^0-9A-Za-z\n])[NSns][ \t]?"
_HEMI_LON = r"(?:[EWOewo][ \t]?)?"
# white space bounded, for the patterns whose start is found after the pass (Pattern.late_start)
_SEP_BOUNDED = r"(?:[ \t]{0,8}[,;/][ \t]{0,8}|[ \t]{1,8})"
HAND_TYPED_WIDTH = 80  # bytes: the longest match of the two hand-typed patterns (tested)
_DMS_PAIR = _DMS_ONE + r"[ \t]?[NSns]?[ \t]{0,8}[,;/]?[ \t]{0,8}" + _HEMI_LON + _DMS_ONE + r"(?:[ \t]?[EWOewo])?"
DMS_WIDTH = 96  # bytes: the longest match of the two degrees-minutes-seconds patterns (tested)
# a signed pair: its start is found after the pass (tracked, it cost the pass a fifth of its speed),
# so its blanks are bounded, as no one spreads a position wider
_SEP_WIDE = r"(?:[ \t]{0,32}[,;/][ \t]{0,32}|[ \t]{1,32})"
_PAIR = _BEFORE + _LAT + _DEG + r"[ \t]?[NSns]?" + _SEP_WIDE + _LON + _DEG + r"(?:[ \t]?[EWOewo])?" + _AFTER_PAIR

PATTERNS = (
    # decimal degrees, signed or with hemisphere letters after the numbers
    Pattern(_PAIR, 0.5, late_start=longest_match(_PAIR)),
    # hemisphere letters before the numbers
    Pattern(r"\b[NS][ \t]?" + _LAT + _DEG + _SEP + r"[EWO][ \t]?" + _LON + _DEG + _AFTER, 0.8),
    # longitude first, both hemispheres explicit: E 5.18508 N 52.07006, 5.18508E 52.07006N
    Pattern(r"\b[EW][ \t]?" + _LON + _DEG + _SEP + r"[NS][ \t]?" + _LAT + _DEG + _AFTER, 0.8),
    Pattern(
        _BEFORE + _LON + _DEG + r"[ \t]?[EW]" + _SEP_BOUNDED + _LAT + _DEG + r"[ \t]?[NS]\b",
        0.8,
        late_start=HAND_TYPED_WIDTH,
    ),
    # typed by hand: degrees and decimal minutes (`52 04.203N 5 11.105E`), or NMEA's
    # ddmm.mmmm/dddmm.mmmm without a sentence (`5204.2033N 00511.1050E`; not a sentence's fields),
    # hemispheres after
    Pattern(
        r"(?:(?m:^)|[^0-9A-Za-z_,.$*\-\n])(?:\d{1,2}[ \t]\d{1,2}|\d{4})\.\d{1,6}[ \t,]?[NS][ \t]{0,8}[,;/]?[ \t]{0,8}"
        r"(?:\d{1,3}[ \t]\d{1,2}|\d{5})\.\d{1,6}[ \t,]?[EW]\b",
        0.8,
        late_start=HAND_TYPED_WIDTH,
    ),
    # labelled: lat 52.37276 lon 4.89528, "lat": 52.37, "lng": 4.89
    Pattern(
        r"\b" + _LAT_LABEL + r"[\"']?[ \t]*[:=]?[ \t]*" + r"[-+]?\d{1,2}\.\d{1,9}"
        r"[^0-9\r\n]{1,24}" + _LON_LABEL + r"[\"']?[ \t]*[:=]?[ \t]*" + r"[-+]?\d{1,3}\.\d{1,9}" + _AFTER,
        0.8,
    ),
    # degrees-minutes(-seconds), hemisphere letters after the numbers or before them
    Pattern(_DMS_PAIR, 0.8, late_start=DMS_WIDTH),
    Pattern(_HEMI_LAT + _DMS_PAIR, 0.8, late_start=DMS_WIDTH),
    # NMEA 0183: the whole sentence, up to the character after it
    Pattern(
        r"\$[A-Z]{2}(?:GGA|RMC|GLL),[0-9A-Za-z.,\-]{10,120}(?:\*[0-9A-Fa-f]{2})?(?:[^0-9A-Za-z.,\-*]|$)",
        0.85,
    ),
    # geo: URI (RFC 5870)
    Pattern(r"\bgeo:[-+]?\d{1,2}(?:\.\d{1,12})?,[-+]?\d{1,3}(?:\.\d{1,12})?" + _AFTER, 0.9),
    # latitudeE7 / longitudeE7 integers written in text (a JSON document is read as a record instead)
    Pattern(
        r"(?i:latitudeE7)[\"']?[ \t]*[:=][ \t]*-?\d{5,10}[^0-9\r\n]{1,30}"
        r"(?i:longitudeE7)[\"']?[ \t]*[:=][ \t]*-?\d{5,10}" + _AFTER,
        0.9,
    ),
    # GeoJSON written inline: "coordinates": [lon, lat] (the first position of any geometry)
    Pattern(r"\"coordinates\"[ \t]*:[ \t]*[\[ \t]{1,5}" + _LON + r"[ \t]*,[ \t]*" + _LAT + _AFTER, 0.85),
)

# -- parsing the candidates (Python `re` on the short matched text only) ------------------------------

_NUM = r"([-+]?\d{1,3}(?:\.\d+)?)"
_DECIMAL = re.compile(
    rf"^[^\w+\-]*([NSns])?\s*{_NUM}\s*(?:°|º)?\s*([NSns])?\s*[,;/]?\s*([EWOewo])?\s*{_NUM}\s*(?:°|º)?\s*([EWOewo])?\W*$"
)
_LABELLED = re.compile(rf"^[A-Za-zäÄ]+[\"']?\s*[:=]?\s*{_NUM}\D+?[\"']?\s*[:=]?\s*{_NUM}\W*$")
_DMS_BODY = r"\s*(\d{1,3})\s*[°º]\s*(\d{1,2}(?:\.\d+)?)\s*['′’]?(?:\s*(\d{1,2}(?:\.\d+)?)\s*(?:\"|″|''|”))?\s*"
_DMS_LAT = re.compile(rf"[^\w+\-]*([NSns])?{_DMS_BODY}([NSns](?![A-Za-z]))?[\s,;/]*")
_DMS_LON = re.compile(rf"([EWOewo])?{_DMS_BODY}([EWOewo](?![A-Za-z]))?")
_GEO_URI = re.compile(rf"geo:{_NUM},{_NUM}")
_E7 = re.compile(r"[:=]\s*(-?\d{5,10})[^:=]+[:=]\s*(-?\d{5,10})")
_GEOJSON = re.compile(rf"\[\s*{_NUM}\s*,\s*{_NUM}")
_GUARD_HEAD = re.compile(r"^[^0-9A-Za-z.+\-]")
_GUARD_TAIL = re.compile(r"(?<=[0-9]),[ \t]*[^0-9 \t+\-.NSEW]?$")
_HAND_NUM = r"(\d{1,3}\s\d{1,2}\.\d+|\d{4,5}\.\d+|\d{1,3}\.\d+)\s*(?:°|º)?"
# hemisphere letters before both numbers, or after both
_HAND_PRE = re.compile(rf"^([NSEW])\s*{_HAND_NUM}\s*[,;/]?\s*([NSEW])\s*{_HAND_NUM}$")
_HAND_POST = re.compile(rf"^{_HAND_NUM}\s*,?\s*([NSEW])\s*[,;/]?\s*{_HAND_NUM}\s*,?\s*([NSEW])$")
_PLAIN = re.compile(r"\d{1,3}\.\d+")


def decimals(number: str) -> int:
    """Digits after the decimal point: the precision a value was written with."""
    return len(number) - number.index(".") - 1 if "." in number else 0


def canonical(lat: float, lon: float) -> str | None:
    """`%.4f,%.4f` when the pair is a position on Earth (not the 0,0 "null island" of missing fixes)."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0 and lon == 0):
        return None
    return f"{lat + 0.0:.4f},{lon + 0.0:.4f}".replace("-0.0000", "0.0000")


def _signed(value: float, hemisphere: str | None, negative: str) -> float:
    return -abs(value) if hemisphere and hemisphere.upper() == negative else value


def _precision_score(places: int) -> float:
    # 3 decimals ~ 110 m, 4 ~ 11 m, 5 ~ 1 m: more digits, more surely a position
    return {3: 0.35, 4: 0.45, 5: 0.6}.get(places, 0.7 if places > 5 else 0.0)


def _typed_degrees(value: str, width: int) -> float | None:
    """Degrees of `d.ddd`, `dd mm.mmm`, or NMEA's `ddmm.mmm` (`width` digits of degrees)."""
    if " " in value or "\t" in value:
        degrees, minutes = value.split()
    elif len(value.partition(".")[0]) > 3:
        head, _, fraction = value.partition(".")
        if len(head) != width + 2:
            return None
        degrees, minutes = head[:-2], f"{head[-2:]}.{fraction}"
    else:
        return float(value) if decimals(value) >= 3 else None
    return int(degrees) + float(minutes) / 60 if float(minutes) < 60 else None


def hand_typed(core: str) -> tuple[float, float] | None:
    """(lat, lon) of a pair with a hemisphere letter on each number that the decimal notation does
    not read: longitude first (`E 5.18508 N 52.07006`), or degrees and decimal minutes written
    `52 04.203N` or NMEA-style `5204.2033N` (latitude `ddmm.mmm`, longitude `dddmm.mmm`)."""
    m = _HAND_PRE.match(core)
    if m is not None:
        first, num1, second, num2 = m.groups()
    else:
        m = _HAND_POST.match(core)
        if m is None:
            return None
        num1, first, num2, second = m.groups()
    if (first in "NS") == (second in "NS"):
        return None
    lon_first = first in "EW"
    if not lon_first and _PLAIN.fullmatch(num1) and _PLAIN.fullmatch(num2):
        return None  # latitude first in decimal degrees: the decimal notation reads it
    (lat_s, lat_h), (lon_s, lon_h) = ((num2, second), (num1, first)) if lon_first else ((num1, first), (num2, second))
    lat, lon = _typed_degrees(lat_s, 2), _typed_degrees(lon_s, 3)
    if lat is None or lon is None:
        return None
    return _signed(lat, lat_h, "S"), _signed(lon, lon_h, "W")


def nmea_checksum(body: str) -> int:
    """XOR of the characters between `$` and `*`."""
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def _nmea_degrees(value: str, hemisphere: str, negative: str) -> float | None:
    if not value or "." not in value or hemisphere not in ("N", "S", "E", "W"):
        return None
    head, _, _ = value.partition(".")
    if len(head) < 3:
        return None
    degrees = float(head[:-2]) + float(value[len(head) - 2 :]) / 60.0
    return _signed(degrees, hemisphere, negative)


def parse_nmea(sentence: str) -> tuple[float, float] | None:
    """(lat, lon) of a GGA, RMC or GLL sentence; None when void (RMC/GLL status `V`, GGA fix
    quality 0), malformed or mis-checksummed."""
    body, star, checksum = sentence.lstrip("$").partition("*")
    if star and (len(checksum) < 2 or int(checksum[:2], 16) != nmea_checksum(body)):
        return None
    fields = body.split(",")
    kind = fields[0][2:]
    if kind == "GGA" and len(fields) >= 7 and fields[6] != "0":
        at = 2
    elif kind == "RMC" and len(fields) >= 7 and fields[2] != "V":
        at = 3
    elif kind == "GLL" and len(fields) >= 5 and (len(fields) < 7 or fields[6][:1] != "V"):
        at = 1
    else:
        return None
    lat = _nmea_degrees(fields[at], fields[at + 1], "S")
    lon = _nmea_degrees(fields[at + 2], fields[at + 3], "W")
    if lat is None or lon is None:
        return None
    return lat, lon


class GpsDetector(Detector):
    name = "gps"
    entity = GPS_COORDINATES
    explanation = "latitude/longitude pairs in free text: decimal, DMS, NMEA sentences, geo: URIs, E7 integers"
    canonical_form = "lat,lon each rounded to 4 decimals (%.4f,%.4f)"
    patterns = PATTERNS
    context = (
        "gps",
        "locatie",
        "location",
        "positie",
        "position",
        "coordinates",
        "coordinaten",
        "coördinaten",
        "coords",
        "koordinaten",
        "standort",
        "lat",
        "lon",
        "lng",
        "latitude",
        "longitude",
        "geo",
        "pos:",
        "pos=",
        "waypoint",
        "gpx",
        "fix",
        "maps",
    )
    context_boost = 0.35
    negative_context = (
        *("€", "eur", "usd", "price", "prijs", "bedrag", "amount", "totaal", "total", "version"),
        # a VR session's poses: positions in a room, in metres, not on Earth
        *("pose", "head", "hand", "controller", "hmd", "rotation", "quaternion"),
    )
    negative_boost = 0.3

    def validate(self, text: str) -> Candidate | None:
        whole = text.startswith(('"coordinates"', "$")) and text[1:2].isalpha()
        start = 1 if not whole and _GUARD_HEAD.match(text) else 0
        if text[:1] == ",":
            return None  # a pair that continues a list of numbers (x,y,z)
        end = len(text)
        tail = None if whole else _GUARD_TAIL.search(text, start)
        if tail is not None:
            end = tail.start()  # the guard after a pair: a comma and what follows it
        elif end > start and not (text[-1].isalnum() or text[-1] in "\"'″”′’°º"):
            end -= 1  # the guard character after the candidate
        if end > start + 1 and text[end - 1] == "." and text[end - 2].isdigit():
            end -= 1  # a sentence's full stop
        core = text[start:end]
        parsed = self._parse(core)
        if parsed is None:
            return None
        value, score = parsed
        # the engine trims by UTF-8 byte offsets
        return Candidate(value, score, len(text[:start].encode()), len(text[:end].encode()))

    def _parse(self, core: str) -> tuple[str, float] | None:
        if core.startswith("$"):
            pair = parse_nmea(core)
            return (canonical(*pair), 0.85) if pair and canonical(*pair) else None
        lower = core.lower()
        if lower.startswith("geo:"):
            return self._numbers(_GEO_URI.match(lower), 0.9, min_places=1)
        if lower.startswith("latitudee7"):
            m = _E7.search(core)
            if not m:
                return None
            value = canonical(int(m.group(1)) / 1e7, int(m.group(2)) / 1e7)
            return (value, 0.9) if value else None
        if lower.startswith('"coordinates"'):
            m = _GEOJSON.search(core)
            if not m:
                return None
            lon, lat = m.group(1), m.group(2)
            value = canonical(float(lat), float(lon))
            return (value, 0.85) if value and min(decimals(lat), decimals(lon)) >= 3 else None
        if "°" in core or "º" in core:
            parsed = self._dms(core)
            if parsed is not None:
                return parsed
        typed = hand_typed(core)
        if typed is not None:
            value = canonical(*typed)
            return (value, 0.85) if value else None
        if core[:1].isalpha() and core[:2].lower() not in ("n ", "s ") and not core[1:2].isdigit():
            return self._numbers(_LABELLED.match(core), 0.8, min_places=2)
        m = _DECIMAL.match(core)
        if not m:
            return None
        h1, lat_s, h2, h3, lon_s, h4 = m.groups()
        lat_h, lon_h = h1 or h2, h3 or h4
        if bool(lat_h) != bool(lon_h):
            return None  # `52.3727 4.8952E`: one hemisphere only is not a notation
        places = min(decimals(lat_s), decimals(lon_s))
        lat, lon = float(lat_s), float(lon_s)
        if lat_h and (lat < 0 or lon < 0):
            return None
        if abs(lat) < 1 and abs(lon) < 1:
            return None  # ratios and scores, not a place in the Gulf of Guinea
        value = canonical(_signed(lat, lat_h, "S"), _signed(lon, lon_h, "W"))
        score = _precision_score(places)
        if value is None or score == 0.0:
            return None
        if lat_h or "°" in core or "º" in core:
            score += 0.3
        return value, score

    @staticmethod
    def _numbers(m: re.Match[str] | None, score: float, min_places: int) -> tuple[str, float] | None:
        if not m:
            return None
        lat_s, lon_s = m.group(1), m.group(2)
        if min(decimals(lat_s), decimals(lon_s)) < min_places:
            return None
        value = canonical(float(lat_s), float(lon_s))
        return (value, score) if value else None

    @staticmethod
    def _dms(core: str) -> tuple[str, float] | None:
        first = _DMS_LAT.match(core)
        second = _DMS_LON.match(core, first.end()) if first else None
        if first is None or second is None or core[second.end() :].strip("\"'″”′’ \t,.;"):
            return None
        values: list[float] = []
        hemispheres: list[str | None] = []
        for m in (first, second):
            pre, deg, minutes, seconds, post = m.groups()
            if float(minutes) >= 60 or (seconds is not None and float(seconds) >= 60):
                return None
            values.append(int(deg) + float(minutes) / 60 + (float(seconds) / 3600 if seconds else 0.0))
            hemispheres.append((pre or post or "").upper() or None)
        (lat, lon), (lat_h, lon_h) = values, hemispheres
        value = canonical(_signed(lat, lat_h, "S"), _signed(lon, lon_h, "W"))
        if value is None:
            return None
        return value, 0.85 if lat_h and lon_h else 0.55

    def mask(self, canonical: str) -> str:
        return mask_position(canonical)


def mask_position(canonical: str) -> str:
    """`52.3***,4.8***`: degrees and the first decimal (about 11 km), never the position itself."""
    return ",".join(part[: part.index(".") + 2] + "***" for part in canonical.split(","))
