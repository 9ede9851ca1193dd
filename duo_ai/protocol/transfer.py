"""Carrying a coordinator fitted in the simulated pairing over to the test novice (YRC-0)."""

from __future__ import annotations

import logging
from typing import Any

from omegaconf import DictConfig

from duo_ai.coordination.coord_env import CoordEnv, novice_observations
from duo_ai.envs import make_env
from duo_ai.policies.base import Policy, ThresholdPolicy
from duo_ai.protocol.pairing import split_agent_keys
from duo_ai.seeding import seed_everything

logger = logging.getLogger("duo_ai")


def carry_to_test_novice(policy: Policy, config: DictConfig, test_env: CoordEnv) -> dict[str, Any] | None:
    """Carry a threshold coordinator from the simulated novice to the test novice.

    YRC-0 allows the test novice on the training distribution: its states there, collected as the
    sweep collected the simulated novice's, give the threshold at the percentile chosen on
    val_sim (ood also refits its detector on them). Without this, a threshold in the simulated
    novice's score units rarely fits the test novice.
    """
    if not isinstance(policy, ThresholdPolicy) or policy.percentile is None or not policy.config.recalibrate:
        return None
    if split_agent_keys(config, "train")[0] == "test_novice" or config.train_novice == config.test_novice:
        return None  # fitted on the test novice already
    before = float(policy.config.threshold)
    seed_everything(config.seed)
    train_env = CoordEnv(
        config.coordination,
        make_env(config.env, "train", config.seed),
        test_env.novice,
        test_env.expert,
        test_env.base_penalty,
    )
    steps, temperatures = policy.rollout["steps"], policy.rollout["temperatures"]
    after = policy.carry_percentile(novice_observations(train_env, steps, temperatures))
    train_env.close()
    logger.info(
        "threshold carried to the test novice: percentile %g of its training-split scores, %.6g (was %.6g)",
        policy.percentile, after, before,
    )  # fmt: skip
    return {"percentile": policy.percentile, "threshold_simulated": before, "threshold_test": after}
