"""duo convert: real checkpoints of the reference (duo-ai 1.0.1, made by
scripts/reference_checkpoints.py) become duo checkpoints that compute what the reference computed."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import duo_ai
from duo_ai.cli.main import main
from duo_ai.config import load_config
from duo_ai.protocol import make_base_envs, make_coord_envs

DATA = Path(__file__).resolve().parents[1] / "data" / "reference"
CONFIG = ["--config", "configs/procgen_ppo.yaml", "env.num_envs=2"]


@pytest.fixture(scope="module")
def envs():
    config = load_config("configs/procgen_ppo.yaml", ["env.num_envs=2"])
    base = make_base_envs(config, ("test",))
    return base["test"], make_coord_envs(config, base)["test"]


@pytest.fixture(scope="module")
def reference():
    return np.load(DATA / "outputs.npz")


def convert(tmp_path, name):
    out = tmp_path / f"{name}.ckpt"
    assert main(["convert", str(DATA / f"{name}.ckpt"), "--out", str(out), *CONFIG]) == 0
    return out


def test_a_reference_agent_computes_what_it_computed_there(tmp_path, envs, reference):
    agent = duo_ai.load_policy(convert(tmp_path, "agent"), envs[0])
    with torch.no_grad():
        out = agent.model(torch.from_numpy(reference["images"]))
    np.testing.assert_allclose(out.logits.numpy(), reference["agent_logits"], atol=1e-5)
    np.testing.assert_allclose(out.value.numpy(), reference["agent_value"], atol=1e-5)
    np.testing.assert_allclose(out.hidden.numpy(), reference["agent_hidden"], atol=1e-5)


def test_a_reference_coordinator_computes_what_it_computed_there(tmp_path, envs, reference):
    coordinator = duo_ai.load_policy(convert(tmp_path, "coordinator"), envs[1])
    obs = {key: torch.from_numpy(reference[name]) for key, name in
           (("base_obs", "images"), ("novice_hidden", "agent_hidden"), ("novice_logits", "agent_logits"))}  # fmt: skip
    with torch.no_grad():
        out = coordinator.model(obs)
    np.testing.assert_allclose(out.logits.numpy(), reference["coordinator_logits"], atol=1e-5)
    np.testing.assert_allclose(out.value.numpy(), reference["coordinator_value"], atol=1e-5)


def test_a_reference_logit_coordinator_asks_where_it_asked_there(tmp_path, envs, reference):
    logit = duo_ai.load_policy(convert(tmp_path, "logit"), envs[1])
    assert logit.config.threshold == pytest.approx(float(reference["logit_threshold"]))
    actions = logit.act({"novice_logits": reference["agent_logits"]})
    np.testing.assert_array_equal(actions, reference["logit_actions"])


class RunsACommand:
    """Unpickling this runs a shell command: what a malicious checkpoint would hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_objects_that_would_run_code_are_refused_by_name_and_nothing_is_written(tmp_path, capsys):
    hostile = tmp_path / "hostile.ckpt"
    torch.save({"policy_config": RunsACommand(tmp_path / "ran"), "model_state_dict": {}}, hostile)
    assert main(["convert", str(hostile), *CONFIG]) == 2
    error = capsys.readouterr().err
    assert f"{os.system.__module__}.system" in error and "run code" in error and error.count("\n") == 1
    (tmp_path / "garbage.ckpt").write_bytes(b"not a checkpoint")
    assert main(["convert", str(tmp_path / "garbage.ckpt"), *CONFIG]) == 2
    assert "not a torch checkpoint" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["garbage.ckpt", "hostile.ckpt"]


def test_convert_never_overwrites(tmp_path, capsys):
    out = convert(tmp_path, "logit")
    before = out.read_bytes()
    assert main(["convert", str(DATA / "logit.ckpt"), "--out", str(out), *CONFIG]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"policy_config": [1, 2], "model_state_dict": {}}, "holds a list and a dict"),
        (
            {"policy_config": {"name": "ppo", "model": "impala"}, "model_state_dict": {}},
            "policy_config.model is a str",
        ),
        (
            {"policy_config": {"name": "ppo", "model": {"name": "impala_ppo"}}, "model_state_dict": {"w": 1}},
            "something other than named weights",
        ),
        (
            {"policy_config": {"name": "random"}, "model_state_dict": {"prob": 1.5}},
            "prob is 1.5, outside [0.0, 1.0]",
        ),
        (
            {"policy_config": {"name": "logit"}, "model_state_dict": {"threshold": float("nan")}},
            "threshold must be a finite number",
        ),
        ({"policy_config": {"name": "always", "agent": "boss"}, "model_state_dict": {}}, "agent is 'boss'"),
    ],
)
def test_a_malformed_reference_checkpoint_is_one_line_and_nothing_is_written(
    tmp_path, capsys, payload, message
):
    path = tmp_path / "malformed.ckpt"
    torch.save(payload, path)
    assert main(["convert", str(path), "--out", str(tmp_path / "out.ckpt"), *CONFIG]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["malformed.ckpt"]
