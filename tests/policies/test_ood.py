"""The ood baseline: a PyOD detector on novice features, swept threshold, pickle-free checkpoints."""

from types import SimpleNamespace

import numpy as np
import pytest
from gymnasium import spaces

import duo_ai
from duo_ai.evaluation import Evaluator
from tests.conftest import train_on_shifted_chain

FAST = ["policy.detector_kwargs={epochs: 10}"]


class FeatureEnv:
    """Just the spaces of a CoordEnv whose novice has 8 hidden features."""

    num_envs = 1
    single_action_space = spaces.Discrete(2)
    single_observation_space = spaces.Dict(
        {"base_obs": spaces.Box(0, 1, (3,)), "novice_hidden": spaces.Box(-np.inf, np.inf, (8,)),
         "novice_logits": spaces.Box(-np.inf, np.inf, (4,))}
    )  # fmt: skip


def batch(hidden):
    return {
        "base_obs": np.zeros((len(hidden), 3)),
        "novice_hidden": hidden,
        "novice_logits": np.zeros((len(hidden), 4)),
    }


def ood_policy(*overrides):
    config = duo_ai.load_config(None, ["policy.name=ood", *FAST, *overrides])
    return duo_ai.make_policy(config.policy, FeatureEnv())


def test_deep_svdd_scores_vary_and_separate_in_from_out_of_distribution():
    rng = np.random.default_rng(0)
    policy = ood_policy()
    policy.fit([batch(rng.normal(size=(256, 8)).astype(np.float32)) for _ in range(4)])
    inside = policy.score(batch(rng.normal(size=(200, 8)).astype(np.float32)))
    outside = policy.score(batch(rng.normal(size=(200, 8)).astype(np.float32) + 5.0))
    assert inside.std() > 0, "collapsed detector: one score for every input"
    assert np.median(inside) > np.percentile(outside, 95)  # confidence is higher in distribution


@pytest.mark.parametrize("detector", ["IForest", "KNN"])
def test_any_pyod_detector_by_name(detector):
    rng = np.random.default_rng(1)
    config = duo_ai.load_config(None, ["policy.name=ood", f"policy.detector={detector}"])
    policy = duo_ai.make_policy(config.policy, FeatureEnv())
    policy.fit([batch(rng.normal(size=(300, 8)))])
    assert policy.score(batch(np.zeros((1, 8))))[0] > policy.score(batch(np.full((1, 8), 6.0)))[0]


def test_unknown_detector_is_a_config_error():
    policy = ood_policy("policy.detector=NoSuchDetector")
    with pytest.raises(duo_ai.ConfigError, match="unknown PyOD detector 'NoSuchDetector'; valid: DeepSVDD"):
        policy.fit([batch(np.zeros((4, 8)))])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("policy.detector=rod.Pool", "pyod.models.rod.Pool is not a PyOD detector"),
        ("policy.detector_kwargs={processes: 4}", "DeepSVDD takes no processes"),
    ],
)
def test_only_pyod_detectors_with_their_own_arguments(override, message):
    with pytest.raises(duo_ai.ConfigError, match=message):
        ood_policy(override).fit([batch(np.zeros((4, 8)))])


def test_degenerate_features_fail_with_a_clear_message():
    with pytest.raises(RuntimeError, match="DeepSVDD could not be fitted on 16 novice states"):
        ood_policy().fit([batch(np.zeros((16, 8), np.float32))])


def test_threshold_sweep_fits_saves_and_reloads_identically(tmp_path, chain):
    """Novice-only rollouts on the shifted chain never leave cell 0: KNN copes with repeated states."""
    overrides = ["policy.name=ood", "policy.feature_type=obs_dist", "policy.detector=KNN", "algorithm.name=ood",
                 "algorithm.rollout_steps=8", "evaluation.num_episodes=6"]  # fmt: skip
    policy, env, folder = train_on_shifted_chain(chain, overrides, tmp_path)
    best = duo_ai.load_policy(folder / "best_test.ckpt", env)
    evaluation = SimpleNamespace(num_episodes=6, max_num_steps=100, temperature=1.0)
    assert Evaluator(evaluation, env).evaluate(best)["reward_mean"] == pytest.approx(5 * 0.6)
    obs, _ = env.reset()
    np.testing.assert_allclose(best.score(obs), policy.score(obs), rtol=0, atol=1e-5)
