"""What every training algorithm offers, and the validation loop they share."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai.algorithms.callbacks import Callback, notify
from duo_ai.checkpoint import save_checkpoint
from duo_ai.config import ComponentConfig
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.errors import ExperimentError
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy
from duo_ai.run import Run, current_run
from duo_ai.run_folder import best_checkpoint

logger = logging.getLogger("duo_ai")


@dataclass
class AlgorithmConfig(ComponentConfig):
    pass


class Algorithm(ABC):
    config_class: type = AlgorithmConfig
    learns_from_episodes = True  # False: needs no episodes of train/val_sim (simulated_pairing=task_family)

    def __init__(self, config: Any):
        self.config = config

    @classmethod
    def report_label(cls, policy_label: str) -> str:
        """A result's method name, given the trained policy's: the policy's own unless the
        algorithm makes it another method."""
        return policy_label

    def check_fits(self, env: VectorEnv, device: Any) -> None:
        """Refuse settings whose memory ``env`` and ``device`` cannot hold, before anything is
        written (an algorithm with large storage overrides this)."""
        return None

    @abstractmethod
    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        """Fit ``policy`` on ``env``; validate on each split; save checkpoints in the run folder;
        call ``callbacks`` after each iteration and validation (one may stop training)."""


def require_run(run: Run | None) -> Run:
    run = run or current_run()
    if run is None:
        raise ExperimentError(
            "no experiment folder to write into: create the config with duo_ai.make_config(...) "
            "or pass run=duo_ai.start_run(config)"
        )
    return run


def keeps_best_checkpoint(split: str, env: VectorEnv, config: Any) -> bool:
    """Whether ``best_<split>.ckpt`` is saved. A coordinator selected on another split (YRC-0
    selects on val_sim) gets no ``best_test.ckpt``, which would invite reporting the checkpoint
    chosen on test; its best on test is still logged. Agents keep theirs (the tutorial loads
    agents from ``best_test.ckpt``)."""
    return split != "test" or not isinstance(env, CoordEnv) or config.get("selection_split") == "test"


class Validation:
    """Evaluates every validator, keeps the best result per split and saves ``best_<split>``
    (see ``keeps_best_checkpoint``).

    With ``pending=True`` (algorithms that resume) a new best is written beside the final name
    and becomes ``best_<split>.ckpt`` only at ``commit``, after the resume point that knows of
    it is saved: a run killed in between never leaves a best from a timeline it then discards."""

    def __init__(
        self,
        validators: dict[str, Evaluator],
        run: Run,
        pending: bool = False,
        callbacks: Sequence[Callback] = (),
    ):
        self.validators, self.run, self.pending, self.callbacks = validators, run, pending, callbacks
        self.best: dict[str, dict[str, float]] = {}
        self.saved_splits = {
            split for split, evaluator in validators.items()
            if keeps_best_checkpoint(split, evaluator.env, run.config)
        }  # fmt: skip
        self.stop_requested = False  # a callback asked training to stop

    def __call__(self, policy: Policy, step: int) -> dict[str, dict[str, float]]:
        return self.record(
            policy, step, {split: evaluator.evaluate(policy) for split, evaluator in self.validators.items()}
        )

    def record(
        self, policy: Policy, step: int, results: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Log each split's evaluation of ``policy`` (made here, or for many runs at once by a
        group), keep the bests and save their checkpoints."""
        for split, summary in results.items():
            evaluator = self.validators[split]
            self.run.log_metrics(step, {f"{split}/{key}": value for key, value in summary.items()})
            best = self.best.get(split)
            if best is None or summary["reward_mean"] > best["reward_mean"]:
                self.best[split] = {**summary, "at_step": step}
                if split in self.saved_splits:
                    target = self._pending_path(split, step) if self.pending else self._best_path(split)
                    save_checkpoint(target, policy, evaluator.env)
            logger.info("BEST %s so far", split)
            logger.info(evaluator.describe(self.best[split]))
        policy.train()
        self.stop_requested |= notify(self.callbacks, "on_validation", step, results)
        return results

    def commit(self) -> None:
        """Promote the bests that the resume point now records (call after saving it)."""
        for split, best in self.best.items():
            pending = self._pending_path(split, best["at_step"])
            if pending.exists():
                pending.replace(self._best_path(split))
        self.discard_pending()

    def discard_pending(self) -> None:
        """Remove bests that no resume point records (a run killed before saving one)."""
        for leftover in self.run.folder.glob(".best_*.ckpt.at-*"):
            leftover.unlink()

    def _best_path(self, split: str) -> Path:
        return self.run.folder / best_checkpoint(split)

    def _pending_path(self, split: str, step: int) -> Path:
        return self.run.folder / f".best_{split}.ckpt.at-{step}"
