"""`piiscan retention check`: the exact overdue items of a rule pack at a fixed --now."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from piiscan.tools.retention import Rule, load_rules
from tests.tools.scandirs import BSN, IBAN, finding, leaked, obj, output_files, ts, write_scandir

CHAT = "s3://acme-support/support-chat/2026/11/01.jsonl"
CALL = "s3://acme-support/calls/2026-05-02.txt"
INVOICE = "s3://acme-finance/finance/invoices-2015.csv"
MBOX = "file:///data/mail/archive.mbox"
EML = "file:///data/mail/saved/offer.eml"  # a lone message file: the object itself is the message
ACCOUNTS = "postgresql://db:5432/app/public.accounts"


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    """Chats, calls, invoices, mail messages and account rows of known ages."""
    bsn, iban = ("NL_BSN", BSN, "****6782"), ("IBAN_CODE", IBAN, "NL91 **** **** **** 4300")
    findings = [
        finding(CHAT, *bsn, record=0, modified=ts("2026-11-01")),  # 22 days on 2026-11-23: overdue (14 d)
        finding(CHAT, *bsn, record=1, modified=ts("2026-11-20")),  # 3 days: fine
        finding(CALL, *bsn, line=3, modified=ts("2026-05-02")),  # > 3 months: overdue
        finding(INVOICE, *iban, record=5, modified=ts("2015-01-10")),  # 10 years 10 months: overdue
        finding(MBOX, *bsn, member="<old@x>", line=4, modified=ts("2016-11-22")),  # 10 y + 1 day: overdue
        finding(MBOX, *bsn, member="<new@x>", line=9, modified=ts("2016-11-23")),  # exactly 10 y: fine
        finding(EML, *bsn, line=7, modified=ts("2016-11-01")),  # its Date: 10 y + 22 days: overdue
        finding(ACCOUNTS, *iban, record=0, row_key='{"id": 1}', modified=ts("2024-11-22")),  # overdue (2 y)
        finding(ACCOUNTS, *iban, record=1, row_key='{"id": 2}', modified=ts("2025-06-01")),  # fine
        finding(ACCOUNTS, *iban, record=2, row_key='{"id": 3}'),  # no timestamp: undated
    ]
    objects = [
        obj(CHAT, modified=ts("2026-11-20"), content_type="application/x-ndjson", findings=2),
        obj(CALL, modified=ts("2026-05-02"), content_type="text/plain", findings=1),
        obj(INVOICE, modified=ts("2015-01-10"), content_type="text/csv", findings=1),
        obj(MBOX, modified=ts("2026-01-01"), content_type="application/mbox", findings=2),
        obj(MBOX, member="<old@x>", modified=ts("2016-11-22"), content_type="message/rfc822", findings=1),
        obj(MBOX, member="<new@x>", modified=ts("2016-11-23"), content_type="message/rfc822", findings=1),
        obj(EML, modified=ts("2025-02-01"), content_type="message/rfc822", findings=1),
        obj(ACCOUNTS, modified=ts("2026-11-01"), content_type="application/x-postgresql-table", findings=3),
    ]
    return write_scandir(tmp_path / "scan", findings, objects)


def test_default_pack_overdue_items(scan: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(
        main, ["retention", "check", str(scan), "--now", "2026-11-23", "--output", str(out / "overdue.json")]
    )
    assert result.exit_code == ExitCode.VIOLATIONS, result.output
    data = json.loads((out / "overdue.json").read_text())
    got = [(i["rule"], i["object"], i["member"], i["record"], i["row_key"], i["age_days"]) for i in data["items"]]
    assert got == [
        ("e-mail", MBOX, "<old@x>", None, None, 3653),
        ("e-mail", EML, "", None, None, 3674),
        ("financial-records", INVOICE, "", 5, None, 4335),
        ("inactive-accounts", ACCOUNTS, "", 0, '{"id": 1}', 731),
        ("recorded-calls", CALL, "", None, None, 205),
        ("support-chat", CHAT, "", 0, None, 22),
    ]
    summary = {s["rule"]: (s["checked"], s["overdue"], s["undated"]) for s in data["summary"]}
    assert summary == {
        "financial-records": (1, 1, 0),
        "support-chat": (2, 1, 0),
        "recorded-calls": (1, 1, 0),
        "whatsapp": (0, 0, 0),
        "e-mail": (3, 2, 0),
        "complaints": (0, 0, 0),
        "inactive-accounts": (3, 1, 1),
        "id-copies": (0, 0, 0),
    }
    assert "support-chat: 1 overdue of 2 checked" in result.output
    assert leaked(output_files(out)) == []


def test_nothing_overdue_exits_zero(scan: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - name: chat\n    basis: keep chat a year\n"
        "    select: {objects: ['*/support-chat/*']}\n    max_age: 1 year\n    age_of: object\n"
    )
    out = tmp_path / "overdue.parquet"
    args = ["retention", "check", str(scan), "--rules", str(rules), "--now", "2026-11-23", "--output", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 0


@pytest.mark.parametrize(
    ("select", "age_of", "expected"),
    [
        ("{entities: [IBAN_CODE]}", "object", [(INVOICE, ""), (ACCOUNTS, "")]),
        ("{kinds: [mail_message]}", "object", [(EML, ""), (MBOX, "<new@x>"), (MBOX, "<old@x>")]),
        ("{content_types: ['text/*']}", "record", [(CALL, ""), (INVOICE, "")]),
        ("{kinds: [database_row], entities: [NL_BSN]}", "record", []),
    ],
)
def test_selectors(scan: Path, tmp_path: Path, select: str, age_of: str, expected: list[tuple[str, str]]) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules:\n  - {{name: r, basis: b, select: {select}, max_age: 1 day, age_of: {age_of}}}\n")
    result = CliRunner().invoke(
        main, ["retention", "check", str(scan), "--rules", str(rules), "--now", "2026-12-31", "--format", "json"]
    )
    items = json.loads(result.output[result.output.index("{") :])["items"]
    assert sorted({(i["object"], i["member"]) for i in items}) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: []\n", "rules: [] should be non-empty"),
        (
            "rules:\n  - {name: r, basis: b, select: {objects: ['*']}, max_age: 2 fortnights, age_of: object}\n",
            "rules[0].max_age: '2 fortnights' does not match",
        ),
        (
            "rules:\n  - {name: r, basis: b, select: {kinds: [chat]}, max_age: 1 day, age_of: object}\n",
            "rules[0].select.kinds[0]: 'chat' is not one of",
        ),
        (
            "rules:\n  - {name: r, select: {objects: ['*']}, max_age: 1 day, age_of: object}\n",
            "rules[0]: 'basis' is a required property",
        ),
        ("rules: [\n", "is not valid YAML at line 2"),
    ],
)
def test_invalid_rule_pack_is_a_clear_error(scan: Path, tmp_path: Path, text: str, message: str) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(text)
    result = CliRunner().invoke(main, ["retention", "check", str(scan), "--rules", str(rules)])
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_default_pack_ships_and_quotes_the_policy() -> None:
    rules = load_rules(None)
    got = {r.name: (r.max_age, r.min_age, r.age_of, r.requires_findings) for r in rules}
    assert got == {
        "financial-records": ("10 years", "10 years", "record", True),
        "support-chat": ("14 days", None, "record", True),
        "recorded-calls": ("3 months", None, "object", False),
        "whatsapp": ("3 months", None, "record", True),
        "e-mail": ("10 years", None, "record", True),
        "complaints": ("10 years", None, "record", True),
        "inactive-accounts": ("2 years", None, "record", True),
        "id-copies": ("4 weeks", None, "object", False),
    }
    policy = Path(__file__).parents[1] / "fixtures" / "policies" / "conneqtech-privacy-statement.txt"
    text = " ".join(policy.read_text().split())
    # every rule quotes the statement (an elision written [...])
    assert [r.name for r in rules if not all(part in text for part in r.basis.split(" [...] "))] == []


@pytest.mark.parametrize(
    ("max_age", "now", "cutoff"),
    [
        ("14 days", "2026-11-23", "2026-11-09"),
        ("3 months", "2026-05-31", "2026-02-28"),
        ("2 years", "2028-02-29", "2026-02-28"),
        ("10 years", "2026-11-23", "2016-11-23"),
    ],
)
def test_cutoff_in_calendar_units(max_age: str, now: str, cutoff: str) -> None:
    rule = Rule("r", "b", max_age, "object")
    assert rule.cutoff(ts(now)) == ts(cutoff)
