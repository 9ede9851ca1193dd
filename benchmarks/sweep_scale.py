"""How fast `duo sweep` runs trials here, and what the YRC-Bench paper's grid would cost.

    python benchmarks/sweep_scale.py   # run on an idle machine: it times wall clock

Runs the same small sweep (PPO coordinators on MiniGrid DistShift, ``--steps`` each) twice on
Ray Tune: one CPU per trial (two trials at a time on 2 cores), then two CPUs per trial (one at a
time). Then, from the measured per-run costs of ``benchmarks/yrc0.py``'s runs (their
``wall_seconds.txt``), the wall time of the paper's grid (about 2,600 trained policies) on N nodes.
Writes the block of docs/SCALE.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import yaml
from harness import duo, publish, table_head
from yrc0 import run_seconds

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "experiments" / "sweep_scale"
PAPER_POLICIES = 2600  # YRC-Bench: 19 tasks x 23 method variants x 6 cost weights x seeds, about


def timed_sweep(cpus: int, trials: int, steps: int) -> float:
    """Wall seconds of a fresh sweep of ``trials`` PPO coordinators, ``cpus`` per trial."""
    folder = WORK / f"cpu{cpus}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = {
        "base": str(ROOT / "configs" / "minigrid_distshift.yaml"),
        "experiment_dir": str(folder / "runs"),
        "overrides": [f"algorithm.total_timesteps={steps}", "validation_splits=[val_sim]"],
        "grid": {"seed": list(range(trials))},
        "resources": {"cpu": cpus},
    }
    (folder / "sweep.yaml").write_text(yaml.safe_dump(spec))
    started = time.perf_counter()
    duo("sweep", str(folder / "sweep.yaml"))
    return time.perf_counter() - started


def mean_run_seconds(method: str) -> float | None:
    """Mean wall seconds of yrc0's runs of ``method``."""
    times = run_seconds(f"*/*/{method}/*/*")
    return sum(times) / len(times) if times else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20_000, help="PPO steps of each trial")
    args = parser.parse_args()
    rows = []
    for cpus in (1, 2):
        seconds = timed_sweep(cpus, args.trials, args.steps)
        rows.append(f"| {cpus} | {args.trials} | {seconds:.0f} s | {3600 * args.trials / seconds:.0f} |")
        print(rows[-1], flush=True)
    ppo, logit = mean_run_seconds("ppo"), mean_run_seconds("logit_max_prob")
    estimate = []
    if ppo and logit:
        per_run = (ppo + logit) / 2  # the paper's grid mixes learned and threshold methods
        core_hours = PAPER_POLICIES * per_run / 3600
        for nodes, cores in ((1, 2), (1, 16), (4, 16), (16, 16)):
            estimate.append(f"| {nodes} x {cores} cores | {core_hours / (nodes * cores):.1f} h |")
    command = " ".join(["python benchmarks/sweep_scale.py", *sys.argv[1:]])
    measured = "\n".join([
        f"Measured by `{command}` on 2 idle CPU cores: {args.trials} PPO coordinators of {args.steps:,} steps "
        "(MiniGrid DistShift), one sweep per row, Ray started by each.",
        "", *table_head("CPUs per trial", "trials", "wall time", "trials per hour"), *rows,
    ])  # fmt: skip
    if estimate:
        measured += "\n\n" + "\n".join([
            f"The paper's grid ({PAPER_POLICIES:,} trained policies) at this machine's measured cost per run "
            f"(mean of `benchmarks/yrc0.py`'s runs, one core each: PPO 200k steps {ppo:.0f} s, `logit` {logit:.0f} s; "
            "half of each), one trial per core, cores scaling linearly:",
            "", *table_head("cluster", "wall time"), *estimate,
        ])  # fmt: skip
    publish("SCALE.md", "Sweeps at scale", measured)


if __name__ == "__main__":
    main()
