"""The 16 Procgen games, simulated by envpool, with the YRC splits by level range and mode.

Observations are channel-first 3x64x64 float32 frames in [0, 1] (the reference's format, so
users' own models see what they expect).
"""

from __future__ import annotations

from dataclasses import dataclass

from duo_ai import registry
from duo_ai.config import ComponentConfig, param, section
from duo_ai.envs.base import MAX_COPIES, EnvironmentSuite
from duo_ai.envs.envpool_env import EnvpoolVectorEnv, envpool_ids
from duo_ai.errors import ConfigError

GAMES = (
    "bigfish", "bossfight", "caveflyer", "chaser", "climber", "coinrun", "dodgeball", "fruitbot",
    "heist", "jumper", "leaper", "maze", "miner", "ninja", "plunder", "starpilot",
)  # fmt: skip
MODES = ("easy", "hard", "exploration", "memory", "extreme")


@dataclass
class ProcgenSplitConfig:
    distribution_mode: str = param("easy", "Procgen difficulty", choices=MODES)
    start_level: int = param(0, "first level seed", min=0)
    num_levels: int = param(100000, "number of level seeds from start_level (0 = unlimited)", min=0)


@dataclass
class ProcgenConfig(ComponentConfig):
    task: str = param("coinrun", "Procgen game", choices=GAMES)
    num_envs: int = param(64, "parallel copies", min=1, max=MAX_COPIES)
    num_threads: int = param(
        0, "simulator threads; 0 = one per core (runs side by side: split the cores)", min=0
    )
    train: ProcgenSplitConfig = section(ProcgenSplitConfig, distribution_mode="easy", start_level=0)
    val_sim: ProcgenSplitConfig = section(ProcgenSplitConfig, start_level=50000, num_levels=256)
    val_true: ProcgenSplitConfig = section(
        ProcgenSplitConfig, distribution_mode="hard", start_level=50000, num_levels=256
    )
    test: ProcgenSplitConfig = section(ProcgenSplitConfig, distribution_mode="hard", start_level=0)


def envpool_task_id(task: str, mode: str) -> str:
    task_id = f"{task.capitalize()}{mode.capitalize()}-v0"
    if task_id not in envpool_ids():
        modes = [m for m in MODES if f"{task.capitalize()}{m.capitalize()}-v0" in envpool_ids()]
        raise ConfigError(f"procgen game {task} has no '{mode}' mode; valid choices: {', '.join(modes)}")
    return task_id


@registry.register_environment("procgen")
class ProcgenSuite(EnvironmentSuite):
    config_class = ProcgenConfig

    @classmethod
    def make(cls, config: ProcgenConfig, split: str, seed: int) -> EnvpoolVectorEnv:
        split_config = config[split]
        task_id = envpool_task_id(config.task, split_config.distribution_mode)
        env = EnvpoolVectorEnv(
            task_id,
            config.num_envs,
            seed,
            scale_pixels=True,
            num_levels=split_config.num_levels,
            start_level=split_config.start_level,
            num_threads=config.num_threads,
        )
        env.metadata["duo_env"].update(
            game=config.task,
            distribution_mode=split_config.distribution_mode,
            start_level=split_config.start_level,
            num_levels=split_config.num_levels,
        )
        return env
