"""The YRC benchmark on the shipped MiniGrid pairs: every baseline coordinator under both simulated
pairings, the exact optimum, on the paper's cost weights.

    python benchmarks/yrc0.py --jobs 2   # the whole grid, two runs at a time, then the report
    python benchmarks/yrc0.py --pairs distshift --seeds 0 --alphas 0.4 --pairings shifted_tasks  # a slice

Each run trains and selects on its pairing's val_sim and is reported on the test split
(``test_result.json``): ``weak_novice`` is YRC-0 as in the paper (a weaker novice, the novice as
expert, on the novice's task), ``shifted_tasks`` the real novice with the expert of a held-out
variant of its task (see configs/minigrid_<pair>.yaml); fixed rules (always novice, always expert)
fit nothing and run once. Skyline rows (trained on the test pairing: an upper reference) come
from ``benchmarks/skyline.py``'s runs of the configs' coordinator recipe where they exist. ``optimum`` rows are ``duo oracle``: the exact best any coordinator
can do with the test agents. Finished runs are skipped, so an interrupted benchmark continues
where it stopped. The report (docs/RESULTS.md, docs/figures/pareto.png) is built by ``duo report``.
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
from oracle import RANDOM_LAYOUTS as LAYOUTS  # random layouts the optimum averages over
from skyline import RECIPE

from duo_ai.protocol import PAIRINGS

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "experiments" / "yrc"
SKYLINE_RUNS = ROOT / "experiments" / "skyline"
ALPHAS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # the paper's grid: areas over [0, 1]

FIXED = {  # fit nothing: the pairing does not matter
    "always_novice": ["policy.name=always", "policy.agent=novice", "algorithm.name=always"],
    "always_expert": ["policy.name=always", "policy.agent=expert", "algorithm.name=always"],
}
FITTED = {
    "random": ["policy.name=random", "algorithm.name=random"],
    "logit_max_prob": ["policy.name=logit", "policy.metric=max_prob", "algorithm.name=logit"],
    "logit_entropy": ["policy.name=logit", "policy.metric=entropy", "algorithm.name=logit"],
    "ood": ["policy.name=ood", "policy.feature_type=hidden", "algorithm.name=ood"],
    "ppo": [],  # the pair config's PPO coordinator (obs_dist); its budget is --ppo-steps
}
METHODS = ["optimum", *FIXED, *FITTED]


def job(pair: str, pairing: str, method: str, alpha: float, seed: int, threads: int, ppo_steps: int) -> bool:
    """Run one point of the grid unless it has finished; True when it ran."""
    name = f"{pair}/{pairing}/{method}/alpha{alpha:g}/seed{seed}"
    if (RUNS / name / "test_result.json").exists():
        return False
    common = ["--config", f"configs/minigrid_{pair}.yaml", f"name={name}", f"experiment_dir={RUNS}",
              f"seed={seed}", f"coordination.expert_query_cost_weight={alpha}", f"torch_threads={threads}",
              "overwrite=1"]  # fmt: skip
    if method == "optimum":
        command = ["oracle", *common, "--layouts", str(LAYOUTS[pair])]
    else:
        overrides = FIXED.get(method) or FITTED[method]
        budget = [f"algorithm.total_timesteps={ppo_steps}"] if method == "ppo" else []
        command = ["train", "--type", "coord", *common, *overrides, *budget,
                   f"simulated_pairing={pairing}", "validation_splits=[val_sim]"]  # fmt: skip
    print("+", name, flush=True)
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "duo_ai.cli.main", *command], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    if done.returncode:  # the others go on; a rerun retries this one
        print(f"! {name} failed (exit {done.returncode})", flush=True)
        return False
    (RUNS / name / "wall_seconds.txt").write_text(f"{time.time() - started:.1f}\n")
    return True


def grid(args: argparse.Namespace) -> list[tuple]:
    """Every run, cheapest first, so that an interrupted benchmark has whole methods done."""
    points = []
    for method in args.methods:
        pairings = ["weak_novice"] if method == "optimum" or method in FIXED else args.pairings
        seeds = args.seeds[:1] if method == "optimum" else args.seeds  # exact: no sampling
        points += [(pair, pairing, method, alpha, seed)
                   for pairing, pair, alpha, seed in product(pairings, args.pairs, args.alphas, seeds)]  # fmt: skip
    return points


def total_hours() -> float:
    """Wall time of every finished run, summed: the benchmark's cost on one machine, run serially."""
    return sum(float(path.read_text()) for path in RUNS.glob("**/wall_seconds.txt")) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument("--pairings", nargs="+", default=list(PAIRINGS), choices=PAIRINGS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--alphas", nargs="+", type=float, default=list(ALPHAS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--ppo-steps", type=int, default=200_000, help="training steps of a PPO coordinator")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process")
    parser.add_argument("--report-only", action="store_true", help="report the finished runs, run nothing")
    args = parser.parse_args()
    started = time.time()
    threads = max(1, (os.cpu_count() or 1) // args.jobs)  # runs side by side must not oversubscribe the cores
    with ThreadPoolExecutor(args.jobs) as pool:
        points = [] if args.report_only else grid(args)
        ran = sum(pool.map(lambda point: job(*point, threads, args.ppo_steps), points))
    hours = (time.time() - started) / 3600
    # skyline rows: benchmarks/skyline.py's runs with the configs' coordinator recipe, where they exist
    skylines = [str(path) for pair in args.pairs if (path := SKYLINE_RUNS / pair / RECIPE).is_dir()]
    subprocess.run([sys.executable, "-m", "duo_ai.cli.main", "report", str(RUNS), *skylines,
                    "--out", str(RUNS / "report")], check=True, cwd=ROOT)  # fmt: skip
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
        f"Measured on 2 CPU cores by `python benchmarks/yrc0.py` (the invocations that made these runs are "
        f"listed below the block): {total_hours():.2f} h of run time summed over all "
        f"{len(list(RUNS.glob('**/test_result.json')))} runs{last}.\n\n{table}\n![Pareto plot](figures/pareto.png)\n"
    )
    write_block(ROOT / "docs" / "RESULTS.md", "Results on MiniGrid", "benchmarks/yrc0.py", measured)
    print(table)


if __name__ == "__main__":
    main()
