"""Does the PPO coordinator learn the best coordination when it sees the right problem, and does
it stay there? Skyline runs (trained on the test pairing) against the exact optimum.

    python benchmarks/skyline.py --pairs distshift --jobs 2           # 3 alphas x 5 seeds x variants
    python benchmarks/skyline.py --variants default ent0.05 --seeds 0 1

Each run trains a PPO coordinator with ``skyline=1`` for 200k steps with one torch thread (as the
YRC-0 grid runs them), selects its checkpoint on val_sim (the test distribution, for a skyline)
and reports it on test; its ``last.ckpt`` is evaluated on test too. A run collapsed when its last
checkpoint is more than 10% of the optimum's gain below its selected one. The share of the gain
is (selected - best of always-novice and always-expert) / (optimum - that best), all exact but
the selected reward. Finished runs are skipped: an interrupted benchmark continues. Writes the
table into docs/LEARNING.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from doc_block import write_block  # noqa: E402
from oracle import RANDOM_LAYOUTS, exact_rows  # noqa: E402

from duo_ai.envs.minigrid import PAIRS  # noqa: E402
from duo_ai.evaluation.stats import mean_std_ci  # noqa: E402

RUNS = ROOT / "experiments" / "skyline"
VARIANTS = {
    "default": [],
    "ent0.05": ["algorithm.ent_coef=0.05"],
}


def duo(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "duo_ai.cli.main", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def run(pair: str, variant: str, alpha: float, seed: int) -> None:
    name = f"{pair}/{variant}/alpha{alpha:g}/seed{seed}"
    folder = RUNS / name
    common = ["--config", f"configs/minigrid_{pair}.yaml", f"experiment_dir={RUNS}", f"name={name}",
              f"seed={seed}", f"coordination.expert_query_cost_weight={alpha}", "torch_threads=1"]  # fmt: skip
    if not (folder / "test_result.json").exists():
        print("+", name, flush=True)
        duo("train", "--type", "coord", *common, "skyline=1", "algorithm.total_timesteps=200000",
            "validation_splits=[val_sim]", "overwrite=1", *VARIANTS[variant])  # fmt: skip
    if not (folder / "last.eval.json").exists():
        duo("eval", "--type", "coord", *common, f"policy.load_path={folder / 'last.ckpt'}",
            "eval_name=last", "eval_splits=[test]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (each with one torch thread)")
    args = parser.parse_args()
    grid = list(product(args.pairs, args.variants, args.alphas, args.seeds))
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda job: run(*job), grid))

    lines = [
        "| pair | variant | α | optimum | best always | selected (mean ± 95% over seeds) | share of the gain | "
        "last | collapsed runs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for pair in args.pairs:
        exact = exact_rows(pair, args.alphas, RANDOM_LAYOUTS[pair])
        for variant, alpha in product(args.variants, args.alphas):
            folders = [RUNS / f"{pair}/{variant}/alpha{alpha:g}/seed{seed}" for seed in args.seeds]
            selected = [
                json.loads((f / "test_result.json").read_text())["test"]["reward_mean"] for f in folders
            ]
            last = [json.loads((f / "last.eval.json").read_text())["test"]["reward_mean"] for f in folders]
            optimum = exact[alpha]["optimum"][0]
            best_always = max(exact[alpha]["always novice"][0], exact[alpha]["always expert"][0])
            gain = optimum - best_always
            collapsed = sum(chosen - final > 0.1 * gain for chosen, final in zip(selected, last, strict=True))
            (sel, _, sel_ci), (lst, _, lst_ci) = mean_std_ci(np.array(selected)), mean_std_ci(np.array(last))
            lines.append(
                f"| {pair} | {variant} | {alpha:g} | {optimum:.3f} | {best_always:.3f} | {sel:.3f} ± {sel_ci:.3f} | "
                f"{(sel - best_always) / gain:.0%} | {lst:.3f} ± {lst_ci:.3f} | {collapsed} of {len(folders)} |"
            )
    measured = "\n".join(
        [f"Measured by `python benchmarks/skyline.py --pairs {' '.join(args.pairs)} --variants "
         f"{' '.join(args.variants)} --seeds {' '.join(map(str, args.seeds))}` (200k steps, one torch thread a run).",
         "", *lines]
    )  # fmt: skip
    print(measured)
    write_block(ROOT / "docs" / "LEARNING.md", "Learning", "benchmarks/skyline.py", measured)


if __name__ == "__main__":
    main()
