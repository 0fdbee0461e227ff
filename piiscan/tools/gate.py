"""What a CI job decides after a scan: compare with the baseline, judge `--fail-on` and coverage.

The scan directory records it: the `baseline/` table and, in manifest.json, `baseline` (the old
scan's id and where it was read, and how many findings are new, unchanged and absent),
`fail_on`, `min_coverage` and `coverage`. The exit code is the first failing policy's, then
`LOW_COVERAGE`; None when nothing fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from piiscan.exitcodes import ExitCode
from piiscan.redact import safe_message
from piiscan.scandir import FINDINGS_SCHEMA, ScanDirWriter, read_manifest, read_table
from piiscan.scanstate import FINISHED
from piiscan.store import StoreOptions
from piiscan.tools import baseline as bl
from piiscan.tools.policy import Policy, coverage, verdict


@dataclass(frozen=True)
class Baseline:
    """A scan to compare with, checked before the new scan starts (so a bad one fails fast); its
    findings are read after it, so that they take no memory while scanning."""

    source: str
    manifest: dict[str, Any]

    @property
    def scan_id(self) -> str:
        return str(self.manifest.get("scan_id", self.source))


def load_baseline(source: str, key_fingerprint: str, store_options: StoreOptions | None = None) -> Baseline:
    """The scan directory `source` (a folder or a bucket prefix), made with our key."""
    try:
        manifest = read_manifest(source, store_options)
    except FileNotFoundError:
        raise bl.BaselineError(f"{source}: no scan directory (no manifest.json)") from None
    except Exception as exc:  # a bucket that cannot be read, a manifest that is not JSON
        raise bl.BaselineError(f"{source}: cannot be read: {type(exc).__name__}: {safe_message(exc)}") from None
    if manifest.get("status") not in FINISHED:  # a scan that did not finish would make findings look new
        raise bl.BaselineError(
            f"{source}: that scan is {manifest.get('status')}, not finished: it cannot be a baseline"
        )
    bl.check_keys(manifest, key_fingerprint, source)
    return Baseline(source, manifest)


@dataclass
class Verdict:
    code: ExitCode | None = None
    messages: list[str] = field(default_factory=list)
    baseline_counts: dict[str, int] | None = None


def judge(
    out: str,
    base: Baseline | None,
    policies: Sequence[Policy],
    min_coverage: float | None,
    store_options: StoreOptions | None = None,
) -> Verdict:
    """Compare, judge and record in `out`'s manifest (`store_options`: how to reach a bucket `out`);
    the verdict says what failed."""
    result = Verdict()
    findings = read_table(out, "findings", FINDINGS_SCHEMA.names, store_options)
    manifest = read_manifest(out, store_options)
    if base is not None:
        objects = read_table(out, "objects", ["object", "member", "status"], store_options)
        errors = read_table(out, "errors", ["object", "stage"], store_options)
        old = read_table(base.source, "findings", FINDINGS_SCHEMA.names, store_options)
        comparison = bl.compare(old, findings, objects, errors)
        bl.write_comparison(out, comparison, store_options)
        findings = bl.current(comparison)
        result.baseline_counts = bl.counts(comparison)
        manifest["baseline"] = {"scan_id": base.scan_id, "source": base.source, **result.baseline_counts}
    failed = verdict(policies, findings)
    if failed is not None:
        policy, hits = failed
        result.code = policy.exit_code
        result.messages.append(f"--fail-on {policy}: {hits} finding(s) fail it")
    statuses = Counter(read_table(out, "objects", ["status"], store_options)["status"].to_pylist())
    share = coverage(dict(statuses))
    if min_coverage is not None and share < min_coverage:
        result.code = result.code or ExitCode.LOW_COVERAGE
        result.messages.append(
            f"--min-coverage {min_coverage:g}: only {share:.4g} of {sum(statuses.values())} objects and members "
            f"covered ({statuses.get('skipped', 0)} skipped, {statuses.get('failed', 0)} failed)"
        )
    manifest.update(fail_on=[str(p) for p in policies], min_coverage=min_coverage, coverage=round(share, 6))
    ScanDirWriter(out, options=store_options).write_manifest(manifest)
    return result
