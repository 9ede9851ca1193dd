"""Config layering: defaults < YAML < overrides."""

import duo_ai


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
