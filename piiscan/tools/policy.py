"""`--fail-on` policies: which findings fail a CI job, and the exit code of each kind of failure.

    any                      every finding fails (`--fail-on-findings` is this)
    new                      findings not in the baseline (`--baseline SCAN` needed)
    entity:NL_BSN,CREDIT_CARD findings of these entities
    score:0.9                findings scored at least 0.9

Several policies fail the job when any of them fails; the exit code is that of the first one
given that fails. `--min-coverage SHARE` fails it when fewer than SHARE of the objects (and
members) were covered: skipped and failed ones count against it, scanned and carried ones for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.exitcodes import ExitCode
from piiscan.tools.baseline import NEW


class PolicyError(ValueError):
    """A `--fail-on` value that is not a policy."""


@dataclass(frozen=True)
class Policy:
    kind: str  # any | new | entity | score
    entities: tuple[str, ...] = ()
    min_score: float = 0.0

    def __str__(self) -> str:
        if self.kind == "entity":
            return "entity:" + ",".join(self.entities)
        if self.kind == "score":
            return f"score:{self.min_score:g}"
        return self.kind

    @property
    def exit_code(self) -> ExitCode:
        return {
            "any": ExitCode.FINDINGS,
            "new": ExitCode.NEW_FINDINGS,
            "entity": ExitCode.ENTITY_FINDINGS,
            "score": ExitCode.SCORE_FINDINGS,
        }[self.kind]

    def failing(self, findings: pa.Table) -> pa.ChunkedArray:
        """Which rows of `findings` fail this policy (`baseline_state` is needed for `new`)."""
        if self.kind == "new":
            return pc.fill_null(pc.equal(findings["baseline_state"], NEW), False)
        if self.kind == "entity":
            return pc.is_in(findings["entity"], value_set=pa.array(self.entities, pa.string()))
        if self.kind == "score":
            return pc.greater_equal(findings["score"], pa.scalar(self.min_score, pa.float32()))
        return pa.chunked_array([pa.array([True] * findings.num_rows, pa.bool_())])


def parse(text: str, known_entities: Sequence[str] = ()) -> Policy:
    """One policy from its text.

    >>> parse("entity:nl_bsn, CREDIT_CARD")
    Policy(kind='entity', entities=('NL_BSN', 'CREDIT_CARD'), min_score=0.0)
    >>> str(parse("score:0.90"))
    'score:0.9'
    """
    kind, _, arg = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind in ("any", "new") and not arg:
        return Policy(kind)
    if kind == "entity":
        entities = tuple(e.strip().upper() for e in arg.split(",") if e.strip())
        if not entities:
            raise PolicyError(f"{text!r}: name the entities, e.g. entity:NL_BSN,CREDIT_CARD")
        unknown = [e for e in entities if known_entities and e not in known_entities]
        if unknown:
            raise PolicyError(f"{text!r}: unknown entity {', '.join(unknown)}")
        return Policy("entity", entities=entities)
    if kind == "score":
        try:
            score = float(arg)
        except ValueError:
            score = -1.0
        if not 0.0 <= score <= 1.0:
            raise PolicyError(f"{text!r}: the score must be a number from 0 to 1, e.g. score:0.9")
        return Policy("score", min_score=score)
    raise PolicyError(f"{text!r} is not a policy: use any, new, entity:LIST or score:X")


def failing(policies: Sequence[Policy], findings: pa.Table) -> pa.ChunkedArray:
    """Rows failing any of `policies`."""
    mask = pa.chunked_array([pa.array([False] * findings.num_rows, pa.bool_())])
    for policy in policies:
        mask = pc.or_(mask, policy.failing(findings))
    return mask


def verdict(policies: Sequence[Policy], findings: pa.Table) -> tuple[Policy, int] | None:
    """The first policy that some finding fails, with how many fail it; None when none does."""
    for policy in policies:
        hits = pc.sum(policy.failing(findings)).as_py() or 0
        if hits:
            return policy, hits
    return None


def coverage(status_counts: dict[str, int]) -> float:
    """The covered share of objects and members: 1.0 when there were none.

    >>> coverage({"scanned": 8, "carried": 1, "skipped": 1})
    0.9
    """
    total = sum(status_counts.values())
    short = status_counts.get("skipped", 0) + status_counts.get("failed", 0)
    return 1.0 if total == 0 else (total - short) / total
