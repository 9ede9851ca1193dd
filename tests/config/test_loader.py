"""Config layering: defaults < YAML < overrides."""

import re

import pytest

import duo_ai
from duo_ai.errors import ConfigError


def test_overrides_win_over_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 3\nalgorithm:\n  name: ppo\n  num_steps: 64\n  gamma: 0.9\n")
    config = duo_ai.load_config(path, ["algorithm.gamma=0.5"])
    assert (config.seed, config.algorithm.num_steps, config.algorithm.gamma) == (3, 64, 0.5)
    assert config.algorithm.update_epochs == 3  # schema default


def test_switching_a_component_drops_the_file_settings_of_the_old_one(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("policy:\n  name: ppo\n  model:\n    name: mlp_coord_ppo\n    feature_type: dist\n")
    config = duo_ai.load_config(path, ["policy.name=always", "policy.agent=expert"])
    assert dict(config.policy) == {"name": "always", "load_path": None, "agent": "expert"}
    config = duo_ai.load_config(path, ["policy.model.feature_type=obs"])
    assert config.policy.model.name == "mlp_coord_ppo" and config.policy.model.feature_type == "obs"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [(["[=1"], "invalid override key '['"), (["env=1"], "env: expected a mapping"),
     (["policy=1", "algorithm.score_temps=[1.0]"], "policy: expected a mapping")],
)  # fmt: skip
def test_overrides_the_property_tests_found_are_one_line_errors(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        duo_ai.load_config(None, overrides)


@pytest.mark.parametrize("eval_name", ["../escape", "a/b", "..", "", "sub\\dir"])
def test_an_eval_name_must_be_a_plain_file_name(eval_name):
    with pytest.raises(ConfigError, match="eval_name: .* is not a file name"):
        duo_ai.load_config(None, [f"eval_name='{eval_name}'"])


def test_a_folder_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        duo_ai.load_config(tmp_path)
