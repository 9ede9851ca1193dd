"""Learning-quality benchmark: PPO trains a MiniGrid agent and a toy coordinator to stated returns.

    python benchmarks/learning.py          # ~5 min on 2 CPU cores; writes docs/LEARNING.md + figure

1. A MiniGrid DistShift1 agent with the zoo recipe (configs/zoo/minigrid_agent.yaml), 200k steps.
   Stated return: >= 0.90 mean reward on val_sim (an optimal agent gets ~0.95).
2. A coordinator on the toy chain (novice and expert trained here by PPO on their own splits),
   evaluated greedily (coordinator and agents) on the test split. The novice is always wrong there and the expert always
   right, so the optimum is to always ask: 5 * (1 - alpha * BP) = 3.0 at alpha 0.4, BP 1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from harness import duo, publish, table_head  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "experiments" / "benchmarks" / "learning"
FIGURE = ROOT / "docs" / "figures" / "learning_minigrid.png"


def timed_duo(*args: str) -> float:
    """Seconds ``duo <args>`` takes, writing into this benchmark's folder."""
    print("+ duo", " ".join(args), flush=True)
    started = time.time()
    duo(*args, f"experiment_dir={OUT}", "overwrite=1")
    return time.time() - started


def metrics(name: str) -> list[dict]:
    return [json.loads(line) for line in (OUT / name / "metrics.jsonl").read_text().splitlines()]


def best(name: str, split: str) -> dict:
    rows = [row for row in metrics(name) if f"{split}/reward_mean" in row]
    return max(rows, key=lambda row: row[f"{split}/reward_mean"])


TOY_AGENT = ["env.name=toy", "env.num_envs=8", "policy.model.name=mlp_ppo", "algorithm.total_timesteps=12288",
             "algorithm.num_steps=32", "algorithm.gamma=0.9", "algorithm.learning_rate=0.003",
             "algorithm.ent_coef=0.0", "algorithm.log_freq=12"]  # fmt: skip


def main() -> None:
    minigrid_seconds = timed_duo("train", "--type", "agent", "--config", "configs/zoo/minigrid_agent.yaml",
                           "name=minigrid_agent", "algorithm.total_timesteps=200000")  # fmt: skip
    minigrid = best("minigrid_agent", "val_sim")

    timed_duo("train", "--type", "agent", *TOY_AGENT, "name=toy_novice")
    timed_duo(
        "train", "--type", "agent", *TOY_AGENT, "name=toy_expert", "env.train.shift=1", "env.val_sim.shift=1"
    )
    coord = [
        "env.name=toy", "env.num_envs=8", f"train_novice={OUT}/toy_novice/last.ckpt",
        f"train_expert={OUT}/toy_expert/last.ckpt", f"test_novice={OUT}/toy_novice/last.ckpt",
        f"test_expert={OUT}/toy_expert/last.ckpt", "env.train.shift=1", "coordination.base_penalty=1.0",
        "policy.model.name=mlp_coord_ppo", "policy.model.feature_type=obs", "algorithm.total_timesteps=8192",
        "algorithm.num_steps=32", "algorithm.gamma=0.9", "algorithm.learning_rate=0.003",
        "algorithm.ent_coef=0.0", "algorithm.log_freq=32", "evaluation.temperature=0", "coordination.temperature=0",
        "name=toy_coord",
    ]  # fmt: skip
    coord_seconds = timed_duo("train", "--type", "coord", *coord)
    timed_duo(
        "eval", "--type", "coord", *coord, f"policy.load_path={OUT}/toy_coord/last.ckpt", "eval_name=greedy"
    )
    toy = json.loads((OUT / "toy_coord" / "greedy.json").read_text())["test"]

    rows = [row for row in metrics("minigrid_agent") if "train/episode_reward" in row]
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    plt.figure(figsize=(5, 3.2))
    plt.plot([r["step"] for r in rows], [r["train/episode_reward"] for r in rows], label="train episodes")
    val = [row for row in metrics("minigrid_agent") if "val_sim/reward_mean" in row]
    plt.plot(
        [r["step"] for r in val], [r["val_sim/reward_mean"] for r in val], "o-", label="val_sim (64 episodes)"
    )
    plt.ticklabel_format(style="sci", axis="x", scilimits=(0, 0))
    plt.xlabel("environment steps")
    plt.ylabel("mean episode reward")
    plt.title("PPO on MiniGrid-DistShift1")
    plt.legend()
    plt.tight_layout()
    plt.savefig(FIGURE, dpi=120)

    checks = [
        ("MiniGrid DistShift1 agent, best val_sim reward", minigrid["val_sim/reward_mean"], 0.90),
        ("toy coordinator, greedy test reward", toy["reward_mean"], 3.0 - 1e-9),
    ]
    lines = [
        "Measured by `python benchmarks/learning.py` (2 CPU cores). Each row states the return PPO must reach.",
        "",
        *table_head("run", "measured", "stated", "met", "wall-clock"),
        f"| {checks[0][0]} (at step {minigrid['step']:,}) | {checks[0][1]:.3f} ± {minigrid['val_sim/reward_ci']:.3f} "
        f"| >= 0.90 | {'yes' if checks[0][1] >= checks[0][2] else 'NO'} | {minigrid_seconds:.0f} s |",
        f"| {checks[1][0]} ({toy['num_episodes']} episodes, expert fraction {toy['action_1_fraction']:.2f}) "
        f"| {checks[1][1]:.3f} | 3.000 (optimum) | {'yes' if checks[1][1] >= checks[1][2] else 'NO'} "
        f"| {coord_seconds:.0f} s |",
        "",
        "![MiniGrid learning curve](figures/learning_minigrid.png)",
    ]
    publish("LEARNING.md", "Learning benchmarks", "\n".join(lines))


if __name__ == "__main__":
    main()
