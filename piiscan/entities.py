"""The entity names of docs/scan-directory.md: one source of truth for names and canonical forms."""

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

#: entity -> the canonical value FINDINGS.md hashes, in words (shown by `piiscan detectors`).
CANONICAL_FORMS: dict[str, str] = {
    IBAN_CODE: "upper case, no spaces or separators",
    NL_BSN: "9 digits, an 8-digit one left-padded with 0",
    CREDIT_CARD: "digits only",
    MRZ: "the document number field, upper case, '<' fillers removed",
    GPS_COORDINATES: "lat,lon each rounded to 4 decimals (%.4f,%.4f)",
    LOCATION: "lower case, runs of white space collapsed to one space",
    EMAIL_ADDRESS: "lower case, trimmed",
    PHONE_NUMBER: "E.164, default region NL",
    PERSON: "lower case, white space collapsed",
    IP_ADDRESS: "the address in its compressed standard form",
}

ALL_ENTITIES: tuple[str, ...] = tuple(CANONICAL_FORMS)
