"""How many torch threads a run takes by default: the cores other work leaves free."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def default_torch_threads() -> int:
    """Every core that other work is not using when the run starts. The simulator and torch take
    turns within a step, so they do not compete, and IMPALA-sized networks run nearly twice as
    fast on 2 threads as on 1 (benchmarks/threads.py). But a torch thread waiting for a core that
    another process holds stalls every parallel op: on 2 busy cores two threads made the demo's
    training 7.5-22x slower in two runs, one thread 2.3-2.4x (benchmarks/busy_machine.py,
    docs/PERFORMANCE.md). ``start_run`` logs the count: float sums split over other thread counts
    round differently, so a run repeats bit for bit only with the same ``torch_threads``."""
    return max(1, (os.cpu_count() or 1) - busy_cores())


def busy_cores(readings: int = 5, interval: float = 0.02) -> int:
    """How many cores other processes keep busy now: the kernel's count of runnable tasks
    (``/proc/loadavg``) less this one, the median of a few readings; 0 where the count is unknown
    (not Linux). Instantaneous, unlike the load average, which lags by a minute."""
    counts = []
    for reading in range(readings):
        try:
            running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
            counts.append(int(running) - 1)
        except (OSError, IndexError, ValueError):
            return 0
        if reading < readings - 1:
            time.sleep(interval)
    return max(0, int(np.median(counts)))
