"""Hooks into training: custom logging, early stopping. Pass them as
``algorithm.train(policy, env, validators, callbacks=[...])``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Callback:
    """Override the hooks you need; a hook that returns True asks training to stop (the run still
    saves its resume point, so ``resume=1`` can continue it)."""

    def on_iteration(self, step: int, metrics: dict[str, Any]) -> bool | None:
        """After each training iteration (PPO), with what was logged for it."""
        return None

    def on_validation(self, step: int, results: dict[str, dict[str, Any]]) -> bool | None:
        """After each validation, with each split's evaluation summary."""
        return None


def notify(callbacks: Sequence[Callback], hook: str, *args: Any) -> bool:
    """Call ``hook`` on every callback (all of them, in order); True if any asked to stop."""
    answers = [getattr(callback, hook)(*args) for callback in callbacks]
    return any(answers)
