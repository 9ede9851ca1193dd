"""envpool's C++ MiniGrid encodes observations exactly as the Farama minigrid package."""

import gymnasium as gym
import minigrid  # noqa: F401  (registers the Farama MiniGrid tasks)
import numpy as np
import pytest

from duo_ai.config import build_section
from duo_ai.envs.envpool_env import EnvpoolVectorEnv
from duo_ai.envs.minigrid import PAIRS, MiniGridConfig, MiniGridSuite
from duo_ai.errors import ConfigError

FORWARD, RIGHT, LEFT = 2, 1, 0
ACTIONS = [FORWARD, FORWARD, RIGHT, FORWARD, LEFT, FORWARD, FORWARD, FORWARD, RIGHT, FORWARD, FORWARD]


@pytest.mark.parametrize("task", ["MiniGrid-DistShift1-v0", "MiniGrid-DistShift2-v0"])
def test_same_observations_as_the_reference_on_deterministic_layouts(task):
    reference = gym.make(task)
    fast = EnvpoolVectorEnv(task, num_envs=1, seed=0, obs_key="image")
    ref_obs, _ = reference.reset(seed=0)
    obs, _ = fast.reset()
    np.testing.assert_array_equal(obs[0], ref_obs["image"])
    for action in ACTIONS:
        ref_obs, ref_reward, ref_terminated, ref_truncated, _ = reference.step(action)
        obs, reward, terminated, truncated, _ = fast.step(np.array([action]))
        np.testing.assert_array_equal(obs[0], ref_obs["image"])
        assert (bool(terminated[0]), bool(truncated[0])) == (ref_terminated, ref_truncated)
        assert reward[0] == pytest.approx(ref_reward, abs=1e-6)
        if ref_terminated or ref_truncated:
            break


def test_pairs_put_the_shifted_task_on_val_true_and_test():
    config = build_section(MiniGridConfig, {"name": "minigrid", "pair": "lavagap", "num_envs": 2})
    tasks = {
        split: MiniGridSuite.make(config, split, 0).task_id
        for split in ("train", "val_sim", "val_true", "test")
    }
    novice_task, expert_task = PAIRS["lavagap"]
    assert tasks == {
        "train": novice_task,
        "val_sim": novice_task,
        "val_true": expert_task,
        "test": expert_task,
    }


def test_unknown_task_lists_the_valid_ones():
    config = build_section(MiniGridConfig, {"name": "minigrid", "train": {"task": "MiniGrid-Nope-v0"}})
    with pytest.raises(
        ConfigError, match="unknown MiniGrid task 'MiniGrid-Nope-v0'; valid: .*MiniGrid-DistShift1-v0"
    ):
        MiniGridSuite.make(config, "train", 0)
