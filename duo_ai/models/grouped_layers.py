"""Grouped layers: the layers of N networks of one shape applied in one call each.

``StackedModels`` runs N members through ``vmap`` in general; for the small convolutional
coordinators of MiniGrid that is slow on CPU (``vmap`` lays the members' convolutions out
channels-first, where pooling and convolution are slow on CPU).
A model whose modules all have a grouped form computes its members here instead: convolutions as
one grouped convolution over channels-last images ``[B, N * C, H, W]`` (member k's channels are
the k-th block), linear layers as one batched matrix product over ``[N, B, F]``. The arithmetic is
each member's own; only the order of floating-point sums may differ from a lone forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ELEMENTWISE = {nn.ReLU: torch.relu, nn.Tanh: torch.tanh, nn.Identity: lambda x: x}


def supports_grouped(model: nn.Module) -> bool:
    """Whether every module of ``model`` has a grouped form (a ``grouped`` method, or a layer here)."""
    return callable(getattr(model, "grouped", None)) and all(
        callable(getattr(module, "grouped", None))
        or isinstance(module, (nn.Sequential, nn.Linear, nn.MaxPool2d, *ELEMENTWISE))
        or (isinstance(module, nn.Conv2d) and module.padding_mode == "zeros")
        for module in model.modules()
    )


def part(params: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The stacked parameters of submodule ``prefix``, named as inside it."""
    start = prefix + "."
    return {name[len(start) :]: value for name, value in params.items() if name.startswith(start)}


def linear(x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Member k's ``nn.Linear`` on ``x[k]``: ``[N, B, in] -> [N, B, out]``."""
    weight = params["weight"].transpose(1, 2)
    return torch.baddbmm(params["bias"].unsqueeze(1), x, weight) if "bias" in params else torch.bmm(x, weight)


def images(grids: torch.Tensor) -> torch.Tensor:
    """Every member's channels-last images ``[N, B, H, W, C]`` as one batch ``[B, N * C, H, W]``
    (channels-last in memory)."""
    members, batch, height, width, channels = grids.shape
    joined = grids.float().permute(1, 2, 3, 0, 4).reshape(batch, height, width, members * channels)
    return joined.permute(0, 3, 1, 2)


def member_rows(x: torch.Tensor, members: int) -> torch.Tensor:
    """``[B, N * C, H, W] -> [N, B, C * H * W]``, each row flattened as a lone network flattens it."""
    return x.unflatten(1, (members, -1)).flatten(2).transpose(0, 1)


def apply(layer: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``layer`` for every member at once: a module with a ``grouped`` method, a sequence, a
    convolution or pooling (on ``images``), a linear layer or an activation."""
    if callable(getattr(layer, "grouped", None)):
        return layer.grouped(params, x)
    if isinstance(layer, nn.Sequential):
        for name, child in layer.named_children():
            x = apply(child, part(params, name), x)
        return x
    if isinstance(layer, nn.Linear):
        return linear(x, params)
    if isinstance(layer, nn.Conv2d):
        return conv2d(x, params, layer)
    if isinstance(layer, nn.MaxPool2d):
        return F.max_pool2d(
            x, layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode
        )
    return ELEMENTWISE[type(layer)](x)


def conv2d(x: torch.Tensor, params: dict[str, torch.Tensor], layer: nn.Conv2d) -> torch.Tensor:
    """Member k's ``layer`` on its block of channels of ``x``, as one grouped convolution."""
    weight, members = params["weight"], len(params["weight"])
    return F.conv2d(
        x,
        weight.flatten(0, 1),
        params["bias"].flatten() if "bias" in params else None,
        layer.stride,
        layer.padding,
        layer.dilation,
        groups=members * layer.groups,
    )
