"""DEVICE_ID: IMEI and IMEISV (one device, one canonical form), ICCID, MAC; cards and bare numbers refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.device import DeviceIdDetector, ImeiDetector
from piiscan.entities import DEVICE_ID
from tests.detectors.scanning import found
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("IMEI: 352099001761481", "352099001761481", "imei:352099001761481"),
        ("imei 35-209900-176148-1.", "35-209900-176148-1", "imei:352099001761481"),
        ("tracker 356938035643809 online", "356938035643809", "imei:356938035643809"),
        ("IMEISV 3520990017614823", "3520990017614823", "imei:352099001761481"),
    ],
)
def test_imei_found(text: str, span: str, canonical: str) -> None:
    assert found("imei", text) == [(span, h(DEVICE_ID, canonical))]


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("ICCID 89310410106543789305", "89310410106543789305", "iccid:89310410106543789305"),
        ("sim: 8931041010654378932", "8931041010654378932", "iccid:8931041010654378932"),
        ("MAC 00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5E", "mac:00:1a:2b:3c:4d:5e"),
        ("bluetooth 00-1a-2b-3c-4d-5e", "00-1a-2b-3c-4d-5e", "mac:00:1a:2b:3c:4d:5e"),
        ("wifi mac aabb.ccdd.eeff", "aabb.ccdd.eeff", "mac:aa:bb:cc:dd:ee:ff"),
    ],
)
def test_iccid_and_mac_found(text: str, span: str, canonical: str) -> None:
    assert found("device_id", text) == [(span, h(DEVICE_ID, canonical))]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("imei", "352099001761481"),  # a bare Luhn-valid 15-digit number: context needed
        ("imei", "IMEI 352099001761482"),  # Luhn fails
        ("imei", "device card 4111111111111111"),  # a Visa number is no IMEISV
        ("imei", "device 378282246310005"),  # an Amex number is no IMEI
        ("device_id", "ICCID 89310410106543789304"),  # Luhn fails
        ("device_id", "at 00:1A:2B:3C:4D:5E"),  # no context
        ("device_id", "mac ff:ff:ff:ff:ff:ff"),  # broadcast
        ("device_id", "mac 00:00:00:00:00:00"),
    ],
)
def test_refused(name: str, text: str) -> None:
    assert found(name, text) == []


@pytest.mark.parametrize(
    ("value", "imei", "device"),
    [
        ("352099001761481", "imei:352099001761481", "imei:352099001761481"),
        ("imei: 35-209900-176148-1", "imei:352099001761481", "imei:352099001761481"),
        ("3520990017614823", "imei:352099001761481", "imei:352099001761481"),
        ("00:1A:2B:3C:4D:5E", None, "mac:00:1a:2b:3c:4d:5e"),
        ("iccid:89310410106543789305", None, "iccid:89310410106543789305"),
        ("12345", None, None),
    ],
)
def test_canonicalise(value: str, imei: str | None, device: str | None) -> None:
    assert ImeiDetector().canonicalise(value) == imei
    assert DeviceIdDetector().canonicalise(value) == device


def test_mask() -> None:
    assert ImeiDetector().mask("imei:352099001761481") == "imei:****1481"
    assert DeviceIdDetector().mask("mac:00:1a:2b:3c:4d:5e") == "mac:****d:5e"
