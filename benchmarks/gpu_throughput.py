"""Agent PPO throughput on the GPU machine, read from the zoo runs that ``scripts/gpu_zoo.py run``
trained there (their metrics.jsonl and machines.jsonl), beside published figures.

    python benchmarks/gpu_throughput.py   # prints the table and writes it into docs/PERFORMANCE.md

A run's training is split into segments, one per GPU command (``machines.jsonl``: a new command
may run on another machine or with other settings); a segment's rate is steady-state: steps over training time from its first logged
window to its last (start-up left out, validation included).
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import publish, table_head

ROOT = Path(__file__).resolve().parent.parent
# The shipped runs, then runs kept only as logs (a retrained expert not shipped: docs/ZOO.md).
RUNS = ["procgen_coinrun_novice", "procgen_coinrun_expert", "gpu_logs/2026-11-27-expert-anneal"]
PUBLISHED = [
    ("CleanRL `ppo_procgen` (published)", "3.2-3.9k"),
    ("reference implementation's logs (novice, 15M steps in 1 h 21 min)", "3.1k"),
]


def segments(folder: Path) -> list[tuple[dict, int, int, float]]:
    """(machine, first step, last step, steps per second) of each command that trained the run,
    as ``scripts/gpu_zoo.py collect`` recorded them in ``machines.jsonl``."""
    commands = [json.loads(line) for line in (folder / "machines.jsonl").read_text().splitlines() if line]
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line]
    logged = [(r["step"], r["time"]) for r in rows if "train/steps_per_second" in r]
    starts = [command["from_step"] for command in commands]
    result = []
    for command, start, end in zip(commands, starts, [*starts[1:], float("inf")], strict=True):
        inside = [(step, time) for step, time in logged if start < step <= end]
        if len(inside) >= 2:
            (first_step, first_time), (last_step, last_time) = inside[0], inside[-1]
            result.append(
                (command, first_step, last_step, (last_step - first_step) / (last_time - first_time))
            )
    return result


def main() -> None:
    lines = [
        *table_head("run", "steps", "machine", "how it ran", "agent PPO steps/s"),
    ]
    for name in RUNS:
        for machine, first, last, rate in segments(ROOT / "experiments" / "zoo" / name):
            others = len(machine["trained_together"]) - 1
            how = f"side by side with {others} other agent(s)" if others else "alone on the machine"
            where = f"{machine['gpu']}, {machine['cpus']} cores, torch {machine['torch']}, envpool {machine['envpool']}"
            lines.append(f"| `{name}` | {first:,} to {last:,} | {where} | {how} | {rate:,.0f} |")
    lines += [f"| {label} | | | | {rate} |" for label, rate in PUBLISHED]
    measured = "\n".join(lines)
    publish("PERFORMANCE.md", "Performance", measured)


if __name__ == "__main__":
    main()
