"""The names of the built-in entities (docs/scan-directory.md), for code that refers to them.

An entity is owned by its detectors (`piiscan.detectors.base`): its canonical form, mask and
`subject find` option live there, and the entities a scan knows are those of the installed
detectors (`piiscan.detectors.known_entities`) and rule packs. A new entity needs no line here.
"""

from __future__ import annotations

IBAN_CODE = "IBAN_CODE"
NL_BSN = "NL_BSN"
CREDIT_CARD = "CREDIT_CARD"
MRZ = "MRZ"
GPS_COORDINATES = "GPS_COORDINATES"
LOCATION = "LOCATION"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
PERSON = "PERSON"
IP_ADDRESS = "IP_ADDRESS"
DEVICE_ID = "DEVICE_ID"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
LICENSE_PLATE = "LICENSE_PLATE"
