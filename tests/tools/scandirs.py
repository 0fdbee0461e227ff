"""Scan directories for the tools' tests: scanned from small files, plus rows written by hand.

Hand-written rows follow FINDINGS.md exactly and stand for what the mail and PostgreSQL
connectors produce (a message member with its Date:, a table row with row_key and timestamp),
and for bucket objects with a region, which a local scan cannot have.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.hashing import key_fingerprint
from piiscan.scandir import TABLES
from tests.helpers import TEST_KEY, h

#: the planted values: none may appear in clear in any file a tool writes
BSN = "123456782"
BSN_MAIL = "111222333"
IBAN = "NL91ABNA0417164300"
IBAN_DB = "DE89370400440532013000"
EMAIL = "jan.devries@example.nl"
NAME = "jan de vries"
PLANTED = [BSN, "123 456 782", BSN_MAIL, IBAN, "NL91 ABNA 0417 1643 00", IBAN_DB, EMAIL, NAME, "Jan de Vries"]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def finding(obj: str, entity: str, canonical: str, masked: str, **where: Any) -> dict[str, Any]:
    return {
        "scan_id": "hand",
        "object": obj,
        "member": where.pop("member", ""),
        "entity": entity,
        "detector": "hand@1",
        "score": 1.0,
        "value_hash": h(entity, canonical),
        "masked": masked,
        **where,
    }


def obj(uri: str, **cols: Any) -> dict[str, Any]:
    return {"scan_id": "hand", "object": uri, "member": "", "status": "scanned", **cols}


def write_scandir(out: Path, findings: list[dict], objects: list[dict], errors: list[dict] = ()) -> Path:  # type: ignore[assignment]
    """A scan directory with these rows (missing columns null), and a manifest under the test key."""
    for table, rows in (("findings", findings), ("objects", objects), ("errors", list(errors))):
        schema = TABLES[table]
        (out / table).mkdir(parents=True, exist_ok=True)
        columns = {name: [r.get(name) for r in rows] for name in schema.names}
        pq.write_table(pa.table(columns, schema=schema), out / table / "part-hand-00001.parquet")
    status = "partial" if errors else "complete"
    manifest = {"scan_id": "hand", "status": status, "finished": "2026-11-01T00:00:00+00:00"}
    manifest["key_fingerprint"] = key_fingerprint(TEST_KEY.encode())
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def mail_and_db_scan(out: Path) -> Path:
    """A mail export holding one BSN in one message, and a customers table with an IBAN in one row."""
    mbox = "file:///data/mail/support.mbox"
    table = "postgresql://db.internal:5432/crm/public.customers"
    findings = [
        finding(mbox, "NL_BSN", BSN_MAIL, "****2333", member="<m1@example.nl>", line=7, modified=ts("2014-03-02")),
        finding(
            mbox, "PERSON", NAME, "j** d* v****", member="<m2@example.nl>", field="From", modified=ts("2025-01-05")
        ),
        finding(
            table,
            "IBAN_CODE",
            IBAN_DB,
            "DE89 **** **** **** **** 3000",
            record=41,
            field="iban",
            row_key='{"id": 42}',
            modified=ts("2023-06-30"),
        ),
    ]
    objects = [
        obj(mbox, size=5000, modified=ts("2025-01-05"), content_type="application/mbox", findings=2),
        obj(mbox, member="<m1@example.nl>", modified=ts("2014-03-02"), content_type="message/rfc822", findings=1),
        obj(mbox, member="<m2@example.nl>", modified=ts("2025-01-05"), content_type="message/rfc822", findings=1),
        obj(mbox, member="#2", status="failed", reason="message could not be parsed", findings=0),
        obj(table, modified=ts("2026-11-01"), content_type="application/x-postgresql-table", findings=1),
        obj("file:///data/big.iso", status="skipped", reason="larger than --max-object-size", findings=0),
    ]
    errors = [
        {
            "scan_id": "hand",
            "object": mbox,
            "member": "#2",
            "stage": "extract",
            "error": "ExtractError",
            "message": "message could not be parsed",
        }
    ]
    return write_scandir(out, findings, objects, errors)


def output_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def leaked(paths: list[Path]) -> list[tuple[str, str]]:
    """(file, planted value) for every planted value found in clear in the bytes of these files."""
    out = []
    for path in paths:
        data = path.read_bytes().lower()
        if path.suffix == ".parquet":  # compressed pages would hide a value from a byte grep
            data += str(pq.read_table(path).to_pylist()).lower().encode()
        out += [(path.name, v) for v in PLANTED if v.lower().encode() in data]
    return out
