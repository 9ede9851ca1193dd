"""The base penalty BP: what one expert action is worth, in the task's reward units.

BP is the expert's mean episode reward over its mean episode length on the test split (reward
per action). duo ships a versioned file of BPs for its zoo's tasks; ``duo calibrate`` measures
a task's BP into a file of the user's own (never into the installed package), which runs read
first when ``coordination.calibration_file`` names it. ``CoordEnv`` costs default to these.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
from pathlib import Path
from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai.envs.base import env_identity
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy
from duo_ai.run_folder import atomic_write

logger = logging.getLogger("duo_ai")

CALIBRATION_FILE = Path(__file__).resolve().parent.parent / "data" / "calibration.json"
CALIBRATION_VERSION = 1
MIN_CALIBRATION_EPISODES = 32


def reward_per_action(expert: Policy, env: VectorEnv, evaluation_config: Any) -> dict[str, float]:
    """The expert's mean episode reward over its mean episode length on ``env``, with counts."""
    summary = Evaluator(evaluation_config, env).evaluate(expert)
    return {
        "reward_per_action": summary["reward_mean"] / summary["episode_length_mean"],
        "reward_mean": summary["reward_mean"],
        "reward_ci": summary["reward_ci"],
        "episode_length_mean": summary["episode_length_mean"],
        "num_episodes": summary["num_episodes"],
        "num_cut": summary["num_cut"],
    }


def task_key(env: VectorEnv) -> str:
    """The calibration table's key for a base env: ``<suite>/<task>``."""
    identity = env_identity(env)
    return f"{identity.get('suite', 'unknown')}/{identity.get('task', identity.get('class', 'unknown'))}"


def read_calibration(path: Path = CALIBRATION_FILE) -> dict[str, Any]:
    """A calibration file, checked: its version, and each task's finite reward per action >= 0
    (the base penalty); a one-line error names the file and the field otherwise."""
    if not path.exists():
        return {"version": CALIBRATION_VERSION, "tasks": {}}
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{path} is not a calibration file (not JSON)") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it ({error.strerror})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if version != CALIBRATION_VERSION:
        raise ConfigError(f"{path}: calibration format version {version}, expected {CALIBRATION_VERSION}")
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        raise ConfigError(f"{path}: 'tasks' must map each task to its calibration, got {tasks!r}")
    for task, entry in tasks.items():
        value = entry.get("reward_per_action") if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
            raise ConfigError(
                f"{path}: tasks.{task}.reward_per_action must be a finite number >= 0, got {value!r}"
            )
    return data


def stored_base_penalty(env: VectorEnv, path: Path = CALIBRATION_FILE) -> float | None:
    entry = read_calibration(path)["tasks"].get(task_key(env))
    return None if entry is None else float(entry["reward_per_action"])


def calibrate(
    expert: Policy, env: VectorEnv, evaluation_config: Any, expert_name: str, path: Path
) -> dict[str, Any]:
    """Measure reward per action and store it under the env's task key in ``path``."""
    measured = reward_per_action(expert, env, evaluation_config)
    if measured["num_cut"] or measured["num_episodes"] < MIN_CALIBRATION_EPISODES:
        raise ConfigError(
            f"calibration needs at least {MIN_CALIBRATION_EPISODES} complete episodes and none cut at "
            f"evaluation.max_num_steps={evaluation_config.max_num_steps}; got {measured['num_episodes']} "
            f"episodes, {measured['num_cut']} cut: raise evaluation.num_episodes or evaluation.max_num_steps"
        )
    entry = {**measured, "expert": expert_name, "measured_on": datetime.date.today().isoformat()}
    data = read_calibration(path)
    data["tasks"][task_key(env)] = entry
    data["tasks"] = dict(sorted(data["tasks"].items()))
    atomic_write((json.dumps(data, indent=2) + "\n").encode(), path)  # a kill keeps the old file
    return entry


def run_base_penalty(config: Any, test_env: VectorEnv, test_expert: Policy) -> float:
    """A run's BP: ``coordination.base_penalty`` where set, else the task's calibrated one."""
    coordination = config.coordination
    if coordination.base_penalty is not None:
        return float(coordination.base_penalty)
    return base_penalty_for(test_env, test_expert, config.evaluation, coordination.calibration_file)


def base_penalty_for(
    test_env: VectorEnv, test_expert: Policy, evaluation_config: Any, calibration_file: str | None = None
) -> float:
    """The stored BP of the test task (the user's calibration file first, then duo's), or (if
    none) one measured now, with a note to store it."""
    for path in ([Path(calibration_file)] if calibration_file else []) + [CALIBRATION_FILE]:
        stored = stored_base_penalty(test_env, path)
        if stored is not None:
            logger.info("base penalty %.6f: calibration of %s in %s", stored, task_key(test_env), path)
            return stored
    measured = reward_per_action(test_expert, test_env, evaluation_config)
    logger.info(
        "base penalty %.6f measured now on %s (%d episodes); `duo calibrate` stores it",
        measured["reward_per_action"],
        task_key(test_env),
        measured["num_episodes"],
    )
    return measured["reward_per_action"]
