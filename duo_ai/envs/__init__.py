"""Base environments: suites of tasks with train/val_sim/val_true/test splits."""

from duo_ai.envs import gym_suite, minigrid, procgen, toy  # noqa: F401  (registers the suites)
from duo_ai.envs.base import SPLITS, EnvironmentSuite, env_identity, make_env

__all__ = ["SPLITS", "EnvironmentSuite", "env_identity", "make_env"]
