"""Does ``torch.compile`` pay on duo's CPU workloads? Eager against compiled, with the compile time.

    python benchmarks/compile.py                    # every case of speed.py; writes docs/PERFORMANCE.md
    python benchmarks/compile.py --cases distshift2 --no-doc

For each case of speed.py (same networks, same batch sizes), times the novice's forward on every
copy and the coordinator's PPO minibatch step (forward, backward, Adam), eager and compiled
(inductor, the default backend), in float32. The compile time is the first compiled call's; a
compiled op pays only after ``compile s / (eager - compiled)`` calls. Each case runs in a fresh
process; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness import publish, table_head
from speed import CASES, duo_run, in_worker, repeated_batch, seconds_per_call, update_step

UPDATE_MINIBATCH = {
    "coinrun_obs": 512,
    "coinrun_dist": 2048,
    "distshift2": 256,
}  # 512: a quarter of speed.py's


def run_case(name: str) -> dict[str, Any]:
    import torch

    from duo_ai import make_policy
    from duo_ai.models.base import to_tensor

    case = {**CASES[name], "warmup_iterations": 1, "iterations": 1}
    config, coord_env = duo_run(case)
    novice = coord_env.novice.model
    coordinator = make_policy(config.policy, coord_env).model
    cpu = torch.device("cpu")
    raw, _ = coord_env.base_env.pool.reset()
    obs = to_tensor(coord_env.base_env._obs(raw), cpu)
    coord_obs = to_tensor(coord_env.reset()[0], cpu)
    size = UPDATE_MINIBATCH[name]
    samples = repeated_batch(coord_obs, size)
    optimizer = torch.optim.Adam(coordinator.parameters(), lr=5e-4, eps=1e-5)

    def update(model: Any) -> None:
        update_step(model, samples, optimizer, "float32")

    def forward(model: Any) -> None:
        with torch.inference_mode():
            model(obs)

    rows = {}
    for op, model, fn in (("novice forward", novice, forward), ("coordinator update", coordinator, update)):
        eager = seconds_per_call(lambda fn=fn, model=model: fn(model), 3, min_seconds=2.0)
        compiled_model = torch.compile(model)
        started = time.perf_counter()
        fn(compiled_model)
        compile_seconds = time.perf_counter() - started
        compiled = seconds_per_call(lambda fn=fn, model=compiled_model: fn(model), 3, min_seconds=2.0)
        rows[op] = {"eager": eager, "compiled": compiled, "compile_seconds": compile_seconds}
    batch = {"novice forward": case["num_envs"], "coordinator update": size}
    return {op: {**row, "batch": batch[op]} for op, row in rows.items()}


def write_doc(results: dict[str, Any]) -> str:
    rows = []
    for name, ops in results.items():
        for op, r in ops.items():
            saved = r["eager"] - r["compiled"]
            pays = f"{r['compile_seconds'] / saved:,.0f} calls" if saved > 0 else "never"
            rows.append(
                f"| {name} | {op} | {r['batch']} | {1e3 * r['eager']:.2f} | {1e3 * r['compiled']:.2f} | "
                f"{r['eager'] / r['compiled']:.2f}x | {r['compile_seconds']:.0f} | {pays} |"
            )
    return (
        "Measured by `python benchmarks/compile.py`: milliseconds per call, float32, the cases of speed.py.\n\n"
        + "\n".join(
            [
                *table_head(
                    "case", "op", "batch", "eager ms", "compiled ms", "speed-up", "compile s", "pays after"
                ),
                *rows,
            ]
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/PERFORMANCE.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_case(args.worker)))
        return
    results = {}
    for name in args.cases:
        results[name] = in_worker(sys.executable, [str(Path(__file__).resolve()), "--worker", name])
        print(name, json.dumps(results[name]), flush=True)
    measured = write_doc(results)
    publish("PERFORMANCE.md", "Performance", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
