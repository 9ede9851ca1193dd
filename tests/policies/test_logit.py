"""The logit baseline: exact confidence scores, thresholds from novice rollouts, chosen on validation."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import duo_ai
from duo_ai.coordination import CoordEnv
from duo_ai.evaluation import Evaluator
from duo_ai.policies.logit import confidence
from tests.conftest import coord_config, scripted, train_on_shifted_chain

LOGITS = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


def softmax(row):
    e = np.exp(row - row.max())
    return e / e.sum()


def test_confidence_metrics_match_their_definitions():
    p = softmax(LOGITS[0])
    np.testing.assert_allclose(confidence(LOGITS, "max_logit"), [2.0, 0.0])
    np.testing.assert_allclose(confidence(LOGITS, "max_prob"), [p[0], 1 / 3])
    np.testing.assert_allclose(confidence(LOGITS, "margin"), [p[0] - p[1], 0.0], atol=1e-12)
    np.testing.assert_allclose(confidence(LOGITS, "entropy"), [(p * np.log(p)).sum(), -math.log(3)])
    np.testing.assert_allclose(confidence(LOGITS, "energy"), [np.log(np.exp(LOGITS[0]).sum()), math.log(3)])
    np.testing.assert_allclose(confidence(LOGITS, "max_logit", temperature=2.0), [1.0, 0.0])


def test_sweep_picks_the_threshold_that_asks_on_validation(tmp_path, chain):
    """On the shifted chain the novice is confidently wrong: only an always-ask threshold pays."""
    overrides = [
        "policy.name=logit",
        "algorithm.name=logit",
        "algorithm.rollout_steps=8",
        "evaluation.num_episodes=6",
    ]
    _, env, folder = train_on_shifted_chain(chain, overrides, tmp_path)
    best = duo_ai.load_policy(folder / "best_test.ckpt", env)
    summary = Evaluator(SimpleNamespace(num_episodes=6, max_num_steps=100, temperature=1.0), env).evaluate(
        best
    )
    assert summary["action_1_fraction"] == 1.0
    assert summary["reward_mean"] == pytest.approx(5 * 0.6)
    assert best.config.threshold > confidence(np.array([[50.0, 0.0, 0.0]]), "max_prob")[0]


def test_logit_needs_the_novice_open(chain):
    env = CoordEnv(coord_config(open_novice=False), chain, scripted(chain, 0), scripted(chain, 1))
    config = duo_ai.load_config(None, ["policy.name=logit"])
    with pytest.raises(
        duo_ai.ConfigError, match="policy.name=logit reads novice_logits: set coordination.open_novice=true"
    ):
        duo_ai.make_policy(config.policy, env)


def test_carrying_takes_the_same_percentile_of_the_deployed_novices_scores(chain):
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    policy = duo_ai.make_policy(
        duo_ai.load_config(None, ["policy.name=logit", "policy.metric=max_logit"]).policy, env
    )
    observations = [
        {"novice_logits": np.array([[4.0, 0, 0], [1.0, 0, 0]])},
        {"novice_logits": np.array([[2.0, 0, 0]])},
    ]
    policy.set_params({"threshold": 0.3, "percentile": 50.0})
    assert policy.carry_percentile(observations) == 2.0  # the median of max logits 4, 1, 2
    assert policy.act({"novice_logits": np.array([[1.5, 0, 0], [2.5, 0, 0]])}).tolist() == [1, 0]
    policy.set_params({"threshold": float("inf"), "percentile": None})  # always ask: nothing to carry
    assert policy.carry_percentile(observations) == float("inf")
