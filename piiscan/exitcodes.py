"""Exit codes of every piiscan command: one source of truth, documented in the README."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # the command did all its work and found nothing that fails it
    ERROR = 1  # an unexpected internal error (a bug): a one-line message, details with --debug
    USAGE = 2  # usage or configuration error: bad option, unreadable rules, missing source
    PARTIAL = 3  # the scan finished, but some objects or members could not be read fully
    FINDINGS = 4  # --fail-on any (or --fail-on-findings): the scan found personal data (complete or not)
    SOURCE = 5  # a source could not be listed at all (missing bucket, access denied)
    VIOLATIONS = 6  # retention, residency or baseline checks found items that violate a rule
    NEW_FINDINGS = 7  # --fail-on new: findings that the --baseline scan does not have
    ENTITY_FINDINGS = 8  # --fail-on entity:LIST: findings of one of the listed entities
    SCORE_FINDINGS = 9  # --fail-on score:X: findings scored at least X
    LOW_COVERAGE = 10  # --min-coverage SHARE: a smaller share of the objects was covered
    OUTPUT = 11  # the scan directory refused a write (disk full, a bucket's policy): the scan stopped, resumable
    INTERRUPTED = 130  # stopped by SIGINT (Ctrl-C), after writing what was done: 128 + 2, as shells do
    TERMINATED = 143  # stopped by SIGTERM, after writing what was done: 128 + 15
