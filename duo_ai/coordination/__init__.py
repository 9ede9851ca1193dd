"""The coordination environment: novice, expert and the costs of asking."""

from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.policies.base import EXPERT, NOVICE

__all__ = ["EXPERT", "NOVICE", "CoordEnv"]
