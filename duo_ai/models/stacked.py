"""N networks of one architecture run as one batched computation.

Their weights are stacked along a new first axis and each member runs on its own slice of a
batch shaped ``[N, B, ...]``: one call per layer where a loop over members would pay N times the
per-call overhead, which is most of the time of the small networks that coordinate. A model whose
layers all have a grouped form runs through them (``grouped_layers``: channels-last grouped
convolutions, batched matrix products); any other runs through ``torch.func``'s ``vmap``. The
members stay ordinary modules: ``write_into`` hands each its current weights, to save or evaluate
it.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from duo_ai.models.grouped_layers import supports_grouped


class StackedModels:
    """The stacked weights of ``models`` (actor-critics, one per member) and their batched forward."""

    def __init__(self, models: list[nn.Module]):
        if not models:
            raise ValueError("StackedModels needs at least one model")
        params, self.buffers = stack_module_state(models)
        self.params = {name: value.detach().clone().requires_grad_(True) for name, value in params.items()}
        self.template = copy.deepcopy(models[0]).to("meta")  # the architecture, without storage
        self.input_keys = getattr(models[0], "input_keys", None)
        self.size = len(models)
        self.grouped = supports_grouped(models[0])  # grouped layers where the model has them, else vmap
        self._forward = self._grouped if self.grouped else torch.vmap(self._member, randomness="error")

    def _grouped(self, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], obs: Any):
        return self.template.grouped(params, obs)

    def _member(self, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], obs: Any):
        out = functional_call(self.template, (params, buffers), (obs,))
        return out.logits, out.value

    def __call__(self, obs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``[N, B, A]`` and values ``[N, B]`` of each member on its rows ``obs[k]``."""
        return self._forward(self.params, self.buffers, obs)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    @torch.no_grad()
    def write_into(self, models: list[nn.Module]) -> None:
        """Give each member module its current weights."""
        for index, model in enumerate(models):
            for name, value in model.named_parameters():
                value.copy_(self.params[name][index])

    @torch.no_grad()
    def read_from(self, models: list[nn.Module]) -> None:
        """Take each member's weights from its module (e.g. after loading a checkpoint)."""
        for index, model in enumerate(models):
            for name, value in model.named_parameters():
                self.params[name][index].copy_(value)
