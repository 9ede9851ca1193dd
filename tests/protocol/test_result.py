"""test_result.json describes its run; results written before it did still read."""

import json

import pytest

from duo_ai.cli.main import main
from duo_ai.protocol.result import read_result
from tests.conftest import coord_args


def test_a_result_written_before_it_described_itself_reads_from_its_config(tmp_path, agent_checkpoints):
    args = coord_args(tmp_path, agent_checkpoints, "policy.name=always", "policy.agent=expert",
                      "algorithm.name=always", "skyline=1", "seed=3")  # fmt: skip
    assert main(["train", "--type", "coord", *args]) == 0
    folder = tmp_path / "exp" / "run"
    current = read_result(folder)
    old = {key: current[key] for key in ("selection_split", "selected_on_test", "skyline", "test")}
    (folder / "test_result.json").write_text(json.dumps(old))  # as duo wrote it before version 2
    described = read_result(folder)
    for key in ("method", "task", "alpha", "seed", "upper_reference"):
        assert described[key] == current[key]
    assert (described["method"], described["seed"], described["upper_reference"]) == (
        "always expert (skyline)",
        3,
        True,
    )


def test_a_version_2_result_reads_its_oracle_flag_as_the_upper_reference(tmp_path):
    test = {"episode_rewards": [0.5], "base_reward_mean": 1.0, "num_episodes": 1, "action_1_fraction": 0.0}
    for flag in (True, False):
        result = {
            "version": 2,
            "method": "m",
            "task": "toy",
            "alpha": 0.2,
            "seed": 0,
            "oracle": flag,
            "test": test,
        }
        (tmp_path / "test_result.json").write_text(json.dumps(result))
        read = read_result(tmp_path)
        assert read["upper_reference"] is flag and "oracle" not in read


def test_a_result_without_episodes_is_refused_by_name(tmp_path):
    (tmp_path / "test_result.json").write_text(json.dumps({"version": 2, "test": {"reward_mean": 1.0}}))
    with pytest.raises(ValueError, match="test.episode_rewards must be a non-empty list of numbers"):
        read_result(tmp_path)


def test_a_code_version_that_is_no_string_is_refused_by_name(tmp_path):
    test = {"episode_rewards": [0.5], "base_reward_mean": 1.0, "num_episodes": 1, "action_1_fraction": 0.0}
    result = {"version": 3, "method": "m", "task": "toy", "alpha": 0.2, "seed": 0, "upper_reference": False,
              "test": test}  # fmt: skip
    (tmp_path / "test_result.json").write_text(json.dumps(result))
    assert read_result(tmp_path)["code_version"] == "not recorded"  # written before duo recorded it
    (tmp_path / "test_result.json").write_text(json.dumps({**result, "code_version": 7}))
    with pytest.raises(ValueError, match="'code_version' must be a string, got 7"):
        read_result(tmp_path)
