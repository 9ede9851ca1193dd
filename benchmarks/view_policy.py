"""How much of the optimum's gain can a coordinator reach that sees only the agent's view?

    python benchmarks/view_policy.py                    # every pair, 30 min (doorkey: 29); writes docs/LEARNING.md
    python benchmarks/view_policy.py --pairs doorkey --alphas 0.4 --no-doc

The exact optimum decides on the full state and the step count; the coordinators duo trains see
the 7x7 view and the agents' outputs on it. For each pair and α this searches for the best map
from views to agents (duo_ai/coordination/view_policy.py) on the optimum's own test layouts,
agents and costs, and reports its exact reward: a reachable lower bound on what any view-only
coordinator can do. Its share of the gain is (view map - best of always-novice and
always-expert) / (optimum - that best), the share the skyline benchmark reports for trained
coordinators.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from doc_block import publish
from oracle import RANDOM_LAYOUTS, exact_rows, test_problem

from duo_ai.coordination.view_policy import best_view_policy
from duo_ai.envs.minigrid import PAIRS
from duo_ai.evaluation.stats import mean_std_ci

ROOT = Path(__file__).resolve().parent.parent


def pair_rows(pair: str, alphas: list[float]) -> list[str]:
    started = time.time()
    problem = test_problem(pair, RANDOM_LAYOUTS[pair])
    novice, expert, base_penalty, layouts = problem
    exact = exact_rows(pair, alphas, RANDOM_LAYOUTS[pair], problem)
    rows = []
    for alpha in alphas:
        found = best_view_policy(layouts, novice, expert, 1.0, alpha * base_penalty)
        optimum = exact[alpha]["optimum"][0]
        best_always = max(exact[alpha]["always expert"][0], exact[alpha]["always novice"][0])
        reward, _, ci = mean_std_ci(np.asarray(found.rewards))
        share = (reward - best_always) / (optimum - best_always) if optimum > best_always else float("nan")
        rows.append(
            f"| {pair} | {alpha:g} | {optimum:.3f} | {exact[alpha]['expert fraction'][0]:.3f} | {best_always:.3f} "
            f"| {reward:.3f} ± {ci:.3f} | {share:.0%} | {found.expert_fraction:.3f} | {found.expert_views} of "
            f"{found.visited_views} | {found.evaluations} |"
        )
        print(rows[-1], f"({time.time() - started:.0f} s)", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/LEARNING.md")
    args = parser.parse_args()
    started = time.time()
    rows = [row for pair in args.pairs for row in pair_rows(pair, args.alphas)]
    layouts = ", ".join(f"{pair} {RANDOM_LAYOUTS[pair]}" for pair in args.pairs)
    measured = "\n".join(
        [
            f"Measured by `python benchmarks/view_policy.py` ({(time.time() - started) / 60:.0f} min; test layouts "
            f"per pair: {layouts}; the view map's interval is over layouts).",
            "",
            "| pair | α | optimum | its expert fraction | best always | best view map found | share of the gain "
            "| its expert fraction | views asking the expert, of those visited | evaluations |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    publish(
        ROOT / "docs" / "LEARNING.md",
        "Learning",
        "benchmarks/view_policy.py",
        measured,
        write=not args.no_doc,
    )


if __name__ == "__main__":
    main()
