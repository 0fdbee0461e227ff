"""The `piiscan` command line: scan sources into a scan directory, list detectors.

Every command explains itself with --help; exit codes are `piiscan.exitcodes.ExitCode`.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.core import ParameterSource

# Arrow's default allocator (jemalloc) keeps freed pages cached in every process; with parts
# built and written one after the other, the system allocator keeps resident memory lower (a
# 200 MB, 2,000-object scan: the scan process at 123 MB instead of 163 MB), at no measured cost in
# speed. Set before pyarrow is imported; worker processes inherit it. A user's own setting wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from piiscan import __version__
from piiscan.cli_help import BUCKETS, CI, FILES, POSTGRES, SELECTION, SectionedCommand, in_section
from piiscan.exitcodes import ExitCode

if TYPE_CHECKING:
    from piiscan.cluster import Cluster
    from piiscan.connectors.options import ConnectorOptions, GcsOptions, PostgresOptions, S3Options
    from piiscan.store import StoreOptions

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """`500`, `10MB`, `1.5GiB`, `200k` -> bytes (decimal units, binary with `i`)."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 500, 200k, 10MB, 1GiB)")
    number, unit = float(m.group(1)), (m.group(2) or "").lower()
    base = unit[:1]
    factor = 1024 ** "bkmgt".index(base) if "i" in unit and base else _UNITS[base]
    return int(number * factor)


class SizeParam(click.ParamType):
    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    click.echo(f"piiscan: {message}", err=True)
    sys.exit(int(code))


