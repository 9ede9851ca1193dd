"""Checkpoints round-trip, refuse mismatched envs, corrupt files and code-running pickles."""

import os

import pytest
import torch

import duo_ai
from duo_ai.checkpoint import read_checkpoint
from duo_ai.envs.toy import ChainEnv
from tests.conftest import scripted


def test_round_trip_restores_config_and_params(tmp_path):
    env = ChainEnv(num_envs=2)
    path = tmp_path / "agent.ckpt"
    duo_ai.save_checkpoint(path, scripted(env, 2), env)
    loaded = duo_ai.load_policy(path, env)
    assert loaded.config.shift == 2
    assert loaded.config.name == "scripted"
    assert list(tmp_path.iterdir()) == [path]  # the temporary file was renamed away


def test_loading_into_a_mismatched_environment_fails_clearly(tmp_path):
    path = tmp_path / "agent.ckpt"
    duo_ai.save_checkpoint(path, scripted(ChainEnv(2, length=5), 0), ChainEnv(2, length=5))
    with pytest.raises(duo_ai.CheckpointError, match="does not fit this environment.*observation_space"):
        duo_ai.load_policy(path, ChainEnv(2, length=7))
    with pytest.raises(duo_ai.CheckpointError, match="action_space"):
        duo_ai.load_policy(path, ChainEnv(2, length=5, num_actions=4))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(duo_ai.CheckpointError, match="checkpoint not found"):
        duo_ai.load_policy(tmp_path / "nope.ckpt", ChainEnv(2))


def test_corrupt_and_foreign_files(tmp_path):
    truncated = tmp_path / "truncated.ckpt"
    env = ChainEnv(2)
    duo_ai.save_checkpoint(truncated, scripted(env, 0), env)
    truncated.write_bytes(truncated.read_bytes()[:50])
    with pytest.raises(duo_ai.CheckpointError, match="corrupt"):
        read_checkpoint(truncated)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(duo_ai.CheckpointError, match="not a duo checkpoint"):
        read_checkpoint(foreign)


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    marker = str(tmp_path / "pwned")
    path = tmp_path / "evil.ckpt"
    torch.save({"format": "duo-checkpoint", "version": 1, "payload": RunsCode(marker)}, path)
    with pytest.raises(duo_ai.CheckpointError, match="refusing to load"):
        duo_ai.load_policy(path, ChainEnv(2))
    assert not os.path.exists(marker)
    # The file really is hostile: an unrestricted unpickler runs its code.
    torch.load(path, weights_only=False)
    assert os.path.exists(marker)
