"""The best possible coordination on each MiniGrid pair: the exact optimum over coordinators
(duo_ai/coordination/oracle.py) with the zoo's test novice and expert, beside always-expert and
always-novice computed exactly the same way.

    python benchmarks/oracle.py              # about 6 minutes; prints and writes docs/RESULTS.md
    python benchmarks/oracle.py --layouts 4  # fewer random layouts: quicker, wider intervals

A task with a fixed layout (DistShift) is solved exactly. For random layouts (LavaGap, DoorKey)
each layout is solved exactly and the table gives the mean over the reference package's resets
0..N-1 with a 95% interval over layouts. Costs are those of docs/RESULTS.md: alpha times the
calibrated base penalty, no switch cost, agents sampled at temperature 1.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from harness import publish, table_head

import duo_ai
from duo_ai.coordination.oracle import Layout, coordination_optimum, task_layouts
from duo_ai.envs.minigrid import PAIRS
from duo_ai.evaluation.stats import mean_std_ci
from duo_ai.policies.base import EXPERT, NOVICE, AgentPolicy
from duo_ai.protocol.costs import run_base_penalty
from duo_ai.reporting import gain

ROOT = Path(__file__).resolve().parent.parent
ALPHAS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
RESULTS_GRID = (0.2, 0.4, 0.8)  # the alphas of the measured YRC-0 table
RANDOM_LAYOUTS = {"distshift": 1, "lavagap": 64, "doorkey": 16}


def test_problem(
    pair: str, num_layouts: int, first_seed: int = 0
) -> tuple[AgentPolicy, AgentPolicy, float, list[Layout]]:
    """The pair's test novice and expert, its calibrated base penalty, and its test layouts (the
    reference's resets from ``first_seed`` on)."""
    config = duo_ai.load_config(ROOT / "configs" / f"minigrid_{pair}.yaml", ["env.num_envs=2"])
    test_env = duo_ai.make_env(config.env, "test", 0)
    novice = duo_ai.load_policy(config.test_novice, test_env)
    expert = duo_ai.load_policy(config.test_expert, test_env)
    return (
        novice,
        expert,
        run_base_penalty(config, test_env, expert),
        task_layouts(PAIRS[pair][1], num_layouts, first_seed),
    )


def exact_rows(
    pair: str, alphas: Sequence[float], num_layouts: int, problem: tuple | None = None
) -> dict[float, dict[str, tuple[float, float]]]:
    """Per alpha: the optimum, its expert fraction, always-expert and always-novice, each as
    (mean, 95% half-width) over the task's layouts (``problem``: test_problem's, if at hand)."""
    started = time.time()
    novice, expert, base_penalty, layouts = problem or test_problem(pair, num_layouts)
    fixed = {
        agent: coordination_optimum(layouts, novice, expert, 1.0, 0.0, allowed=(agent,))
        for agent in (NOVICE, EXPERT)
    }  # reward at cost alpha: base reward - alpha * BP * expert steps
    rows = {}
    for alpha in alphas:
        cost = alpha * base_penalty
        optimum = coordination_optimum(layouts, novice, expert, 1.0, cost)
        rows[alpha] = {
            "optimum": mean_std_ci(np.array([o.reward for o in optimum]))[::2],
            "expert fraction": (float(np.mean([o.expert_fraction for o in optimum])), 0.0),
            "always expert": mean_std_ci(np.array([o.base_reward - cost * o.episode_length for o in fixed[EXPERT]]))[::2],
            "always novice": mean_std_ci(np.array([o.base_reward for o in fixed[NOVICE]]))[::2],
        }  # fmt: skip
    distinct = len({id(layout) for layout in layouts})
    print(f"{pair}: {num_layouts} layouts ({distinct} distinct), {time.time() - started:.0f} s", flush=True)
    return rows


def pair_rows(pair: str, num_layouts: int) -> tuple[list[str], dict[str, float]]:
    exact = exact_rows(pair, ALPHAS, num_layouts)
    lines = []
    for alpha, row in exact.items():
        (best, best_ci), (ask, _) = row["optimum"], row["expert fraction"]
        (expert_only, expert_ci), (novice_only, novice_ci) = row["always expert"], row["always novice"]
        lines.append(
            f"| {pair} | {alpha:.1f} | {best:.3f} ± {best_ci:.3f} | {ask:.3f} | {expert_only:.3f} ± {expert_ci:.3f} | "
            f"{novice_only:.3f} ± {novice_ci:.3f} |"
        )
    curves = {name: [row[key][0] for row in exact.values()] for name, key in
              (("oracle", "optimum"), ("always expert", "always expert"), ("always novice", "always novice"))}  # fmt: skip
    grid = [ALPHAS.index(a) for a in RESULTS_GRID]
    areas = {
        f"{name} {span}": float(np.trapezoid([curve[i] for i in indices], [ALPHAS[i] for i in indices]))
        for name, curve in curves.items()
        for span, indices in (("[0.2, 0.8]", grid), ("[0, 1]", list(range(len(ALPHAS)))))
    }
    return lines, areas


def best_always(row: dict[str, tuple[float, float]]) -> float:
    """The better of always-expert and always-novice in one of ``exact_rows``' rows."""
    return max(row["always expert"][0], row["always novice"][0])


def share_of_gain(reward: float, row: dict[str, tuple[float, float]]) -> str:
    """How much of the optimum's gain over the best fixed agent ``reward`` reaches, as a
    percentage; "-" where that gain is under MIN_GAIN."""
    share = gain.share_of_gain(reward, best_always(row), row["optimum"][0])
    return f"{share:.0%}" if share is not None else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--layouts", type=int, default=None, help="random layouts per task (default: 64 / 16)"
    )
    args = parser.parse_args()
    table = table_head(
        "pair", "α", "optimum (test reward)", "its expert fraction", "always expert", "always novice"
    )
    areas_table = table_head(
        "pair",
        "optimum, α ∈ {0.2, 0.4, 0.8}",
        "always expert",
        "always novice",
        "optimum, α ∈ [0, 1] (6 points)",
    )
    layouts_note = []
    for pair in PAIRS:
        count = RANDOM_LAYOUTS[pair] if args.layouts is None or pair == "distshift" else args.layouts
        rows, areas = pair_rows(pair, count)
        table += rows
        areas_table.append(
            f"| {pair} | {areas['oracle [0.2, 0.8]']:.3f} | {areas['always expert [0.2, 0.8]']:.3f} | "
            f"{areas['always novice [0.2, 0.8]']:.3f} | {areas['oracle [0, 1]']:.3f} |"
        )
        layouts_note.append(f"{pair} {count}")
    measured = "\n".join(
        [
            f"Measured by `python benchmarks/oracle.py` (layouts per task: {', '.join(layouts_note)}).",
            "",
            *table,
            "",
            "Areas under reward over α (trapezoid), comparable with the YRC-0 areas above:",
            "",
            *areas_table,
        ]
    )
    publish("RESULTS.md", "Results", measured)


if __name__ == "__main__":
    main()
