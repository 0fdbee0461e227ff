"""A small estate of the GPS-tracker company, for answering one customer's request end to end.

- `customers.csv`: one row per customer (first and last name, BSN, e-mail, address in columns,
  IMEI of the tracker, date of birth, licence plate);
- `telemetry/dev-0001.ndjson`, `dev-0002.ndjson`: one file per device, its IMEI in the first
  record only, then positions;
- `mail.mbox`: Jan's mail to support, signed with his name and address, and the answer;
- the PostgreSQL table `estate.customers` (naam, bsn, postcode, huisnummer, imei) when a server is given.

Jan de Vries is the subject; Anna Bakker the other customer.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

JAN = {
    "name": "Jan de Vries",
    "bsn": "123456782",
    "email": "jan@example.nl",
    "imei": "352099001761481",
    "dob": "1980-05-17",
    "plate": "12-BDF-3",
    "address": "Hamseweg 22, 3828 AD Hoogland",
}
ANNA_IMEI = "356938035643809"
CSV = (
    "klant_id,first_name,last_name,bsn,email,straat,huisnummer,postcode,plaats,imei,geboortedatum,kenteken\n"
    "1,Jan,de Vries,123456782,jan@example.nl,Hamseweg,22,3828AD,Hoogland,352099001761481,17-05-1980,12-BDF-3\n"
    "2,Anna,Bakker,111222333,anna@example.nl,Kerkstraat,5,1017GC,Amsterdam,356938035643809,02-03-1975,GF-XR-86\n"
)
TABLE = """
CREATE SCHEMA IF NOT EXISTS estate;
CREATE TABLE estate.customers (id int PRIMARY KEY, naam text, bsn text, postcode text, huisnummer int, imei text);
INSERT INTO estate.customers VALUES
  (1, 'Jan de  Vries', '123456782', '3828 AD', 22, '352099001761481'),
  (2, 'Anna Bakker', '111222333', '1017 GC', 5, '356938035643809');
"""


def _telemetry(imei: str, lat: float) -> str:
    first = {"imei": imei, "ts": "2026-11-01T08:00:00Z", "lat": lat, "lon": 5.3}
    rest = [{"ts": f"2026-11-01T08:0{i}:00Z", "lat": lat + i / 1000, "lon": 5.3, "speed": 40} for i in range(1, 4)]
    return "".join(json.dumps(r) + "\n" for r in [first, *rest])


def _mails() -> bytes:
    asked = EmailMessage()
    asked["From"] = "Jan de Vries <jan@example.nl>"
    asked["To"] = "support@tracker.example"
    asked["Subject"] = "Inzage"
    asked["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    asked["Message-ID"] = "<ask@example.nl>"
    asked.set_content(
        "Beste support,\n\nIk wil graag inzage in mijn gegevens.\n\n"
        "Met vriendelijke groet,\nJan de Vries\nHamseweg 22\n3828 AD  Hoogland\n"
    )
    answer = EmailMessage()
    answer["From"] = "support@tracker.example"
    answer["To"] = "Anna Bakker <anna@example.nl>"
    answer["Subject"] = "Uw tracker"
    answer["Date"] = "Tue, 03 Nov 2026 09:00:00 +0100"
    answer["Message-ID"] = "<other@example.nl>"
    answer.set_content("Beste Anna,\n\nUw tracker is verzonden.\n")
    separator = b"From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n"
    return b"".join(separator + m.as_bytes(policy=default) + b"\n" for m in (asked, answer))


def build(root: Path) -> Path:
    """Write the files of the estate under `root`; returns `root`."""
    (root / "telemetry").mkdir(parents=True)
    (root / "customers.csv").write_text(CSV, encoding="utf-8")
    (root / "telemetry" / "dev-0001.ndjson").write_text(_telemetry(JAN["imei"], 52.1), encoding="utf-8")
    (root / "telemetry" / "dev-0002.ndjson").write_text(_telemetry(ANNA_IMEI, 52.3), encoding="utf-8")
    (root / "mail.mbox").write_bytes(_mails())
    return root
