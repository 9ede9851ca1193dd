"""duo on a busy machine: the demo's coordinator training beside CPU-bound load processes.

    python benchmarks/busy_machine.py   # start it on an otherwise idle machine: it makes its own load

Times a short run of the demo's training (``--steps``) on the idle machine, then beside ``--load``
processes that each keep a core busy, for each thread setting: two torch threads (OpenMP's default
waiting), two that sleep while they wait (``OMP_WAIT_POLICY=PASSIVE``), one torch thread, and
the default (the cores other work leaves free when the run starts). Fair sharing of 2 cores with 2 load processes
makes a run 2-3x slower; torch threads that spin while waiting for a core make it far slower.
Writes its block into docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import publish, table_head

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {  # label -> (extra environment, extra overrides)
    "torch_threads=2": ({}, ["torch_threads=2"]),  # every core: duo's default before it looked for busy ones
    "torch_threads=2, OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, ["torch_threads=2"]),
    "torch_threads=1": ({}, ["torch_threads=1"]),
    "the default (every core not busy at the start)": ({}, []),
}
LOAD = "while True: pass"


def train_seconds(steps: int, environment: dict[str, str], overrides: list[str]) -> float:
    """Wall seconds of the demo's training for ``steps`` steps (a fresh run in a temporary folder)."""
    from duo_ai.cli.demo import DEMO_SETTINGS

    with tempfile.TemporaryDirectory() as folder:
        settings = [
            item for item in DEMO_SETTINGS if not item.startswith(("algorithm.total_timesteps", "name="))
        ]
        command = [sys.executable, "-m", "duo_ai.cli.main", "train", "--type", "coord", *settings,
                   f"algorithm.total_timesteps={steps}", f"experiment_dir={folder}", "name=busy", *overrides]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, **environment},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20480, help="training steps of each run")
    parser.add_argument("--load", type=int, default=2, help="CPU-bound processes beside the busy runs")
    parser.add_argument("--repeats", type=int, default=3, help="idle runs of each setting, taking turns")
    args = parser.parse_args()
    # idle: the settings take turns, --repeats rounds, so warm-up and drift fall on each alike
    idle_runs: dict[str, list[float]] = {label: [] for label in SETTINGS}
    for _ in range(args.repeats):
        for label, (environment, overrides) in SETTINGS.items():
            idle_runs[label].append(train_seconds(args.steps, environment, overrides))
    rows = []
    for label, (environment, overrides) in SETTINGS.items():
        idle = statistics.median(idle_runs[label])
        load = [subprocess.Popen([sys.executable, "-c", LOAD]) for _ in range(args.load)]
        try:
            busy = train_seconds(args.steps, environment, overrides)
        finally:
            for process in load:
                process.kill()
                process.wait()
        runs = ", ".join(f"{seconds:.1f}" for seconds in idle_runs[label])
        rows.append(f"| {label} | {idle:.1f} s ({runs}) | {busy:.1f} s | {busy / idle:.1f}x |")
        print(rows[-1], flush=True)
    command = " ".join(["python benchmarks/busy_machine.py", *sys.argv[1:]])
    measured = "\n".join([
        f"Measured by `{command}` on {os.cpu_count()} CPU cores: the demo's coordinator training for "
        f"{args.steps:,} steps, alone (median of {args.repeats} runs, the settings taking turns; each run in "
        f"brackets) and beside {args.load} CPU-bound processes (one run).", "",
        *table_head("threads", "idle", "beside the load", "slowdown"), *rows,
    ])  # fmt: skip
    publish("PERFORMANCE.md", "Performance", measured)


if __name__ == "__main__":
    main()
