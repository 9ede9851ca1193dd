"""How much of the optimum's gain can a coordinator reach that sees only the agent's view?

    python benchmarks/view_policy.py                    # every pair, 30 min (doorkey: 29); writes docs/LEARNING.md
    python benchmarks/view_policy.py --pairs doorkey --alphas 0.4 --no-doc
    python benchmarks/view_policy.py --pairs doorkey --held-out 32    # does the map hold on other layouts?
    python benchmarks/view_policy.py --pairs doorkey --alphas 0.4 --coordinators RUN/best_val_sim.ckpt ...

The exact optimum decides on the full state and the step count; the coordinators duo trains see
the 7x7 view and the agents' outputs on it. For each pair and α this searches for the best map
from views to agents (duo_ai/coordination/view_policy.py) on the optimum's own test layouts,
agents and costs, and reports its exact reward: a reachable lower bound on what any view-only
coordinator can do. Its share of the gain is (view map - best of always-novice and
always-expert) / (optimum - that best), the share the skyline benchmark reports for trained
coordinators.

With ``--held-out N`` it asks whether a map found on those layouts holds on N others (the
reference's next resets): each map is evaluated exactly there, with the views it never met given
to the novice or to the expert, against the optimum of the held-out layouts. It writes a block of
its own for each set of pairs.

With ``--coordinators`` it evaluates trained coordinators the same exact way, on the same
layouts, taking at each view the coordinator's most likely choice: how far is what PPO learned
from the map found, and where does it ask? Printed only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from harness import publish, table_head
from oracle import RANDOM_LAYOUTS, best_always, exact_rows, share_of_gain, test_problem

import duo_ai
from duo_ai.coordination.oracle import task_layouts
from duo_ai.coordination.view_policy import best_view_policy, evaluate_view_map
from duo_ai.envs.minigrid import PAIRS
from duo_ai.evaluation.stats import mean_std_ci
from duo_ai.policies.base import EXPERT, NOVICE, AgentPolicy, Policy
from duo_ai.protocol import make_base_envs, make_coord_envs

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
        reward, _, ci = mean_std_ci(np.asarray(found.rewards))
        rows.append(
            f"| {pair} | {alpha:g} | {optimum:.3f} | {exact[alpha]['expert fraction'][0]:.3f} "
            f"| {best_always(exact[alpha]):.3f} | {reward:.3f} ± {ci:.3f} | {share_of_gain(reward, exact[alpha])} | {found.expert_fraction:.3f} | {found.expert_views} of "
            f"{found.visited_views} | {found.evaluations} |"
        )
        print(rows[-1], f"({time.time() - started:.0f} s)", flush=True)
    return rows


def held_out_rows(pair: str, alphas: list[float], num_held_out: int) -> list[str]:
    started = time.time()
    problem = test_problem(pair, RANDOM_LAYOUTS[pair])
    novice, expert, base_penalty, layouts = problem
    held_out = task_layouts(PAIRS[pair][1], num_held_out, first_seed=RANDOM_LAYOUTS[pair])
    searched = {layout_key(layout) for layout in layouts}
    new = len({layout_key(layout) for layout in held_out} - searched)
    exact = exact_rows(pair, alphas, num_held_out, (novice, expert, base_penalty, held_out))
    rows = []
    for alpha in alphas:
        cost = alpha * base_penalty
        found = best_view_policy(layouts, novice, expert, 1.0, cost)
        optimum = exact[alpha]["optimum"][0]
        cells = []
        for unseen in (NOVICE, EXPERT):
            there = evaluate_view_map(found.lookup(unseen), held_out, novice, expert, 1.0, cost)
            reward, _, ci = mean_std_ci(np.asarray(there.rewards))
            cells.append(
                f"{reward:.3f} ± {ci:.3f} | {share_of_gain(reward, exact[alpha])} | {there.expert_fraction:.3f}"
            )
        rows.append(
            f"| {pair} | {alpha:g} | {new} of {num_held_out} | {optimum:.3f} | {best_always(exact[alpha]):.3f} | "
            + " | ".join(cells) + " |"
        )  # fmt: skip
        print(rows[-1], f"({time.time() - started:.0f} s)", flush=True)
    return rows


def coordinator_rows(pair: str, alpha: float, checkpoints: list[str]) -> list[str]:
    novice, expert, base_penalty, layouts = test_problem(pair, RANDOM_LAYOUTS[pair])
    config = duo_ai.load_config(ROOT / "configs" / f"minigrid_{pair}.yaml", ["env.num_envs=2", "skyline=1"])
    test_env = make_coord_envs(config, make_base_envs(config, ("test",)))["test"]
    rows = []
    for checkpoint in checkpoints:
        coordinator = duo_ai.load_policy(checkpoint, test_env)

        learned = evaluate_view_map(
            most_likely_asks(coordinator, novice), layouts, novice, expert, 1.0, alpha * base_penalty
        )
        reward, _, ci = mean_std_ci(np.asarray(learned.rewards))
        rows.append(
            f"| {checkpoint} | {alpha:g} | {reward:.3f} ± {ci:.3f} | {learned.expert_fraction:.3f} "
            f"| {learned.expert_views} of {learned.visited_views} |"
        )
    return rows


def most_likely_asks(coordinator: Policy, novice: AgentPolicy) -> Callable[[np.ndarray], np.ndarray]:
    """Where a trained coordinator most likely asks the expert, as a function of views (it reads
    the view and the novice's outputs on it, as CoordEnv shows them)."""

    def asks_on(views: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            seen = novice.forward_agent(views)
            obs = {
                "base_obs": torch.as_tensor(views),
                "novice_logits": seen.logits,
                "novice_hidden": seen.hidden,
            }
            return (coordinator.model(obs).logits.argmax(1) == EXPERT).cpu().numpy()

    return asks_on


def layout_key(layout) -> bytes:
    """Two layouts are the same when their states look the same in the same order (the search
    walks them from the start in a fixed order)."""
    return layout.observations.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/LEARNING.md")
    parser.add_argument("--held-out", type=int, default=0, metavar="N",
                        help="evaluate each map found on N other layouts instead (its own block)")  # fmt: skip
    parser.add_argument("--coordinators", nargs="+", default=[], metavar="CKPT",
                        help="evaluate these trained coordinators of --pairs' first pair at --alphas' first α")  # fmt: skip
    args = parser.parse_args()
    started = time.time()
    if args.held_out:
        publish_held_out(args, started)
        return
    if args.coordinators:
        print(
            "\n".join(
                table_head(
                    "coordinator",
                    "α",
                    "exact reward (± over layouts)",
                    "expert fraction",
                    "views asking the expert, of those visited",
                )
            )
        )
        print("\n".join(coordinator_rows(args.pairs[0], args.alphas[0], args.coordinators)))
        return
    rows = [row for pair in args.pairs for row in pair_rows(pair, args.alphas)]
    layouts = ", ".join(f"{pair} {RANDOM_LAYOUTS[pair]}" for pair in args.pairs)
    measured = "\n".join(
        [
            f"Measured by `python benchmarks/view_policy.py` ({(time.time() - started) / 60:.0f} min; test layouts "
            f"per pair: {layouts}; the view map's interval is over layouts).",
            "",
            *table_head(
                "pair",
                "α",
                "optimum",
                "its expert fraction",
                "best always",
                "best view map found",
                "share of the gain",
                "its expert fraction",
                "views asking the expert, of those visited",
                "evaluations",
            ),
            *rows,
        ]
    )
    publish("LEARNING.md", "Learning", measured, write=not args.no_doc)


def publish_held_out(args: argparse.Namespace, started: float) -> None:
    rows = [row for pair in args.pairs for row in held_out_rows(pair, args.alphas, args.held_out)]
    command = " ".join(["python benchmarks/view_policy.py", *sys.argv[1:]])
    measured = "\n".join(
        [
            f"Measured by `{command}` ({(time.time() - started) / 60:.0f} min): each map found on the "
            f"layouts of the table above, evaluated exactly on the next {args.held_out} resets of the reference "
            "(interval over those layouts); the share of the gain is against their own optimum and best always.",
            "",
            *table_head(
                "pair",
                "α",
                "held-out layouts not searched",
                "optimum",
                "best always",
                "map, unseen views to the novice",
                "share of the gain",
                "its expert fraction",
                "map, unseen views to the expert",
                "share of the gain",
                "its expert fraction",
            ),
            *rows,
        ]
    )
    publish(
        "LEARNING.md",
        "Learning",
        measured,
        block=f" --held-out {' '.join(args.pairs)}",
        write=not args.no_doc,
    )


if __name__ == "__main__":
    main()
