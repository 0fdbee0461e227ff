"""Realistic synthetic data for the benchmarks: support logs, CSV exports, JSON Lines events.

Values are valid (IBAN mod-97, BSN 11-proof, Luhn cards) and mixed with the hard negatives real
data is full of (UUIDs, hashes, timestamps, order and KvK numbers). Deterministic for a seed.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

from stdnum import iban, luhn

FIRST = ["Jan", "Anna", "Piet", "Sophie", "Daan", "Emma", "Lucas", "Julia", "Sem", "Tess", "Hans", "Fleur"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Peeters", "Müller"]
TOWNS = ["Amsterdam", "Utrecht", "Rotterdam", "Hoogland", "Almelo", "Zwolle", "Gent", "Keulen"]
WORDS = (
    "de het een tracker locatie werkt niet meer sinds gisteren graag terugbellen over abonnement "
    "factuur levering batterij app update firmware storing opgelost dank u wel klant melding"
).split()


def bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


def nl_iban(rng: random.Random) -> str:
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO"])
    body = f"{bank}{rng.randrange(10**10):010d}"
    return f"NL{iban.calc_check_digits('NL00' + body)}{body}"


def card(rng: random.Random) -> str:
    prefix = rng.choice(["4", "51", "52", "55", "2221"])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    return body + luhn.calc_check_digit(body)


def email(rng: random.Random, first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower().replace(' ', '')}@example.nl".replace("ü", "u")


def phone(rng: random.Random) -> str:
    return rng.choice([f"06 {rng.randrange(10**8):08d}", f"+31 20 {rng.randrange(10**7):07d}"])


def ip(rng: random.Random) -> str:
    return f"198.51.100.{rng.randrange(1, 255)}"


def gps(rng: random.Random) -> str:
    return f"{rng.uniform(50.8, 53.5):.5f}, {rng.uniform(3.4, 7.2):.5f}"


def noise(rng: random.Random) -> str:
    return rng.choice(
        [
            f"session={uuid.UUID(int=rng.getrandbits(128))}",
            f"sha256={rng.getrandbits(256):064x}",
            f"order {rng.randrange(10**7, 10**8)}",
            f"KvK {rng.randrange(10**7, 10**8)}",
            f"v{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(50)}",
            f"took {rng.randrange(2000)} ms",
        ]
    )


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def log_lines(rng: random.Random, pii_rate: float = 0.15) -> Iterator[str]:
    """One line of a support/telemetry log; about `pii_rate` of lines carry a value."""
    second = 0
    while True:
        second += rng.randrange(1, 30)
        day, hour, minute = 1 + second // 86400 % 28, second // 3600 % 24, second // 60 % 60
        ts = f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:{second % 60:02d}Z"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        text = sentence(rng, rng.randrange(6, 16))
        if rng.random() < pii_rate:
            value = rng.choice(
                [
                    f"mijn bsn is {bsn(rng)}",
                    f"IBAN {nl_iban(rng)}",
                    f"mail {email(rng, first, last)}",
                    f"bel {phone(rng)}",
                    f"kaart {card(rng)}",
                    f"vanaf ip {ip(rng)}",
                    f"positie {gps(rng)}",
                    f"woont in {rng.choice(TOWNS)}",
                ]
            )
            text = f"{text} {value}"
        yield f"{ts} {rng.choice(['INFO', 'WARN', 'chat'])} {noise(rng)} {text}\n"


def records(rng: random.Random) -> Iterator[dict[str, object]]:
    i = 0
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield {
            "id": i,
            "name": f"{first} {last}",
            "email": email(rng, first, last) if rng.random() < 0.5 else "",
            "phone": phone(rng) if rng.random() < 0.3 else "",
            "bsn": bsn(rng) if rng.random() < 0.2 else "",
            "iban": nl_iban(rng) if rng.random() < 0.3 else "",
            "note": sentence(rng, rng.randrange(3, 12)),
            "created": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
            "order": str(rng.randrange(10**7, 10**8)),
        }
        i += 1


def write_text(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        written = 0
        for line in log_lines(rng):
            f.write(line)
            written += len(line)
            if written >= size:
                return


def write_csv(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = None
        for rec in records(rng):
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(rec))
                writer.writeheader()
            writer.writerow(rec)
            if f.tell() >= size:
                return


def write_jsonl(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for rec in records(rng):
            f.write(json.dumps({"event": "signup", "customer": rec}) + "\n")
            if f.tell() >= size:
                return


def write_parquet(path: Path, size: int, seed: int) -> None:
    """Row groups of 50k records, until about `size` bytes of CSV-equivalent text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    gen = records(rng)
    writer = None
    done = 0
    while done < size:
        batch = [next(gen) for _ in range(50_000)]
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=list(batch[0])).writerows(batch)
        done += len(buf.getvalue())
        table = pa.Table.from_pylist(batch)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def write_xlsx(path: Path, size: int, seed: int) -> None:
    """A customer workbook: the CSV export's records (a header row, `id` a number) on sheets of at
    most 50,000 rows, until about `size` bytes of CSV-equivalent text. Written by XlsxWriter
    (installed with python-pptx) as Excel writes a workbook: shared strings, each sheet's dimension
    first (openpyxl writes inline strings, slower to read, and its write-only mode no dimension)."""
    import xlsxwriter

    rng = random.Random(seed)
    gen = records(rng)
    book = xlsxwriter.Workbook(str(path))
    done, sheet, row = 0, None, 0
    while done < size:
        rec = next(gen)
        if sheet is None or row > 50_000:
            sheet, row = book.add_worksheet(f"Klanten {len(book.worksheets()) + 1}"), 1
            sheet.write_row(0, 0, list(rec))
        sheet.write_row(row, 0, list(rec.values()))
        row += 1
        done += sum(len(str(v)) + 1 for v in rec.values())
    book.close()


