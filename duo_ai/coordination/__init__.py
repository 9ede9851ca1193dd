"""The coordination environment: novice, expert and the costs of asking."""

from duo_ai.coordination.coord_env import EXPERT, NOVICE, CoordEnv

__all__ = ["EXPERT", "NOVICE", "CoordEnv"]
