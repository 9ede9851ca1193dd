"""Write your own coordinator: ask the expert on every k-th step of each episode.

A registered policy (``ask_every_k``: it counts each copy's steps, so it is ``copy_aware``) and a
registered algorithm (``every_k_sweep``: tries each k, keeps the best on each validation split)
run through duo's own pipeline: training, selection on val_sim, the test result, ``duo report``.

    python examples/ask_every_k.py --config configs/minigrid_distshift.yaml overwrite=1
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import duo_ai
from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation, require_run
from duo_ai.checkpoint import save_checkpoint
from duo_ai.cli.main import add_run_arguments, guarded, parse_with_overrides, run_job
from duo_ai.config import param
from duo_ai.policies.base import Policy, PolicyConfig

logger = logging.getLogger("duo_ai")


@dataclass
class AskEveryKConfig(PolicyConfig):
    k: int = param(4, "ask the expert on steps 0, k, 2k, ... of each episode", min=1)


@duo_ai.register_policy("ask_every_k")
class AskEveryK(Policy):
    config_class = AskEveryKConfig
    learned = False  # k alone defines it
    copy_aware = True  # each copy's step count is its memory

    def __init__(self, config: Any, env: Any, device: str = "cpu"):
        super().__init__(config, env, device)
        self.steps = np.zeros(env.num_envs, np.int64)

    def reset(self, done_mask: np.ndarray) -> None:
        self.steps[done_mask] = 0

    def act(self, obs: Any, temperature: float = 1.0, copies: np.ndarray | None = None) -> np.ndarray:
        copies = np.arange(len(self.steps)) if copies is None else copies
        asks = self.steps[copies] % self.config.k == 0
        self.steps[copies] += 1
        return asks.astype(np.int64)

    def get_params(self) -> dict[str, Any]:
        return {"k": int(self.config.k)}

    def set_params(self, params: dict[str, Any]) -> None:
        self.config.k = int(params["k"])


@dataclass
class EveryKSweepConfig(AlgorithmConfig):
    ks: list[int] = param([1, 2, 4, 8, 16, 32], "values of k to try")


@duo_ai.register_algorithm("every_k_sweep")
class EveryKSweep(Algorithm):
    config_class = EveryKSweepConfig

    def train(self, policy, env, validators, run=None, callbacks: Sequence = ()) -> None:  # noqa: ANN001
        run = require_run(run)
        validation = Validation(validators, run, callbacks=callbacks)
        for index, k in enumerate(self.config.ks):
            policy.set_params({"k": k})
            results = validation(
                policy, step=index
            )  # logs, and saves best_<split>.ckpt when k is the best yet
            logger.info(
                "k=%d: %s",
                k,
                ", ".join(f"{split} reward {r['reward_mean']:.3f}" for split, r in results.items()),
            )
            if validation.stop_requested:
                break
        for split, best in validation.best.items():
            logger.info(
                "chose k=%d on %s (reward %.3f)", self.config.ks[best["at_step"]], split, best["reward_mean"]
            )
        save_checkpoint(run.folder / "last.ckpt", policy, env)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, with_type=False)
    args = parse_with_overrides(parser, None)
    ours = ["policy.name=ask_every_k", "algorithm.name=every_k_sweep", "name=ask_every_k"]
    return guarded(run_job, "train", "coord", args.config, [*ours, *args.overrides])


if __name__ == "__main__":
    sys.exit(main())
