"""Where duo's time goes: training and evaluation wall time split by component.

    python benchmarks/breakdown.py                  # the cases of speed.py; writes docs/PERFORMANCE.md
    python benchmarks/breakdown.py --cases distshift2 --no-doc

Each case trains (warm-up iterations, then the measured ones) and evaluates as in speed.py, with
timers around each component: simulation (every call into the base env), the novice's and the
expert's forward passes, the coordinator's forward passes while acting, and the PPO update.
What falls in none of them is duo's own Python between the components ("other"). A component
called inside another counts for the outer one (the coordinator's forwards inside the update
count as update). Each case runs in a fresh process; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import publish, table_head
from speed import CASES, add_case_arguments, duo_coord_env, duo_run, in_worker

COMPONENTS = ("simulate", "novice forward", "expert forward", "coordinator forward", "PPO update")


class Timers:
    """Seconds spent in each component; a call inside another component counts for the outer one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.active: str | None = None

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.active is not None:
                return fn(*args, **kwargs)
            self.active, started = name, time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.active = None

        return timed

    def instrument(self, env: Any, policy: Any) -> None:
        """Time the components of this CoordEnv and coordinator (by replacing their methods)."""
        base = env.base_env
        for method in ("reset", "step", "reset_copies", "step_copies"):
            setattr(base, method, self.wrap("simulate", getattr(base, method)))
        env.novice.forward_agent = self.wrap("novice forward", env.novice.forward_agent)
        env.expert.forward_agent = self.wrap("expert forward", env.expert.forward_agent)
        policy.model.forward = self.wrap("coordinator forward", policy.model.forward)

    def shares(self, wall: float) -> dict[str, float]:
        shares = {name: self.seconds[name] / wall for name in COMPONENTS}
        return {**shares, "other": 1.0 - sum(shares.values()), "wall": wall}


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    from duo_ai import Evaluator, make_algorithm, make_policy

    config, env = duo_run(case)
    policy = make_policy(config.policy, env)
    algorithm = make_algorithm(config.algorithm)
    timers = Timers()
    timers.instrument(env, policy)
    update = timers.wrap("PPO update", algorithm.improve)
    updates, measured_from = 0, 0.0

    def counted_update(*args: Any) -> Any:
        nonlocal updates, measured_from
        losses = update(*args)
        updates += 1
        if updates == case["warmup_iterations"]:  # measure from here on
            timers.seconds.clear()
            measured_from = time.perf_counter()
        return losses

    algorithm.improve = counted_update
    algorithm.train(policy, env, {})
    train = timers.shares(time.perf_counter() - measured_from)

    eval_env = duo_coord_env(case, config)
    timers = Timers()
    timers.instrument(eval_env, policy)
    started = time.perf_counter()
    Evaluator(config.evaluation, eval_env).evaluate(policy)
    return {"train": train, "eval": timers.shares(time.perf_counter() - started)}


def write_doc(results: dict[str, Any], args: argparse.Namespace) -> str:
    iterations = f" --iterations {args.iterations}" if args.iterations else ""
    rows = [
        f"| {name} | {phase} | {shares['wall']:.1f} | "
        + " | ".join(f"{100 * shares[key]:.0f}%" for key in (*COMPONENTS, "other"))
        + " |"
        for name, phases in results.items()
        for phase, shares in phases.items()
    ]
    return (
        f"Measured by `python benchmarks/breakdown.py{iterations} --warmup {args.warmup}`: share of duo's wall "
        "time in each component (training: the measured iterations, each case's own count unless --iterations "
        "says otherwise; evaluation: the whole evaluation).\n\n"
        + "\n".join([*table_head("case", "phase", "wall s", *COMPONENTS, "other (duo's Python)"), *rows])
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_case_arguments(parser, iterations=None)
    parser.add_argument("--case-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case_json:
        print(json.dumps(run_case(json.loads(args.case_json))))
        return
    results = {}
    for name in args.cases:
        case = {
            **CASES[name],
            "warmup_iterations": args.warmup,
            "iterations": args.iterations or CASES[name]["iterations"],
        }
        results[name] = in_worker(
            sys.executable, [str(Path(__file__).resolve()), "--case-json", json.dumps(case)]
        )
        print(name, json.dumps(results[name]), flush=True)
    measured = write_doc(results, args)
    publish("PERFORMANCE.md", "Performance", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
