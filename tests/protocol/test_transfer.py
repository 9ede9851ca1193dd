"""Carrying a threshold coordinator from the simulated novice to the test novice."""

import numpy as np
import pytest

import duo_ai
from duo_ai.policies.logit import confidence
from tests.conftest import coord_args


def test_threshold_carries_its_percentile_to_the_test_novice(tmp_path, agent_checkpoints):
    """Simulated novice: logit 1 on its action; test novice: logit 50. A threshold at the 0th
    percentile of the weak novice's scores must become the 0th percentile of the test novice's."""
    overrides = coord_args(
        tmp_path, agent_checkpoints, "policy.name=logit", "policy.metric=max_prob",
        f"train_novice={agent_checkpoints['novice_weak']}",
    )  # fmt: skip
    config = duo_ai.load_config(None, overrides)
    duo_ai.start_run(config)
    envs = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config))
    policy = duo_ai.make_policy(config.policy, envs["train"])
    weak, sure = confidence(np.array([[1.0, 0, 0], [50.0, 0, 0]]), "max_prob")
    rollout = {"steps": 4, "temperatures": [1.0]}
    policy.set_params({"threshold": weak, "percentile": 0.0, "rollout": rollout})
    assert duo_ai.carry_to_test_novice(policy, config, envs["test"]) == pytest.approx(
        {"percentile": 0.0, "threshold_simulated": weak, "threshold_test": sure}
    )
    assert policy.config.threshold == pytest.approx(sure)
    for always_or_never in (np.inf, -np.inf):  # carried as they are
        policy.set_params({"threshold": always_or_never, "percentile": None, "rollout": rollout})
        assert duo_ai.carry_to_test_novice(policy, config, envs["test"]) is None
    policy.set_params({"threshold": weak, "percentile": 0.0, "rollout": rollout})
    policy.config.recalibrate = False
    assert duo_ai.carry_to_test_novice(policy, config, envs["test"]) is None
