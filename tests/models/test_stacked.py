"""N stacked coordinators compute what each computes alone: outputs and gradients, through grouped
layers where the model has them and through vmap otherwise."""

import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch import nn

from duo_ai.models import grouped_layers
from duo_ai.models.base import ActorCritic
from duo_ai.models.stacked import StackedModels
from tests.models.test_models import FLAT, GRID, IMAGE, coord_space, policy_for

MEMBERS, ROWS = 3, 5


def seeded(make) -> list[torch.nn.Module]:
    """MEMBERS models from ``make``, member k's weights drawn under seed k."""
    models = []
    for seed in range(MEMBERS):
        torch.manual_seed(seed)
        models.append(make())
    return models


def members(model: str, base: spaces.Space, *overrides: str) -> list[torch.nn.Module]:
    return seeded(lambda: policy_for(model, coord_space(base), *overrides).model)


def member_inputs(base: spaces.Space) -> dict[str, torch.Tensor]:
    space = coord_space(base)
    space.seed(1)
    rows = [[space.sample() for _ in range(ROWS)] for _ in range(MEMBERS)]
    return {
        key: torch.as_tensor(np.stack([[row[key] for row in member] for member in rows]))
        for key in space.spaces
    }


def loss(logits: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    return logits.logsumexp(-1).sum() + values.square().sum()


def check_members_alone(stacked: StackedModels, models: list[torch.nn.Module], obs: dict[str, torch.Tensor]):
    """The stacked outputs and the gradients of a loss are each member's own."""
    logits, values = stacked(obs)
    assert logits.shape == (MEMBERS, ROWS, 2) and values.shape == (MEMBERS, ROWS)
    loss(logits, values).backward()
    for index, alone in enumerate(models):
        out = alone({key: value[index] for key, value in obs.items()})
        torch.testing.assert_close(logits[index], out.logits, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(values[index], out.value, atol=1e-5, rtol=1e-5)
        loss(out.logits, out.value).backward()
        for name, weights in alone.named_parameters():
            torch.testing.assert_close(stacked.params[name].grad[index], weights.grad, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    ("model", "base", "features"),
    [
        ("minigrid_coord_ppo", GRID, "obs"),
        ("minigrid_coord_ppo", GRID, "obs_hidden_dist"),
        ("mlp_coord_ppo", FLAT, "obs_dist"),
        ("mlp_coord_ppo", FLAT, "dist"),
        ("impala_coord_ppo", IMAGE, "obs_dist"),
    ],
)
def test_shipped_coordinators_stack_as_grouped_layers(model, base, features):
    overrides = [f"policy.model.feature_type={features}"]
    if model == "impala_coord_ppo":
        overrides += ["policy.model.channels=[4, 8]", "policy.model.hidden_dim=8"]
    models = members(model, base, *overrides)
    stacked = StackedModels(models)
    assert stacked.grouped
    check_members_alone(stacked, models, member_inputs(base))


class BiasFree(ActorCritic):
    """Linear layers without bias have a grouped form too."""

    def __init__(self):
        super().__init__(4, 2)
        self.body = nn.Linear(15, 4, bias=False)

    def features(self, obs):
        return torch.tanh(self.body(obs["novice_logits"]))

    def grouped(self, params, obs):
        hidden = torch.tanh(grouped_layers.linear(obs["novice_logits"], grouped_layers.part(params, "body")))
        logits = grouped_layers.linear(hidden, grouped_layers.part(params, "policy_head"))
        return logits, grouped_layers.linear(hidden, grouped_layers.part(params, "value_head")).squeeze(-1)


def test_a_linear_layer_without_bias_stacks_as_a_grouped_layer():
    models = seeded(BiasFree)
    stacked = StackedModels(models)
    assert stacked.grouped
    check_members_alone(stacked, models, member_inputs(FLAT))


class NoGroupedForm(ActorCritic):
    """A user's model with a layer grouped_layers does not know: stacked through vmap."""

    def __init__(self):
        super().__init__(4, 2)
        self.norm = nn.LayerNorm(15)
        self.body = nn.Linear(15, 4)

    def features(self, obs):
        return torch.tanh(self.body(self.norm(obs["novice_logits"])))


def test_other_models_stack_through_vmap():
    models = seeded(NoGroupedForm)
    stacked = StackedModels(models)
    assert not stacked.grouped
    check_members_alone(stacked, models, member_inputs(FLAT))
