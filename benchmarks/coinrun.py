"""The YRC benchmark on Procgen coinrun: where coordination pays with the shipped agents.

    python benchmarks/coinrun.py --jobs 2               # the grid: 6 cost weights x 3 seeds
    python benchmarks/coinrun.py --seeds 0 --alphas 0.2 --methods always_novice always_expert   # a slice

Honest methods train and select under ``configs/procgen_coinrun.yaml``: the weak novice with the
novice as stand-in expert on the novice's easy levels (YRC-0's pairing). ``ppo_test_pairing`` is
the same PPO coordinator trained and selected with the test novice, the test expert and hard
levels: duo records it as trained on the test pairing (an upper reference) and, with no exact
optimum on Procgen, it is the denominator of the share of the gain. Every run is tested on the
hard test levels with the test agents. The break-even cost weight is where always-expert's test
reward falls to always-novice's (linear between the grid's points). Runs are ``duo sweep``s on
Ray Tune, ``--jobs`` trials at a time (each PPO variant's runs are one grouped trial); finished
runs are skipped, so an interrupted benchmark continues. The report goes to docs/RESULTS.md once
every run of the invocation has its result (until then it is only printed).
"""

from __future__ import annotations

import argparse
from itertools import pairwise
from pathlib import Path

import numpy as np
from harness import commit, duo, publish
from yrc0 import FIXED, add_grid_arguments, sweep_file, total_hours, trial_cpus

from duo_ai.protocol.result import read_result

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "experiments" / "coinrun"
CONFIG = ROOT / "configs" / "procgen_coinrun.yaml"
GRID = (0, 20, 40, 60, 80, 100)  # candidates of the fitted rules (percent): six validations, not eleven (CPU)
TEST_PAIRING = [  # the tutorial's pairing (configs/procgen_ppo.yaml): the test agents on hard levels
    "train_novice=zoo:procgen/coinrun/novice",
    "train_expert=zoo:procgen/coinrun/expert",
    "env.train.distribution_mode=hard",
    "env.val_sim.distribution_mode=hard",
]
FITTED = {
    "random": ["policy.name=random", "algorithm.name=random", f"algorithm.probs={[p / 100 for p in GRID]}"],
    "logit_max_prob": ["policy.name=logit", "policy.metric=max_prob", "algorithm.name=logit",
                       f"algorithm.percentiles={list(GRID)}"],
    "ppo": [],  # configs/procgen_coinrun.yaml's PPO coordinator (dist features); budget --ppo-steps
    "ppo_test_pairing": TEST_PAIRING,
}  # fmt: skip
METHODS = [*FIXED, *FITTED]


def run_grid(args: argparse.Namespace, cpus: int) -> None:
    """The fixed agents (fit nothing: one seed), then the fitted methods, as ``duo sweep``s."""
    fixed = {method: FIXED[method] for method in args.methods if method in FIXED}
    fitted = {method: FITTED[method] for method in args.methods if method in FITTED}
    for methods, seeds in ((fixed, args.seeds[:1]), (fitted, args.seeds)):
        if methods:
            grid = argparse.Namespace(**{**vars(args), "seeds": seeds})
            sweep = sweep_file("coinrun", methods, ["weak_novice"], grid, cpus, config=CONFIG, runs=RUNS)
            duo("sweep", str(sweep), check=False, quiet=False)


def missing_runs(args: argparse.Namespace) -> list[Path]:
    """The folders of this invocation's runs that hold no result (an interrupted or failed sweep)."""
    seeds = {method: args.seeds[:1] if method in FIXED else args.seeds for method in args.methods}
    folders = [RUNS / "coinrun" / "weak_novice" / method / f"alpha{alpha:g}" / f"seed{seed}"
               for method in args.methods for alpha in args.alphas for seed in seeds[method]]  # fmt: skip
    return [folder for folder in folders if not (folder / "test_result.json").exists()]


def fixed_rewards(method: str) -> dict[float, float]:
    """A fixed agent's mean test reward at each cost weight it ran at."""
    rewards = {}
    for path in (RUNS / "coinrun" / "weak_novice" / method).glob("alpha*/seed*/test_result.json"):
        result = read_result(path.parent)
        rewards[result["alpha"]] = result["test"]["reward_mean"]
    return dict(sorted(rewards.items()))


def break_even() -> str:
    """The cost weight where always-expert's test reward falls to always-novice's, read linearly
    between the grid's points: asking for help can pay only below it."""
    novice, expert = fixed_rewards("always_novice"), fixed_rewards("always_expert")
    alphas = sorted(set(novice) & set(expert))
    if len(alphas) < 2:
        return "not measured (the fixed agents need two cost weights)"
    margin = np.array([expert[a] - novice[a] for a in alphas])
    for (low, m_low), (high, m_high) in pairwise(zip(alphas, margin, strict=True)):
        if m_low >= 0 > m_high:
            return f"{low + (high - low) * m_low / (m_low - m_high):.2f}"
    return f"outside the grid (always-expert minus always-novice: {', '.join(f'{m:+.2f}' for m in margin)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    add_grid_arguments(parser, seeds=[0, 1, 2])
    parser.add_argument("--ppo-steps", type=int, default=131_072, help="training steps of a PPO coordinator")
    args = parser.parse_args()
    if not args.report_only:
        run_grid(args, trial_cpus(args.jobs))
    report = duo("report", str(RUNS / "coinrun"), "--out", str(RUNS / "report"), capture=True)
    shares = report.stdout.split("report of")[0].strip()  # empty until a method has a share
    table = (RUNS / "report" / "results.md").read_text()
    measured = (
        f"Measured on 2 CPU cores by `python benchmarks/coinrun.py` ({len(list(RUNS.glob('**/test_result.json')))} "
        f"runs, {total_hours(RUNS):.2f} h of wall time summed over the runs and groups; how many ran side by side is their invocations' `--jobs`, named in the reading); reported at commit {commit()}. PPO "
        f"coordinators: {args.ppo_steps:,} steps each. Break-even cost weight of the pair (always-expert's "
        f"test reward down to always-novice's): {break_even()}.\n\n"
        + (f"```\n{shares}\n```\n\n" if shares else "")
        + f"{table}\n"
    )
    missing = missing_runs(args)
    if missing:
        print(f"{len(missing)} runs of this grid have no result yet (e.g. {missing[0]}): the block is printed, "
              "not written to docs/RESULTS.md; the same command finishes them")  # fmt: skip
    publish("RESULTS.md", "Results", measured, write=not missing)


if __name__ == "__main__":
    main()
