"""``duo demo``: the whole idea in a few minutes on MiniGrid DistShift with the shipped agents.

Evaluates always-novice and always-expert on the test split, trains a PPO coordinator under
the YRC-0 protocol (trained with a weaker novice and the novice as stand-in expert on the
novice's task, selected on val_sim), then prints the three side by side on the test split, draws
the coordinator's learning curves and films one of its test episodes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duo_ai import jobs
from duo_ai.checkpoint import load_policy
from duo_ai.config import load_config
from duo_ai.evaluation import Evaluator
from duo_ai.factory import make_policy
from duo_ai.protocol.result import read_result
from duo_ai.reporting.curves import plot_curves

logger = logging.getLogger("duo_ai")
ZOO_PAIR = "zoo:minigrid/distshift"
DEMO_SETTINGS = [
    "name=demo",
    "overwrite=1",  # the demo is disposable: rerunning it replaces experiments/demo
    "env.name=minigrid",
    "env.pair=distshift",
    "env.num_envs=16",
    f"train_novice={ZOO_PAIR}/novice_weak",
    f"train_expert={ZOO_PAIR}/novice",
    f"test_novice={ZOO_PAIR}/novice",
    f"test_expert={ZOO_PAIR}/expert",
    "coordination.expert_query_cost_weight=0.4",
    "policy.name=ppo",
    "policy.model.name=minigrid_coord_ppo",
    "policy.model.feature_type=obs_dist",
    "algorithm.name=ppo",
    "algorithm.total_timesteps=204800",
    "algorithm.num_steps=128",
    "algorithm.gamma=0.99",
    "algorithm.learning_rate=0.0007",
    "algorithm.norm_adv=false",  # the coordinator recipe of configs/minigrid_*.yaml (docs/LEARNING.md)
    "algorithm.ent_coef=0.001",
    "algorithm.anneal_lr=true",
    "algorithm.update_epochs=4",
    "algorithm.log_freq=20",
    "evaluation.num_episodes=256",  # validation, the test result and the comparison alike
    "validation_splits=[val_sim]",
]


def run_demo(overrides: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    config = load_config(None, [*DEMO_SETTINGS, *overrides])
    _, envs = jobs.train(config, "coord")
    folder = Path(config.experiment_dir) / config.name
    test_env = envs["test"]
    fixed = {
        "always novice": make_policy(
            load_config(None, ["policy.name=always", "policy.agent=novice"]).policy, test_env
        ),
        "always expert": make_policy(
            load_config(None, ["policy.name=always", "policy.agent=expert"]).policy, test_env
        ),
    }
    final = Evaluator(config.evaluation, test_env)
    results = {name: final.evaluate(policy) for name, policy in fixed.items()}
    # the coordinator's one test number: its run's result (best_val_sim.ckpt, as many episodes)
    coordinator = read_result(folder)["test"]
    results["ppo coordinator"] = {
        key: value for key, value in coordinator.items() if key != "episode_rewards"
    }
    table = results_table(results, test_env.base_penalty, config.coordination.expert_query_cost_weight)
    logger.info("test split, %d episodes each:\n%s", config.evaluation.num_episodes, table)
    (folder / "demo_results.json").write_text(json.dumps(results, indent=2) + "\n")
    (folder / "demo_results.md").write_text(table + "\n")
    curves = plot_curves([folder], folder / "learning_curves.png", ["train", "val_sim"])
    selected = load_policy(folder / "best_val_sim.ckpt", test_env)
    filmed = jobs.film(config, selected, test_env, "test", 1, 8, folder / "episode")
    logger.info(
        "written to %s and %s; the coordinator's learning curves: %s; one test episode: %s",
        folder / "demo_results.md", folder / "demo_results.json", curves, filmed["episodes"][0]["gif"],
    )  # fmt: skip
    return results


def results_table(results: dict[str, dict[str, Any]], base_penalty: float, alpha: float) -> str:
    lines = [
        f"MiniGrid DistShift1 -> DistShift2, expert cost {alpha} x BP {base_penalty:.5f}",
        "| method | reward | base reward | expert fraction | episodes |",
        "|---|---|---|---|---|",
    ]
    for name, s in results.items():
        lines.append(
            f"| {name} | {s['reward_mean']:.3f} ± {s['reward_ci']:.3f} | "
            f"{s['base_reward_mean']:.3f} ± {s['base_reward_ci']:.3f} | {s['action_1_fraction']:.3f} | "
            f"{s['num_episodes']} |"
        )
    return "\n".join(lines)