def telemetry(rng: random.Random) -> Iterator[dict[str, object]]:
    """GPS-tracker telemetry: a full-precision position on every line, now and then a driver."""
    second = 0
    lat, lon = rng.uniform(50.8, 53.5), rng.uniform(3.4, 7.2)
    while True:
        second += rng.randrange(1, 10)
        lat += rng.uniform(-0.001, 0.001)
        lon += rng.uniform(-0.001, 0.001)
        day, hour, minute = 1 + second // 86400 % 28, second // 3600 % 24, second // 60 % 60
        event: dict[str, object] = {
            "device": f"trk-{rng.randrange(10**5):05d}",
            "ts": f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:{second % 60:02d}Z",
            "pos": {"lat": lat, "lon": lon, "alt": rng.uniform(-5.0, 120.0)},
            "speed": rng.uniform(0, 130),
            "heading": rng.randrange(360),
            "battery": rng.randrange(5, 100),
            "firmware": f"v{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(50)}",
        }
        if rng.random() < 0.05:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            event["driver"] = {"name": f"{first} {last}", "phone": phone(rng), "email": email(rng, first, last)}
        yield event


def write_telemetry(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for event in telemetry(rng):
            f.write(json.dumps(event) + "\n")
            if f.tell() >= size:
                return


def write_countries(path: Path, size: int, seed: int) -> None:
    """A customer table whose rows name their country (a `country` column, an address): national
    phone numbers of Germany, the Netherlands and the USA, mostly distinct."""
    rng = random.Random(seed)
    countries = ["DE", "NL", "Nederland", "US", "France", "", "België"]
    streets = ["Hauptstraße", "Kerkstraat", "Lindenallee", "Main Street", "rue de la Paix", "Hamseweg"]
    phones = [
        lambda: f"030 {rng.randrange(2000000, 9999999)}",
        lambda: f"06 {rng.randrange(10000000, 99999999)}",
        lambda: f"({rng.choice([212, 415, 646])}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
        lambda: f"0221 {rng.randrange(2000000, 9999999)}",
        lambda: "",
    ]
    header = ["id", "name", "email", "phone", "street", "postcode", "city", "country", "note"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        i = 0
        while f.tell() < size:
            street = f"{rng.choice(streets)} {rng.randrange(1, 200)}"
            postcode = rng.choice(["10115", "3543 LS", "75002", "1000"])
            city = rng.choice(["Berlin", "Utrecht", "Paris"])
            note = "geen opmerking " * rng.randrange(1, 4)
            writer.writerow([i, f"Klant {i}", f"klant{i}@example.nl", rng.choice(phones)(), street, postcode, city,
                             rng.choice(countries), note])  # fmt: skip
            i += 1


WRITERS = {
    "text": (".log", write_text),
    "csv": (".csv", write_csv),
    "countries": (".csv", write_countries),
    "jsonl": (".jsonl", write_jsonl),
    "telemetry": (".ndjson", write_telemetry),
}
WRITERS_BINARY = {"parquet": (".parquet", write_parquet), "xlsx": (".xlsx", write_xlsx)}


#: the mixed estate of issue 9: by bytes mostly NDJSON telemetry, the rest support logs, chats and CSV exports
ESTATE_SHARES = (("telemetry", 0.78), ("text", 0.14), ("csv", 0.08))


def write_estate(folder: Path, size: int, objects: int, seed: int = 1) -> None:
    """`objects` small files of about `size` bytes in all, in folders of 500, shared out as
    `ESTATE_SHARES` (a GPS-tracker company's bucket: device uploads, support logs, CRM exports)."""
    rng = random.Random(seed)
    per_object = size / objects
    for i in range(objects):
        kind = rng.choices([k for k, _ in ESTATE_SHARES], [w for _, w in ESTATE_SHARES])[0]
        suffix, writer = WRITERS[kind]
        sub = folder / f"{kind}-{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        writer(sub / f"{i:06d}{suffix}", int(per_object * rng.uniform(0.2, 1.8)), seed=seed * 100_000 + i)
