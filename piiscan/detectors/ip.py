"""IP_ADDRESS: IPv4 (RFC 791, dotted quad) and IPv6 (RFC 4291 text forms) addresses.

The stdlib `ipaddress` module settles each candidate (octets up to 255, no leading zeros,
one `::` at most, an IPv4 tail in IPv6) and gives the canonical, compressed form (RFC 5952).
Addresses that point at no one — unspecified (`0.0.0.0`, `::`), loopback, multicast and
reserved — are not findings. A dotted quad that is a piece of a longer dotted run (an OID
`1.3.6.1.4.1`, a 5-part version) is not an address; one after `version`/`v`/`build` loses
its chance, and a public one of four parts below 100 (`3.14.2.8`) scores low without context,
as it is mostly a version.

>>> d = IpDetector()
>>> d.validate(" 192.168.10.1:").canonical
'192.168.10.1'
>>> d.validate("[2001:0DB8:0:0:0:0:0:1]").canonical
'2001:db8::1'
>>> d.validate("1.3.6.1.4") is None, d.validate("version 10.2.3.4") is None
(True, True)
>>> d.mask("192.168.10.1"), d.mask("2001:db8::1")
('192.168.*.*', '2001:db8:****')
"""

from __future__ import annotations

import ipaddress
import re

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption
from piiscan.detectors.bounds import Bounded
from piiscan.entities import IP_ADDRESS

# the whole word before an address is part of the match, so that `validate` sees "version 1.2.3.4";
# a space alone is no delimiter, so that no other start of the same match leaves the word out
_V4 = Bounded(
    r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
    before=r"(?:(?m:^) {0,3}|[^0-9A-Za-z_.\n ][ :=]{0,3}|[^0-9\n]\.|(?:(?m:^)|[^A-Za-z\n])[A-Za-z]{1,12}\.?[ :=]{1,3})",
    after=r"(?:[^0-9A-Za-z_.\n]|\.[^0-9\n]|\.?(?m:$))",
)
_V6 = Bounded(
    r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}",
    before=r"(?:(?m:^)|[^0-9A-Za-z_:.\n])",
    after=r"(?:[^0-9A-Za-z_:.\n]|\.[^0-9\n]|\.?(?m:$))",
)
#: words after which a dotted quad is a version or an object identifier, not an address
_VERSION = re.compile(r"(?i)(?:^|[^a-z])(?:version|versie|release|build|firmware|ver|v|oid|snmp)\.?[ :=]{1,3}$")


class IpDetector(Detector):
    name = "ip_address"
    entity = IP_ADDRESS
    explanation = (
        "IPv4 and IPv6 (stdlib ipaddress); unspecified, loopback, multicast, reserved addresses and OIDs refused"
    )
    canonical_form = "the address in its compressed standard form"
    subject = SubjectOption("ip", "ADDRESS", "IPv4 or IPv6 address; repeatable.", "not an IPv4 or IPv6 address")
    patterns = (Pattern(_V4.regex, 0.6), Pattern(_V6.regex, 0.6))
    context = ("ip", "ip-adres", "ip address", "ipv4", "ipv6", "remote", "src", "peer", "login", "adres")
    context_boost = 0.3

    def validate(self, text: str) -> Candidate | None:
        found = _V4.find(text) or _V6.find(text)
        if found is None:
            return None
        body, start, end = found
        if _VERSION.search(text.encode()[:start].decode("utf-8", "replace")):
            return None
        try:
            address = ipaddress.ip_address(body)
        except ValueError:
            return None
        # an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address, and hashes as it
        address = getattr(address, "ipv4_mapped", None) or address
        if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_reserved:
            return None
        # a public address whose four parts are all below 100 (3.14.2.8) is more often a version:
        # only about 2% of random public addresses look like that
        weak = address.version == 4 and not address.is_private and all(len(p) < 3 for p in body.split("."))
        return Candidate(address.compressed, score=0.3 if weak else None, start=start, end=end)

    def mask(self, canonical: str) -> str:
        if "." in canonical and ":" not in canonical:
            return ".".join(canonical.split(".")[:2]) + ".*.*"
        return ":".join(canonical.split(":")[:2]) + ":****"
