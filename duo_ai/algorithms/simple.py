"""Training for the coordinators that learn nothing or one number (a probability, a threshold)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from gymnasium.vector import VectorEnv

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation, require_run
from duo_ai.algorithms.callbacks import Callback
from duo_ai.checkpoint import save_checkpoint
from duo_ai.config import param
from duo_ai.coordination.coord_env import novice_observations
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy, ThresholdPolicy
from duo_ai.run import Run
from duo_ai.run_folder import LAST_CHECKPOINT

logger = logging.getLogger("duo_ai")


@registry.register_algorithm("always")
class AlwaysAlgorithm(Algorithm):
    """Nothing to fit: validates once and saves, so ``always`` runs through the same pipeline."""

    config_class = AlgorithmConfig
    learns_from_episodes = False

    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        run = require_run(run)
        Validation(validators, run, callbacks=callbacks)(policy, step=0)
        save_checkpoint(run.folder / LAST_CHECKPOINT, policy, env)


@dataclass
class RandomSweepConfig(AlgorithmConfig):
    probs: list[float] = param(
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], "expert probabilities to try"
    )


@registry.register_algorithm("random")
class RandomSweep(Algorithm):
    """Tries each expert probability; ``best_<split>`` holds the best one for each split."""

    config_class = RandomSweepConfig

    def __init__(self, config: RandomSweepConfig):
        super().__init__(config)
        bad = [prob for prob in config.probs if not 0.0 <= prob <= 1.0]
        if bad or not config.probs:
            raise ConfigError(f"algorithm.probs: need probabilities in [0, 1], got {list(config.probs)}")

    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        run = require_run(run)
        validation = Validation(validators, run, callbacks=callbacks)
        for index, prob in enumerate(self.config.probs):
            policy.set_params({"prob": prob})
            validation(policy, step=index)
            if validation.stop_requested:
                break
        save_checkpoint(run.folder / LAST_CHECKPOINT, policy, env)


@dataclass
class ThresholdSweepConfig(AlgorithmConfig):
    percentiles: list[float] = param(
        [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0],
        "percentiles of the novice's training-split scores tried as thresholds",
    )
    rollout_steps: int = param(256, "steps of novice-only rollouts that collect scores", min=1)
    explore_temps: list[float] = param([1.0], "novice sampling temperatures for those rollouts")


class ThresholdSweep(Algorithm):
    """Scores states the novice visits on the training split, then tries percentiles as thresholds.

    Works with any ``ThresholdPolicy`` (logit, ood): it is first fitted on those novice rollouts
    (ood fits its detector), and remembers the percentile of each threshold it tries.
    """

    config_class = ThresholdSweepConfig

    def __init__(self, config: ThresholdSweepConfig):
        super().__init__(config)
        bad = [p for p in config.percentiles if not 0.0 <= p <= 100.0]
        if bad or not config.percentiles:
            raise ConfigError(
                f"algorithm.percentiles: need values in [0, 100], got {list(config.percentiles)}"
            )

    def train(
        self,
        policy: ThresholdPolicy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        run = require_run(run)
        rollout = {"steps": int(self.config.rollout_steps), "temperatures": list(self.config.explore_temps)}
        observations = novice_observations(env, rollout["steps"], rollout["temperatures"])
        policy.fit(observations)
        scores = np.concatenate([policy.score(obs) for obs in observations])
        # The policy asks when score < threshold. Never (-inf) and always (+inf) are candidates of
        # their own, carried to the test novice as they are; the percentiles in between are
        # carried as percentiles (the 0th asks only where the novice is less sure than anywhere
        # in its rollouts, which on a new task is not never).
        candidates: dict[float, float | None] = {-np.inf: None, np.inf: None}
        for percentile in sorted(self.config.percentiles):
            candidates.setdefault(float(np.percentile(scores, percentile)), float(percentile))
        logger.info("%d thresholds from %d novice scores on the training split", len(candidates), scores.size)
        validation = Validation(validators, run, callbacks=callbacks)
        for index, threshold in enumerate(sorted(candidates)):
            policy.set_params(
                {"threshold": threshold, "percentile": candidates[threshold], "rollout": rollout}
            )
            validation(policy, step=index)
            if validation.stop_requested:
                break
        save_checkpoint(run.folder / LAST_CHECKPOINT, policy, env)


# The reference's names: each baseline's policy and algorithm share a name.
registry.register_algorithm("logit", ThresholdSweep)
registry.register_algorithm("ood", ThresholdSweep)
