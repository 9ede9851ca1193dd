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
can do with the test agents. The trained methods of each pair run as sweeps on Ray Tune (``duo
sweep``; the sweep files are written to experiments/yrc/sweeps/), ``--jobs`` trials at a time;
the PPO runs of a pair and pairing (every cost weight and seed) are one grouped trial.
Finished runs are skipped, so an interrupted benchmark continues where it stopped. The report (docs/RESULTS.md, docs/figures/pareto.png) is built by ``duo report``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from itertools import product
from pathlib import Path

import yaml
from harness import commit, duo, publish
from oracle import RANDOM_LAYOUTS as LAYOUTS  # random layouts the optimum averages over
from skyline import DEFAULT_STEPS, RECIPE, run_suffix

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
# The pairings the baselines train under (task_family trains optimum_imitation only: benchmarks/imitation.py)
PAIRINGS = ("weak_novice", "shifted_tasks")


def add_grid_arguments(parser: argparse.ArgumentParser, seeds: list[int]) -> None:
    """The options every sweep-driven grid benchmark shares: its slice (cost weights, seeds), how many
    trials run side by side, and reporting without running."""
    parser.add_argument("--alphas", nargs="+", type=float, default=list(ALPHAS))
    parser.add_argument("--seeds", nargs="+", type=int, default=seeds)
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (Ray Tune trials)")
    parser.add_argument("--report-only", action="store_true", help="report the finished runs, run nothing")


