"""What every training algorithm offers, and the validation loop they share."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai.checkpoint import save_checkpoint
from duo_ai.config import ComponentConfig
from duo_ai.errors import ExperimentError
from duo_ai.evaluation import Evaluator, format_summary
from duo_ai.policies.base import Policy
from duo_ai.run import Run, current_run

logger = logging.getLogger("duo_ai")


@dataclass
class AlgorithmConfig(ComponentConfig):
    pass


class Algorithm(ABC):
    config_class: type = AlgorithmConfig

    def __init__(self, config: Any):
        self.config = config

    @abstractmethod
    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
    ) -> None:
        """Fit ``policy`` on ``env``; validate on each split; save checkpoints in the run folder."""


def require_run(run: Run | None) -> Run:
    run = run or current_run()
    if run is None:
        raise ExperimentError(
            "no experiment folder to write into: create the config with duo_ai.make_config(...) "
            "or pass run=duo_ai.start_run(config)"
        )
    return run


class Validation:
    """Evaluates every validator, keeps the best result per split and saves ``best_<split>``."""

    def __init__(self, validators: dict[str, Evaluator], run: Run):
        self.validators, self.run = validators, run
        self.best: dict[str, dict[str, float]] = {}

    def __call__(self, policy: Policy, step: int) -> dict[str, dict[str, float]]:
        results = {}
        for split, evaluator in self.validators.items():
            summary = evaluator.evaluate(policy)
            results[split] = summary
            self.run.log_metrics(step, {f"{split}/{key}": value for key, value in summary.items()})
            best = self.best.get(split)
            if best is None or summary["reward_mean"] > best["reward_mean"]:
                self.best[split] = {**summary, "at_step": step}
                save_checkpoint(self.run.folder / f"best_{split}.ckpt", policy, evaluator.env)
            logger.info("BEST %s so far", split)
            logger.info(format_summary(self.best[split]))
        policy.train()
        return results