def _entities(value: str | None, also: Sequence[str] = ()) -> tuple[str, ...] | None:
    """The entities of --entities: those of the installed detectors, and `also` (a rule pack's)."""
    from piiscan.detectors import known_entities

    if not value:
        return None
    chosen = tuple(e.strip().upper() for e in value.split(",") if e.strip())
    known = sorted({*known_entities(), *also})
    unknown = [e for e in chosen if e not in known]
    if unknown:
        raise click.BadParameter(f"unknown entity {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def _limits(depth: int | None, members: int | None, expanded: int | None, ratio: float | None) -> Any:
    """The default limits with the container options given on the command line."""
    import dataclasses

    from piiscan.limits import DEFAULT_LIMITS

    given = {"max_depth": depth, "max_members": members, "max_expanded_size": expanded, "max_expansion_ratio": ratio}
    return dataclasses.replace(DEFAULT_LIMITS, **{k: v for k, v in given.items() if v is not None})


def _regions(values: tuple[str, ...], sources: tuple[str, ...]) -> tuple[tuple[str | None, str], ...]:
    """`--region REGION` (every source) or `--region SOURCE=REGION` (SOURCE exactly as given)."""
    out: list[tuple[str | None, str]] = []
    for value in values:
        source, sep, region = value.rpartition("=")
        if not region.strip() or (sep and not source):
            fail(f"--region {value}: give REGION or SOURCE=REGION")
        if sep and source not in sources:
            fail(f"--region {value}: {source} is not one of the SOURCES (write it exactly as given)")
        out.append((source or None, region.strip()))
    return tuple(out)


def _check_local_out(out: str) -> None:
    """An --out that cannot become a scan directory is refused before anything is written."""
    from piiscan.connectors import SourceError, scheme_of

    if not out.strip():
        fail("--out is empty: name the scan directory to create")
    if scheme_of(out) != "file":
        return
    from piiscan.connectors.local import path_of

    try:
        path = path_of(out)
    except SourceError as exc:
        fail(f"--out {out}: {exc}")
    if path.is_dir() and any(path.iterdir()) and not (path / "manifest.json").exists():
        fail(f"--out {out} is a folder holding other files: choose a new or empty folder")
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor != path and not ancestor.is_dir():
        fail(f"--out {out} cannot be created: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        fail(f"--out {out} cannot be created: {ancestor} is not writable")


def _check_local_sources(sources: tuple[str, ...]) -> None:
    """A local source that does not exist is named before anything is written (a re-run then works)."""
    from piiscan.connectors import SourceError, scheme_of
    from piiscan.connectors.local import path_of

    for source in sources:
        if scheme_of(source) in ("file", "maildir"):
            try:
                path = path_of(source)
            except SourceError as exc:
                fail(str(exc))
            if not path.exists() and not path.is_symlink():
                fail(f"cannot list {source}: no such file or folder", ExitCode.SOURCE)


def _check_credentials(sources: tuple[str, ...], options: dict[str, ConnectorOptions]) -> None:
    """A source its connector cannot read at all (no credentials) is named before anything is written."""
    from piiscan.connectors import SourceError, connector_for, scheme_of

    first = {scheme_of(s): s for s in reversed(sources)}  # credentials are per scheme: one look each
    for scheme, source in first.items():
        try:
            connector = connector_for(scheme, options.get(scheme))
        except SourceError as exc:
            fail(str(exc))  # an unknown scheme, a plugin that cannot be loaded: usage, as the scan says it
        try:
            connector.check(source)
        except SourceError as exc:
            fail(f"cannot list {exc}", ExitCode.SOURCE)


#: a write refused for want of room: no space, a file size limit, a disk quota
_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


class _Group(click.Group):
    """Turns unexpected exceptions into one line and exit code 1 (a traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as exc:
            from piiscan.store import OutputError

            if isinstance(exc, OutputError):  # a tool's output (a --baseline comparison) refused
                fail(str(exc), ExitCode.OUTPUT)
            if isinstance(exc, OSError) and exc.errno in _FULL:  # a tool's --output, on a full disk
                from piiscan.cli_tools import OUTPUT

                target = exc.filename or ctx.meta.get(OUTPUT) or "the output"
                fail(f"cannot write {target}: {os.strerror(exc.errno)}", ExitCode.OUTPUT)
            from piiscan.redact import safe_message

            if os.environ.get("PIISCAN_DEBUG"):
                import traceback

                # where it happened, never what the exception quotes (a name, a value)
                click.echo("".join(traceback.format_tb(exc.__traceback__)).rstrip(), err=True)
            fail(
                f"internal error: {type(exc).__name__}: {safe_message(exc)} (set PIISCAN_DEBUG=1 for details)",
                ExitCode.ERROR,
            )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="piiscan")
def main() -> None:
    """Find personal data in files, buckets, databases and mail exports, and say exactly where.

    Findings never contain the values found: only keyed hashes and masked previews.
    """


@main.command(cls=SectionedCommand)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--out",
    "-o",
    required=True,
    metavar="DIR",
    help="Scan directory to create (one holding a scan only with --resume).",
)
@click.option(
    "--entities", metavar="LIST", help="Comma-separated entities to look for (default: all). See `piiscan detectors`."
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Report findings scored at least this (0-1).",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only objects whose path (or name) matches; repeatable.",
    cls=in_section(SELECTION),
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip objects whose path (or name) matches; repeatable.",
    cls=in_section(SELECTION),
)
@click.option(
    "--max-object-size",
    type=SizeParam(),
    help="Skip objects larger than this (e.g. 100MB), before reading them.",
    cls=in_section(SELECTION),
)
@click.option(
    "--max-depth",
    type=click.IntRange(0),
    default=None,
    help="Containers nested deeper are skipped  [default: 10]",
    cls=in_section(SELECTION),
)
@click.option(
    "--max-members",
    type=click.IntRange(1),
    default=None,
    help="Members read per object  [default: 100000]",
    cls=in_section(SELECTION),
)
@click.option(
    "--max-expanded-size",
    type=SizeParam(),
    default=None,
    help="Bytes expanded out of one object's containers, all levels  [default: 20GiB]",
    cls=in_section(SELECTION),
)
@click.option(
    "--max-expansion-ratio",
    type=click.FloatRange(1),
    default=None,
    help="Expanded/compressed size of a member (judged past 1 MiB)  [default: 200]",
    cls=in_section(SELECTION),
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes scanning objects in parallel  [default: the number of cores]",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False),
    help="HMAC key file (default: $PIISCAN_HMAC_KEY, else a key in your config folder).",
)
@click.option(
    "--fail-on-findings", is_flag=True, help=f"Exit with {int(ExitCode.FINDINGS)} when anything is found (for CI)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "hyperscan", "re2", "re"]),
    default="auto",
    show_default=True,
    help="Pattern engine: Hyperscan when installed, else RE2, else Python's re.",
)
@click.option(
    "--nlp-model",
    metavar="NAME",
    help="Also find LOCATION and PERSON with this installed spaCy pipeline (package name or folder); never downloaded.",
)
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    metavar="URL",
    help="S3-compatible endpoint for s3:// sources and --out (MinIO, Ceph); also $AWS_ENDPOINT_URL.",
    cls=in_section(BUCKETS),
)
@click.option(
    "--versions", is_flag=True, help="Scan every stored version, not only the latest.", cls=in_section(BUCKETS)
)
@click.option("--anonymous", is_flag=True, help="Unsigned requests, for public buckets.", cls=in_section(BUCKETS))
@click.option(
    "--io-threads",
    type=click.IntRange(1, 256),
    default=None,
    help="Objects read at once per worker  [default: 8 for buckets, 1 for files]",
)
@click.option(
    "--list-page-size",
    type=click.IntRange(1, 1000),
    default=None,
    help="Objects per listing request  [default: 1000]",
    cls=in_section(BUCKETS),
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="Attempts per request to a bucket before a throttled or failing one is given up (its object fails).",
    cls=in_section(BUCKETS),
)
@click.option(
    "--sample-rows",
    type=click.IntRange(1),
    default=None,
    help="Read at most N rows per table (TABLESAMPLE BERNOULLI), marked as sampled.",
    cls=in_section(POSTGRES),
)
@click.option(
    "--sample-percent",
    type=click.FloatRange(0, 100, min_open=True),
    default=None,
    help="Read about P% of each table's rows (TABLESAMPLE SYSTEM), marked as sampled.",
    cls=in_section(POSTGRES),
)
@click.option(
    "--timestamp-column",
    multiple=True,
    metavar="[TABLE=]COLUMN",
    help="Each finding's `modified` comes from this column of its row; TABLE is a glob; repeatable.",
    cls=in_section(POSTGRES),
)
@click.option(
    "--timestamp-field",
    multiple=True,
    metavar="[GLOB=]FIELD",
    help="Files: each record's `modified` comes from this field (CSV/TSV column, JSON key or $.path, Parquet/ORC/"
    "Avro column, XLSX header); GLOB matches the file name or URI; repeatable, first match wins.",
    cls=in_section(FILES),
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="[SOURCE=]REGION",
    help="Where a source with no region API lives (PostgreSQL, mail exports, folders): fills objects.region; "
    "repeatable.",
)
@click.option(
    "--create-key",
    is_flag=True,
    help="Create a new random key at --key-file (or $PIISCAN_KEY_FILE) if there is none: a typo must not.",
)
@click.option(
    "--rules",
    "rule_packs",
    multiple=True,
    metavar="FILE",
    help="A rule pack (YAML) of custom detectors and allow-lists; repeatable. See README, Rule packs.",
)
@click.option(
    "--baseline",
    metavar="SCAN",
    help="Compare every finding with this earlier scan directory: new, unchanged, absent (see `piiscan diff`).",
    cls=in_section(CI),
)
@click.option(
    "--fail-on",
    multiple=True,
    metavar="POLICY",
    help="Fail with the policy's exit code (above) on: any | new (not in --baseline) | entity:LIST | score:X.",
    cls=in_section(CI),
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="SHARE",
    help=f"Exit {int(ExitCode.LOW_COVERAGE)} when less than SHARE (0-1) of objects and members were covered, "
    "not skipped or failed.",
    cls=in_section(CI),
)
@click.option(
    "--ocr",
    type=click.Choice(["off", "auto", "on"]),
    default="auto",
    show_default=True,
    help="Read text by OCR (extra `ocr`): auto: images and PDF pages without text; on: every PDF page too.",
    cls=in_section(SELECTION),
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the running or interrupted scan in --out: finished objects are not read again.",
)
@click.option(
    "--since",
    metavar="SCAN",
    help="Carry the rows of objects unchanged since this finished scan directory instead of reading them.",
)
@click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    metavar="ADDRESS",
    help="Scan on this Dask cluster (tcp://host:8786; also $DASK_SCHEDULER_ADDRESS): its workers read the "
    "sources and write to --out themselves.",
)
@click.option("--scheduler-file", type=click.Path(dir_okay=False), help="Scan on the Dask cluster this file names.")
@click.option(
    "--workers-own-key",
    is_flag=True,
    help="On a cluster: send the workers only the key's fingerprint; each hashes with its own $PIISCAN_HMAC_KEY.",
)
@click.option(
    "--list-threads",
    type=click.IntRange(1, 64),
    default=None,
    help="A bucket's top-level prefixes listed at once, a thread each (1: one listing stream)  [default: 8]",
    cls=in_section(BUCKETS),
)
@click.option(
    "--postgres-driver",
    type=click.Choice(["auto", "adbc", "psycopg"]),
    default="auto",
    show_default=True,
    help="What reads rows: the ADBC driver (binary COPY into Arrow; auto: where adbc-driver-postgresql is "
    "installed) or a psycopg server-side cursor (for servers that cannot COPY a query).",
    cls=in_section(POSTGRES),
)
def scan(sources: tuple[str, ...], out: str, **params: Any) -> None:
    """Scan SOURCES (files, folders, file:// URIs) into the scan directory --out.

    \b
    Exit codes:
      0  complete, nothing failed
      3  complete, but some objects or members could not be read (status: partial)
      4  --fail-on any (or --fail-on-findings) and something was found
      5  a source could not be listed at all
      7  --fail-on new: findings not in the --baseline scan
      8  --fail-on entity:LIST: findings of a listed entity
      9  --fail-on score:X: findings scored at least X
     10  --min-coverage: too many objects skipped or failed
     11  the scan directory refused a write (disk full, a bucket's policy): stopped
         (status: interrupted); continue with --resume once it can be written
      2  usage or configuration error (also: --resume of a finished scan, unusable --since)
    130  stopped by SIGINT (Ctrl-C), after writing what was done (status: interrupted);
         continue with the same command and --resume
    143  stopped by SIGTERM, after writing what was done (status: interrupted)
    The first failing --fail-on given wins, then 10; 5 wins over them, they over 3.
    """
    from piiscan.connectors import Selection, SourceError, scheme_of
    from piiscan.detectors import load_detectors
    from piiscan.extract import extractors
    from piiscan.extract.options import ExtractOptions, OcrOptions
    from piiscan.hashing import HmacKeyError, load_key
    from piiscan.plugins import PluginError
    from piiscan.progress import make_progress, print_summary
    from piiscan.redact import safe_message
    from piiscan.scan import ScanOptions, new_scan_id, run_scan
    from piiscan.scandir import holds_scan
    from piiscan.scanstate import ScanInterrupted, ScanStateError
    from piiscan.store import OutputError, StoreError, StoreOptions, first_look, request_failure

    rules = _rule_packs(params["rule_packs"], params["key_file"], params["create_key"])
    try:
        chosen = _entities(params["entities"], rules.entities if rules else ())
        detectors = [*load_detectors(chosen), *(rules.detectors_for(chosen) if rules else ())]
        extractors()  # a plugin that cannot be imported stops the scan here, not in every object
    except click.BadParameter as exc:
        fail(f"--entities: {exc.message}")
    except PluginError as exc:
        fail(str(exc))
    out_path = Path(out)
    resume, since = params["resume"], params["since"]
    _check_local_out(out)
    _check_local_sources(sources)
    declared_regions = _regions(params["regions"], sources)
    for rule in params["timestamp_field"]:
        if not rule.rpartition("=")[2].strip():
            fail(f"--timestamp-field {rule}: name a field (FIELD or GLOB=FIELD)")
    connector_options = _connector_options({scheme_of(s) for s in sources}, params)
    _check_credentials(sources, connector_options)
    store = StoreOptions(endpoint_url=params["endpoint_url"], anonymous=params["anonymous"])
    try:
        already = holds_scan(first_look(out, store))
    except StoreError as exc:
        fail(f"--out {out}: {exc}")
    except Exception as exc:
        cause = request_failure(exc) or f"{type(exc).__name__}: {safe_message(exc)}"
        fail(f"--out {out} cannot be checked: {cause}", ExitCode.SOURCE)
    if already and not resume:
        fail(f"{out} already holds a scan: choose a new --out folder")
    if resume and not already:
        fail(f"--resume: {out} holds no scan to continue")
    if scheme_of(out) == "file" and out_path.exists() and not out_path.is_dir():
        fail(f"--out {out} exists and is not a folder")
    try:
        key = load_key(params["key_file"], create_named=params["create_key"])
    except HmacKeyError as exc:
        fail(str(exc))
    policies, base = _gate_options(
        params["fail_on"], params["fail_on_findings"], params["baseline"], key, rules.entities if rules else (), store
    )
    nlp_model = params["nlp_model"]
    if nlp_model:
        from piiscan.detectors.nlp import ModelNotFound, nlp_detectors

        try:
            detectors += nlp_detectors(nlp_model, chosen)
        except ModelNotFound as exc:
            fail(f"--nlp-model: {exc}")
    if not detectors:
        fail("no detector for the chosen --entities")
    if params["ocr"] == "on":
        from piiscan.extract.ocr import INSTALL_HINT, available

        if not available():
            fail(f"--ocr on: OCR is not installed: {INSTALL_HINT}")
    options = ScanOptions(
        scan_id=new_scan_id(),
        key=key,
        entities=chosen,
        min_score=params["min_score"],
        backend=params["engine"],
        nlp_model=nlp_model,
        connector_options=connector_options,
        io_threads=params["io_threads"] or 0,
        limits=_limits(
            params["max_depth"], params["max_members"], params["max_expanded_size"], params["max_expansion_ratio"]
        ),
        timestamp_fields=params["timestamp_field"],
        regions=declared_regions,
        rules=rules,
        extract=ExtractOptions(ocr=OcrOptions(mode=params["ocr"])),
        store=store,
    )
    selection = Selection(
        include=params["include"], exclude=params["exclude"], max_object_size=params["max_object_size"]
    )
    quiet = params["quiet"]
    cluster = _cluster(params, sources, quiet)
    progress, done = make_progress(quiet, cluster.workers if cluster else None)
    try:
        summary = run_scan(
            sources,
            out,
            options,
            selection,
            workers=cluster.workers() if cluster else params["workers"] or os.cpu_count() or 1,
            progress=progress,
            detector_ids=[d.id for d in detectors],
            resume=resume,
            since=since,
            run_batches=cluster.run_batches if cluster else None,
        )
    except SourceError as exc:
        done()
        fail(str(exc))
    except ScanStateError as exc:
        done()
        fail(str(exc))
    except HmacKeyError as exc:  # a cluster's worker holds another key (--workers-own-key)
        done()
        fail(str(exc))
    except ScanInterrupted as stop:
        done()
        click.echo(f"piiscan: stopped by {stop}: what was done is in {out}; continue with --resume", err=True)
        sys.exit(int(ExitCode.INTERRUPTED if stop.signum == signal.SIGINT else ExitCode.TERMINATED))
    except OutputError as exc:
        done()
        fail(_stopped_by_write(exc, out, store), ExitCode.OUTPUT)
    finally:
        if cluster is not None:
            cluster.close()
    done()
    if not quiet:
        print_summary(summary, out)
    for failure in summary.source_failures:
        click.echo(f"piiscan: cannot list {failure}", err=True)
    judged = None
    min_coverage = params["min_coverage"]
    if base is not None or policies or min_coverage is not None:
        from piiscan.tools.gate import judge

        judged = judge(out, base, policies, min_coverage, store)
        if judged.baseline_counts is not None and not quiet:
            click.echo("since the baseline: " + ", ".join(f"{n} {s}" for s, n in judged.baseline_counts.items()))
        for message in judged.messages:
            click.echo(f"piiscan: {message}", err=True)
    if summary.source_failures:
        sys.exit(int(ExitCode.SOURCE))
    if judged is not None and judged.code is not None:
        sys.exit(int(judged.code))
    if summary.status == "partial":
        sys.exit(int(ExitCode.PARTIAL))


def _stopped_by_write(exc: Exception, out: str, store: StoreOptions) -> str:
    """The one line of a scan its scan directory stopped: the refused write, and what to do next."""
    from piiscan.scandir import holds_scan

    try:
        started = holds_scan(out, store)
    except Exception:
        started = False
    if not started:
        return f"{exc}; the scan did not start"
    return f"{exc}; the scan stopped: what was committed is in {out}, continue with --resume once it can be written"


def _cluster(params: dict[str, Any], sources: Sequence[str], quiet: bool) -> Cluster | None:
    """The Dask cluster named by --scheduler, --scheduler-file or $DASK_SCHEDULER_ADDRESS, connected; None: none."""
    address, scheduler_file = params["scheduler"], params["scheduler_file"]
    if not address and not scheduler_file:
        if params["workers_own_key"]:
            fail("--workers-own-key needs a cluster (--scheduler or --scheduler-file)")
        return None
    if address and scheduler_file:
        if click.get_current_context().get_parameter_source("scheduler") is not ParameterSource.ENVIRONMENT:
            fail("choose one of --scheduler and --scheduler-file")
        address = None  # the file named on the command line wins over $DASK_SCHEDULER_ADDRESS
    from piiscan.cluster import ClusterError, connect, refuse_passwords

    try:
        refuse_passwords(sources)
        cluster = connect(address, scheduler_file, own_key=params["workers_own_key"])
    except ClusterError as exc:
        fail(str(exc))
    if not quiet:
        board = f", dashboard {cluster.dashboard}" if cluster.dashboard else ""
        click.echo(f"piiscan: scanning on {address or scheduler_file}: {cluster.workers()} workers{board}", err=True)
    return cluster


def _gate_options(
    fail_on: tuple[str, ...],
    fail_on_findings: bool,
    baseline: str | None,
    key: bytes,
    pack_entities: Sequence[str],
    store: StoreOptions | None = None,
) -> Any:
    """The --fail-on policies (--fail-on-findings is `any`) and the --baseline scan, checked before scanning."""
    if not fail_on and not fail_on_findings and not baseline:
        return [], None  # the gate's tools (and pyarrow.dataset) are not imported for a scan without one
    from piiscan.detectors import known_entities
    from piiscan.hashing import key_fingerprint
    from piiscan.tools.baseline import BaselineError
    from piiscan.tools.gate import load_baseline
    from piiscan.tools.policy import PolicyError, parse

    try:
        policies = [parse(text, sorted({*known_entities(), *pack_entities})) for text in fail_on]
    except PolicyError as exc:
        fail(f"--fail-on {exc}")
    if fail_on_findings and "any" not in [p.kind for p in policies]:
        policies.insert(0, parse("any"))
    if "new" in [p.kind for p in policies] and not baseline:
        fail("--fail-on new needs --baseline SCAN")
    try:
        base = load_baseline(baseline, key_fingerprint(key), store) if baseline else None
    except BaselineError as exc:
        fail(f"--baseline {exc}")
    return policies, base


# -- `scan`'s options, one object per source kind, from the parsed parameters ---------------------


def _connector_options(schemes: set[str], params: dict[str, Any]) -> dict[str, ConnectorOptions]:
    """The connector options of the schemes a scan reads (the others: their defaults; --out: StoreOptions)."""
    try:
        postgres = _postgres_options(params)
    except ValueError as exc:
        fail(str(exc))
    built = {"s3": _s3_options(params), "gs": _gcs_options(params), "postgresql": postgres, "postgres": postgres}
    return {scheme: built[scheme] for scheme in schemes if scheme in built}


def _s3_options(params: dict[str, Any]) -> S3Options:
    from piiscan.connectors.options import S3Options

    return S3Options(
        versions=params["versions"],
        anonymous=params["anonymous"],
        page_size=params["list_page_size"] or S3Options.page_size,
        list_threads=params["list_threads"] or S3Options.list_threads,
        endpoint_url=params["endpoint_url"],
        io_threads=params["io_threads"],
        max_attempts=params["max_attempts"],
    )


def _gcs_options(params: dict[str, Any]) -> GcsOptions:
    from piiscan.connectors.options import GcsOptions

    return GcsOptions(
        versions=params["versions"],
        anonymous=params["anonymous"],
        page_size=params["list_page_size"] or GcsOptions.page_size,
        list_threads=params["list_threads"] or GcsOptions.list_threads,
        max_attempts=params["max_attempts"],
    )


def _postgres_options(params: dict[str, Any]) -> PostgresOptions:
    """Raises ValueError when the options exclude each other."""
    from piiscan.connectors.options import PostgresOptions

    if params["postgres_driver"] == "adbc" and importlib.util.find_spec("adbc_driver_postgresql") is None:
        raise ValueError("--postgres-driver adbc: the ADBC driver is not installed (pip install 'piiscan[adbc]')")
    return PostgresOptions(
        sample_rows=params["sample_rows"],
        sample_percent=params["sample_percent"],
        timestamp_columns=params["timestamp_column"],
        driver=params["postgres_driver"],
    )


def _rule_packs(paths: Sequence[str], key_file: str | None, create_key: bool = False) -> Any:
    """The compiled rule packs of --rules (None without), or exit 2 naming the place of a problem."""
    if not paths:
        return None
    from piiscan.hashing import HmacKeyError, load_key
    from piiscan.plugins import PluginError
    from piiscan.rulepacks import RulePackError, load_rule_packs

    try:
        return load_rule_packs(paths, load_key(key_file, create_named=create_key))
    except (RulePackError, HmacKeyError, PluginError) as exc:
        fail(f"--rules: {exc}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.option("--rules", "rule_packs", multiple=True, metavar="FILE", help="Also list this rule pack's detectors.")
def detectors(fmt: str, rule_packs: tuple[str, ...]) -> None:
    """List every detector: entity, version, what it validates, canonical form, subject option, context."""
    from piiscan.detectors import load_detectors
    from piiscan.plugins import PluginError

    try:
        found = load_detectors()
    except PluginError as exc:
        fail(str(exc))
    rules = _rule_packs(rule_packs, None)
    rows = [
        {
            "detector": d.id,
            "entity": d.entity,
            "version": d.version,
            "explanation": d.explanation,
            "canonical": d.canonical_form,
            "subject_option": f"--{d.subject.name}" if d.subject else None,
            "context": list(d.context),
        }
        for d in [*found, *(rules.detectors if rules else ())]
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if fmt == "markdown":  # the README's table of detectors is this output
        click.echo("| detector | entity | what is found and validated | canonical form | `subject find` |")
        click.echo("| --- | --- | --- | --- | --- |")
        for r in rows:
            option = f"`{r['subject_option']}`" if r["subject_option"] else "—"
            cells = [f"`{r['detector']}`", f"`{r['entity']}`", r["explanation"], r["canonical"], option]
            click.echo("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return
    from rich.table import Table

    from piiscan.console import console

    table = Table(
        "detector", "entity", "what is found and validated", "canonical form", "subject find", "context words"
    )
    for r in rows:
        table.add_row(
            r["detector"],
            r["entity"],
            r["explanation"],
            r["canonical"],
            r["subject_option"] or "",
            ", ".join(r["context"]),
        )
    console().print(table)


# the commands that read scan directories (subject find, retention/residency check, report)
from piiscan.cli_tools import register as _register_tools  # noqa: E402

_register_tools(main)
