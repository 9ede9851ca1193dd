"""The base penalty BP: what one expert action is worth, in the task's reward units.

BP is the expert's mean episode reward over its mean episode length on the test split (reward
per action). ``duo calibrate`` measures it once per task and stores it, with the episode
counts, in a versioned file shipped with the package; ``CoordEnv`` costs default to it.
"""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path
from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai.envs.base import env_identity
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy

logger = logging.getLogger("duo_ai")

CALIBRATION_FILE = Path(__file__).resolve().parent.parent / "data" / "calibration.json"
CALIBRATION_VERSION = 1


def reward_per_action(expert: Policy, env: VectorEnv, evaluation_config: Any) -> dict[str, float]:
    """The expert's mean episode reward over its mean episode length on ``env``, with counts."""
    summary = Evaluator(evaluation_config, env).evaluate(expert)
    return {
        "reward_per_action": summary["reward_mean"] / summary["episode_length_mean"],
        "reward_mean": summary["reward_mean"],
        "reward_ci": summary["reward_ci"],
        "episode_length_mean": summary["episode_length_mean"],
        "num_episodes": summary["num_episodes"],
    }


def task_key(env: VectorEnv) -> str:
    """The calibration table's key for a base env: ``<suite>/<task>``."""
    identity = env_identity(env)
    return f"{identity.get('suite', 'unknown')}/{identity.get('task', identity.get('class', 'unknown'))}"


def read_calibration(path: Path = CALIBRATION_FILE) -> dict[str, Any]:
    if not path.exists():
        return {"version": CALIBRATION_VERSION, "tasks": {}}
    data = json.loads(path.read_text())
    if data.get("version") != CALIBRATION_VERSION:
        raise ValueError(
            f"{path}: calibration format version {data.get('version')}, expected {CALIBRATION_VERSION}"
        )
    return data


def stored_base_penalty(env: VectorEnv, path: Path = CALIBRATION_FILE) -> float | None:
    entry = read_calibration(path)["tasks"].get(task_key(env))
    return None if entry is None else float(entry["reward_per_action"])


def calibrate(
    expert: Policy, env: VectorEnv, evaluation_config: Any, expert_name: str, path: Path = CALIBRATION_FILE
) -> dict[str, Any]:
    """Measure reward per action and store it under the env's task key."""
    entry = {
        **reward_per_action(expert, env, evaluation_config),
        "expert": expert_name,
        "measured_on": datetime.date.today().isoformat(),
    }
    data = read_calibration(path)
    data["tasks"][task_key(env)] = entry
    data["tasks"] = dict(sorted(data["tasks"].items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return entry


def base_penalty_for(test_env: VectorEnv, test_expert: Policy, evaluation_config: Any) -> float:
    """The stored BP of the test task, or (if none) one measured now, with a note to store it."""
    stored = stored_base_penalty(test_env)
    if stored is not None:
        logger.info("base penalty %.6f: stored calibration of %s", stored, task_key(test_env))
        return stored
    measured = reward_per_action(test_expert, test_env, evaluation_config)
    logger.info(
        "base penalty %.6f measured now on %s (%d episodes); `duo calibrate` stores it",
        measured["reward_per_action"],
        task_key(test_env),
        measured["num_episodes"],
    )
    return measured["reward_per_action"]
