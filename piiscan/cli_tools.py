"""The commands that read scan directories: `subject find`, `retention check`, `residency check`, `report`.

Registered on the `piiscan` group by cli.py. The work lives in piiscan.tools; this module only
parses options, picks output formats and maps outcomes to exit codes (piiscan.exitcodes).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from piiscan.exitcodes import ExitCode

_FORMAT = click.Choice(["table", "csv", "json", "parquet"])
_SCANS = click.argument("scans", nargs=-1, required=True, metavar="SCAN...")
_ALLOW_INCOMPLETE = click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Also read scans that did not finish (running, killed or interrupted), and say so.",
)


_STORE = "piiscan.store"
#: the click context's key of a tool's --output file
OUTPUT = "piiscan.output"


def _output_option(help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A tool's --output FILE, checked as it is parsed."""
    return click.option("--output", "-o", metavar="FILE", callback=_output_file, help=help)


def _output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--output names a file that can be written: checked before any scan is read, so a typo costs
    one line and exit 2, not a finished search."""
    if not value:
        return value
    path = Path(value)
    folder = path.parent
    if path.is_dir():
        _fail(f"--output {value} is a folder: name a file")
    if not folder.is_dir():
        _fail(f"--output {value} cannot be written: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        _fail(f"--output {value} cannot be written: {path if path.exists() else folder} is not writable")
    ctx.meta[OUTPUT] = value  # a write that fails later (a full disk) is named by it
    return value


def _store_options(command: Callable[..., None]) -> Callable[..., None]:
    """How a tool reaches scan directories in buckets: the same options and variables as `scan --out`.

    They are kept on the click context for `_open`, so the commands' own parameters stay theirs."""

    @functools.wraps(command)
    def run(*args: Any, endpoint_url: str | None, anonymous: bool, **kwargs: Any) -> None:
        from piiscan.store import StoreOptions

        click.get_current_context().meta[_STORE] = StoreOptions(endpoint_url=endpoint_url, anonymous=anonymous)
        command(*args, **kwargs)

    run = click.option("--anonymous", is_flag=True, help="s3:// and gs:// scans: unsigned requests.")(run)
    return click.option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        metavar="URL",
        help="S3-compatible endpoint for s3:// scans (MinIO, Ceph); also $AWS_ENDPOINT_URL.",
    )(run)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    from piiscan.cli import fail

    fail(message, code)


def _open(paths: tuple[str, ...], allow_incomplete: bool):  # type: ignore[no-untyped-def]
    from piiscan.tools.scans import ScanDirError, open_scans

    try:
        opened = open_scans(paths, click.get_current_context().meta.get(_STORE), allow_incomplete=allow_incomplete)
    except ScanDirError as exc:
        _fail(str(exc))
    for scan in opened:
        if scan.incomplete:
            click.echo(f"piiscan: scan {scan.scan_id} is {scan.status}: results cover only what it finished", err=True)
    return opened


