"""DEVICE_ID: identifiers of a device that is linked to a person (a GPS tracker, a phone, its SIM).

- IMEI (3GPP TS 23.003 section 6.2.1): 15 digits, an 8-digit type allocation code, a 6-digit
  serial number and a Luhn check digit; written plain or `AA-BBBBBB-CCCCCC-D`. IMEISV: the same
  14 digits and a 2-digit software version instead of the check digit (16 digits); it names the
  same device, so its canonical form is the IMEI (check digit computed).
- ICCID (ITU-T E.118): the SIM card's number, `89` (telecom), 19 or 20 digits, Luhn-valid.
- MAC address (IEEE 802, EUI-48): six pairs of hex digits, `aa:bb:cc:dd:ee:ff`,
  `AA-BB-CC-DD-EE-FF` or `aabb.ccdd.eeff`; the all-zero and broadcast addresses are refused.

Fifteen digits pass the Luhn check one time in ten and a card number is Luhn-valid too, so an
IMEI, an IMEISV and a MAC address are findings only with context (`imei`, `device`, `tracker`,
`mac`…, or a field so named), and a number that is a valid payment card is no IMEI. An ICCID is
rarer and longer: it scores just below the threshold and context settles it. Canonical: the
kind and the value, `imei:…`, `iccid:…`, `mac:aa:bb:cc:dd:ee:ff`.

>>> d = ImeiDetector()
>>> d.validate("35-209900-176148-1").canonical
'imei:352099001761481'
>>> d.validate("3520990017614823").canonical  # an IMEISV: the IMEI of the same device
'imei:352099001761481'
>>> d.validate("352099001761482") is None  # Luhn fails
True
>>> DeviceIdDetector().validate("00:1A:2b:3C:4d:5E").canonical
'mac:00:1a:2b:3c:4d:5e'
>>> DeviceIdDetector().canonicalise("352099001761481")  # --device takes an IMEI too
'imei:352099001761481'
>>> d.mask("imei:352099001761481")
'imei:****1481'
"""

from __future__ import annotations

import re

from stdnum import luhn

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption, mask_tail
from piiscan.detectors.card import CardDetector
from piiscan.entities import DEVICE_ID

_CARD = CardDetector()
_HEX12 = re.compile(r"[0-9a-f]{12}")
_PREFIXED = re.compile(r"^(imei|imeisv|iccid|mac)\s*:\s*", re.IGNORECASE)

CONTEXT = (
    "imei",
    "imeisv",
    "device",
    "device_id",
    "deviceid",
    "tracker",
    "toestel",
    "apparaat",
    "handset",
    "serienummer",
    "serial",
)


def imei(text: str) -> str | None:
    """`imei:` and the 15 digits of an IMEI, or of the IMEI an IMEISV belongs to; None when neither."""
    digits = text.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) == 15 and luhn.is_valid(digits) and _CARD.validate(digits) is None:
        return f"imei:{digits}"
    if len(digits) == 16 and _CARD.validate(digits) is None:
        body = digits[:14]
        return f"imei:{body}{luhn.calc_check_digit(body)}"
    return None


def iccid(text: str) -> str | None:
    digits = text.replace(" ", "").replace("-", "")
    if digits.isascii() and digits.isdigit() and len(digits) in (19, 20) and digits.startswith("89"):
        return f"iccid:{digits}" if luhn.is_valid(digits) else None
    return None


def mac(text: str) -> str | None:
    compact = text.lower().replace(":", "").replace("-", "").replace(".", "")
    if not _HEX12.fullmatch(compact) or compact in ("000000000000", "ffffffffffff"):
        return None
    return "mac:" + ":".join(compact[i : i + 2] for i in range(0, 12, 2))


def _bare(value: str) -> str:
    """A value typed with its kind (`imei: 35…`) without the kind: the kind is in the form itself."""
    return _PREFIXED.sub("", value.strip())


def mask_device(canonical: str) -> str:
    kind, _, value = canonical.partition(":")
    return f"{kind}:{mask_tail(value)}"


class ImeiDetector(Detector):
    name = "imei"
    entity = DEVICE_ID
    explanation = "IMEI: 15 digits, Luhn, not a payment card; IMEISV (16 digits) as its IMEI; context needed"
    canonical_form = "`imei:` and the 15 digits of the IMEI (an IMEISV's computed)"
    subject = SubjectOption(
        "imei", "IMEI", "IMEI or IMEISV of a device; repeatable.", "not an IMEI (15 digits, Luhn) or IMEISV (16 digits)"
    )
    patterns = (
        Pattern(r"\b\d{15,16}\b", 0.3),
        Pattern(r"\b\d{2}[ \-]\d{6}[ \-]\d{6}[ \-]\d{1,2}\b", 0.35),
    )
    context = CONTEXT
    context_boost = 0.4
    # "tracker", "device", "serial" are everywhere in a tracker company's logs, 15-digit runs are few
    hint_context = False

    def validate(self, text: str) -> Candidate | None:
        canonical = imei(text)
        return Candidate(canonical) if canonical else None

    def canonicalise(self, value: str) -> str | None:
        return imei(_bare(value))

    def mask(self, canonical: str) -> str:
        return mask_device(canonical)


class DeviceIdDetector(Detector):
    name = "device_id"
    entity = DEVICE_ID
    explanation = "ICCID (`89`, 19-20 digits, Luhn) and MAC addresses (EUI-48, not all-zero or broadcast), with context"
    canonical_form = "`iccid:` and the digits; `mac:` and six lower-case hex pairs joined by colons"
    subject = SubjectOption(
        "device",
        "ID",
        "A device identifier: IMEI, IMEISV, ICCID or MAC address; repeatable.",
        "not an IMEI, IMEISV, ICCID or MAC address",
    )
    patterns = (
        Pattern(r"\b89\d{17,18}\b", 0.45),
        Pattern(r"\b[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}\b", 0.3),
        Pattern(r"\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b", 0.3),
    )
    context = (*CONTEXT, "iccid", "sim", "simkaart", "sim-kaart", "mac", "wifi", "wi-fi", "bluetooth", "bssid")
    context_boost = 0.4
    # as for the IMEI: everyday words in device logs, and ICCID- or MAC-shaped candidates are few
    hint_context = False

    def validate(self, text: str) -> Candidate | None:
        canonical = iccid(text) if text[:1].isdigit() and len(text) >= 19 else None
        canonical = canonical or mac(text)
        return Candidate(canonical) if canonical else None

    def canonicalise(self, value: str) -> str | None:
        bare = _bare(value)
        return iccid(bare) or mac(bare) or imei(bare)

    def mask(self, canonical: str) -> str:
        return mask_device(canonical)
