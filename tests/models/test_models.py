"""Every model builds for its observations and returns logits, features and values of the right shape."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

import duo_ai
from duo_ai.models import FEATURE_TYPES
from duo_ai.models.trunks import ImpalaTrunk

BATCH = 3


class SpacesOnly:
    num_envs = BATCH

    def __init__(self, observation_space, action_space):
        self.single_observation_space, self.single_action_space = observation_space, action_space


IMAGE = spaces.Box(0, 255, (3, 64, 64), np.uint8)
GRID = spaces.Box(0, 255, (7, 7, 3), np.uint8)
FLAT = spaces.Box(-1, 1, (6,), np.float32)


def coord_space(base):
    return spaces.Dict(
        {"base_obs": base, "novice_hidden": spaces.Box(-np.inf, np.inf, (16,), np.float32),
         "novice_logits": spaces.Box(-np.inf, np.inf, (15,), np.float32)}
    )  # fmt: skip


def policy_for(model: str, observation_space, *overrides):
    config = duo_ai.load_config(None, ["policy.name=ppo", f"policy.model.name={model}", *overrides])
    return duo_ai.make_policy(
        config.policy, SpacesOnly(observation_space, spaces.Discrete(15 if "coord" not in model else 2))
    )


def sample(space):
    space.seed(0)
    return (
        {k: np.stack([s.sample() for _ in range(BATCH)]) for k, s in space.spaces.items()}
        if isinstance(space, spaces.Dict)
        else np.stack([space.sample() for _ in range(BATCH)])
    )


@pytest.mark.parametrize(
    ("model", "space", "hidden"),
    [("impala_ppo", IMAGE, 256), ("minigrid_ppo", GRID, 64), ("mlp_ppo", FLAT, 64)],
)
def test_agent_models(model, space, hidden):
    policy = policy_for(model, space)
    out = policy.forward(sample(space))
    assert (
        out.logits.shape == (BATCH, 15)
        and out.hidden.shape == (BATCH, hidden)
        and out.value.shape == (BATCH,)
    )
    assert (policy.hidden_dim, policy.logit_dim) == (hidden, 15)


@pytest.mark.parametrize("feature_type", FEATURE_TYPES)
@pytest.mark.parametrize(
    ("model", "base"), [("impala_coord_ppo", IMAGE), ("minigrid_coord_ppo", GRID), ("mlp_coord_ppo", FLAT)]
)
def test_coordinator_models_for_every_feature_type(model, base, feature_type):
    policy = policy_for(model, coord_space(base), f"policy.model.feature_type={feature_type}")
    out = policy.forward(sample(coord_space(base)))
    assert out.logits.shape == (BATCH, 2) and out.value.shape == (BATCH,)
    has_trunk = policy.model.trunk is not None
    assert has_trunk == ("obs" in feature_type)


def test_impala_has_the_published_shape():
    trunk = ImpalaTrunk(IMAGE, [16, 32, 32], 256)
    assert [stage.conv.out_channels for stage in trunk.stages] == [16, 32, 32]
    assert trunk.fc.in_features == 32 * 8 * 8 and trunk.out_dim == 256
    x = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    assert torch.allclose(trunk(x), trunk(x.float() / 255), atol=1e-5)  # uint8 frames are scaled to [0, 1]


def test_agent_model_on_a_coordinator_observation_is_a_clear_error():
    with pytest.raises(duo_ai.ConfigError, match="needs an image"):
        policy_for("impala_ppo", coord_space(IMAGE))
    with pytest.raises(duo_ai.ConfigError, match="a coordinator model needs CoordEnv observations"):
        policy_for("mlp_coord_ppo", FLAT)


@pytest.mark.parametrize(
    "feature_type, keys",
    [
        ("obs", ("base_obs",)),
        ("dist", ("novice_logits",)),
        ("hidden", ("novice_hidden",)),
        ("obs_hidden_dist", ("base_obs", "novice_hidden", "novice_logits")),
    ],
)
def test_a_coordinator_declares_the_observation_keys_it_reads(feature_type, keys):
    """PPO stores only these in its rollout, so a dist coordinator keeps no frames."""
    policy = policy_for("mlp_coord_ppo", coord_space(FLAT), f"policy.model.feature_type={feature_type}")
    assert policy.model.input_keys == keys
    obs = {key: torch.as_tensor(value) for key, value in sample(coord_space(FLAT)).items()}
    reduced = {key: value for key, value in obs.items() if key in keys}
    torch.testing.assert_close(policy.model(reduced).logits, policy.model(obs).logits)
