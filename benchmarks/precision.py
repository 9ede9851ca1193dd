"""Does bf16 learn what float32 learns on coinrun? A short coordinator run at both precisions.

    python benchmarks/precision.py                       # 3 seeds x 2 precisions, ~13 min on 2 cores
    python benchmarks/precision.py --steps 32768 --seeds 0 --no-doc

The tutorial's coordinator (configs/procgen_ppo.yaml, the shipped coinrun pair) with `dist`
features (the coordinator reads the novice's logits; the IMPALA novice and expert run every
step, so bf16 changes their forwards too), trained for ``--steps`` with
``algorithm.precision`` float32 and bf16, selected on val_sim and evaluated on test with
episodes cut at 256 steps (both precisions alike). The MiniGrid check of the same question is
skyline.py's ``noadvnorm_ent0.001_anneal_bf16`` variant. Finished runs are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from harness import duo, publish, table_head

from duo_ai.evaluation.stats import mean_t_interval

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "experiments" / "precision"
PRECISIONS = ("float32", "bf16")


def run(precision: str, seed: int, steps: int) -> Path:
    name = f"coinrun_dist_{steps // 1000}k/{precision}/seed{seed}"
    folder = RUNS / name
    if not (folder / "test_result.json").exists():
        print("+", name, flush=True)
        duo("train", "--type", "coord", "--config", "configs/procgen_ppo.yaml", f"experiment_dir={RUNS}",
            f"name={name}", "overwrite=1", f"seed={seed}", "policy.model.feature_type=dist",
            f"algorithm.total_timesteps={steps}", f"algorithm.precision={precision}", "evaluation.num_episodes=64",
            "evaluation.max_num_steps=256", "validation_splits=[val_sim]")  # fmt: skip
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=131_072, help="training steps of each run")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/LEARNING.md")
    args = parser.parse_args()
    rows = []
    for precision in PRECISIONS:
        results = [json.loads((run(precision, seed, args.steps) / "test_result.json").read_text())["test"]
                   for seed in args.seeds]  # fmt: skip
        rewards = np.array([r["reward_mean"] for r in results])
        mean, ci = mean_t_interval(rewards)
        asks = np.mean([r["action_1_fraction"] for r in results])
        per_seed = ", ".join(f"{value:.3f}" for value in rewards)
        rows.append(f"| {precision} | {mean:.3f} ± {ci:.3f} | {per_seed} | {asks:.2f} |")
        print(rows[-1], flush=True)
    command = " ".join(["python benchmarks/precision.py", *sys.argv[1:]])
    measured = "\n".join(
        [
            f"Measured by `{command}` ({args.steps:,} steps, seeds {', '.join(map(str, args.seeds))}): test reward "
            "of the checkpoint selected on val_sim (α = 0.4, 64 episodes cut at 256 steps), mean ± 95% over seeds (Student's t).",
            "",
            *table_head("precision", "test reward", "per seed", "expert fraction"),
            *rows,
        ]
    )
    publish("LEARNING.md", "Learning", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
