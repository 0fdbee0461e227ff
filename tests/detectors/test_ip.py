"""IP_ADDRESS: IPv4 and IPv6 in canonical form; versions, OIDs and addresses of no one refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.ip import IpDetector
from piiscan.entities import IP_ADDRESS
from tests.detectors.scanning import found, scores
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("login from 192.168.10.1 ok", "192.168.10.1", "192.168.10.1"),
        ("client=81.204.17.3:443", "81.204.17.3", "81.204.17.3"),
        ("[2001:0DB8:0:0:0:0:0:1]:443", "2001:0DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("ip fe80::1%eth0", "fe80::1", "fe80::1"),
        ("src 2a02:a210:2e40::7f3c.", "2a02:a210:2e40::7f3c", "2a02:a210:2e40::7f3c"),
        ("mapped ::ffff:81.204.17.3", "::ffff:81.204.17.3", "81.204.17.3"),
        ("ip 10.0.0.1/24", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("ip_address", text) == [(span, h(IP_ADDRESS, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "version 10.2.3.4",
        "v 10.2.3.4",
        "release: 2.10.1.0",
        "oid 1.3.6.1.4.1.311",
        "1.3.6.1.4",
        "app 1.2.3.4",  # four single digits: a version far more often than an address
        "v10.2.3.4",
        "256.1.1.1",
        "01.02.03.04",
        "0.0.0.0 127.0.0.1 224.0.0.1 255.255.255.255 ::1 ::",
        "at 10:30:00",
        "mac 00:1a:2b:3c:4d:5e",
        "std::vector",
    ],
)
def test_refused(text: str) -> None:
    assert found("ip_address", text) == []


def test_scores() -> None:
    assert scores("ip_address", "x 81.204.17.3") == [0.6]
    assert scores("ip_address", "ip-adres 81.204.17.3") == [0.9]


def test_mask() -> None:
    assert IpDetector().mask("192.168.10.1") == "192.168.*.*"
    assert IpDetector().mask("2001:db8::1") == "2001:db8:****"