def _emit(table, fmt: str | None, output: str | None, title: str, extra_json: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    from piiscan.tools.output import choose_format, write_table

    chosen = choose_format(fmt, output)
    if chosen == "table" and output:
        _fail("--format table cannot be written to --output: choose csv, json or parquet")
    if chosen == "parquet" and not output:
        _fail("--format parquet needs --output FILE")
    if chosen == "table":
        from rich.table import Table

        from piiscan.console import console

        view = Table(*table.column_names, title=title, title_justify="left")
        for row in table.to_pylist():
            view.add_row(*("" if v is None else str(v) for v in row.values()))
        console().print(view)
        return
    write_table(table, chosen, output, extra_json)


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        now = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--now: not a date or time: {value} (use e.g. 2026-11-23 or 2026-11-23T12:00:00Z)")
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


@click.group()
def subject() -> None:
    """Answer a data subject's request from scan directories."""


class _SubjectFind(click.Command):
    """`subject find`, with one identifier option per installed detector that answers to one
    (`Detector.subject`): built only when the command is used, so other commands import no detector."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        from piiscan.tools.subject import kinds

        if not getattr(self, "_identifier_options", False):
            self._identifier_options = True
            taken = {opt for p in self.params for opt in p.opts}
            clash = [f"--{name}" for name in kinds() if f"--{name}" in taken]
            if clash:
                raise click.UsageError(f"a detector plugin's subject option {', '.join(clash)} is an option already")
            options = [
                click.Option([f"--{name}"], multiple=True, metavar=option.metavar, help=option.help)
                for name, option in kinds().items()
            ]
            self.params[1:1] = options  # after SCAN..., before --from-file
        return super().get_params(ctx)


@subject.command("find", cls=_SubjectFind)
@_SCANS
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Identifiers from a file: `type: value` lines (# comments), or CSV with a `type,value` header.",
)
@click.option("--format", "fmt", type=_FORMAT, help="Output format  [default: table on a terminal, else csv]")
@_output_option("Write the result here (format from the suffix if no --format).")
@click.option("--report", metavar="FILE", help="Also write a request report: FILE.md (Markdown) or FILE.html.")
@click.option("--key-file", type=click.Path(dir_okay=False), help="HMAC key file the scans were made with.")
@click.option("--expand", is_flag=True, help="Also find the identifiers held in the same records as the subject's.")
@click.option("--depth", type=click.IntRange(1), help="Links to follow with --expand  [default: 1]")
@click.option(
    "--scope",
    type=click.Choice(["record", "object"]),
    help="What holds identifiers together with --expand  [default: record]",
)
@click.option(
    "--max-fanout",
    type=click.IntRange(1),
    metavar="N",
    help="With --expand, an identifier held in more than N records is reported, not followed  [default: 100]",
)
@click.option("--all-scans", is_flag=True, help="Answer from every scan given, not only each object's latest.")
@click.option("--case", "case_path", metavar="FILE", help="Save the request and its answer as a case file (JSON).")
@click.option("--received", metavar="DATE", help="With --case: the day the request was received  [default: today]")
@_ALLOW_INCOMPLETE
@_store_options
def subject_find(
    scans: tuple[str, ...],
    from_file: str | None,
    fmt: str | None,
    output: str | None,
    report: str | None,
    key_file: str | None,
    expand: bool,
    depth: int | None,
    scope: str | None,
    max_fanout: int | None,
    all_scans: bool,
    case_path: str | None,
    received: str | None,
    allow_incomplete: bool,
    **given: tuple[str, ...],
) -> None:
    """List every object, member and locator in SCAN... holding any of the subject's identifiers.

    Each identifier is canonicalised and hashed exactly as the scanner does; outputs name it only
    by type and masked form. A SCAN is a scan directory or a folder of scan directories.

    With --expand, the records holding them are read for the other identifiers they hold, which
    are looked for too (to --depth links); each row says how it was reached. Each object is
    answered from the latest scan that read it fully (--all-scans: from every scan given).

    \b
    Exit codes:
      0  searched (whether or not anything was found)
      2  malformed identifier, no identifier, unreadable or unfinished scan, or scans made with another key
    """
    from piiscan.hashing import HmacKeyError, key_fingerprint, load_key
    from piiscan.tools import subject as subj

    pairs = [(kind, value) for kind, values in given.items() for value in values]
    try:
        if from_file:
            pairs += subj.parse_request_file(Path(from_file).read_text(encoding="utf-8"))
        if not pairs:
            _fail(f"give at least one identifier ({', '.join('--' + k for k in subj.kinds())}) or --from-file")
        key = load_key(key_file, create=False)
        identifiers = subj.make_identifiers(pairs, key)
    except (subj.IdentifierError, HmacKeyError) as exc:
        _fail(str(exc))
    opened = _open(scans, allow_incomplete)
    mine = key_fingerprint(key)
    other = [s.scan_id for s in opened if s.manifest.get("key_fingerprint") not in (None, mine)]
    if other:
        _fail(f"scan {', '.join(other)} was made with a different HMAC key: its hashes cannot match (see --key-file)")
    if not expand and (depth or scope or max_fanout):
        _fail("--depth, --scope and --max-fanout go with --expand")
    if received and not case_path:
        _fail("--received goes with --case")
    from piiscan.tools.latest import Answering

    current = None if all_scans else Answering(opened)
    held = list(identifiers)  # what a case keeps: the identifiers given, and with --expand those reached
    if expand:
        from piiscan.tools.links import DEFAULT_MAX_RECORDS
        from piiscan.tools.links import expand as follow

        bound = max_fanout or DEFAULT_MAX_RECORDS
        expansion = follow(opened, identifiers, depth or 1, scope or "record", bound, current)
        for label, how, count in expansion.not_followed:
            click.echo(
                f"not followed: {label} is held in {count} records (over --max-fanout); reached as {how}", err=True
            )
        found = expansion.found
        held += expansion.reached
    else:
        found = subj.find(opened, identifiers)
        found = current.only_current(found) if current is not None else found
    if case_path:
        from piiscan.tools.cases import write_case

        search = {"expand": expand, "depth": depth or 1, "scope": scope or "record", "all_scans": all_scans}
        write_case(Path(case_path), held, mine, _parse_now(received).date(), search, opened, found)
    if report:
        when = datetime.now(UTC).isoformat(timespec="seconds")
        subj.write_report(Path(report), opened, held, found, subj.not_searched(opened), when)
    asked = len({i.label for i in identifiers})
    found = found.drop_columns(["value_hash"])  # the case file keeps it; the listing does not
    _emit(found, fmt, output, f"{found.num_rows} occurrence(s) of {asked} identifier(s)")


@subject.command("verify")
@click.argument("case_path", metavar="CASE", type=click.Path(exists=True, dir_okay=False))
@click.option("--key-file", type=click.Path(dir_okay=False), help="HMAC key file the case's scans were made with.")
@click.option("--format", "fmt", type=_FORMAT, help="Output format  [default: table on a terminal, else csv]")
@_output_option("Write the result here (format from the suffix if no --format).")
@click.option("--nlp-model", metavar="NAME", help="The spaCy pipeline the scans were made with (--nlp-model).")
@click.option("--rules", "rule_packs", multiple=True, metavar="FILE", help="The rule packs the scans were made with.")
def subject_verify(
    case_path: str,
    key_file: str | None,
    fmt: str | None,
    output: str | None,
    nlp_model: str | None,
    rule_packs: tuple[str, ...],
) -> None:
    """Scan again exactly the objects of CASE (a `subject find --case` file) and say which still
    hold any of its identifiers: the proof that an erasure worked.

    \b
    Exit codes:
      0  none remains: every object is clean or no longer there
      6  some object still holds an identifier of the case (VIOLATIONS)
      3  none found, but some object could not be read fully: not proven (PARTIAL)
      2  unreadable case, a key other than the case's, or an --nlp-model or --rules that cannot be loaded

    Give the --nlp-model and --rules the scans were made with: what their detectors found is
    otherwise not seen again, and its object would look clean.
    """
    from piiscan.cli import _rule_packs
    from piiscan.detectors.nlp import ModelNotFound
    from piiscan.hashing import HmacKeyError, key_fingerprint, load_key
    from piiscan.tools.cases import CaseError, read_case, verify

    try:
        case = read_case(Path(case_path))
        key = load_key(key_file, create=False)
    except (CaseError, HmacKeyError) as exc:
        _fail(str(exc))
    if key_fingerprint(key) != case.key_fingerprint:
        _fail("the case was made with a different HMAC key: its hashes cannot match (see --key-file)")
    rules = _rule_packs(rule_packs, key_file)
    try:
        result = verify(case, key, nlp_model, rules)
    except ModelNotFound as exc:
        _fail(f"--nlp-model: {exc}")
    states = result.column("state").to_pylist()
    click.echo(
        f"{states.count('holds')} of {len(states)} object(s) still hold the subject's identifiers; "
        f"{states.count('clean')} clean, {states.count('not found')} no longer found, "
        f"{states.count('unreadable')} unreadable",
        err=True,
    )
    _emit(result, fmt, output, "objects of the case, scanned again")
    if "holds" in states:
        sys.exit(int(ExitCode.VIOLATIONS))
    if "unreadable" in states:
        sys.exit(int(ExitCode.PARTIAL))


@subject.command("export")
@click.argument("case_path", metavar="CASE", type=click.Path(exists=True, dir_okay=False))
@click.option("--reveal", is_flag=True, help="Confirm that the subject's values are to be written in clear.")
@click.option("--out", "out", required=True, metavar="DIR", help="A new (or empty) folder for the export.")
@click.option("--key-file", type=click.Path(dir_okay=False), help="HMAC key file the case's scans were made with.")
@click.option("--nlp-model", metavar="NAME", help="The spaCy pipeline the scans were made with (--nlp-model).")
@click.option("--rules", "rule_packs", multiple=True, metavar="FILE", help="The rule packs the scans were made with.")
def subject_export(
    case_path: str, reveal: bool, out: str, key_file: str | None, nlp_model: str | None, rule_packs: tuple[str, ...]
) -> None:
    """Read again exactly the occurrences of CASE (a `subject find --case` file) from their
    sources, and write the subject's data to DIR: per source a JSON and a CSV file, each value with
    its locator, and export.json (what was read, exported and not exported).

    A value is exported only when it still hashes to the case's value hash at its locator; one
    that changed since the scan is listed as changed, not exported. The only command that writes
    values in clear: it needs --reveal, and writes files readable by their owner only. Give the
    --nlp-model and --rules the scans were made with: their detectors' values are then found again.

    \b
    Exit codes:
      0  every occurrence of the case was exported
      3  some were not: changed since the scan, or their object is gone or unreadable (PARTIAL)
      2  no --reveal, --out not a new or empty folder, unreadable case, a key other than the case's,
         or an --nlp-model or --rules that cannot be loaded
    """
    from piiscan.cli import _rule_packs
    from piiscan.detectors.nlp import ModelNotFound
    from piiscan.hashing import HmacKeyError, key_fingerprint, load_key
    from piiscan.tools.cases import CaseError, read_case
    from piiscan.tools.export import ExportError, SourceExport, check_case, prepare_out, reread, write_export

    if not reveal:
        _fail("subject export writes the subject's values in clear: give --reveal to confirm")
    try:
        case = read_case(Path(case_path))
        check_case(case)
        key = load_key(key_file, create=False)
        if key_fingerprint(key) != case.key_fingerprint:
            _fail("the case was made with a different HMAC key: its values cannot be checked (see --key-file)")
        rules = _rule_packs(rule_packs, key_file)
        prepare_out(Path(out))
    except (CaseError, ExportError, HmacKeyError) as exc:
        _fail(str(exc))

    def told(source: SourceExport) -> None:
        # which objects were read, and how many values: never a value
        click.echo(
            f"{source.state}: {source.object}: {len(source.values)} value(s) exported, "
            f"{len(source.missed)} not exported",
            err=True,
        )

    try:
        sources = reread(case, key, told, nlp_model, rules)
    except ModelNotFound as exc:
        _fail(f"--nlp-model: {exc}")  # before any object is read: --out is still empty
    write_export(Path(out), Path(case_path), sources)
    exported = sum(len(s.values) for s in sources)
    missed = [row["reason"] for s in sources for row in s.missed]
    click.echo(
        f"{exported} value(s) from {sum(bool(s.values) for s in sources)} source(s) written to {out}; "
        f"not exported: {missed.count('changed')} changed, {missed.count('not found')} in objects no longer found, "
        f"{missed.count('unreadable')} unreadable",
        err=True,
    )
    if missed:
        sys.exit(int(ExitCode.PARTIAL))


@click.group()
def retention() -> None:
    """Enforce retention periods on scan directories."""


@retention.command("check")
@_SCANS
@click.option("--rules", "rules_path", metavar="FILE", help="Retention rule pack (YAML)  [default: the shipped one]")
@click.option("--now", metavar="DATE", help="Judge ages as of this date/time (ISO 8601, UTC)  [default: now]")
@click.option(
    "--since",
    "since",
    multiple=True,
    metavar="SCAN",
    help="An earlier scan of the same sources: objects of min_age rules gone since, too young, are deleted early.",
)
@click.option("--format", "fmt", type=_FORMAT, help="Output format  [default: table on a terminal, else csv]")
@_output_option("Write the problem items here (.csv, .json, .parquet).")
@_ALLOW_INCOMPLETE
@_store_options
def retention_check(
    scans: tuple[str, ...],
    rules_path: str | None,
    now: str | None,
    since: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    allow_incomplete: bool,
) -> None:
    """List every object, message or record in SCAN... kept past its rule's maximum age, and
    (with --since) every object deleted before its rule's minimum age.

    \b
    Exit codes:
      0  nothing overdue or deleted early
      6  something is overdue or was deleted early (VIOLATIONS)
      2  unreadable or invalid rule pack, bad --now, unreadable or unfinished scan
    """
    from piiscan.tools.retention import check, load_rules
    from piiscan.tools.rules import RulesError

    try:
        rules = load_rules(rules_path)
    except RulesError as exc:
        _fail(str(exc))
    when = _parse_now(now)
    problems, summary = check(
        _open(scans, allow_incomplete), rules, when, _open(since, allow_incomplete) if since else ()
    )
    for s in summary:
        limits = [f"max {s['max_age']}"] if s["max_age"] else []
        limits += [f"min {s['min_age']}"] if s["min_age"] else []
        line = f"{s['rule']}: {s['overdue']} overdue of {s['checked']} checked ({', '.join(limits)} by {s['age_of']}"
        line += f" time; {s['undated']} undated)"
        if since and s["min_age"]:
            line += f"; {s['deleted_early']} deleted early"
        click.echo(line, err=True)
    _emit(
        problems,
        fmt,
        output,
        f"{problems.num_rows} item(s) past retention or deleted early as of {when.date()}",
        {"now": when, "summary": summary},
    )
    if problems.num_rows:
        sys.exit(int(ExitCode.VIOLATIONS))


@click.group()
def residency() -> None:
    """Check where personal data is stored."""


@residency.command("check")
@_SCANS
@click.option("--rules", "rules_path", metavar="FILE", help="Residency rule pack (YAML)  [default: EU regions]")
@click.option("--format", "fmt", type=_FORMAT, help="Output format  [default: table on a terminal, else csv]")
@_output_option("Write the violations here (.csv, .json, .parquet).")
@_ALLOW_INCOMPLETE
@_store_options
def residency_check(
    scans: tuple[str, ...], rules_path: str | None, fmt: str | None, output: str | None, allow_incomplete: bool
) -> None:
    """List objects in SCAN... holding personal data in a region outside the allowed ones.

    \b
    Exit codes:
      0  every object with findings is in an allowed region or under an exception
         (objects of unknown region: violations under `unknown_region: fail`)
      6  some are not (VIOLATIONS)
      2  unreadable or invalid rule pack, unreadable or unfinished scan
    """
    from piiscan.tools.residency import check, load_rule
    from piiscan.tools.rules import RulesError

    try:
        rule = load_rule(rules_path)
    except RulesError as exc:
        _fail(str(exc))
    violations, counts = check(_open(scans, allow_incomplete), rule)
    unknown = "judged as violations" if rule.unknown_region == "fail" else "not judged"
    click.echo(
        f"{counts['violations']} of {counts['objects']} object(s) with findings in violation (allowed: "
        f"{', '.join(rule.allowed_regions)}); {counts['unknown_region']} of unknown region ({unknown})",
        err=True,
    )
    for name, n in dict(counts.get("exceptions") or {}).items():  # type: ignore[call-overload]
        if not n:
            continue
        click.echo(f"exception {name}: {n} object(s) allowed outside those regions", err=True)
    _emit(violations, fmt, output, "objects with personal data outside the allowed regions", {"counts": counts})
    if violations.num_rows:
        sys.exit(int(ExitCode.VIOLATIONS))


def register(main: click.Group) -> None:
    for command in (subject, retention, residency, report, diff):
        main.add_command(command)


@click.command()
@_SCANS
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "html", "json", "sarif", "junit"]),
    default="table",
    show_default=True,
)
@_output_option("Write the report here instead of the terminal.")
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="How many top objects to list.")
@click.option("--depth", type=click.IntRange(0), default=1, show_default=True, help="Path segments in a source prefix.")
@click.option(
    "--fail-on",
    multiple=True,
    metavar="POLICY",
    help="sarif, junit: findings failing it are errors / failed cases  [default: the scan's --fail-on, else any]",
)
@click.option(
    "--source-root",
    type=click.Path(exists=True, file_okay=False),
    help="sarif: file:// objects under this folder get paths relative to it (the repository root).",
)
@click.option("--with-absent", is_flag=True, help="sarif: also list the baseline's absent findings.")
@_ALLOW_INCOMPLETE
@_store_options
def report(
    scans: tuple[str, ...],
    fmt: str,
    output: str | None,
    top: int,
    depth: int,
    fail_on: tuple[str, ...] = (),
    source_root: str | None = None,
    with_absent: bool = False,
    allow_incomplete: bool = False,
) -> None:
    """Summarise SCAN...: findings by entity and source prefix, top objects, coverage, changes, errors.

    `--format markdown` suits a CI job summary; `--format html` is one self-contained page with
    inline SVG charts (no script, nothing fetched); `sarif` is SARIF 2.1.0 for code scanning;
    `junit` is JUnit XML, a test case per object. Exit code 0, or 2 for an unreadable or
    unfinished scan (read an unfinished one with --allow-incomplete: its status is in the report)
    or a bad --fail-on.
    """
    from piiscan.tools.output import to_json
    from piiscan.tools.render import html_page, markdown, print_sections
    from piiscan.tools.report import sections, summarise

    opened = _open(scans, allow_incomplete)
    if fmt in ("sarif", "junit"):
        from piiscan.tools.ci import junit, sarif

        policies = _policies(fail_on, opened)
        root = Path(source_root) if source_root else None
        pieces = sarif(opened, policies, root, with_absent) if fmt == "sarif" else iter([junit(opened, policies)])
    else:
        summary = summarise(opened, top=top, depth=depth)
        title = "piiscan report"
        if fmt == "table" and not output:
            print_sections(title, sections(summary))
            return
        pieces = iter(
            [
                {
                    "json": lambda: to_json(summary),
                    "html": lambda: html_page(title, sections(summary)),
                    "markdown": lambda: markdown(title, sections(summary)) + "\n",
                    "table": lambda: markdown(title, sections(summary)) + "\n",
                }[fmt]()
            ]
        )
    if output:
        with Path(output).open("w", encoding="utf-8") as sink:
            sink.writelines(pieces)
    else:
        for piece in pieces:
            click.echo(piece, nl=False)


def _policies(given: tuple[str, ...], scans):  # type: ignore[no-untyped-def]
    """--fail-on as given, else the first scan's own (manifest `fail_on`), else `any`."""
    from piiscan.detectors import known_entities
    from piiscan.tools.policy import PolicyError, parse

    # the installed detectors' entities, and those the scans found (a rule pack's own)
    entities = {
        *known_entities(),
        *(e for s in scans for e in s.manifest.get("counts", {}).get("findings_by_entity", {})),
    }
    texts = given or next((tuple(s.manifest["fail_on"]) for s in scans if s.manifest.get("fail_on")), ("any",))
    try:
        policies = [parse(text, sorted(entities)) for text in texts]
    except PolicyError as exc:
        _fail(f"--fail-on {exc}")
    if "new" in [p.kind for p in policies] and not all(s.store.files("baseline") for s in scans):
        _fail("--fail-on new needs scans made with --baseline")
    return policies


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=_FORMAT, help="Output format  [default: table on a terminal, else csv]")
@_output_option("Write the changes here (.csv, .json, .parquet).")
@_ALLOW_INCOMPLETE
@_store_options
def diff(old: str, new: str, fmt: str | None, output: str | None, allow_incomplete: bool) -> None:
    """List the findings scan NEW added since scan OLD, and those it no longer has (an erasure's proof).

    Findings match by fingerprint (object, member, entity, value hash, field, row key, occurrence),
    so lines moving are no change. Columns: change (added | removed | unread: in an object or
    member NEW skipped or failed, so not proven gone), where, entity, masked form.

    \b
    Exit codes:
      0  compared (whether or not anything changed)
      2  unreadable or unfinished scan, not one scan each, or scans made with different HMAC keys
    """
    from piiscan.tools.baseline import BaselineError, one_scan
    from piiscan.tools.diff import diff as compare

    try:
        before = one_scan(_open((old,), allow_incomplete), "OLD")
        after = one_scan(_open((new,), allow_incomplete), "NEW")
        changes, counts = compare(before, after)
    except BaselineError as exc:
        _fail(str(exc))
    click.echo(
        f"{counts['added']} added, {counts['removed']} removed, {counts['unchanged']} unchanged, "
        f"{counts['unread']} unread ({before.scan_id} -> {after.scan_id})",
        err=True,
    )
    extra = {"old": before.scan_id, "new": after.scan_id, "counts": counts}
    _emit(changes, fmt, output, f"findings changed from {before.scan_id} to {after.scan_id}", extra)
