"""The YRC-0 benchmark: every baseline coordinator on the shipped MiniGrid pairs.

    python benchmarks/yrc0.py            # all methods x pairs x cost weights x seeds, then the report
    python benchmarks/yrc0.py --pairs distshift --seeds 0 --alphas 0.4   # a slice
    python benchmarks/yrc0.py --jobs 2   # two runs at a time, each with half the cores

Each run trains and selects on the training pairing (val_sim) and is reported on the test split
(``test_result.json``). Finished runs are skipped, so an interrupted benchmark continues where it
stopped. The report (docs/RESULTS.md, docs/figures/pareto.png) is built by ``duo report``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from pathlib import Path

from doc_block import write_block

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "experiments" / "yrc0"
LOGIT_METRICS = ("max_logit", "max_prob", "margin", "entropy", "energy")

METHODS: dict[str, list[str]] = {
    "always_novice": ["policy.name=always", "policy.agent=novice", "algorithm.name=always"],
    "always_expert": ["policy.name=always", "policy.agent=expert", "algorithm.name=always"],
    "random": ["policy.name=random", "algorithm.name=random"],
    **{
        f"logit_{m}": ["policy.name=logit", f"policy.metric={m}", "algorithm.name=logit"]
        for m in LOGIT_METRICS
    },
    # The reference's rule, for comparison: the raw threshold, not carried to the test novice.
    "logit_max_prob_raw": [
        "policy.name=logit",
        "policy.metric=max_prob",
        "algorithm.name=logit",
        "policy.recalibrate=false",
    ],
    "ood": ["policy.name=ood", "policy.feature_type=hidden", "algorithm.name=ood"],
    "ppo": ["algorithm.total_timesteps=200000"],  # the suite config's PPO coordinator (obs_dist)
}


def run(pair: str, method: str, alpha: float, seed: int, threads: int) -> bool:
    name = f"{pair}/{method}/alpha{alpha:g}/seed{seed}"
    if (RUNS / name / "test_result.json").exists():
        return False
    command = [
        sys.executable, "-m", "duo_ai.cli.main", "train", "--type", "coord", "--config",
        f"configs/minigrid_{pair}.yaml", *METHODS[method], f"name={name}", f"experiment_dir={RUNS}",
        f"seed={seed}", f"coordination.expert_query_cost_weight={alpha}", "validation_splits=[val_sim]",
        f"torch_threads={threads}", "overwrite=1",
    ]  # fmt: skip
    print("+", name, flush=True)
    started = time.time()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (RUNS / name / "wall_seconds.txt").write_text(f"{time.time() - started:.1f}\n")
    return True


def total_hours() -> float:
    """Wall time of every finished run, summed: the benchmark's cost on one machine, run serially."""
    return sum(float(path.read_text()) for path in RUNS.glob("**/wall_seconds.txt")) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=["distshift", "lavagap", "doorkey"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process")
    args = parser.parse_args()
    started = time.time()
    grid = list(product(args.pairs, args.methods, args.alphas, args.seeds))
    threads = max(1, (os.cpu_count() or 1) // args.jobs)  # runs side by side must not oversubscribe the cores
    with ThreadPoolExecutor(args.jobs) as pool:
        ran = sum(pool.map(lambda point: run(*point, threads), grid))
    hours = (time.time() - started) / 3600
    subprocess.run([sys.executable, "-m", "duo_ai.cli.main", "report", str(RUNS), "--out", str(RUNS / "report")],
                   check=True, cwd=ROOT)  # fmt: skip
    table = (RUNS / "report" / "results.md").read_text()
    figures = ROOT / "docs" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "pareto.png").write_bytes((RUNS / "report" / "pareto.png").read_bytes())
    last = (
        f" ({ran} runs in the last invocation, {args.jobs} at a time: {hours:.2f} h of wall time)"
        if ran
        else ""
    )
    measured = (
        f"Measured by `python benchmarks/yrc0.py` on 2 CPU cores: {total_hours():.2f} h of run time summed over "
        f"all {len(list(RUNS.glob('**/test_result.json')))} runs{last}.\n\n{table}\n![Pareto plot](figures/pareto.png)\n"
    )
    write_block(ROOT / "docs" / "RESULTS.md", "YRC-0 results on MiniGrid", "benchmarks/yrc0.py", measured)
    print(table)


if __name__ == "__main__":
    main()
