"""Coordinator rollout throughput of duo by torch thread count: the evidence for the default.

    python benchmarks/threads.py                 # 1 thread, then every core; writes docs/PERFORMANCE.md
    python benchmarks/threads.py --steps 50 --no-doc

A rollout step is what PPO's collection does: the coordinator's forward and sampling, then
CoordEnv's step (novice forward, expert forward on the queried copies, simulation). Each
setting runs in a fresh process (torch fixes its thread pool at start), on the cases of
``speed.py`` with random-weight agents. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import publish, table_head
from speed import CASES, duo_run

ROOT = Path(__file__).resolve().parent.parent


def rollout_steps_per_second(case: dict[str, Any], steps: int) -> dict[str, Any]:
    import torch

    from duo_ai import make_policy
    from duo_ai.models.base import to_tensor
    from duo_ai.policies.base import sample_actions

    config, env = duo_run(case)
    policy = make_policy(config.policy, env)
    obs, _ = env.reset()

    def roll(count: int) -> None:
        nonlocal obs
        for _ in range(count):
            with torch.inference_mode():
                logits = policy.model(to_tensor(obs, policy.device)).logits
            obs, *_ = env.step(sample_actions(logits, 1.0).numpy())

    roll(5)
    started = time.perf_counter()
    roll(steps)
    seconds = time.perf_counter() - started
    return {"steps_per_second": case["num_envs"] * steps / seconds, "torch_threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", default=["coinrun_obs", "distshift2"], choices=list(CASES))
    parser.add_argument("--steps", type=int, default=200, help="measured rollout steps (of every copy)")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/PERFORMANCE.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(rollout_steps_per_second(json.loads(args.worker), args.steps)))
        return

    cores = os.cpu_count() or 1
    rows = []
    for name in args.cases:
        figures = []
        for threads in (1, cores):
            case = json.dumps(
                {**CASES[name], "warmup_iterations": 1, "iterations": 0, "torch_threads": threads}
            )
            out = subprocess.run(
                [sys.executable, __file__, "--worker", case, "--steps", str(args.steps)],
                check=True, capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            figures.append(json.loads(out.stdout.strip().splitlines()[-1])["steps_per_second"])
        rows.append(f"| {name} | {figures[0]:,.0f} | {figures[1]:,.0f} | {figures[1] / figures[0]:.2f}x |")
        print(rows[-1], flush=True)
    measured = (
        f"Measured by `python benchmarks/threads.py --steps {args.steps}` on {cores} cores: coordinator "
        "rollout steps/s (every copy's steps) by torch thread count.\n\n"
        + "\n".join([*table_head("case", "1 thread", f"{cores} threads (the default)", "ratio"), *rows])
        + "\n"
    )
    publish("PERFORMANCE.md", "Performance", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