def trial_cpus(jobs: int) -> int:
    """Cores per trial: ``jobs`` trials side by side must not oversubscribe the cores."""
    return max(1, (os.cpu_count() or 1) // jobs)


def optimum(pair: str, alpha: float, seed: int) -> None:
    """The exact optimum (``duo oracle``: no training, nothing to sweep) unless it is there."""
    name = f"{pair}/weak_novice/optimum/alpha{alpha:g}/seed{seed}"
    if (RUNS / name / "test_result.json").exists():
        return
    print("+", name, flush=True)
    duo(
        "oracle",
        "--config",
        f"configs/minigrid_{pair}.yaml",
        f"name={name}",
        f"experiment_dir={RUNS}",
        f"seed={seed}",
        f"coordination.expert_query_cost_weight={alpha}",
        "overwrite=1",
        "--layouts",
        str(LAYOUTS[pair]),
    )


def sweep_file(
    pair: str,
    methods: dict[str, list[str]],
    pairings: list[str],
    args: argparse.Namespace,
    cpus: int,
    config: Path | None = None,
    runs: Path = RUNS,
) -> Path:
    """One pair's methods (name: overrides) as a sweep file of its ``config`` (by default
    configs/minigrid_<pair>.yaml): every (pairing, method, alpha, seed) is a trial whose folder is
    ``<pair>/<pairing>/<method>/alpha<alpha>/seed<seed>`` under ``runs``."""
    budget = [f"algorithm.total_timesteps={args.ppo_steps}"]
    spec = {
        "base": str(config or ROOT / "configs" / f"minigrid_{pair}.yaml"),
        "type": "coord",
        "experiment_dir": str(runs / pair),
        "overrides": ["validation_splits=[val_sim]"],
        "grid": {"simulated_pairing": pairings, "coordination.expert_query_cost_weight": args.alphas,
                 "seed": args.seeds},
        "bundles": {"method": {method: [*overrides, *(budget if method.startswith("ppo") else [])]
                               for method, overrides in methods.items()}},
        "name": "{simulated_pairing}/{method}/alpha{coordination.expert_query_cost_weight}/seed{seed}",
        "resources": {"cpu": cpus},
        "group": True,  # the PPO runs of a pairing train together (grouped_ppo); the other methods alone
    }  # fmt: skip
    group = "fixed" if set(methods) <= set(FIXED) else "fitted"
    path = runs / "sweeps" / f"{pair}_{group}_{'_'.join(methods)}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_grid(args: argparse.Namespace, cpus: int) -> None:
    """The optimum first (exact, cheap), then each pair's sweeps on Ray Tune (``duo sweep``)."""
    if "optimum" in args.methods:
        for pair, alpha in product(args.pairs, args.alphas):
            optimum(pair, alpha, args.seeds[0])  # exact: one seed
    fixed = {method: FIXED[method] for method in args.methods if method in FIXED}  # fit nothing: one pairing
    fitted = {method: FITTED[method] for method in args.methods if method in FITTED}
    for pair in args.pairs:
        for methods, pairings in ((fixed, ["weak_novice"]), (fitted, args.pairings)):
            if methods:
                sweep = sweep_file(pair, methods, pairings, args, cpus)
                duo("sweep", str(sweep), check=False, quiet=False)


def run_seconds(folders: str = "**", runs: Path = RUNS) -> list[float]:
    """Wall seconds of the finished runs in ``runs.glob(folders)``: recorded in wall_seconds.txt by
    runs made before duo sweep, in trial.json by sweep trials."""
    seconds = [float(path.read_text()) for path in runs.glob(f"{folders}/wall_seconds.txt")]
    trials = [json.loads(path.read_text()) for path in runs.glob(f"{folders}/trial.json")]
    return seconds + [trial["wall_seconds"] for trial in trials if "wall_seconds" in trial]


def group_seconds(runs: Path = RUNS) -> list[float]:
    """Wall seconds of each group of runs trained together (``group: true``): its runs' trial.json
    files all record the group's time, so a group counts once."""
    trials = [(path.parents[2], json.loads(path.read_text())) for path in runs.glob("**/trial.json")]
    return list({(folder, trial["group_wall_seconds"]): trial["group_wall_seconds"]
                 for folder, trial in trials if "group_wall_seconds" in trial}.values())  # fmt: skip


def total_hours(runs: Path = RUNS) -> float:
    """Wall time of every finished run or group under ``runs``, summed: the benchmark's cost on one
    machine, run serially (a run alone counts its own time, a group of runs the group's; a resumed
    one, the time of its last part)."""
    return (sum(run_seconds(runs=runs)) + sum(group_seconds(runs))) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument("--pairings", nargs="+", default=list(PAIRINGS), choices=PAIRINGS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    add_grid_arguments(parser, seeds=[0, 1, 2])
    parser.add_argument("--ppo-steps", type=int, default=200_000, help="training steps of a PPO coordinator")
    args = parser.parse_args()
    started, runs_before = time.time(), len(list(RUNS.glob("**/test_result.json")))
    cpus = trial_cpus(args.jobs)
    if not args.report_only:
        run_grid(args, cpus)
    ran = len(list(RUNS.glob("**/test_result.json"))) - runs_before
    hours = (time.time() - started) / 3600
    # skyline rows: benchmarks/skyline.py's runs with the configs' coordinator recipe (trained alone
    # or as a group, `skyline.py --group`), where they exist
    skylines = [
        str(path)
        for pair in args.pairs
        for path in (
            SKYLINE_RUNS / pair / RECIPE,
            SKYLINE_RUNS / pair / f"{RECIPE}{run_suffix(DEFAULT_STEPS, 1, True)}",
        )
        if path.is_dir()
    ]
    report = duo("report", str(RUNS), *skylines, "--out", str(RUNS / "report"), capture=True)
    shares = report.stdout.split("report of")[0].strip()  # the share of the gain, method by method
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
        f"listed below the block): {len(list(RUNS.glob('**/test_result.json')))} runs, {total_hours():.2f} h of "
        f"run time summed over its sweeps' trials (a group of runs counted once; the exact optimum's runs "
        f"untimed){last}; reported at commit {commit()}.\n\n"
        f"```\n{shares}\n```\n\n{table}\n![Pareto plot](figures/pareto.png)\n"
    )
    publish("RESULTS.md", "Results on MiniGrid", measured)


if __name__ == "__main__":
    main()
