"""Which task and which novice/expert each split of a run uses.

val_true and test always use the test task with the test novice and expert. What a coordinator
sees while it is trained and selected (train, val_sim) is the protocol's choice:

- ``weak_novice`` (YRC-0, the paper's protocol): the novice's own task, a weaker novice
  (``train_novice``) and the novice as stand-in expert (``train_expert``).
- ``shifted_tasks``: the real novice (``test_novice``) on held-out variants of its own task that
  are not the test task (``shifted_tasks.env``), with an expert of those variants
  (``shifted_tasks.expert``); the novice fails there as it does under the test shift.
- ``task_family``: the real novice on a family of generated variants of its task, with a
  shortest-path planner as the expert of every variant (``duo_ai/coordination/planner.py``).
  Only algorithms that learn on the family's exact layouts use it (``optimum_imitation``); the
  train and val_sim envs are then the novice's own task with the novice alone, for the
  coordinator's observations and costs.
- ``skyline=1``: an upper reference that trains on the test task with the test agents.

Neither simulated pairing sees the test task or the test expert.
"""

from __future__ import annotations

from typing import Any

from gymnasium.vector import VectorEnv
from omegaconf import OmegaConf

from duo_ai import registry
from duo_ai.checkpoint import load_policy
from duo_ai.config.loader import build_section, deep_merge
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs.base import SPLITS, TRAINING_SPLITS, env_identity, make_env
from duo_ai.errors import ConfigError
from duo_ai.protocol.costs import run_base_penalty


def pairing_name(config: Any) -> str:
    """What a run trained with: ``skyline``, or its simulated pairing."""
    return "skyline" if config.get("skyline", False) else str(config.get("simulated_pairing", "weak_novice"))


def split_env_source(config: Any, split: str) -> tuple[Any, str]:
    """The env settings and the split section of them that ``split``'s base env is built from."""
    pairing = pairing_name(config)
    if split not in TRAINING_SPLITS or pairing in ("weak_novice", "task_family"):
        return config.env, split
    if pairing == "skyline":
        return config.env, "test"
    return shifted_env_config(config), split


def shifted_env_config(config: Any) -> Any:
    """``env`` with ``shifted_tasks.env`` merged over it, validated like ``env`` itself."""
    if not config.shifted_tasks.env:
        raise ConfigError(
            "shifted_tasks.env: name the held-out variants to train on, e.g. "
            "shifted_tasks.env.train.task=MiniGrid-LavaGapS6-v0 (and val_sim)"
        )
    env_class = registry.lookup("environment", config.env.name, key="env.name").config_class
    merged = deep_merge(OmegaConf.to_container(config.env), OmegaConf.to_container(config.shifted_tasks.env))
    return build_section(env_class, merged, "shifted_tasks.env.")


def split_agent_keys(config: Any, split: str) -> tuple[str, str]:
    """The config keys naming the novice and expert checkpoints of ``split``."""
    pairing = pairing_name(config)
    if split not in TRAINING_SPLITS or pairing == "skyline":
        return "test_novice", "test_expert"
    if pairing == "shifted_tasks":
        return "test_novice", "shifted_tasks.expert"
    if pairing == "task_family":
        return "test_novice", "test_novice"  # the planner is the expert, on the family's layouts
    return "train_novice", "train_expert"


def make_base_envs(config: Any, splits: tuple[str, ...] = SPLITS) -> dict[str, VectorEnv]:
    """One base env per split, each seeded differently from ``config.seed``, on the task the
    protocol gives that split."""
    envs = {}
    for i, split in enumerate(splits):
        env_config, source = split_env_source(config, split)
        envs[split] = make_env(env_config, source, config.seed + 1000 * i)
    if pairing_name(config) == "shifted_tasks":
        check_held_out(config, envs)
    return envs


