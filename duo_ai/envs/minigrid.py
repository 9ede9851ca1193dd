"""MiniGrid task pairs with a distribution shift, simulated by envpool's C++ MiniGrid.

Observations are MiniGrid's symbolic 7x7x3 egocentric view (object, colour, state per cell),
identical to the Farama ``minigrid`` package's ``image`` (a test checks this). The novice's
task serves ``train`` and ``val_sim``, the expert's (shifted) task ``val_true`` and ``test``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duo_ai import registry
from duo_ai.config import ComponentConfig, param, section
from duo_ai.envs.base import MAX_COPIES, SPLITS, EnvironmentSuite
from duo_ai.envs.envpool_env import EnvpoolVectorEnv, envpool_ids
from duo_ai.errors import ConfigError

# pair name -> (novice task: train/val_sim, expert task: val_true/test)
PAIRS = {
    "distshift": ("MiniGrid-DistShift1-v0", "MiniGrid-DistShift2-v0"),
    "lavagap": ("MiniGrid-LavaGapS5-v0", "MiniGrid-LavaGapS7-v0"),
    "doorkey": ("MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-8x8-v0"),
}
CUSTOM = "custom"  # a pair of the user's own: every split names its task
NOVICE_SPLITS = ("train", "val_sim")


@dataclass
class MiniGridSplitConfig:
    task: str | None = param(None, "MiniGrid task id; unset = the pair's task for this split")
    kwargs: dict[str, Any] = param({}, "envpool options of the task for this split, e.g. {strip2_row: 3}")


@dataclass
class MiniGridConfig(ComponentConfig):
    pair: str = param(
        "distshift",
        "task pair: novice task -> shifted task (custom: name env.<split>.task)",
        choices=(*PAIRS, CUSTOM),
    )
    num_envs: int = param(16, "parallel copies", min=1, max=MAX_COPIES)
    train: MiniGridSplitConfig = section(MiniGridSplitConfig)
    val_sim: MiniGridSplitConfig = section(MiniGridSplitConfig)
    val_true: MiniGridSplitConfig = section(MiniGridSplitConfig)
    test: MiniGridSplitConfig = section(MiniGridSplitConfig)


def split_task(config: MiniGridConfig, split: str) -> str:
    if config[split].task:
        return config[split].task
    if config.pair == CUSTOM:
        raise ConfigError(
            f"env.{split}.task: env.pair=custom needs the task of every split, e.g. MiniGrid-LavaGapS6-v0"
        )
    novice_task, expert_task = PAIRS[config.pair]
    return novice_task if split in NOVICE_SPLITS else expert_task


@registry.register_environment("minigrid")
class MiniGridSuite(EnvironmentSuite):
    config_class = MiniGridConfig

    @classmethod
    def label(cls, config: MiniGridConfig) -> str:
        """A shipped pair's name, or a custom pair's novice and test tasks."""
        if config.pair != CUSTOM:
            return super().label(config)
        return f"minigrid/{split_task(config, 'train')}->{split_task(config, 'test')}"

    @classmethod
    def implied(cls, config: MiniGridConfig) -> list[str]:
        if config.pair == CUSTOM:
            return []
        return [f"env.{split}.task: {split_task(config, split)} (from env.pair={config.pair})"
                for split in SPLITS if not config[split].task]  # fmt: skip

    @classmethod
    def make(cls, config: MiniGridConfig, split: str, seed: int) -> EnvpoolVectorEnv:
        task = split_task(config, split)
        if task not in envpool_ids():
            valid = sorted(name for name in envpool_ids() if name.startswith("MiniGrid-"))
            raise ConfigError(f"env.{split}.task: unknown MiniGrid task '{task}'; valid: {', '.join(valid)}")
        kwargs = dict(config[split].kwargs)
        options = task_options(task) if kwargs else ()
        unknown = sorted(set(kwargs) - set(options))
        if unknown:
            raise ConfigError(
                f"env.{split}.kwargs: '{unknown[0]}' is not an option of {task}; valid: {', '.join(options)}"
            )
        env = EnvpoolVectorEnv(task, config.num_envs, seed, obs_key="image", **kwargs)
        if kwargs:
            env.metadata["duo_env"]["options"] = kwargs
        return env


def task_options(task: str) -> tuple[str, ...]:
    """The layout options envpool's MiniGrid accepts (duo sets the batching ones itself)."""
    import envpool

    batching = {"num_envs", "batch_size", "num_threads", "max_num_players", "thread_affinity_offset",
                "base_path", "seed", "env_seed", "gym_reset_return_info", "env_name"}  # fmt: skip
    return tuple(key for key in envpool.make_spec(task)._config_keys if key not in batching)
