"""Choosing ``optimum_imitation``'s settings on the simulated pairing only: every variant tried,
scored on a family setting it never trained on.

    python benchmarks/imitation_dev.py                          # every variant, pair, alpha, seed
    python benchmarks/imitation_dev.py --variants base layouts32 --pairs lavagap --alphas 0.4

Each pair's family (``imitation.family``, the rule of the final runs) is split by one rule
(``imitation.held_out_split``): its second largest size is held out (LavaGap 9, DoorKey 7,
DistShift 14 x 11), the learner trains on the rest and selects on the held-out size
(``algorithm.val_family``), and the
score is the selected coordinator's share of the held-out size's gain, exact, with the planner
as expert: a new size is the shift a coordinator meets at test. Area over the alphas above the
better fixed agent, over the optimum's (``duo_ai.reporting.gain``), pooled over seeds. Nothing of
the test task, the test expert or test rewards is read. Runs happen in this one process, so each
layout is explored once for all variants.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from harness import publish, table_head
from imitation import method_overrides

import duo_ai
from duo_ai.algorithms.optimum_imitation import ask_probabilities, coordinator_observations, selection_family
from duo_ai.coordination.guidance import follow
from duo_ai.coordination.oracle import action_probabilities, solve
from duo_ai.coordination.planner import family_layouts, planner_probabilities
from duo_ai.policies.base import EXPERT, NOVICE
from duo_ai.reporting.gain import share_of_gain
from duo_ai.run_folder import METRICS_FILE, best_checkpoint, read_metrics

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {  # name: the settings it changes (algorithm.* and policy.model.*)
    "base": [],
    "layouts32": ["algorithm.layouts=32"],
    "layouts32_steps30": ["algorithm.layouts=32", "algorithm.update_steps=30"],
    "layouts32_dist": ["algorithm.layouts=32", "policy.model.feature_type=dist"],
    "layouts32_iter20": ["algorithm.layouts=32", "algorithm.iterations=20"],
    "layouts64": ["algorithm.layouts=64"],
}


def run_variant(
    pair: str, variant: str, alpha: float, seed: int, folder: Path, extra_size: int
) -> tuple[float, float, float]:
    """(optimum, better fixed, selected coordinator) exact mean rewards on the held-out size."""
    overrides = [
        *method_overrides(pair, extra_size, VARIANTS[variant]),
        f"coordination.expert_query_cost_weight={alpha}",
        f"seed={seed}",
        f"experiment_dir={folder}",
        f"name={pair}/{variant}/alpha{alpha:g}/seed{seed}",
        "env.num_envs=2",
    ]
    config = duo_ai.load_config(ROOT / "configs" / f"minigrid_{pair}.yaml", overrides)
    run = duo_ai.start_run(config, "train")
    env = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("train",)))["train"]
    policy = duo_ai.make_policy(config.policy, env)
    duo_ai.make_algorithm(config.algorithm).train(policy, env, {}, run=run)
    policy = duo_ai.load_policy(run.folder / best_checkpoint("val_sim"), env)
    cost = env.expert_query_cost
    rewards = []
    for layout in family_layouts(*selection_family(config.algorithm)):  # what the run selected on
        probs = (
            action_probabilities(env.novice, layout.observations, env.temperature),
            planner_probabilities(layout),
        )
        asks = ask_probabilities(policy, coordinator_observations(env, policy, layout.observations))
        rewards.append((
            solve(layout, probs, cost).reward,
            max(solve(layout, probs, cost, allowed=(agent,)).reward for agent in (NOVICE, EXPERT)),
            follow(layout, probs, asks, cost)[0],
        ))  # fmt: skip
    selected = max(row["val_sim/reward_mean"] for row in read_metrics(run.folder / METRICS_FILE))
    means = np.mean(rewards, axis=0)
    assert abs(means[2] - selected) < 1e-6, (means[2], selected)  # the score is what selection saw
    return tuple(float(m) for m in means)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=["lavagap", "distshift", "doorkey"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument(
        "--extra-size", type=int, default=5, help="the family's sizes: the novice's to this much more"
    )
    parser.add_argument("--no-doc", action="store_true", help="print the block, do not write it")
    args = parser.parse_args()
    lines = [
        *table_head("pair", "variant", "settings", "share of the held-out size's gain (pooled)", "per seed"),
    ]
    with tempfile.TemporaryDirectory() as folder:
        for pair in args.pairs:
            for variant in args.variants:
                results = {
                    seed: [
                        run_variant(pair, variant, alpha, seed, Path(folder), args.extra_size)
                        for alpha in args.alphas
                    ]
                    for seed in args.seeds
                }
                per_seed = [np.sum(results[seed], axis=0) for seed in args.seeds]
                pooled = np.sum(per_seed, axis=0)
                share = lambda sums: share_of_gain(sums[2], sums[1], sums[0])  # noqa: E731
                cells = ", ".join(f"{share(s):.0%}" if share(s) is not None else "-" for s in per_seed)
                pooled_share = share(pooled)
                lines.append(
                    f"| {pair} | {variant} | {' '.join(VARIANTS[variant]) or 'the defaults'} | "
                    f"{pooled_share:.0%} | {cells} |"
                    if pooled_share is not None
                    else f"| {pair} | {variant} | - | no gain | - |"
                )
                print(lines[-1], flush=True)
    measured = (
        f"Measured by `python benchmarks/imitation_dev.py` (alphas {' '.join(f'{a:g}' for a in args.alphas)}, "
        f"seeds {' '.join(map(str, args.seeds))}; exact, the layouts each run selected on).\n\n"
        + "\n".join(lines)
        + "\n"
    )
    publish("RESULTS.md", "Results on MiniGrid", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
