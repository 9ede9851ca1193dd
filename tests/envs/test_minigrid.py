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


def test_split_options_reach_envpool_as_the_reference_reads_them():
    """env.<split>.kwargs: DistShift with the second lava strip on row 4, as Farama's
    DistShiftEnv(strip2_row=4) draws it; an option the task lacks is refused by name."""
    config = build_section(
        MiniGridConfig,
        {"name": "minigrid", "pair": "distshift", "num_envs": 1, "train": {"kwargs": {"strip2_row": 4}}},
    )
    env = MiniGridSuite.make(config, "train", 0)
    reference = gym.make("MiniGrid-DistShift1-v0", strip2_row=4)
    np.testing.assert_array_equal(env.reset()[0][0], reference.reset(seed=0)[0]["image"])
    assert env.metadata["duo_env"] == {"task": "MiniGrid-DistShift1-v0", "options": {"strip2_row": 4}}
    assert not np.array_equal(env.reset()[0][0], MiniGridSuite.make(config, "val_sim", 0).reset()[0][0])
    config.train.kwargs = {"strip_row": 4}
    with pytest.raises(
        ConfigError, match="env.train.kwargs: 'strip_row' is not an option of MiniGrid-DistShift1-v0"
    ):
        MiniGridSuite.make(config, "train", 0)
