"""duo's ``CoordEnv`` as a Stable-Baselines3 ``VecEnv``: train a coordinator with SB3's learners.

    from stable_baselines3 import PPO
    from duo_ai.adapters.sb3 import SB3CoordEnv

    model = PPO("MultiInputPolicy", SB3CoordEnv(coord_env), n_steps=128).learn(10_000)

What the adapter settles so that SB3 sees its own conventions:

- **Autoreset.** CoordEnv resets a finished copy on the step after (Gymnasium's next-step
  autoreset; that step is no decision). SB3 resets in the same step: a finished copy's last
  observation goes to ``infos[i]["terminal_observation"]`` and the returned observation is its
  new episode's first (``CoordEnv.reset_copies``), so every SB3 transition is a decision.
- **Truncation.** ``infos[i]["TimeLimit.truncated"]`` is set where the episode was cut, not
  ended, so SB3 bootstraps it; ``infos[i]["base_reward"]`` is the task's own reward (costs out).
- **Observations.** The dict observation of CoordEnv, with small integer grids (a MiniGrid view,
  7x7x3 uint8) given as float32 features: SB3 would otherwise take them for Atari frames and
  build a CNN whose kernels do not fit them. Images scaled by duo (Procgen) are float32 already;
  SB3 flattens them unless you pass a ``features_extractor_class``.

Needs ``pip install duo_ai[sb3]``. An SB3 policy is evaluated with duo's ``Evaluator`` through
``SB3Coordinator`` below, so its numbers are those of every other coordinator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs.copies import copy_batch, put

try:
    from stable_baselines3.common.vec_env import VecEnv
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError("duo_ai.adapters.sb3 needs Stable-Baselines3: pip install 'duo_ai[sb3]'") from error


def _sb3_space(space: spaces.Box) -> spaces.Box:
    """``space`` as SB3's policies should read it: integer grids as float32 features."""
    if np.issubdtype(space.dtype, np.integer):
        return spaces.Box(
            space.low.astype(np.float32), space.high.astype(np.float32), space.shape, np.float32
        )
    return space


class SB3CoordEnv(VecEnv):
    """A CoordEnv seen through SB3's ``VecEnv`` API (same-step autoreset, ``terminal_observation``)."""

    def __init__(self, env: CoordEnv):
        if not isinstance(env, CoordEnv):
            raise TypeError(f"SB3CoordEnv wraps a duo CoordEnv, got {type(env).__name__}")
        if env.expert_query_cost is None:
            raise ValueError("the CoordEnv has no costs yet: build it with base_penalty or call set_costs")
        self.env = env
        observation_space = spaces.Dict(
            {key: _sb3_space(space) for key, space in env.single_observation_space.spaces.items()}
        )
        super().__init__(env.num_envs, observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> dict[str, np.ndarray]:
        obs, _ = self.env.reset(seed=self._seeds[0] if self._seeds else None)
        self._reset_seeds()
        return self._convert(copy_batch(obs))

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[dict[str, Any]]]:
        obs, reward, terminated, truncated, info = self.env.step(self._actions)
        obs = copy_batch(obs)  # CoordEnv keeps the arrays it hands out; rows are written below
        ended = np.asarray(terminated) | np.asarray(truncated)
        infos: list[dict[str, Any]] = [
            {"base_reward": float(info["base_reward"][i])} for i in range(self.num_envs)
        ]
        finished = np.flatnonzero(ended)
        if len(finished):
            for i in finished:
                infos[i]["terminal_observation"] = {  # a copy: the rows are overwritten below
                    key: np.array(value[i], self.observation_space[key].dtype) for key, value in obs.items()
                }
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            first, _ = self.env.reset_copies(finished)
            put(obs, finished, first)
        return self._convert(obs), np.asarray(reward, np.float32), ended, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.env, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        return [getattr(self.env, method_name)(*args, **kwargs)] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices: Any) -> Sequence[int]:
        if indices is None:
            return range(self.num_envs)
        return [indices] if isinstance(indices, int) else list(indices)

    def _convert(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {key: np.asarray(value, self.observation_space[key].dtype) for key, value in obs.items()}


class SB3Coordinator:
    """An SB3 model as a duo coordinator policy, so duo's ``Evaluator`` measures it like any other
    (``Evaluator(config.evaluation, coord_env).evaluate(SB3Coordinator(model))``)."""

    copy_aware = False  # it acts on the rows it is given, whichever copies they are

    def __init__(self, model: Any, deterministic: bool = False):
        self.model, self.deterministic = model, deterministic

    def act(self, obs: dict[str, Any], temperature: float | None = None) -> np.ndarray:
        """SB3's action (sampled from its own distribution unless ``deterministic``; duo's
        evaluation temperature does not apply)."""
        observation = {
            key: np.asarray(value, self.model.observation_space[key].dtype) for key, value in obs.items()
        }
        actions, _ = self.model.predict(observation, deterministic=self.deterministic)
        return np.asarray(actions)

    def reset(self, done: np.ndarray) -> None:
        pass

    def eval(self) -> SB3Coordinator:
        return self
