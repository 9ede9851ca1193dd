"""Training for the coordinators that learn nothing or one number."""

from __future__ import annotations

from dataclasses import dataclass

from gymnasium.vector import VectorEnv

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation, require_run
from duo_ai.checkpoint import save_checkpoint
from duo_ai.config import param
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy
from duo_ai.run import Run


@registry.register_algorithm("always")
class AlwaysAlgorithm(Algorithm):
    """Nothing to fit: validates once and saves, so ``always`` runs through the same pipeline."""

    config_class = AlgorithmConfig

    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
    ) -> None:
        run = require_run(run)
        Validation(validators, run)(policy, step=0)
        save_checkpoint(run.folder / "last.ckpt", policy, env)


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
    ) -> None:
        run = require_run(run)
        validation = Validation(validators, run)
        for index, prob in enumerate(self.config.probs):
            policy.set_params({"prob": prob})
            validation(policy, step=index)
        save_checkpoint(run.folder / "last.ckpt", policy, env)
