"""The rollout's memory check: a rollout the device cannot hold is refused before it is allocated."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from duo_ai.algorithms import rollout
from duo_ai.algorithms.rollout import check_rollout_fits, observation_bytes
from duo_ai.errors import ConfigError


class Copies:
    """What the check reads of a vector env: its copies and one copy's observation space."""

    def __init__(self, num_envs: int, space: spaces.Space):
        self.num_envs, self.single_observation_space = num_envs, space


VIEW = spaces.Box(0, 255, (7, 7, 3), np.uint8)


def test_observation_bytes_add_up_a_dict():
    space = spaces.Dict(
        {"view": VIEW, "dist": spaces.Box(0, 1, (7,), np.float32), "step": spaces.Discrete(5)}
    )
    assert observation_bytes(space) == 147 + 28 + 8


def test_a_rollout_beyond_free_memory_is_refused(monkeypatch):
    monkeypatch.setattr(rollout, "free_memory", lambda device: 10 * 2**30)
    check_rollout_fits(1000, Copies(64, VIEW), torch.device("cpu"))  # (147 + 40) B x 64,000: 11.4 MiB
    with pytest.raises(
        ConfigError, match=r"1000000 steps of 64 copies needs 11.1 GiB, more than the 10.0 GiB"
    ):
        check_rollout_fits(1000 * 1000, Copies(64, VIEW), torch.device("cpu"))


def test_unknown_free_memory_skips_the_check(monkeypatch):
    monkeypatch.setattr(rollout, "free_memory", lambda device: None)
    check_rollout_fits(10**9, Copies(64, VIEW), torch.device("cpu"))


@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="MemAvailable is Linux's")
def test_free_memory_of_this_machine_is_read():
    free = rollout.free_memory(torch.device("cpu"))
    assert 0 < free <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")  # at most all of it
