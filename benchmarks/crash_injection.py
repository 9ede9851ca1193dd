"""Crash injection at every write boundary of a PPO run, then resume: the test hook behind
tests/algorithms/test_ppo.py and benchmarks/reliability.py.

A crash is an exception raised at one write (a checkpoint save, a metrics row, the promotion of
a best checkpoint): before it, after it, or in the middle of it (a torn metrics line, a partial
temp checkpoint). The resumed run must end at the right step with every metric logged once, no
temp files left, and a best checkpoint from the timeline it kept.
"""

import json
from pathlib import Path

import pytest
import torch

import duo_ai.algorithms.base
import duo_ai.checkpoint
import duo_ai.run
from duo_ai.checkpoint import read_checkpoint
from duo_ai.cli.main import main

CRASH_MODES = ("before", "torn", "after")
TOTAL = 4 * 8 * 4
ARGS = ["train", "--type", "agent", "env.name=toy", "policy.name=ppo", "policy.model.name=mlp_ppo",
        "env.num_envs=4", "algorithm.num_steps=8", f"algorithm.total_timesteps={TOTAL}",
        "algorithm.log_freq=2", "algorithm.save_freq=1", "validation_splits=[val_sim]",
        "evaluation.num_episodes=4"]  # fmt: skip


class Crash(Exception):
    """A process dying at a write boundary."""


class WriteBoundaries:
    """Wraps every write of a run, counts them, crashes at one, and records what each pending
    best checkpoint held."""

    TARGETS = [(duo_ai.checkpoint, "atomic_save"), (duo_ai.run.Run, "log_metrics"),
               (duo_ai.algorithms.base.Validation, "commit")]  # fmt: skip

    def __init__(self, patch: pytest.MonkeyPatch, crash_at: int | None = None, how: str | None = None):
        self.count, self.crash_at, self.how, self.saved_bests = 0, crash_at, how, {}
        for owner, name in self.TARGETS:
            patch.setattr(owner, name, self.wrap(getattr(owner, name), name))

    def wrap(self, original, name):
        def wrapped(*args, **kwargs):
            index, self.count = self.count, self.count + 1
            crash = index == self.crash_at
            if crash and self.how == "before":
                raise Crash
            if crash and self.how == "torn":
                self.tear(name, args)
                raise Crash
            result = original(*args, **kwargs)
            if name == "atomic_save" and args[1].name.startswith(".best_"):
                self.saved_bests[args[1].name] = {k: v.clone() for k, v in args[0]["params"].items()}
            if crash:
                raise Crash
            return result

        return wrapped

    @staticmethod
    def tear(name, args):
        if name == "atomic_save":
            (args[1].parent / f".{args[1].name}.k2x9").write_bytes(b"PK partial")
        elif name == "log_metrics":
            with (args[0].folder / "metrics.jsonl").open("a") as file:
                file.write('{"step": 12, "train/episo')


def count_writes(root: Path) -> int:
    """The writes of an uninterrupted run."""
    with pytest.MonkeyPatch.context() as patch:
        counter = WriteBoundaries(patch)
        assert main([*ARGS, f"experiment_dir={root}", "name=uninterrupted"]) == 0
    return counter.count


def crash_then_resume(root: Path, crash_at: int, how: str) -> list[str]:
    """Crash a run at write ``crash_at`` (``how``), resume it, and list what is inconsistent."""
    name = f"crash_{crash_at}_{how}"
    args = [*ARGS, f"experiment_dir={root}", f"name={name}"]
    with pytest.MonkeyPatch.context() as patch:
        crashed = WriteBoundaries(patch, crash_at, how)
        try:
            main(args)
            return [f"{name}: the run did not reach write {crash_at}"]
        except Crash:
            pass
    with pytest.MonkeyPatch.context() as patch:
        resumed = WriteBoundaries(patch)
        if main([*args, "resume=1"]) != 0:
            return [f"{name}: the resumed run failed"]
    folder, problems = root / name, []
    state = read_checkpoint(folder / "last.ckpt")["training_state"]
    if state["global_step"] != TOTAL:
        problems.append(f"{name}: ended at step {state['global_step']}, not {TOTAL}")
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    for prefix in ("train/", "val_sim/"):
        steps = [row["step"] for row in rows if any(key.startswith(prefix) for key in row)]
        if steps != sorted(set(steps)) or steps[-1] != TOTAL:
            problems.append(f"{name}: {prefix} metrics at steps {steps}")
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".duo_run"]
    if leftovers:
        problems.append(f"{name}: files left behind: {leftovers}")
    best_step = state["best"]["val_sim"]["at_step"]
    expected = {**crashed.saved_bests, **resumed.saved_bests}.get(f".best_val_sim.ckpt.at-{best_step}")
    saved = read_checkpoint(folder / "best_val_sim.ckpt")["params"]
    if expected is None or not all(torch.equal(saved[key], expected[key]) for key in saved):
        problems.append(f"{name}: best_val_sim.ckpt is not the best of step {best_step}")
    return problems
