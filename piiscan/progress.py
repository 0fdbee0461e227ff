"""What a person sees during and after a scan: progress, then a summary table.

On a terminal, a live line (objects, bytes, findings, rate) on stderr; otherwise a plain line
every few seconds. Neither ever shows content: only counts and object URIs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from piiscan.model import ObjectRef
from piiscan.scan import ScanSummary

PLAIN_EVERY = 5.0  # seconds between plain progress lines


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _line(s: ScanSummary, elapsed: float, workers: Callable[[], int] | None = None) -> str:
    rate = s.bytes_read / elapsed if elapsed > 0 else 0.0
    return (
        f"{s.scanned + s.skipped + s.failed} objects ({s.skipped} skipped, {s.failed} failed), "
        f"{_human(s.bytes_read)}, {sum(s.findings.values())} findings, {_human(rate)}/s"
        + (f", {workers()} workers" if workers else "")
    )


def make_progress(
    quiet: bool, workers: Callable[[], int] | None = None
) -> tuple[Callable[[ScanSummary, ObjectRef | None], None] | None, Callable[[], None]]:
    """A progress callback for `run_scan`, and a function that ends the display; `workers`
    counts a cluster's workers now."""
    if quiet:
        return None, lambda: None
    start = time.monotonic()
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.live import Live

        live = Live("starting…", console=Console(stderr=True), refresh_per_second=4, transient=True)
        live.start()

        def update(s: ScanSummary, ref: ObjectRef | None) -> None:
            live.update(_line(s, time.monotonic() - start, workers))

        return update, live.stop
    last = [start]

    def plain(s: ScanSummary, ref: ObjectRef | None) -> None:
        now = time.monotonic()
        if now - last[0] >= PLAIN_EVERY:
            last[0] = now
            print(f"piiscan: {_line(s, now - start, workers)}", file=sys.stderr, flush=True)

    return plain, lambda: None


def print_summary(s: ScanSummary, out: str) -> None:
    from rich.table import Table

    from piiscan.console import console as make_console

    console = make_console()
    console.print(f"scan {s.scan_id}: [b]{s.status}[/b]", highlight=False)
    table = Table()
    table.add_column("entity")
    table.add_column("findings", justify="right")
    for entity, n in sorted(s.findings.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(entity, str(n))
    table.add_row("[b]total[/b]", f"[b]{sum(s.findings.values())}[/b]")
    console.print(table)
    console.print(
        f"objects: {s.scanned} scanned, {s.skipped} skipped, {s.failed} failed"
        + (f", {s.carried} carried (unchanged since {s.since}), {s.gone} gone" if s.since else "")
        + "; "
        f"{_human(s.bytes_read)} in {s.seconds:.1f} s",
        highlight=False,
    )
    if s.allowed:
        console.print(f"allowed: {sum(s.allowed.values())} finding(s) not written (manifest: allowed)", highlight=False)
    console.print(f"scan directory: {out}", highlight=False, soft_wrap=True)
