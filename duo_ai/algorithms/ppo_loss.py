"""PPO's loss on a minibatch (Schulman et al. 2017), for one run or for a group of runs at once.

Every term is a mean over the last axis of its inputs: shaped [samples] for one run, or
[runs, samples] with a mask of the real samples, so that the runs of a group (which have
different numbers of decision steps) each get exactly the terms they would get alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from duo_ai.policies.base import action_distribution

UPDATE_STATISTICS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac", "grad_norm")
MINIBATCH_KEYS = ("actions", "logprobs", "advantages", "returns", "values")


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The mean over the last axis of the entries ``mask`` keeps (all of them where it is None)."""
    if mask is None:
        return x.mean(-1)
    return (x * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def normalized(advantages: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Advantages less their mean, over their standard deviation (Bessel), along the last axis;
    left as they are where fewer than two samples are kept."""
    if mask is None:  # torch's own mean and std: a lone run's numbers, bit for bit
        if advantages.shape[-1] < 2:
            return advantages
        return (advantages - advantages.mean(-1, keepdim=True)) / (advantages.std(-1, keepdim=True) + 1e-8)
    count = mask.sum(-1)
    mean = masked_mean(advantages, mask).unsqueeze(-1)
    squares = (advantages - mean) ** 2 * mask
    std = (squares.sum(-1) / (count - 1).clamp(min=1)).sqrt().unsqueeze(-1)
    return torch.where((count > 1).unsqueeze(-1), (advantages - mean) / (std + 1e-8), advantages)


def ppo_losses(
    cfg: Any,
    logits: torch.Tensor,
    values: torch.Tensor,
    batch: dict[str, torch.Tensor],
    mask: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """PPO's losses on one minibatch: clipped surrogate, (clipped) value loss, entropy bonus, and
    their weighted sum ``loss``. Every term is a mean over the last axis, so a batch shaped
    [runs, samples] (with ``mask`` marking the real samples) gives each run its own terms."""
    dist = action_distribution(logits)
    log_ratio = dist.log_prob(batch["actions"]) - batch["logprobs"]
    ratio = log_ratio.exp()
    with torch.no_grad():
        approx_kl = masked_mean(kl_terms(log_ratio), mask)
        clipfrac = masked_mean(((ratio - 1).abs() > cfg.clip_coef).float(), mask)
    advantages = normalized(batch["advantages"], mask) if cfg.norm_adv else batch["advantages"]
    clipped_ratio = ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
    policy_loss = masked_mean(torch.max(-advantages * ratio, -advantages * clipped_ratio), mask)
    returns, old_values = batch["returns"], batch["values"]
    value_loss = (values - returns) ** 2
    if cfg.clip_vloss:
        clipped_value = old_values + (values - old_values).clamp(-cfg.clip_coef, cfg.clip_coef)
        value_loss = torch.max(value_loss, (clipped_value - returns) ** 2)
    value_loss = 0.5 * masked_mean(value_loss, mask)
    entropy = masked_mean(dist.entropy(), mask)
    loss = policy_loss - cfg.ent_coef * entropy + cfg.vf_coef * value_loss
    return {"loss": loss, "policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy,
            "approx_kl": approx_kl, "clipfrac": clipfrac}  # fmt: skip


def summarize_update(stats: dict[str, list[float]]) -> dict[str, float]:
    """An update's statistics: the mean over its minibatches, and the worst KL and gradient norm
    (one minibatch's step can undo a policy: the worst of the update shows it)."""
    means = {key: float(np.mean(values)) if values else float("nan") for key, values in stats.items()}
    peaks = {f"{key}_max": max(stats[key], default=float("nan")) for key in ("approx_kl", "grad_norm")}
    return {**means, **peaks}


def kl_terms(log_ratio: torch.Tensor) -> torch.Tensor:
    """Per-sample terms of the KL estimate (ratio - 1) - log ratio, whose mean estimates the KL
    from the rollout policy (Schulman's k3: unbiased, never negative)."""
    return (log_ratio.exp() - 1) - log_ratio
