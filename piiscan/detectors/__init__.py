"""The detector registry: the one place a detector is named.

Each entry maps a detector name to "module:Class", so an unused detector costs no import.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from piiscan.detectors.base import Candidate, Detector, Pattern, RecordDetector

__all__ = ["REGISTRY", "Candidate", "Detector", "Pattern", "RecordDetector", "load_detectors"]

REGISTRY: dict[str, str] = {
    "iban": "piiscan.detectors.iban:IbanDetector",
    "nl_bsn": "piiscan.detectors.bsn:BsnDetector",
    "credit_card": "piiscan.detectors.card:CardDetector",
    "mrz": "piiscan.detectors.mrz:MrzDetector",
    "nl_bsn_mrz": "piiscan.detectors.mrz_bsn:MrzBsnDetector",
    "email": "piiscan.detectors.email:EmailDetector",
    "phone": "piiscan.detectors.phone:PhoneDetector",
    "ip_address": "piiscan.detectors.ip:IpDetector",
    "gps": "piiscan.detectors.gps:GpsDetector",
    "gps_fields": "piiscan.detectors.gps_fields:GpsFieldsDetector",
    "address": "piiscan.detectors.address:AddressDetector",
    "places": "piiscan.detectors.places:PlaceDetector",
    "mail_address": "piiscan.detectors.mail_headers:MailAddressDetector",
    "mail_display_name": "piiscan.detectors.mail_headers:MailNameDetector",
}


def load_detectors(
    entities: Iterable[str] | None = None, names: Iterable[str] | None = None
) -> list[Detector | RecordDetector]:
    """Instances of the registered detectors, optionally only those for `entities`/`names`."""
    wanted_entities = set(entities) if entities is not None else None
    wanted_names = set(names) if names is not None else None
    out: list[Detector | RecordDetector] = []
    for name, target in REGISTRY.items():
        if wanted_names is not None and name not in wanted_names:
            continue
        module, _, cls_name = target.partition(":")
        cls = getattr(importlib.import_module(module), cls_name)
        if wanted_entities is not None and cls.entity not in wanted_entities:
            continue
        out.append(cls())
    return out
