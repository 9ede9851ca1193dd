"""Procgen splits: the tutorial's level ranges and modes, every field overridable."""

import numpy as np
import pytest

import duo_ai
from duo_ai.errors import ConfigError


def test_default_splits_follow_the_tutorial():
    config = duo_ai.load_config(None, ["env.name=procgen", "env.num_envs=2"])
    identities = {split: env.metadata["duo_env"] for split, env in duo_ai.make_base_envs(config).items()}
    summary = {s: (i["distribution_mode"], i["start_level"], i["num_levels"]) for s, i in identities.items()}
    assert summary == {
        "train": ("easy", 0, 100000),
        "val_sim": ("easy", 50000, 256),
        "val_true": ("hard", 50000, 256),
        "test": ("hard", 0, 100000),
    }


def test_overrides_and_observations():
    config = duo_ai.load_config(
        None, ["env.name=procgen", "env.num_envs=3", "env.task=bigfish", "env.train.distribution_mode=hard"]
    )
    env = duo_ai.make_env(config.env, "train", 0)
    assert env.metadata["duo_env"]["task"] == "BigfishHard-v0"
    obs, _ = env.reset()
    assert obs.shape == (3, 3, 64, 64) and obs.dtype == np.float32
    assert obs.min() >= 0.0 and obs.max() <= 1.0 and obs.max() > 0.0
    obs, reward, terminated, truncated, _ = env.step(np.zeros(3, np.int64))
    assert env.observation_space.contains(obs)


def test_invalid_game_and_mode():
    with pytest.raises(ConfigError, match="env.task: 'coinrunn' is not valid; valid choices: bigfish"):
        duo_ai.load_config(None, ["env.name=procgen", "env.task=coinrunn"])
    config = duo_ai.load_config(
        None, ["env.name=procgen", "env.task=bigfish", "env.train.distribution_mode=memory"]
    )
    with pytest.raises(
        ConfigError, match="procgen game bigfish has no 'memory' mode; valid choices: easy, hard"
    ):
        duo_ai.make_env(config.env, "train", 0)