def check_family_learner(config: Any) -> None:
    """task_family has no expert in its envs: only an algorithm that needs no episodes there
    (one that learns on the family's exact layouts, or fits nothing) may use it."""
    algorithm = config.get("algorithm", {}).get("name")
    if (
        pairing_name(config) == "task_family"
        and algorithm
        and registry.lookup("algorithm", algorithm, key="algorithm.name").learns_from_episodes
    ):
        raise ConfigError(
            f"simulated_pairing: task_family trains only algorithms that learn on its exact layouts "
            f"(optimum_imitation), not '{algorithm}'; use weak_novice or shifted_tasks"
        )


def check_held_out(config: Any, envs: dict[str, VectorEnv]) -> None:
    """shifted_tasks must never train or select on the test task itself."""
    test_env = envs.get("test") or make_env(config.env, "test", config.seed)
    test_task = task_setting(test_env)
    if "task" not in test_task:
        return  # a suite that does not say what its tasks are cannot be checked
    for split in TRAINING_SPLITS:
        if split in envs and task_setting(envs[split]) == test_task:
            raise ConfigError(
                f"shifted_tasks.env: the {split} split is the test task ({test_task}); "
                "shifted_tasks trains and selects on held-out variants, not on the test task"
            )


def task_setting(env: VectorEnv) -> dict[str, Any]:
    """What task an env (a base env or a CoordEnv around one) draws its episodes from."""
    identity = env_identity(env)
    identity = identity.get("coord", identity)
    return {key: value for key, value in identity.items() if key != "split"}


def test_side_reasons(config: Any, envs: dict[str, VectorEnv]) -> list[str]:
    """Why a run counts as trained on the test pairing whatever its ``simulated_pairing`` says:
    training or selection used the test expert's checkpoint, the test task's settings, or a split
    made of both. Empty for an honest run (and for a declared skyline, already labelled)."""
    pairing = pairing_name(config)
    if pairing == "skyline":
        return []
    reasons = []
    if config.get("selection_split") == "val_true":
        reasons.append("it selects on val_true (the test task with the test agents)")
    for split in TRAINING_SPLITS:
        if split not in envs:
            continue
        expert_key = split_agent_keys(config, split)[1]
        if pairing != "task_family" and OmegaConf.select(config, expert_key) == config.test_expert:
            reasons.append(f"its {split} expert ({expert_key}) is the test expert {config.test_expert}")
        if "test" in envs and task_setting(envs[split]) == task_setting(envs["test"]):
            reasons.append(f"its {split} split is the test task ({task_setting(envs['test'])})")
    return reasons


def checkpoint_path(config: Any, key: str) -> str:
    path = OmegaConf.select(config, key)
    if not path:
        raise ConfigError(f"{key}: a checkpoint path is required to train or evaluate a coordinator")
    if key == "shifted_tasks.expert" and path == config.test_expert:
        raise ConfigError(
            "shifted_tasks.expert: it is the test expert; the simulated pairing must not see it"
        )
    return str(path)


def make_coord_envs(
    config: Any, base_envs: dict[str, VectorEnv], base_penalty: float | None = None
) -> dict[str, CoordEnv]:
    """Wrap each split's base env with the novice and expert the protocol gives it, and charge
    every split the test task's costs: ``base_penalty`` where given (envs built without the test
    split must be given it), else the base penalty of the test expert's task."""
    if base_penalty is None and "test" not in base_envs:
        raise ValueError("make_coord_envs: without the test split, pass the test task's base_penalty")
    check_family_learner(config)
    needed = dict.fromkeys(key for split in base_envs for key in split_agent_keys(config, split))
    test_env = base_envs.get("test") or next(iter(base_envs.values()))
    agents = {key: load_policy(checkpoint_path(config, key), test_env) for key in needed}
    if base_penalty is None:
        test_expert = agents.get("test_expert") or load_policy(
            checkpoint_path(config, "test_expert"), test_env
        )
        base_penalty = run_base_penalty(config, test_env, test_expert)
    return {
        split: CoordEnv(
            config.coordination,
            base_env,
            *(agents[key] for key in split_agent_keys(config, split)),
            base_penalty,
        )
        for split, base_env in base_envs.items()
    }
