"""Where ``optimum_imitation`` loses the gain: in the family it learns on, or on the way to the test.

    python benchmarks/imitation_gaps.py                  # alpha 0.4, seeds 0-4, the three pairs
    python benchmarks/imitation_gaps.py --alphas 0.2 0.8

For each selected coordinator of ``benchmarks/imitation.py`` (read from its run folder), every
number is exact (no episodes sampled), and each pair is read as a share of the gain:

- *family*: on the held-out family layouts (the held-out size) it was selected on (planner as expert), the
  coordinator's reward against the optimum of those layouts and the better fixed agent: how much
  of the family's gain the learner captures (the proposer's loss);
- *test layouts, planner expert*: the test task's layouts with the test novice and the planner
  in the expert's place: what is left after the shift of task alone;
- *test layouts, test expert*: the real test problem (the optimum's layouts, as in
  docs/RESULTS.md): what is left after the shift of expert too.

This is an explanation, never a selection: it reads test layouts after the runs are fixed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from harness import publish, table_head
from oracle import RANDOM_LAYOUTS, test_problem

import duo_ai
from duo_ai.algorithms.optimum_imitation import ask_probabilities, coordinator_observations, selection_family
from duo_ai.coordination.guidance import follow
from duo_ai.coordination.oracle import Layout, action_probabilities, solve
from duo_ai.coordination.planner import family_layouts, planner_probabilities
from duo_ai.policies.base import EXPERT, NOVICE
from duo_ai.protocol.result import read_result
from duo_ai.reporting.gain import share_of_gain
from duo_ai.run_folder import METRICS_FILE, RESULT_FILE, read_metrics

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "experiments" / "imitation"


def exact_share(
    layouts: list[Layout], agents: tuple, policy, env, cost: float
) -> tuple[float, float, float, float]:
    """Mean over ``layouts`` of the optimum, the better fixed agent and the coordinator; and the
    coordinator's share of the gain (nan where there is no gain to share)."""
    optimum, best_fixed, coordinator = [], [], []
    for layout in layouts:
        probs = tuple(agent(layout) for agent in agents)
        optimum.append(solve(layout, probs, cost).reward)
        best_fixed.append(
            max(solve(layout, probs, cost, allowed=(agent,)).reward for agent in (NOVICE, EXPERT))
        )
        asks = ask_probabilities(policy, coordinator_observations(env, policy, layout.observations))
        coordinator.append(follow(layout, probs, asks, cost)[0])
    means = [float(np.mean(values)) for values in (optimum, best_fixed, coordinator)]
    share = share_of_gain(means[2], means[1], means[0])
    return *means, float("nan") if share is None else share


def gaps(pair: str, alpha: float, seed: int, test: tuple) -> str:
    folder = RUNS / pair / f"alpha{alpha:g}" / f"seed{seed}"
    config = duo_ai.load_config(folder / "config.yaml", ["env.num_envs=2"])
    env = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("test",)))["test"]
    policy = duo_ai.load_policy(folder / "best_val_sim.ckpt", env)
    cost = env.expert_query_cost
    held_out = family_layouts(*selection_family(config.algorithm))  # where the run selected
    novice = lambda layout: action_probabilities(env.novice, layout.observations, env.temperature)  # noqa: E731
    family = exact_share(held_out, (novice, planner_probabilities), policy, env, cost)
    test_novice, test_expert, _, layouts = test
    test_agents = tuple(
        (lambda layout, agent=agent: action_probabilities(agent, layout.observations, env.temperature))
        for agent in (test_novice, test_expert)
    )
    with_planner = exact_share(layouts, (test_agents[0], planner_probabilities), policy, env, cost)
    on_test = exact_share(layouts, test_agents, policy, env, cost)
    cells = [f"{family[2]:.3f} of {family[0]:.3f} | {family[3]:.0%}"]
    cells += [
        f"{shares[2]:.3f} of {shares[0]:.3f} (fixed {shares[1]:.3f}) | {shares[3]:.0%}"
        for shares in (with_planner, on_test)
    ]
    return f"| {pair} | {alpha:g} | {seed} | " + " | ".join(cells) + " |"


def convergence_rows(pair: str, alphas: list[float], seeds: list[int]) -> list[str]:
    """Per finished run: the exact reward on the learning family at the first and last iteration,
    the selected iteration and its held-out reward, and the run's test reward (its
    ``test_result.json``): whether the runs that fail on test had stopped improving on the family."""
    rows = []
    for alpha in alphas:
        for seed in seeds:
            folder = RUNS / pair / f"alpha{alpha:g}" / f"seed{seed}"
            if not (folder / RESULT_FILE).exists():
                continue
            metrics = read_metrics(folder / METRICS_FILE)
            chosen = max(metrics, key=lambda row: row["val_sim/reward_mean"])  # the first best, as saved
            test = read_result(folder)["test"]
            rows.append(
                f"| {pair} | {alpha:g} | {seed} | {metrics[0]['train/exact_reward']:.4f} | "
                f"{metrics[-1]['train/exact_reward']:.4f} | {chosen['step']} | {chosen['val_sim/reward_mean']:.4f} | "
                f"{test['reward_mean']:.3f} ± {test['reward_ci']:.3f} |"
            )
    return rows


def publish_convergence(args: argparse.Namespace) -> None:
    lines = table_head(
        "pair", "α", "seed", "family reward, first iteration", "family reward, last iteration",
        "selected iteration", "its held-out reward", "test reward (± over episodes)",
    )  # fmt: skip
    for pair in args.pairs:
        lines += convergence_rows(pair, args.alphas, args.seeds)
    measured = (
        f"Measured by `python benchmarks/imitation_gaps.py --convergence --pairs {' '.join(args.pairs)} --alphas "
        f"{' '.join(f'{a:g}' for a in args.alphas)}` (exact rewards of the run's metrics; test from its "
        "result).\n\n" + "\n".join(lines) + "\n"
    )
    publish("RESULTS.md", "Results on MiniGrid", measured, block=" --convergence", write=not args.no_doc)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=["distshift", "lavagap", "doorkey"])
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.4])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--no-doc", action="store_true", help="print the block, do not write it")
    parser.add_argument(
        "--convergence",
        action="store_true",
        help="the runs' family reward by iteration against their test reward",
    )
    args = parser.parse_args()
    if args.convergence:
        publish_convergence(args)
        return
    lines = table_head(
        "pair",
        "α",
        "seed",
        "family's held-out layouts, planner expert: coordinator of optimum",
        "share",
        "test layouts, planner expert",
        "share",
        "test layouts, test expert (the real test)",
        "share",
    )
    for pair in args.pairs:
        test = test_problem(pair, RANDOM_LAYOUTS[pair])
        lines += [
            gaps(pair, alpha, seed, test)
            for alpha in args.alphas
            for seed in args.seeds
            if (RUNS / pair / f"alpha{alpha:g}" / f"seed{seed}" / "best_val_sim.ckpt").exists()  # seeds run
        ]
        print(lines[-1], flush=True)
    measured = (
        f"Measured by `python benchmarks/imitation_gaps.py --alphas {' '.join(f'{a:g}' for a in args.alphas)}` "
        "(exact; test layouts: "
        + ", ".join(f"{pair} {RANDOM_LAYOUTS[pair]}" for pair in args.pairs)
        + ").\n\n"
        + "\n".join(lines)
        + "\n"
    )
    publish("RESULTS.md", "Results on MiniGrid", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
