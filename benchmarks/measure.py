"""Time and peak memory of a command and all the processes it starts (the scan and its workers).

Not `os.wait4`'s ru_maxrss: exec keeps the high-water mark of the memory it replaces, so a child's
figure can include the benchmark's own peak; and it sees one process, not a worker pool. Instead
/proc is sampled ten times a second: the resident memory of the whole tree, summed, and each
process's own high-water mark (VmHWM, which no sampling can miss).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MiB = 2**20


def tree_memory(root: int) -> tuple[int, dict[int, int]]:
    """Bytes resident in `root` and all its descendants now, and each one's own peak (VmHWM) so far."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    total, peaks, todo = 0, {}, [root]
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                status = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
        except OSError:
            continue
        if b"VmRSS" in status:
            total += int(status[b"VmRSS"].split()[0]) * 1024
            peaks[pid] = int(status[b"VmHWM"].split()[0]) * 1024
    return total, peaks


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    peak_mb: float  # the whole process tree's resident memory at its highest (at least the largest process's peak)
    largest_mb: float  # the highest peak of any one process
    process_peaks_mb: tuple[float, ...]  # every process's own peak, largest first


def measure(cmd: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None) -> Run:
    t0 = time.monotonic()
    child = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd)
    tree_peak, process_peaks = 0, {}
    while child.poll() is None:
        total, peaks = tree_memory(child.pid)
        tree_peak = max(tree_peak, total)
        process_peaks.update(peaks)
        time.sleep(0.1)
    seconds = time.monotonic() - t0
    each = sorted(process_peaks.values(), reverse=True)
    largest = each[0] if each else 0
    return Run(seconds, child.returncode, max(tree_peak, largest) / MiB, largest / MiB, tuple(p / MiB for p in each))


def print_table(rows: Sequence[Mapping[str, object]]) -> None:
    """Rows of the same keys as a Markdown table (what the README shows)."""
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
